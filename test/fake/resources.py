"""The org's resources besides its users: groups (with their management and
role grants), workspaces, domains and the Jira app accounts.

All seeded from the org key, none depends on the user count, so every org
of a seed has the same ids (tests and docs may name them).
"""

import org_data as D
from ids import seeded_uuid

# Every role a group grant or a product access can give on a site.
PRODUCT_ROLES = ("atlassian/user", "atlassian/admin")


def make_groups(key, sites):
    """Group dicts: uuid, name, description, synced, default, grants.

    grants: ((site ARI, resource owner (product key), role), ...)
    """
    out = []
    for name, desc in D.GROUPS:
        grants = tuple((sites[kind][no]["ari"], product, role)
                       for kind, no, product, role in D.GROUP_GRANTS.get(name, ()))
        out.append(dict(uuid=seeded_uuid(key, "group", name), name=name, description=desc,
                        synced=name in D.SYNCED_GROUPS, default=name in D.DEFAULT_GROUPS,
                        grants=grants))
    return out


def make_workspaces(key, sites):
    """One workspace per Jira and Confluence site, plus a Bitbucket workspace.

    Jira/Confluence workspace ids are the site ARIs users' productAccess and
    role assignments use; createdAt is whole days before start.
    """
    out = []
    for kind, type_key in (("jira", "jira-software"), ("confluence", "confluence")):
        for no, site in enumerate(sites[kind]):
            name = site["url"].split("//")[1].split(".")[0]
            out.append(dict(id=site["ari"], product=kind, type_key=type_key, name=name,
                            host_url=site["url"], created_days=2200 - 400 * no,
                            capacity=None, usage=None, kind="site"))
    uuid = seeded_uuid(key, "workspace", "bitbucket", "acme")
    out.append(dict(id=f"ari:cloud:bitbucket::workspace/{uuid}", product="bitbucket",
                    type_key="bitbucket", name="acme", host_url="https://bitbucket.org/acme",
                    created_days=None, capacity=50, usage=12, kind="workspace"))
    return out


def make_domains(key):
    return [dict(id=seeded_uuid(key, "domain", name), name=name, claim_type=claim_type,
                 status=status) for name, claim_type, status in D.DOMAINS]


def make_apps(key):
    """Jira app accounts: (account id, display name).  557058: is the prefix
    real app accounts (e.g. Automation for Jira) carry."""
    return [(f"557058:{seeded_uuid(key, 'app', name)}", name) for name in D.APP_ACCOUNTS]


def user_role_assignments(org, user):
    """The user's role assignments, as the v2 API lists them.

    [(resource ARI, resource owner, directory id or None, {role: [methods]})]:
    one entry per product and site the user has access to, with role
    atlassian/user (plus atlassian/admin for product admins, the same rule as
    the roleIds filter), each "group_direct" when one of the user's groups
    grants it there, else "direct"; then one platform entry (directory id
    None) for org-level roles.
    """
    granted = {g for i in user.groups for g in org.groups[i]["grants"]}
    roles_here = PRODUCT_ROLES if user.product_admin else PRODUCT_ROLES[:1]
    out = []
    for product, site, _ in user.products:
        roles = {role: ["group_direct" if (site, product, role) in granted else "direct"]
                 for role in roles_here}
        out.append((site, product, org.directory_id, roles))
    if user.platform_roles:
        in_admins = D.GROUP_INDEX["site-admins"] in user.groups
        roles = {role: ["group_direct" if role == "atlassian/site-admin" and in_admins
                        else "direct"] for role in user.platform_roles}
        out.append((f"ari:cloud:platform::org/{org.org_id}", "platform", None, roles))
    return out
