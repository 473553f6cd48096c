"""User management API: a managed account's profile and email (REFERENCE.md §6).

GET   /users/{account_id}/manage/profile  -> 200 {"account": AtlassianAccountUser}
PATCH /users/{account_id}/manage/profile  -> 200 {"account": ...} as updated
PUT   /users/{account_id}/manage/email {"email"}  -> 204

Account rules as for lifecycle (routes_user_mgmt.py): 404 notFound for a
malformed id, 404 accountNotFound for an unknown one.  Only managed
accounts: an unmanaged one gets 403 {"key": "forbidden"} on the profile
(the spec's Forbidden has no forbidden.action there) and forbidden.action
reason managedAccount on email.  SCIM-synced accounts take their email,
name and extended profile from the identity provider: email is 403
forbidden.action externalDirectory.scim, and those profile fields are
not allowed in the PATCH mutability map.

PATCH: a JSON object (else 400 bodyParseFailure) holding a subset of name,
nickname, zoneinfo, locale and extended_profile.{job_title, organization,
department, location}.  Unknown fields and bad values are 400
fieldConstraintsViolated, every one listed, with the keys: unknown, type,
minLength, maxLength (name 1..100, nickname 1..30), validCharacters
(control characters), format (zoneinfo not a tz database name, locale not
BCP 47).  "" clears an extended_profile field.  The spec's read-only fields
(account_id, account_type, account_status, email, picture, characteristics)
and, for a SCIM-synced account, name and extended_profile.* give 403
forbidden.fieldMutation, context = the mutability map of the fields sent.

PUT email: a JSON object with a string email (else 400 bodyParseFailure);
a malformed address is 400 fieldConstraintsViolated (format, partMaxLength,
validCharacters); a domain that is not one of the org's verified domains is
403 forbidden.unclaimedDomain {"domain"}; an address another account has
is 400 fieldConstraintsViolated (unique).  The new address counts as
verified.  Setting the current address again changes nothing.
A change appends an audit-log event (user_email_changed, user_profile_updated).
"""

import re
import zoneinfo

import errors
from http_types import JSON_TYPE, Response
from routes_user_mgmt import find_account, forbidden_action

DEFAULT_LOCALE = "en-US"
TOP_FIELDS = {"name": "name", "nickname": "nickname", "zoneinfo": "time_zone",
              "locale": "locale"}
EXTENDED_FIELDS = {"job_title": "job_title", "organization": "organization",
                   "department": "department", "location": "location"}
READ_ONLY = ("account_id", "account_type", "account_status", "email", "picture",
             "characteristics")
