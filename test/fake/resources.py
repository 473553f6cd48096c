"""The org's resources besides its users: groups (with their management and
role grants), workspaces, domains and the Jira app accounts.

All seeded from the org key, none depends on the user count, so every org
of a seed has the same ids (tests and docs may name them).
"""

import org_data as D
from ids import seeded_uuid

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
    one entry per product and site of the user's effective access
    (access.py), each role held there with how: "direct" (roles/assign),
    "group_direct" (a group of the user grants it) or both; then one
    platform entry (directory id None) for org-level roles.
    """
    out = [(site, product, org.directory_id, {role: list(methods) for role, methods in roles})
           for product, site, roles in user.access]
    if user.platform_roles:
        in_admins = D.GROUP_INDEX["site-admins"] in user.groups
        roles = {role: ["group_direct" if role == "atlassian/site-admin" and in_admins
                        else "direct"] for role in user.platform_roles}
        out.append((f"ari:cloud:platform::org/{org.org_id}", "platform", None, roles))
    return out


def site_names(org):
    """{site ARI: site name} for the Jira and Confluence sites ("acme", "acme-labs"):
    the subdomain, as the admin console names sites in its exports."""
    return {s["ari"]: s["url"].split("//", 1)[1].split(".", 1)[0]
            for sites in org.sites.values() for s in sites}
