"""Render users in the v2 MultiDirectoryUser shape (users/search)."""

from org import hash_token

ALL_EXPANDS = ("platformRoles", "counts.resources", "productAccess", "groups")
# String fields the spec types as plain "string" (not nullable): when a real
# user has no value the key is left out rather than sent as null.
OPTIONAL_STRINGS = (("jobTitle", "job_title"), ("department", "department"),
                    ("organization", "organization"), ("location", "location"),
                    ("timeZone", "time_zone"))


def user_v2(org, user, expand=ALL_EXPANDS):
    acc, mem, status = org.state(user)
    out = {
        "accountId": user.account_id,
        "accountType": "atlassian",
        "accountStatus": acc,
        "status": status,
        "membershipStatus": mem,
        "claimStatus": user.claim,
        "managementSource": user.source,
        "name": user.name,
        "nickname": user.nickname,
        "email": user.email,
        "emailVerified": user.email_verified,
        "picture": user.picture,
        "avatar": user.avatar,
        "addedToOrg": org.clock.iso(user.added, 3),
        "mfaEnabled": user.mfa,
    }
    for key, attr in OPTIONAL_STRINGS:
        value = getattr(user, attr)
        if value is not None:
            out[key] = value
    if "platformRoles" in expand:
        out["platformRoles"] = list(user.platform_roles)
    if "counts.resources" in expand:
        out["counts"] = {"resources": len({site for _, site, _ in user.products})}
    if "productAccess" in expand:
        out["productAccess"] = [product_access(org, p) for p in user.products]
    if "groups" in expand:
        out["groups"] = [group_ref(org.groups[g]) for g in user.groups]
    out["links"] = {"self": hash_token(org.key, "user", user.account_id)}
    return out


def product_access(org, product):
    key, site_ari, stamp = product
    out = {"id": site_ari, "key": key}
    if stamp is not None:  # never used: the timestamp is absent
        out["lastActiveTimestamp"] = org.clock.iso(stamp, 9)
    return out


def group_ref(group):
    return {"id": f"ari:cloud:identity::group/{group['uuid']}", "name": group["name"],
            "description": group["description"]}