LENGTHS = {"name": (1, 100), "nickname": (1, 30)}
SCIM_FIELDS = ("name",) + tuple(f"extended_profile.{f}" for f in EXTENDED_FIELDS)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LOCALE = re.compile(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*")
ZONES = zoneinfo.available_timezones() or {"UTC"}


# ---- rendering -------------------------------------------------------------------
def profile(app, user):
    """The AtlassianAccountUser of a user; absent values are left out."""
    out = {"account_id": user.account_id, "account_type": "atlassian",
           "account_status": app.org.state(user)[0], "name": user.name,
           "nickname": user.nickname, "email": user.email, "picture": user.picture}
    if user.time_zone:
        out["zoneinfo"] = user.time_zone
    out["locale"] = current(user, "locale")
    out["characteristics"] = {"not_mentionable": False}
    out["extended_profile"] = {key: getattr(user, attr) for key, attr in EXTENDED_FIELDS.items()
                               if getattr(user, attr) is not None}
    return out


def managed_user(app, match):
    """(user, None) for a managed account, else (None, 404/403)."""
    user, problem = find_account(app, match)
    if problem:
        return None, problem
    if user.claim != "managed":
        return None, errors.um(403, "forbidden")
    return user, None


def get_profile(app, req, match):
    user, problem = managed_user(app, match)
    if problem:
        return problem
    return Response.json(200, {"account": profile(app, user)})


# ---- PATCH profile -------------------------------------------------------------------
def json_object(req):
    """The body as a dict, or None (-> 400 bodyParseFailure)."""
    ok, body = req.parsed_body()
    if req.media_type() != JSON_TYPE or not ok or not isinstance(body, dict):
        return None
    return body


def violations(problems):
    """400 fieldConstraintsViolated for [(field path, constraint key)]."""
    by_field = {}
    for field, key in problems:
        keys = by_field.setdefault(field, [])
        if {"key": key} not in keys:
            keys.append({"key": key})
    return errors.um(400, "fieldConstraintsViolated", {"fieldViolations": [
        {"field": field, "violations": keys} for field, keys in by_field.items()]})


def flatten(body):
    """([(field path, value)], [(field path, violation)]) of a PATCH body."""
    fields, problems = [], []
    for key, value in body.items():
        if key == "extended_profile":
            if not isinstance(value, dict):
                problems.append((key, "type"))
                continue
            for sub, sub_value in value.items():
                path = f"extended_profile.{sub}"
                if sub in EXTENDED_FIELDS:
                    fields.append((path, sub_value))
                else:
                    problems.append((path, "unknown"))
        elif key in TOP_FIELDS or key in READ_ONLY:
            fields.append((key, value))
        else:
            problems.append((key, "unknown"))
    return fields, problems


def value_problem(path, value):
    """The constraint a writable field's value violates, or None."""
    if not isinstance(value, str):
        return "type"
    if CONTROL.search(value):
        return "validCharacters"
    low, high = LENGTHS.get(path, (0, None))
    if len(value) < low:
        return "minLength"
    if high is not None and len(value) > high:
        return "maxLength"
    if path == "zoneinfo" and value not in ZONES:
        return "format"
    if path == "locale" and not LOCALE.fullmatch(value):
        return "format"
    return None


def mutability(user, paths):
    """{path: {"allowed": ...}} for the fields sent."""
    out = {}
    for path in paths:
        if path in READ_ONLY:
            out[path] = {"allowed": False, "reason": {"key": "administrative"}}
        elif user.source == "synced" and path in SCIM_FIELDS:
            out[path] = {"allowed": False, "reason": {"key": "externalDirectory.scim"}}
        else:
            out[path] = {"allowed": True}
    return out


def update_profile(app, req, match):
    body = json_object(req)
    if body is None:
        return errors.um(400, "bodyParseFailure")
    user, problem = managed_user(app, match)
    if problem:
        return problem
    fields, problems = flatten(body)
    problems += [(path, p) for path, value in fields if path not in READ_ONLY
                 for p in [value_problem(path, value)] if p]
    if problems:
        return violations(problems)
    rules = mutability(user, [path for path, _ in fields])
    if not all(rule["allowed"] for rule in rules.values()):
        return errors.um(403, "forbidden.fieldMutation", rules)
    wanted = {attr_of(path): (value or None) for path, value in fields}
    with app.org.lock:  # compare with the user as it is now, then change it
        user = app.org.user(user.index)
        changes = {k: v for k, v in wanted.items() if current(user, k) != v}
        if changes:
            user = app.org.edit(user, **changes)
            app.audit.append("user_profile_updated", user)
    return Response.json(200, {"account": profile(app, user)})


def current(user, attr):
    value = getattr(user, attr)
    return DEFAULT_LOCALE if attr == "locale" and value is None else value


def attr_of(path):
    """The User attribute a writable field path sets."""
    if path.startswith("extended_profile."):
        return EXTENDED_FIELDS[path.split(".", 1)[1]]
    return TOP_FIELDS[path]


# ---- PUT email ------------------------------------------------------------------------
def email_problem(email):
    """The constraint a new address violates, or None."""
    if CONTROL.search(email) or any(c.isspace() for c in email):
        return "validCharacters"
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or "" in domain.split("."):
        return "format"
    if any(len(part) > 255 for part in [local] + domain.split(".")):
        return "partMaxLength"
    return None


def set_email(app, req, match):
    body = json_object(req)
    if body is None or not isinstance(body.get("email"), str):
        return errors.um(400, "bodyParseFailure")
    user, problem = find_account(app, match)
    if problem:
        return problem
    if user.claim != "managed":
        return forbidden_action("managedAccount")
    if user.source == "synced":
        return forbidden_action("externalDirectory.scim")
    email = body["email"]
    problem = email_problem(email)
    if problem:
        return violations([("email", problem)])
    domain = email.rsplit("@", 1)[1].lower()
    verified = {d["name"] for d in app.org.domains if d["status"] == "verified"}
    if domain not in verified:
        return errors.um(403, "forbidden.unclaimedDomain", {"domain": domain})
    with app.org.lock:  # the address must still be free when it is taken
        owner = app.org.index_of_email(email)
        if owner is not None and owner != user.index:
            return violations([("email", "unique")])
        user = app.org.user(user.index)
        if user.email != email:
            user = app.org.edit(user, email=email, email_verified=True)
            app.audit.append("user_email_changed", user)
    return Response.empty(204)
