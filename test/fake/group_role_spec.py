"""Checks for the two group role grant operations, which
test/schemas/operations.json does not list yet (the spec gives them no
operationId; test/schemas/extract.py would need them added).

Until it does, requests and answers are checked against the Organizations
spec itself, as extract.py would: the request body against the operation's
request-body schema (undeclared properties refused, like check_requests.py),
the status against the documented responses (none has a body schema: a
success has no body; errors are the UAM envelope the v2 directory writes
answer).  Once operations.json lists them, Schemas.check takes over.
"""

import json
import os

import jsonschema

from conftest import HERE

OPENAPI = os.path.join(HERE, "..", "..", "..", "shared", "atlassian", "openapi",
                       "organizations.2026-08-21.json")
PATH = "/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments/"
OPS = {"assignGroupRole": PATH + "assign", "revokeGroupRole": PATH + "revoke"}
UAM_ERROR = {"type": "object", "required": ["errors"], "properties": {"errors": {
    "type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["id", "status", "code", "title", "detail"],
        "properties": {k: {"type": "string"}
                       for k in ("id", "status", "code", "title", "detail")}}}}}


def available():
    return os.path.exists(OPENAPI)


def operation(name):
    with open(OPENAPI, encoding="utf-8") as f:
        return json.load(f)["paths"][OPS[name]]["post"]


def check_body(name, body):
    """The request body is valid for the operation (no undeclared properties)."""
    schema = dict(operation(name)["requestBody"]["content"]["application/json"]["schema"],
                  additionalProperties=False)
    jsonschema.Draft7Validator(schema).validate(body)


def check(schemas, name, reply, documented=True):
    """Like Schemas.check: operations.json when it lists the operation, else the spec."""
    if name in schemas.ops:
        schemas.check(name, reply, documented)
        return
    status = str(reply.status)
    if reply.status in (401, 429):  # the gateway's, as for every operation
        assert set(reply.json()) == {"code", "message"}
        return
    if documented:
        assert status in operation(name)["responses"], f"{name} does not document {status}"
    if reply.status < 400:
        assert reply.body == b"", f"{status} must have no body"
        return
    assert reply.header("content-type").startswith("application/json")
    body = reply.json()
    jsonschema.Draft7Validator(UAM_ERROR).validate(body)
    assert body["errors"][0]["status"] == status
