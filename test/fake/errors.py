"""Error bodies in the shapes the real services use (REFERENCE.md §3).

- gateway (api.atlassian.com) ProxyError: {"code": <int>, "message": str}
- Organizations v2 / UAM Errors envelope: {"errors": [{id, status, code, title, detail}]}
  with status as a *string*
- User management: {"key": "<machine key>", "context": ...}
- Spring-style NoPermsError (403 of the org routing layer)
- Jira: ErrorCollection {"errorMessages": [...], "errors": {...}}, and the
  login filter's text/plain 401
"""

import itertools
import time
from http import HTTPStatus

from http_types import Response

_error_ids = itertools.count(0x65E99414)
_request_numbers = itertools.count(202784)
JIRA_401_TEXT = b"Client must be authenticated to access this resource."
GATEWAY_MESSAGES = {401: "Unauthorized", 429: "Rate limit exceeded"}


def phrase(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def gateway(status, message=None, headers=None):
    return Response.json(status, {"code": status,
                                  "message": message or GATEWAY_MESSAGES.get(status, phrase(status))},
                         headers)


def v2(status, code, title, detail, headers=None):
    err = {"id": f"{next(_error_ids) & 0xFFFFFFFF:08x}", "status": str(status), "code": code,
           "title": title, "detail": detail}
    return Response.json(status, {"errors": [err]}, headers)


def v2_bad_request(detail):
    return v2(400, "ADMIN-UAM-400-1", "Bad Request", detail)


def um(status, key, context=None, headers=None):
    body = {"key": key}
    if context is not None:
        body["context"] = context
    return Response.json(status, body, headers)


def v1(status, code, title, detail, headers=None):
    """Organizations v1 ApplicationErrors: the same envelope, ADMIN-* codes."""
    return v2(status, code, title, detail, headers)


def no_perms(path, headers=None):
    """Spring-style 403 of the org routing layer (spec NoPermsError), as seen
    live for a key without the rights to an operation."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + \
        f".{int(now * 1000) % 1000:03d}+00:00"
    return Response.json(403, {"timestamp": stamp, "path": "/api" + path, "status": 403,
                               "error": "Forbidden",
                               "message": "User has no permission to access resource.",
                               "requestId": f"{next(_error_ids) & 0xFFFFFFFF:08x}-"
                                            f"{next(_request_numbers):06d}"}, headers)


def jira(status, messages, field_errors=None, headers=None):
    """Jira ErrorCollection."""
    return Response.json(status, {"errorMessages": list(messages),
                                  "errors": dict(field_errors or {})}, headers)


def jira_unauthorized(failed_login):
    """Jira's login filter: 401 as text, before any REST resource runs."""
    headers = {"WWW-Authenticate": 'Basic realm="protected-area"'}
    if failed_login:
        headers["X-Seraph-LoginReason"] = "AUTHENTICATED_FAILED"
    return Response(401, JIRA_401_TEXT, headers, content_type="text/plain;charset=UTF-8")


def api_of(path):
    """Which service a path belongs to: 'org', 'um', 'jira' or 'other'."""
    if path.startswith("/admin/"):
        return "org"
    if path.startswith("/users/"):
        return "um"
    if path.startswith("/rest/"):
        return "jira"
    return "other"


def unauthorized(path, failed_login=False):
    """401 for a missing or wrong credential, in the answering service's shape."""
    if api_of(path) == "jira":
        return jira_unauthorized(failed_login)
    return gateway(401)


def rate_limited(path, headers):
    """429 from the gateway, or from the Jira site (an ErrorCollection: the
    Jira spec documents no 429 body for these operations)."""
    if api_of(path) == "jira":
        return jira(429, ["Rate limit exceeded."], headers=headers)
    return gateway(429, headers=headers)


def default_for(status, path, headers=None):
    """The body a service would plausibly send with `status` (fault injection)."""
    api = api_of(path)
    if api == "jira":
        if status == 401:
            return jira_unauthorized(False)
        return jira(status, [phrase(status)], headers=headers)
    if status in (401, 429) or status >= 502 or api == "other":
        return gateway(status, headers=headers)
    if api == "org":
        title = "Internal Error" if status == 500 else phrase(status)
        return v2(status, f"ADMIN-UAM-{status}-1", title, title, headers)
    keys = {400: "bodyParseFailure", 403: "forbidden", 404: "notFound"}
    if status in keys:
        return um(status, keys[status], headers=headers)
    if status == 409:
        return um(409, "conflict.lifecycleErrors",
                  {"message": "Conflict", "accountId": "unknown", "errorCodes": [{"code": "CONFLICT"}]},
                  headers)
    return gateway(status, headers=headers)
