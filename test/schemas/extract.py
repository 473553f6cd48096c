#!/usr/bin/python3
"""Extract self-contained JSON Schemas for the operations atlorg uses.

Usage: /usr/bin/python3 test/schemas/extract.py [OPENAPI_DIR] [-o OUT]

OPENAPI_DIR defaults to ../shared/atlassian/openapi relative to the repo
root; OUT defaults to test/schemas/operations.json.  Sources: the
Organizations API (organizations.2026-08-21.json), the User management API
and Jira Cloud platform REST v3 (jira-platform-v3.json).  The output is
deterministic (sorted keys) so a re-run only shows a diff when the specs or
the OPERATIONS list change.

What the output holds, per operation (see OPERATIONS below):
  name, api, method, path (as on the wire: Organizations paths carry the
  /admin server prefix), spec_path, operation_id, parameters (path
  parameter schemas), request_body ({required, content_type, schema} or
  null), responses ({status: {description, schema-or-null}}) and
  gateway_responses.

Every $ref is inlined, and OpenAPI 3.0 keywords are converted to JSON Schema
draft 7 (which Draft4Validator also accepts for these schemas):
  - nullable: true  -> "null" added to type (and to enum when present)
  - boolean exclusiveMinimum/Maximum (draft 4 style) -> numeric form
  - discriminator and x-* extensions dropped (OpenAPI-only), after its
    mapping tagged the oneOf branches whose discriminating property has no
    enum of its own: the User management 400 is oneOf bodyParseFailure /
    fieldConstraintsViolated, whose "key" is a bare string in both, so a
    fieldConstraintsViolated body would match both branches and fail oneOf;
    each branch then also requires its mapped key value
  - regex patterns stripped of surrounding whitespace: the User management
    spec's AccountId pattern ends in a stray newline, which would make every
    real account id fail a JSON Schema "pattern" search.

Two more conversions:
  - a recursive $ref (only the workspaces query language has one) is
    inlined once; its repetition becomes {} (anything);
  - a $ref with a "nullable": true sibling (MultiDirectoryUserRoleAssignment.
    userDirectoryStatus) is made nullable, as its description says.

Request-body schemas describe what a client may send (OpenAPI 3.0 rules):
  - readOnly properties are dropped, with their "required" entries ("SHOULD
    NOT be sent as part of the request"; a required readOnly property
    applies to responses only);
  - an allOf of object schemas is merged into one object (properties and
    required joined), so a validator that refuses undeclared properties
    (check_requests.py) sees every declared one;
  - an operation marked "partial" (PATCH profile: "a subset of the mutable
    fields") requires nothing.
Only the PATCH profile body (AtlassianAccountUser) has readOnly fields or
an allOf; the other request bodies come out as before.

error_schema: the Organizations v2 directory writes (suspend, restore,
remove, memberships) document their errors without a body schema
(REFERENCE.md §3.3: "use the UAM envelope"); they carry error_schema, the
spec's ApiErrorResponse ({"errors": [ApiError]}), the body their 4xx/5xx
answers have live.

Jira operations (api "jira-platform"): the spec's paths already carry the
/rest/api/3 prefix, and a site answers directly (no gateway), so their
gateway_responses are empty.  Their error responses are documented without
a schema (only examples), so each Jira operation also carries error_schema:
the spec's ErrorCollection, the body of Jira's 4xx/5xx answers.  Jira's 401
(wrong or missing Basic credentials) comes from the site's login filter as
text/plain and is not in the spec (getAllUsers documents no 401 at all).

gateway_responses: 401 and 429 (and 502/503/504) are answered by the
api.atlassian.com gateway before the request reaches either service, with the
ProxyError body {"code": <number>, "message": <string>} (REFERENCE.md §1.1,
§3.1, §4).  The Organizations spec documents that schema
(components.schemas.ProxyError); the User management spec does not, and its
own 401 schema ({"key": "unauthorized"}) describes the service's body.  So
the gateway shape is recorded once per operation, separately from the
spec's responses, and a client must accept either.
"""

import argparse
import copy
import json
import os
import sys

