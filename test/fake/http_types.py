"""Request/Response values passed between the HTTP layer and the handlers.

Handlers never touch sockets: they take a Request and return a Response, so
they can be unit-tested and the faults layer can rewrite responses.
"""

import json

JSON_TYPE = "application/json"


def decode_json(raw):
    """(ok, value) for UTF-8 JSON bytes; never raises (deep nesting included)."""
    try:
        return True, json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False, None


class Request:
    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path          # raw path as sent (percent-encoded), no query
        self.query = query        # dict name -> [values]
        self.headers = headers    # lower-cased name -> value
        self.body = body          # bytes (b"" when none was sent)
        self.op_name = None       # operation the router matched (for the log)

    def media_type(self):
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def parsed_body(self):
        """(ok, value): value is the decoded JSON, or None for an empty body."""
        if not self.body.strip():
            return True, None
        return decode_json(self.body)


class Response:
    def __init__(self, status, body=None, headers=None, content_type=JSON_TYPE):
        self.status = status
        self.body = body              # bytes or None (no body, e.g. 204)
        self.headers = dict(headers or {})
        if body is not None and content_type:
            self.headers.setdefault("Content-Type", content_type)
        self.stall_s = None           # fault: hold the connection, send nothing
        self.short = False            # fault: announce full length, send half
        self.dropped = False          # fault: close the connection, answer nothing

    @classmethod
    def json(cls, status, value, headers=None):
        return cls(status, json.dumps(value).encode(), headers)

    @classmethod
    def empty(cls, status=204, headers=None):
        return cls(status, None, headers)
