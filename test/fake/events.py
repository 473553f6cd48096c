"""The org's audit log: a few hundred seeded events, plus one real event for
every change a write call makes (lifecycle, directory, groups, roles,
email, profile, API tokens, Jira site).

Seeded events lie start - (k days + r seconds) in the past (k < 90, r in
[1 h, 23 h)), drawn from --seed.  A write call that changes something
appends an event at start + (time since the fake started), whose actor is
the API key's owner (fixed user 0, the org admin) acting through the key:
auth {"authType": "container-token", ...} (Jira site writes too: the fake
has one admin).  Its context is the target user plus what changed (the
group, the site, the API token).  No credential appears in an event.

Events are numbered in time order (seq); pages go newest first and a cursor
holds the seq to continue below, so events appended meanwhile never shift a
page.
"""

import random
import threading
import time

import org_data as D
from ids import keyed_hash, seeded_uuid
from org import DAY, Stamp

SEEDED_EVENTS = 400
SEEDED_DAYS = 90
ACTIONS = {a: (name, group) for a, name, group, _ in D.EVENT_ACTIONS}
SELF_ACTIONS = {"user_logged_in", "user_logged_out", "password_recovery_requested",
                "user_email_changed"}
ADMIN_HOST = "https://admin.atlassian.com"


class AuditLog:
    def __init__(self, org, t0, seeded=None):
        """t0: time.monotonic() at the fake's start.  seeded: the events of
        an earlier AuditLog of the same org (immutable, so shared)."""
        self.org = org
        self.lock = threading.Lock()
        self.t0 = t0
        self.key_id = seeded_uuid(org.key, "api-key")
        if seeded is None:
            seeded = self._seed() if org.n_users else []
        self.seeded = seeded
        self.events = list(seeded)

    # ---- seeded history -----------------------------------------------------
    def _seed(self):
        r = random.Random(keyed_hash(self.org.key, "events"))
        actions = [a for a, _, _, _ in D.EVENT_ACTIONS]
        weights = [w for _, _, _, w in D.EVENT_ACTIONS]
        pool = min(self.org.n_users, 2000)
        drafts = []
        for n in range(SEEDED_EVENTS):
            stamp = Stamp(r.randrange(0, SEEDED_DAYS), r.randrange(3600, 82800),
                          r.randrange(0, 1000) * 10**6)
            action = r.choices(actions, weights)[0]
            target = self.org.user(r.randrange(0, pool))
            by_key = action not in SELF_ACTIONS and r.random() < 0.3
            ip = D.EVENT_IPS[r.randrange(0, len(D.EVENT_IPS))]
            extra = r.randrange(0, 1 << 30)
            drafts.append((self.org.clock.epoch_ns(stamp), n, action, target, by_key, ip, extra))
        drafts.sort(key=lambda d: (d[0], d[1]))
        return [self._event(seq, ns, action, target, by_key, location(ip), extra,
                            seeded_uuid(self.org.key, "event", n))
                for seq, (ns, n, action, target, by_key, ip, extra) in enumerate(drafts)]

    def _event(self, seq, ns, action, target, by_key, where, extra, event_id, live=None):
        """live: (actor, objects, product) of an event a write appends."""
        org = self.org
        if live:
            actor, objects, product = live
            context, container = [self._user_obj(target)] + list(objects), [self._org_obj()]
        else:
            actor = target if action in SELF_ACTIONS else org.fixed[0]
            context, container, product = self._objects(action, target, extra)
        doc = {"time": iso_ms(ns), "action": action, "actor": self._actor(actor, by_key),
               "context": context, "container": container, "location": where}
        text = " ".join([action, *ACTIONS[action], actor.name, actor.email,
                         *(str(c.get("attributes", {})) for c in context)]).lower()
        return {"seq": seq, "ns": ns, "id": event_id, "doc": doc, "product": product,
                "actor_id": actor.account_id, "ip": where["ip"], "text": text}

    def _actor(self, user, by_key):
        out = {"id": user.account_id, "name": user.name, "email": user.email,
               "links": {"self": f"{ADMIN_HOST}/o/{self.org.org_id}/users/{user.account_id}"}}
        if by_key:
            out["auth"] = {"authType": "container-token", "tokenId": self.key_id,
                           "tokenLabel": "atlorg"}
        return out

    def _org_obj(self):
        org_id = self.org.org_id
        return {"id": org_id, "type": "orgs", "links": {"alt": f"{ADMIN_HOST}/o/{org_id}/overview"}}

    def _user_obj(self, user):
        return {"id": user.account_id, "type": "users",
                "attributes": {"name": user.name, "email": user.email},
                "links": {"alt": f"{ADMIN_HOST}/o/{self.org.org_id}/users/{user.account_id}"}}

    def _objects(self, action, user, extra):
        """(context, container, product) of a seeded event."""
        org = self.org
        org_obj, user_obj = self._org_obj(), self._user_obj(user)
        if action in ("user_logged_in", "user_logged_out") and user.products:
            key, site, _ = user.products[extra % len(user.products)]
            kind = dict(D.PRODUCTS)[key]
            return [user_obj], [org_obj, {"id": site, "type": "sites",
                                          "attributes": {"product": key}}], kind
        if action in ("user_added_to_group", "user_removed_from_group", "group_created"):
            group = org.groups[extra % len(org.groups)]
            group_obj = {"id": group["uuid"], "type": "groups",
                         "attributes": {"name": group["name"]}}
            return ([group_obj] if action == "group_created" else [user_obj, group_obj]), \
                [org_obj], None
        if action in ("product_access_granted", "product_access_revoked") and user.products:
            key, site, _ = user.products[extra % len(user.products)]
            return [user_obj, {"id": site, "type": "sites", "attributes": {"product": key}}], \
                [org_obj], dict(D.PRODUCTS)[key]
        if action == "api_key_created":
            return [{"id": self.key_id, "type": "api-keys",
                     "attributes": {"label": "atlorg"}}], [org_obj], None
        if action == "domain_verified":
            domain = org.domains[extra % 2]
            return [{"id": domain["id"], "type": "domains",
                     "attributes": {"name": domain["name"]}}], [org_obj], None
        return [user_obj], [org_obj], None

    # ---- live events --------------------------------------------------------
    def now_ns(self):
        """start + time since start: live events stay consistent with --now."""
        return self.org.clock.start_ns + int((time.monotonic() - self.t0) * 1e9)

    def append_lifecycle(self, lifecycle_action, target):
        """Record a state change the User management API made via the key."""
        return self.append(D.LIFECYCLE_EVENTS[lifecycle_action], target)

    def append(self, action, target, objects=(), product=None):
        """Record a change a write call made via the key: target is the user
        (as changed), objects the other context entries (group, site, ...)."""
        actor = self.org.user(0)  # the key's owner, as the org now has it
        with self.lock:
            seq = len(self.events)
            # Never before the newest event: pages stay in time order.
            ns = max(self.now_ns(), self.events[-1]["ns"] + 10**6 if self.events else 0)
            event = self._event(seq, ns, action, target, True, {"ip": "127.0.0.1"}, 0,
                                seeded_uuid(self.org.key, "live-event", seq),
                                live=(actor, objects, product))
            self.events.append(event)
        return event

    # ---- queries --------------------------------------------------------------
    def select(self, f, below_seq, limit):
        """Up to limit+1 events matching f, newest first, seq <= below_seq."""
        with self.lock:
            events = self.events[:below_seq + 1] if below_seq is not None else list(self.events)
        out = []
        for event in reversed(events):
            if f(event):
                out.append(event)
                if len(out) > limit:
                    break
        return out


def group_ref(group):
    return {"id": group["uuid"], "type": "groups", "attributes": {"name": group["name"]}}


def site_ref(site_ari, product_key, role=None):
    attributes = {"product": product_key}
    if role:
        attributes["role"] = role
    return {"id": site_ari, "type": "sites", "attributes": attributes}


def location(ip):
    address, country, region, city = ip
    return {"ip": address, "countryName": country, "regionName": region, "city": city}


def iso_ms(ns):
    whole, frac = divmod(ns, 10**9)
    day, sod = divmod(whole, DAY)
    return (time.strftime("%Y-%m-%d", time.gmtime(day * DAY))
            + f"T{sod // 3600:02d}:{sod % 3600 // 60:02d}:{sod % 60:02d}.{frac // 10**6:03d}Z")

