"""Error bodies in the shapes the real services use (REFERENCE.md §3).

- gateway (api.atlassian.com) ProxyError: {"code": <int>, "message": str}
- Organizations v2 / UAM Errors envelope: {"errors": [{id, status, code, title, detail}]}
  with status as a *string*
- User management: {"key": "<machine key>", "context": ...}
"""

import itertools
from http import HTTPStatus

from http_types import Response

_error_ids = itertools.count(0x65E99414)
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


def api_of(path):
    """Which service a path belongs to: 'org', 'um' or 'other'."""
    if path.startswith("/admin/"):
        return "org"
    if path.startswith("/users/"):
        return "um"
    return "other"


def default_for(status, path, headers=None):
    """The body a service would plausibly send with `status` (fault injection)."""
    api = api_of(path)
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