# The operations atlorg calls.  api selects an entry of APIS; name is the
# operationId when the spec has one, otherwise our own stable name.
OPERATIONS = [
    # Organizations API v2: directory users and groups
    {"name": "searchDirectoryUsers", "api": "organizations", "method": "POST",
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/users/search"},
    {"name": "getDirectoryUsersCount", "api": "organizations", "method": "GET",
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/users/count"},
    {"name": "getUserStats", "api": "organizations", "method": "GET",
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/users/stats"},
    {"name": "getUserRoleAssignments", "api": "organizations", "method": "GET",
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/role-assignments"},
    {"name": "getDirectoriesForOrg", "api": "organizations", "method": "GET",
     "path": "/v2/orgs/{orgId}/directories"},
    {"name": "searchDirectoryGroups", "api": "organizations", "method": "POST",
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/groups/search"},
    {"name": "getGroups", "api": "organizations", "method": "GET",
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/groups"},
    {"name": "getGroup", "api": "organizations", "method": "GET",
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}"},
    {"name": "getGroupsCount", "api": "organizations", "method": "GET",
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/groups/count"},
    {"name": "getGroupsStats", "api": "organizations", "method": "GET",
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/groups/stats"},
    {"name": "getGroupRoleAssignments", "api": "organizations", "method": "GET",
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments"},
    {"name": "queryWorkspacesV2", "api": "organizations", "method": "POST",
     "path": "/v2/orgs/{orgId}/workspaces"},
    # Organizations API v1
    {"name": "getUsers", "api": "organizations", "method": "GET",
     "path": "/v1/orgs/{orgId}/users"},
    {"name": "getUserLastActiveDates", "api": "organizations", "method": "GET",
     "path": "/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates"},
    {"name": "getDomains", "api": "organizations", "method": "GET",
     "path": "/v1/orgs/{orgId}/domains"},
    {"name": "getEvents", "api": "organizations", "method": "GET",
     "path": "/v1/orgs/{orgId}/events"},
    {"name": "getEventActions", "api": "organizations", "method": "GET",
     "path": "/v1/orgs/{orgId}/event-actions"},
    # User management API
    {"name": "disableUser", "api": "user-management", "method": "POST",
     "path": "/users/{account_id}/manage/lifecycle/disable"},
    {"name": "enableUser", "api": "user-management", "method": "POST",
     "path": "/users/{account_id}/manage/lifecycle/enable"},
    {"name": "deleteUser", "api": "user-management", "method": "POST",
     "path": "/users/{account_id}/manage/lifecycle/delete"},
    {"name": "cancelDeleteUser", "api": "user-management", "method": "POST",
     "path": "/users/{account_id}/manage/lifecycle/cancel-delete"},
    # Jira Cloud platform REST v3, on a site (Basic email:api_token)
    {"name": "getAllUsers", "api": "jira-platform", "method": "GET",
     "path": "/rest/api/3/users/search"},
    {"name": "bulkGetGroups", "api": "jira-platform", "method": "GET",
     "path": "/rest/api/3/group/bulk"},
    {"name": "getUsersFromGroup", "api": "jira-platform", "method": "GET",
     "path": "/rest/api/3/group/member"},
    # ---- writes ----
    # Organizations API v2 directory writes: the spec documents their errors
    # without a body schema ("uam_errors", see error_schema below).
    {"name": "suspendUser", "api": "organizations", "method": "POST", "uam_errors": True,
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/suspend"},
    {"name": "restoreUser", "api": "organizations", "method": "POST", "uam_errors": True,
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/restore"},
    {"name": "removeDirectoryUser", "api": "organizations", "method": "DELETE",
     "uam_errors": True, "path": "/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}"},
    {"name": "addGroupMember", "api": "organizations", "method": "POST", "uam_errors": True,
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships"},
    {"name": "removeGroupMember", "api": "organizations", "method": "DELETE",
     "uam_errors": True,
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships/{accountId}"},
    # what a group grants (the spec gives these no operationId)
    {"name": "assignGroupRole", "api": "organizations", "method": "POST", "uam_errors": True,
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments/assign"},
    {"name": "revokeGroupRole", "api": "organizations", "method": "POST", "uam_errors": True,
     "path": "/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments/revoke"},
    # Organizations API v1 product and org roles
    {"name": "assignRole", "api": "organizations", "method": "POST",
     "path": "/v1/orgs/{orgId}/users/{userId}/roles/assign"},
    {"name": "revokeRole", "api": "organizations", "method": "POST",
     "path": "/v1/orgs/{orgId}/users/{userId}/roles/revoke"},
    # User management API.  PATCH profile takes "a subset of the mutable
    # fields" ("partial": its request schema requires nothing).
    {"name": "setEmail", "api": "user-management", "method": "PUT",
     "path": "/users/{account_id}/manage/email"},
    {"name": "getProfile", "api": "user-management", "method": "GET",
     "path": "/users/{account_id}/manage/profile"},
    {"name": "updateProfile", "api": "user-management", "method": "PATCH", "partial": True,
     "path": "/users/{account_id}/manage/profile"},
    {"name": "getApiTokens", "api": "user-management", "method": "GET",
     "path": "/users/{account_id}/manage/api-tokens"},
    {"name": "deleteApiToken", "api": "user-management", "method": "DELETE",
     "path": "/users/{account_id}/manage/api-tokens/{tokenId}"},
    # Jira Cloud platform REST v3 writes on the site
    {"name": "addUserToGroup", "api": "jira-platform", "method": "POST",
     "path": "/rest/api/3/group/user"},
    {"name": "removeUserFromGroup", "api": "jira-platform", "method": "DELETE",
     "path": "/rest/api/3/group/user"},
    {"name": "removeUser", "api": "jira-platform", "method": "DELETE",
     "path": "/rest/api/3/user"},
]

# Spec file and wire prefix (the path part of the spec's servers[0].url).
APIS = {
    "organizations": {"file": "organizations.2026-08-21.json", "prefix": "/admin",
                      "gateway": True},
    "user-management": {"file": "user-management.json", "prefix": "", "gateway": True},
    # The Jira spec's paths already start with /rest/api/3 (servers[0] is the
    # bare site URL), and a site is not behind the api.atlassian.com gateway.
    "jira-platform": {"file": "jira-platform-v3.json", "prefix": "", "gateway": False},
}

GATEWAY_STATUSES = ["401", "429", "502", "503", "504"]
DROPPED_KEYS = {"discriminator", "xml", "externalDocs"}


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(argv):
    root = repo_root()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("openapi_dir", nargs="?",
                    default=os.path.join(root, "..", "shared", "atlassian", "openapi"))
    ap.add_argument("-o", "--out",
                    default=os.path.join(root, "test", "schemas", "operations.json"))
    return ap.parse_args(argv)


class Resolver:
    """Inlines local $refs of one OpenAPI document, refusing cycles."""

    def __init__(self, doc, name):
        self.doc = doc
        self.name = name

    def lookup(self, ref):
        if not ref.startswith("#/"):
            raise ValueError(f"{self.name}: non-local $ref {ref}")
        node = self.doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def inline(self, node, stack=()):
        if isinstance(node, list):
            return [self.inline(x, stack) for x in node]
        if not isinstance(node, dict):
            return node
        if isinstance(node.get("discriminator"), dict) and "oneOf" in node:
            node = self.tag_branches(node)
        if "$ref" in node:
            ref = node["$ref"]
            if ref in stack:
                # A recursive schema (the workspaces query language nests
                # and/nor operators) cannot be inlined: accept anything below
                # the first repetition.
                return {}
            target = self.inline(self.lookup(ref), stack + (ref,))
            if node.get("nullable") and isinstance(target, dict):
                # OpenAPI 3.0 ignores $ref siblings, but Atlassian marks a
                # nullable $ref this way and documents the null it sends.
                target = dict(target, nullable=True)
            return target
        return {k: self.inline(v, stack) for k, v in node.items()}


    def tag_branches(self, node):
        """node with each oneOf $ref branch required to carry the value the
        discriminator maps to it (unless the branch pins the value itself)."""
        prop = node["discriminator"].get("propertyName")
        mapping = node["discriminator"].get("mapping") or {}
        branches = []
        for branch in node["oneOf"]:
            ref = branch.get("$ref") if isinstance(branch, dict) else None
            values = [value for value, target in mapping.items() if target == ref]
            own = self.lookup(ref).get("properties", {}).get(prop, {}) if ref else {}
            if values and prop and "enum" not in own:
                branch = {"allOf": [branch, {"properties": {prop: {"enum": values}},
                                             "required": [prop]}]}
            branches.append(branch)
        return dict(node, oneOf=branches)


def to_json_schema(node):
    """Convert an inlined OpenAPI 3.0 schema object to JSON Schema draft 7."""
    if isinstance(node, list):
        return [to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in DROPPED_KEYS or key.startswith("x-"):
            continue
        if key in ("example", "enum", "default"):
            out[key] = copy.deepcopy(value)  # data, not sub-schemas
        elif key == "properties":
            out[key] = {p: to_json_schema(s) for p, s in value.items()}
        else:
            out[key] = to_json_schema(value)
    if isinstance(out.get("pattern"), str):
        out["pattern"] = out["pattern"].strip()
    convert_exclusive_bounds(out)
    if out.pop("nullable", False):
        make_nullable(out)
    return out


def convert_exclusive_bounds(schema):
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if schema.get(flag) is True and bound in schema:
            schema[flag] = schema.pop(bound)
        elif schema.get(flag) is False:
            del schema[flag]


def make_nullable(schema):
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if "null" not in types:
            schema["type"] = types + ["null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = schema["enum"] + [None]
    else:
        # Composite schema (oneOf/allOf...): allow null alongside it.
        inner = dict(schema)
        schema.clear()
        schema["anyOf"] = [inner, {"type": "null"}]


def json_schema_of(content):
    """Schema of the application/json media type of a request/response, or None."""
    if not content:
        return None
    media = content.get("application/json")
    if media is None or "schema" not in media:
        return None
    return to_json_schema(media["schema"])


def extract_operation(op_def, resolver, prefix):
    path_item = resolver.doc["paths"][op_def["path"]]
    op = resolver.inline(path_item[op_def["method"].lower()])
    params = resolver.inline(path_item.get("parameters", [])) + op.get("parameters", [])
    out = {
        "name": op_def["name"],
        "api": op_def["api"],
        "method": op_def["method"],
        "path": prefix + op_def["path"],
        "spec_path": op_def["path"],
        "operation_id": op.get("operationId"),
        "summary": op.get("summary"),
        "parameters": {p["name"]: parameter(p) for p in params},
        "request_body": None,
        "responses": {},
    }
    body = op.get("requestBody")
    if body:
        schema = json_schema_of(body.get("content"))
        out["request_body"] = {"required": body.get("required", False),
                               "content_type": "application/json",
                               "schema": request_schema(schema, op_def.get("partial", False))}
    for status, resp in op.get("responses", {}).items():
        out["responses"][status] = {"description": resp.get("description"),
                                    "schema": json_schema_of(resp.get("content"))}
    return out


def request_schema(schema, partial):
    """The schema of what a client may send (see the module docstring)."""
    if not isinstance(schema, dict):
        return schema
    schema = merge_all_of(schema)
    props = schema.get("properties")
    if isinstance(props, dict):
        dropped = {name for name, sub in props.items()
                   if isinstance(sub, dict) and sub.get("readOnly")}
        schema["properties"] = {name: request_schema(sub, False)
                                for name, sub in props.items() if name not in dropped}
        required = [r for r in schema.get("required", []) if r not in dropped]
        if "required" in schema:
            schema["required"] = required
        if partial or not required:
            schema.pop("required", None)
    return schema


def merge_all_of(schema):
    """An allOf of object schemas as one object schema; anything else as is."""
    parts = schema.get("allOf")
    if not parts or not all(isinstance(p, dict) and p.get("type", "object") == "object"
                            and set(p) <= {"type", "properties", "required", "description"}
                            for p in parts):
        return dict(schema)
    out = {k: v for k, v in schema.items() if k != "allOf"}
    out["type"] = "object"
    out["properties"], out["required"] = {}, []
    for part in parts:
        out["properties"].update(part.get("properties", {}))
        out["required"] += [r for r in part.get("required", []) if r not in out["required"]]
    return out


def parameter(p):
    """in, required, schema; plus style/explode when the spec sets them (the
    events filters are comma-separated: style form, explode false)."""
    out = {"in": p["in"], "required": p.get("required", False),
           "schema": to_json_schema(p.get("schema", {}))}
    out.update({k: p[k] for k in ("style", "explode") if k in p})
    return out


def gateway_schema(org_doc):
    return to_json_schema(Resolver(org_doc, "organizations").lookup("#/components/schemas/ProxyError"))


def load_specs(openapi_dir):
    docs = {}
    for api, info in APIS.items():
        with open(os.path.join(openapi_dir, info["file"]), encoding="utf-8") as f:
            docs[api] = json.load(f)
    return docs


def build(openapi_dir):
    docs = load_specs(openapi_dir)
    proxy = gateway_schema(docs["organizations"])
    jira = Resolver(docs["jira-platform"], "jira-platform")
    jira_errors = to_json_schema(jira.lookup("#/components/schemas/ErrorCollection"))
    orgs = Resolver(docs["organizations"], "organizations")
    uam_errors = to_json_schema(orgs.inline(orgs.lookup("#/components/schemas/ApiErrorResponse")))
    operations = []
    for op_def in OPERATIONS:
        api = APIS[op_def["api"]]
        op = extract_operation(op_def, Resolver(docs[op_def["api"]], op_def["api"]), api["prefix"])
        op["gateway_responses"] = ({s: copy.deepcopy(proxy) for s in GATEWAY_STATUSES}
                                   if api["gateway"] else {})
        if op_def["api"] == "jira-platform":
            op["error_schema"] = jira_errors
        if op_def.get("uam_errors"):
            op["error_schema"] = copy.deepcopy(uam_errors)
        operations.append(op)
    return {
        "_comment": "Generated by test/schemas/extract.py from the Atlassian OpenAPI documents; "
                    "do not edit by hand. Schemas are JSON Schema draft 7 with all $refs inlined.",
        "sources": {api: info["file"] for api, info in APIS.items()},
        "operations": operations,
    }


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    result = build(args.openapi_dir)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, args.out)
    print(f"wrote {len(result['operations'])} operations to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
