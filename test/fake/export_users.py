"""The admin console's "Export users" CSV (REFERENCE.md §9.1, the format
since 2021-09), made from the fake org as it is now.

Columns: User id, User name, email, User status, Added to org, Org role;
then one access column "<App> - <site>" per product and site that exists
(the role word, User or Admin, empty without access), then one "Last seen
in <App> - <site>" each (the UTC day as `3 Jan 2024`, "Never accessed"
with access and no activity, empty without access).  §9.1 puts access
columns before the "Last seen" ones; within each, site A's products come
first, in org_data.PRODUCTS order (test/csv/make_exports.py's order).

Rows: the directory's members (membershipStatus not no_membership: the
console exports the directory's users) in index order.  User status:
Deactivated for an inactive account (deactivated, or scheduled for
deletion), else Suspended for a suspended membership, else Active.  Org
role: "Organization admin", "User access admin" or empty (§9.1 shows it
empty only; the words are test/csv/make_exports.py's).  The group column
option is left out: §9.1 could not confirm its header nor its place.
CSV as Python's csv module writes it, CRLF line ends (RFC 4180).
"""

import csv
import io
import time

import org_data as D
from access import ADMIN, highest
from org import DAY
from resources import site_names

META = ["User id", "User name", "email", "User status", "Added to org", "Org role"]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
NEVER = "Never accessed"


def columns(org):
    """[(product key, site ARI, "<App> - <site>")] of every product on every site."""
    names = site_names(org)
    most = max(len(sites) for sites in org.sites.values())
    return [(key, org.sites[kind][no]["ari"],
             f"{D.V1_PRODUCTS[key][1]} - {names[org.sites[kind][no]['ari']]}")
            for no in range(most) for key, kind in D.PRODUCTS if no < len(org.sites[kind])]


def day(org, stamp):
    """`3 Jan 2024`: the stamp's UTC day (no locale: the month names are fixed)."""
    y, m, d = time.gmtime(org.clock.epoch_ns(stamp) // 10**9 // DAY * DAY)[:3]
    return f"{d} {MONTHS[m - 1]} {y}"


def status_word(state):
    acc, mem, _ = state
    return "Deactivated" if acc != "active" else "Suspended" if mem == "suspended" else "Active"


def org_role(user):
    if "atlassian/org-admin" in user.platform_roles:
        return "Organization admin"
    return "User access admin" if "atlassian/user-access-admin" in user.platform_roles else ""


def row(org, user, state, cols):
    held = {(key, site): roles for key, site, roles in user.access}
    stamps = {(key, site): stamp for key, site, stamp in user.products}
    roles, seen = [], []
    for key, site, _ in cols:
        if (key, site) not in held:
            roles.append("")
            seen.append("")
            continue
        roles.append("Admin" if highest(held[key, site]) == ADMIN else "User")
        stamp = stamps[key, site]
        seen.append(NEVER if stamp is None else day(org, stamp))
    return [user.account_id, user.name, user.email, status_word(state), day(org, user.added),
            org_role(user)] + roles + seen


def export(org):
    """The whole file, as UTF-8 bytes."""
    cols = columns(org)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(META + [c for _, _, c in cols] + [f"Last seen in {c}" for _, _, c in cols])
    for i in range(org.n_users):
        user = org.user(i)
        state = org.state(user)
        if state[1] != "no_membership":
            writer.writerow(row(org, user, state, cols))
    return out.getvalue().encode("utf-8")
