"""Request parameters shared by the read endpoints: path checks and typed,
validated query parameters.

Query arrays repeat the name (?groupIds=a&groupIds=b, the OpenAPI default
form/explode); comma-separated values are accepted as well.  A value the
spec forbids (too many items, out-of-range limit, unknown enum) raises
Invalid, which the caller turns into the API's 400.  Unknown parameters are
ignored, as the real services do.
"""

from urllib.parse import unquote

import errors

ROLES = ("atlassian/user", "atlassian/admin", "atlassian/guest", "atlassian/customer",
         "atlassian/user-access-admin", "atlassian/contributor", "atlassian/basic",
         "atlassian/stakeholder", "atlassian/org-admin", "atlassian/site-admin",
         "atlassian/ai-access")


class Invalid(Exception):
    pass


# ---- path parameters ----------------------------------------------------------
def org_problem(app, match, v1=False):
    """404 when the path's orgId is not the fake's org, else None."""
    org_id = unquote(match.group(1))
    if org_id == app.org.org_id:
        return None
    if v1:
        return errors.v1(404, "ADMIN-404-2", "Organization not found",
                         f"Organization {org_id} was not found")
    return errors.v2(404, "ADMIN-UAM-404-2", "Organization not found",
                     f"Organization {org_id} was not found")


def directory_problem(app, match):
    """404 for an unknown org or directory ('-' means every directory)."""
    problem = org_problem(app, match)
    if problem:
        return problem
    directory_id = unquote(match.group(2))
    if directory_id in ("-", app.org.directory_id):
        return None
    return errors.v2(404, "ADMIN-UAM-404-1", "Unknown Resource",
                     f"Directory {directory_id} was not found in the organization")


# ---- query parameters ---------------------------------------------------------
def text(req, name):
    """The parameter's first value, or None."""
    values = req.query.get(name)
    return values[0] if values else None


def integer(req, name, default, lo, hi):
    raw = text(req, name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(f"{name} must be an integer") from None
    if value < lo or (hi is not None and value > hi):
        raise Invalid(f"{name} must be between {lo} and {hi}" if hi is not None
                      else f"{name} must be at least {lo}")
    return value


def boolean(req, name):
    raw = text(req, name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise Invalid(f"{name} must be true or false")
    return raw.lower() == "true"


def strings(req, name, max_items=None, allowed=None):
    """The parameter's values (repeated and/or comma-separated), or None."""
    if name not in req.query:
        return None
    values = [v for raw in req.query[name] for v in raw.split(",") if v != ""]
    if not values:
        raise Invalid(f"{name} must contain at least 1 item")
    if max_items is not None and len(values) > max_items:
        raise Invalid(f"{name} must contain at most {max_items} items")
    if allowed is not None:
        bad = [v for v in values if v not in allowed]
        if bad:
            raise Invalid(f"{name} contains an invalid value: {bad[0]}")
    return values


def choice(req, name, allowed):
    raw = text(req, name)
    if raw is not None and raw not in allowed:
        raise Invalid(f"{name} must be one of {', '.join(allowed)}")
    return raw


def collect(req, spec):
    """{name: value} for the parameters present; spec maps name -> reader."""
    out = {}
    for name, read in spec.items():
        value = read(req, name)
        if value is not None:
            out[name] = value
    return out
