-- atl_directory: the mirror as a writable view.  An UPDATE acts at
-- Atlassian, concurrently, and the mirror changes only where Atlassian
-- agreed:
--   status        'deactivated' disables, 'suspended' suspends, 'active'
--                 enables (from deactivated) or restores (from suspended)
--   email         changes the e-mail
--   name, nickname, job_title, department, organization, location,
--   time_zone     update the profile (one request per account)
--   groups        names added join those groups, names removed leave them
-- A status change the account's status makes meaningless (suspending a
-- deactivated account, anything on one scheduled for deletion or not in
-- the directory) is not sent: it is recorded as skipped with the reason
-- (atl_directory_status_skip), and the rest of the statement goes on.
-- The other columns are read-only (group_ids follows groups).  The row count and RETURNING are the
-- accounts whose requested changes Atlassian made (or found already made),
-- at least in part, as the mirror now has them; an account with nothing to
-- change counts too.  Refusals, failures, skipped (protected) accounts and
-- dry runs leave the mirror as it was, and a NOTICE counts them; the audit
-- (atl_runs) has every request.
--
-- How: an UPDATE rule.  Its first action records the statement's old and
-- new values (its change set) in atl_directory_changes; a statement trigger
-- on that table (C: src/view_directory.c) sees the whole change set at once (a
-- transition table), checks all of it, confirms with Atlassian that every
-- group it names has that name there (the mirror is no authority on which
-- group a name means), sends every request together through the action
-- engine, and writes back what was done; the rule's second action updates
-- the mirror from that (account_status and membership_status too, by
-- atl_status_after(), as a background run's atl_mirror_follow() does) (its
-- row count and RETURNING are the UPDATE's), and
-- the third clears the change set.  The rule's actions run with the view
-- owner's rights; the trigger and its helpers run as the caller, who may
-- touch only their own session's change set (row-level security).
CREATE VIEW atl_directory AS
  SELECT server, account_id, name, nickname, email, status, job_title, department,
         organization, location, time_zone, groups, group_ids,
         account_status, membership_status, claim_status, management_source, added_to_org,
         platform_roles, products, last_active, product_last_active, synced_at
    FROM atl_mirror_users;

COMMENT ON VIEW atl_directory IS
  'atlorg: the mirror of the directory; UPDATE its status, email, profile or groups to act at Atlassian';

-- One statement's change set, and what came of it, between the rule's
-- actions (the last one removes it).
CREATE SEQUENCE atl_directory_changes_seq;
CREATE UNLOGGED TABLE atl_directory_changes (
  change_id        bigint PRIMARY KEY DEFAULT nextval('atl_directory_changes_seq'),
  backend_pid      integer NOT NULL DEFAULT pg_backend_pid(),
  server           name NOT NULL,
  account_id       text NOT NULL,
  readonly_changed text,     -- a read-only column the UPDATE changed
  old_status       text, new_status  text,
  old_email        text, new_email   text,
  old_profile      jsonb, new_profile jsonb,
  old_groups       text[], new_groups text[],
  -- filled in by the trigger: the account as Atlassian now has it
  applied          boolean,  -- at least part of the change was made (or none was needed)
  status           text,
  email            text,
  profile          jsonb,
  groups           text[],
  group_ids        text[],
  -- the lifecycle action Atlassian did (or found done): what the mirror's
  -- account_status and membership_status follow
  status_action    text
);
CREATE INDEX atl_directory_changes_pid_idx ON atl_directory_changes (backend_pid, server, account_id);

-- A session sees and changes only its own change set: another session's
-- could otherwise be made to report (and mirror) changes Atlassian never
-- made.
ALTER TABLE atl_directory_changes ENABLE ROW LEVEL SECURITY;
CREATE POLICY atl_directory_changes_own ON atl_directory_changes
  USING (backend_pid = pg_backend_pid()) WITH CHECK (backend_pid = pg_backend_pid());

-- The profile columns of a row, named as atl_update_profile() names them.
CREATE FUNCTION atl_directory_profile(name text, nickname text, job_title text,
                                      department text, organization text, location text,
                                      time_zone text)
RETURNS jsonb LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT jsonb_build_object('name', name, 'nickname', nickname, 'job_title', job_title,
                            'department', department, 'organization', organization,
                            'location', location, 'time_zone', time_zone);
END;
COMMENT ON FUNCTION atl_directory_profile(text, text, text, text, text, text, text) IS
  'read: the profile columns of an atl_directory row, as jsonb';

-- The lifecycle action that takes an account from one status to another.
CREATE FUNCTION atl_directory_status_action(old_status text, new_status text)
RETURNS text LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT CASE
    WHEN old_status = new_status THEN NULL
    WHEN new_status = 'deactivated' AND old_status IN ('active', 'suspended') THEN 'disable'
    WHEN new_status = 'suspended' AND old_status = 'active' THEN 'suspend'
    WHEN new_status = 'active' AND old_status = 'deactivated' THEN 'enable'
    WHEN new_status = 'active' AND old_status = 'suspended' THEN 'restore'
    ELSE 'none'
  END;
END;
COMMENT ON FUNCTION atl_directory_status_action(text, text) IS
  'read: the lifecycle action that takes an account from one status to another';

-- Why a status change is not sent, or null: the account's status makes the
-- action the new status names meaningless.  Atlassian would accept some of
-- them (the fake, like the API, suspends a deactivated account's
-- membership) but the account would not reach the status asked for.
CREATE FUNCTION atl_directory_status_skip(old_status text, new_status text)
RETURNS text LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT CASE
    WHEN old_status IS NOT DISTINCT FROM new_status
      OR new_status IS NULL OR new_status NOT IN ('active', 'suspended', 'deactivated')
      OR atl_directory_status_action(old_status, new_status) <> 'none' THEN NULL
    WHEN old_status = 'deactivated' THEN
      'the account is deactivated: it has no access to suspend, and suspending it would leave it deactivated (set its status to ''active'' first to suspend it instead)'
    WHEN old_status = 'for_deletion' THEN
      'the account is scheduled for deletion: atl_cancel_delete() brings it back first'
    WHEN old_status = 'not_invited' THEN
      'the account is not a member of the directory (not_invited): its status there cannot change'
    ELSE 'the mirror has no status for the account to change from: atl_sync() refreshes it'
  END;
END;
COMMENT ON FUNCTION atl_directory_status_skip(text, text) IS
  'read: why atl_directory leaves a status change unsent (the account''s status makes it meaningless), or null';

-- The checks of a change set, before anything is sent: a read-only column,
-- a status no action leads to, a bad e-mail, a cleared profile field, or
-- a group the mirror does not know are errors.
CREATE FUNCTION atl_directory_check(changes atl_directory_changes[])
RETURNS void LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  bad record;
BEGIN
  SELECT c.account_id, c.readonly_changed AS col INTO bad FROM unnest(changes) c
   WHERE c.readonly_changed IS NOT NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'cannot update column "%" of view "atl_directory"', bad.col
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'It is read from Atlassian; atl_sync() refreshes it.',
            HINT = 'The writable columns are status, email, name, nickname, job_title, '
                   'department, organization, location, time_zone and groups.';
  END IF;
  -- a status an action leads to, from a status that makes it meaningless,
  -- is no error: the request is skipped (atl_directory_status_skip)
  SELECT c.account_id, c.old_status, c.new_status INTO bad FROM unnest(changes) c
   WHERE c.old_status IS DISTINCT FROM c.new_status
     AND coalesce(atl_directory_status_action(c.old_status, c.new_status), 'none') = 'none'
     AND atl_directory_status_skip(c.old_status, c.new_status) IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'cannot change the status of account % from % to %', bad.account_id,
                    quote_nullable(bad.old_status), quote_nullable(bad.new_status)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'An active account can become deactivated or suspended, a suspended one '
                   'deactivated or active, a deactivated one active.';
  END IF;
  SELECT c.account_id, c.new_email INTO bad FROM unnest(changes) c
   WHERE c.old_email IS DISTINCT FROM c.new_email
     AND (c.new_email IS NULL OR c.new_email !~ '^[^@[:space:]]+@[^@[:space:]]+$') LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'not an e-mail address for account %: %', bad.account_id,
                    quote_nullable(bad.new_email)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT c.account_id, k.key INTO bad FROM unnest(changes) c, jsonb_each(c.new_profile) k
   WHERE k.value = 'null' AND c.old_profile -> k.key <> 'null' LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'cannot clear the % of account %', bad.key, bad.account_id
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Atlassian''s profile API sets fields; it does not clear them.';
  END IF;
  SELECT c.account_id INTO bad FROM unnest(changes) c
   WHERE c.new_groups IS NULL AND c.old_groups IS NOT NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'the groups of account % cannot be null', bad.account_id
      USING ERRCODE = 'null_value_not_allowed', HINT = 'To remove every group, set groups = ''{}''.';
  END IF;
  SELECT c.account_id, g.name INTO bad
    FROM unnest(changes) c,
         LATERAL ((SELECT n FROM unnest(c.new_groups) n EXCEPT SELECT n FROM unnest(c.old_groups) n)
                  UNION ALL
                  (SELECT n FROM unnest(c.old_groups) n EXCEPT SELECT n FROM unnest(c.new_groups) n)) g(name)
   WHERE NOT EXISTS (SELECT FROM atl_mirror_groups mg WHERE mg.server = c.server AND mg.name = g.name)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'unknown group "%" (account %)', bad.name, bad.account_id
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'atl_mirror_groups lists the groups of the mirror; atl_sync() refreshes it.';
  END IF;
END
$$;
COMMENT ON FUNCTION atl_directory_check(atl_directory_changes[]) IS
  'internal: the checks of an UPDATE atl_directory change set (called by its trigger)';

-- The requests a change set needs, for one server, as the trigger reads
-- them: the action, and the values its body is built from (a group's name
-- too, which the trigger confirms with Atlassian); and why it is not to be
-- sent, if it is not (recorded as skipped).
CREATE TYPE atl_directory_request AS (
  account_id text, op text, group_id text, group_name text, email text,
  name text, nickname text, job_title text, department text, organization text,
  location text, time_zone text, skip_reason text);

CREATE FUNCTION atl_directory_requests(changes atl_directory_changes[], srv name)
RETURNS atl_directory_request[]
LANGUAGE sql STABLE
BEGIN ATOMIC
  WITH c AS (SELECT * FROM unnest(changes) c WHERE c.server = srv),
       r AS (
  SELECT c.account_id,
         CASE WHEN s.why IS NULL THEN atl_directory_status_action(c.old_status, c.new_status)
              ELSE CASE c.new_status WHEN 'deactivated' THEN 'disable'
                                     WHEN 'suspended' THEN 'suspend' ELSE 'enable' END
         END AS op,
         NULL::text AS group_id, NULL::text AS group_name, NULL::text AS email,
         NULL::jsonb AS profile, s.why AS skip_reason
    FROM c, LATERAL (SELECT atl_directory_status_skip(c.old_status, c.new_status)) AS s(why)
   WHERE c.old_status IS DISTINCT FROM c.new_status
  UNION ALL
  SELECT c.account_id, 'set_email', NULL, NULL, c.new_email, NULL, NULL
    FROM c WHERE c.old_email IS DISTINCT FROM c.new_email
  UNION ALL
  SELECT c.account_id, 'update_profile', NULL, NULL, NULL, p.ch, NULL
    FROM c, LATERAL (SELECT jsonb_object_agg(n.key, n.value) FROM jsonb_each(c.new_profile) n
                      WHERE n.value IS DISTINCT FROM c.old_profile -> n.key) AS p(ch)
   WHERE c.old_profile IS DISTINCT FROM c.new_profile
  UNION ALL
  SELECT c.account_id, 'add_to_group', g.group_id, g.name, NULL, NULL, NULL
    FROM c, unnest(c.new_groups) n(name), atl_mirror_groups g
   WHERE NOT n.name = ANY (coalesce(c.old_groups, '{}')) AND g.server = srv AND g.name = n.name
  UNION ALL
  SELECT c.account_id, 'remove_from_group', g.group_id, g.name, NULL, NULL, NULL
    FROM c, unnest(c.old_groups) o(name), atl_mirror_groups g
   WHERE NOT o.name = ANY (coalesce(c.new_groups, '{}')) AND g.server = srv AND g.name = o.name)
  SELECT coalesce(array_agg(ROW(r.account_id, r.op, r.group_id, r.group_name, r.email,
                                r.profile ->> 'name', r.profile ->> 'nickname',
                                r.profile ->> 'job_title', r.profile ->> 'department',
                                r.profile ->> 'organization', r.profile ->> 'location',
                                r.profile ->> 'time_zone', r.skip_reason)::atl_directory_request),
                  '{}')
    FROM r;
END;
COMMENT ON FUNCTION atl_directory_requests(atl_directory_changes[], name) IS
  'internal: the requests an UPDATE atl_directory change set needs (called by its trigger)';

-- What came of a change set, written back to it: each account as Atlassian
-- now has it (groups null: unchanged); and the mirror's memberships follow
-- the groups Atlassian changed.
CREATE FUNCTION atl_directory_record(changes atl_directory_changes[], srv name, sent atl_audit[])
RETURNS void LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
BEGIN
  WITH c AS (SELECT * FROM unnest(changes) c WHERE c.server = srv),
       asked AS (SELECT DISTINCT s.account_id FROM unnest(sent) s),
       done AS (
    SELECT s.account_id,
           bool_or(s.action IN ('disable', 'suspend', 'enable', 'restore')) AS status_done,
           max(s.action) FILTER (WHERE s.action IN ('disable', 'suspend', 'enable', 'restore'))
             AS lifecycle,
           bool_or(s.action = 'set_email') AS email_done,
           bool_or(s.action = 'update_profile') AS profile_done,
           coalesce(array_agg(g.name) FILTER (WHERE s.action = 'add_to_group'), '{}') AS joined,
           coalesce(array_agg(g.name) FILTER (WHERE s.action = 'remove_from_group'), '{}') AS left_
      FROM unnest(sent) s
      LEFT JOIN atl_mirror_groups g ON g.server = srv AND g.group_id = s.target
     WHERE s.outcome IN ('succeeded', 'already')
     GROUP BY s.account_id),
       r AS (
    SELECT c.*, a.account_id IS NOT NULL AS requested, d.account_id IS NOT NULL AS any_done,
           coalesce(d.status_done, false) AS status_done, d.lifecycle,
           coalesce(d.email_done, false) AS email_done,
           coalesce(d.profile_done, false) AS profile_done,
           coalesce(d.joined, '{}') AS joined, coalesce(d.left_, '{}') AS left_
      FROM c LEFT JOIN asked a ON a.account_id = c.account_id
             LEFT JOIN done d ON d.account_id = c.account_id),
       results AS (
    SELECT r.change_id, NOT r.requested OR r.any_done AS applied,
           CASE WHEN r.status_done THEN r.new_status ELSE r.old_status END AS status,
           r.lifecycle AS status_action,
           CASE WHEN r.email_done THEN r.new_email ELSE r.old_email END AS email,
           CASE WHEN r.profile_done THEN r.new_profile ELSE r.old_profile END AS profile,
           gr.names AS groups,
           CASE WHEN gr.names IS NOT NULL THEN
             ARRAY(SELECT g.group_id FROM unnest(gr.names) n JOIN atl_mirror_groups g
                     ON g.server = srv AND g.name = n) END AS group_ids
      FROM r, LATERAL (SELECT CASE WHEN cardinality(r.joined) + cardinality(r.left_) > 0 THEN
                         ARRAY(SELECT n FROM unnest(r.old_groups) n WHERE NOT n = ANY (r.left_)
                               UNION
                               SELECT unnest(r.joined) ORDER BY 1) END) AS gr(names))
  UPDATE atl_directory_changes d
     SET applied = x.applied, status = x.status, email = x.email, profile = x.profile,
         groups = x.groups, group_ids = x.group_ids, status_action = x.status_action
    FROM results x
   WHERE d.change_id = x.change_id;

  DELETE FROM atl_mirror_group_members m USING unnest(sent) s
   WHERE s.action = 'remove_from_group' AND s.outcome IN ('succeeded', 'already')
     AND m.server = srv AND m.group_id = s.target AND m.account_id = s.account_id;
  INSERT INTO atl_mirror_group_members (server, group_id, account_id)
  SELECT srv, s.target, s.account_id FROM unnest(sent) s
   WHERE s.action = 'add_to_group' AND s.outcome IN ('succeeded', 'already')
  ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION atl_directory_record(atl_directory_changes[], name, atl_audit[]) IS
  'internal: writes back what came of an UPDATE atl_directory change set (called by its trigger)';

-- The statement trigger: the whole change set of one UPDATE at once
-- (src/view_directory.c).  It refuses to run as anything but this trigger.
CREATE FUNCTION atl_directory_apply()
RETURNS trigger
AS 'MODULE_PATHNAME', 'atl_directory_apply'
LANGUAGE C;
COMMENT ON FUNCTION atl_directory_apply() IS
  'internal: acts on the change set of an UPDATE atl_directory (the trigger of atl_directory_changes)';

CREATE TRIGGER atl_directory_apply AFTER INSERT ON atl_directory_changes
  REFERENCING NEW TABLE AS captured
  FOR EACH STATEMENT EXECUTE FUNCTION atl_directory_apply();

-- The session's own change set, for the rule's actions below.  A function
-- (not inlined: its SET clause) so that the planner expects many rows: the
-- table, emptied after every statement, looks empty to it, and the rule's
-- actions, joined with the UPDATE's own WHERE (a subquery, say), were then
-- planned as nested loops that read that subquery again for each row, a
-- time that grew with the square of the rows (2.4 s after the last request
-- of 2,000, where the change set's own join takes 0.1 s).
CREATE FUNCTION atl_directory_changes_mine()
RETURNS SETOF atl_directory_changes
LANGUAGE sql STABLE ROWS 1000
SET search_path = pg_catalog, atlorg, pg_temp
AS $$ SELECT * FROM atlorg.atl_directory_changes WHERE backend_pid = pg_backend_pid() $$;
COMMENT ON FUNCTION atl_directory_changes_mine() IS
  'action: the calling session''s change set of an UPDATE atl_directory (its rule''s actions read it)';

CREATE RULE atl_directory_update AS ON UPDATE TO atl_directory DO INSTEAD (
  INSERT INTO atl_directory_changes (server, account_id, readonly_changed,
                                     old_status, new_status, old_email, new_email,
                                     old_profile, new_profile, old_groups, new_groups)
  VALUES (OLD.server, OLD.account_id,
          CASE WHEN NEW.server IS DISTINCT FROM OLD.server THEN 'server'
               WHEN NEW.account_id IS DISTINCT FROM OLD.account_id THEN 'account_id'
               WHEN NEW.group_ids IS DISTINCT FROM OLD.group_ids THEN 'group_ids'
               WHEN NEW.account_status IS DISTINCT FROM OLD.account_status THEN 'account_status'
               WHEN NEW.membership_status IS DISTINCT FROM OLD.membership_status THEN 'membership_status'
               WHEN NEW.claim_status IS DISTINCT FROM OLD.claim_status THEN 'claim_status'
               WHEN NEW.management_source IS DISTINCT FROM OLD.management_source THEN 'management_source'
               WHEN NEW.added_to_org IS DISTINCT FROM OLD.added_to_org THEN 'added_to_org'
               WHEN NEW.platform_roles IS DISTINCT FROM OLD.platform_roles THEN 'platform_roles'
               WHEN NEW.products IS DISTINCT FROM OLD.products THEN 'products'
               WHEN NEW.last_active IS DISTINCT FROM OLD.last_active THEN 'last_active'
               WHEN NEW.product_last_active IS DISTINCT FROM OLD.product_last_active THEN 'product_last_active'
               WHEN NEW.synced_at IS DISTINCT FROM OLD.synced_at THEN 'synced_at'
          END,
          OLD.status, NEW.status, OLD.email, NEW.email,
          atl_directory_profile(OLD.name, OLD.nickname, OLD.job_title, OLD.department,
                                OLD.organization, OLD.location, OLD.time_zone),
          atl_directory_profile(NEW.name, NEW.nickname, NEW.job_title, NEW.department,
                                NEW.organization, NEW.location, NEW.time_zone),
          OLD.groups, NEW.groups);
  UPDATE atl_mirror_users m
     SET (status, account_status, membership_status) =
           (SELECT a.status, a.account_status, a.membership_status
              FROM atl_status_after(d.status_action, d.status, m.account_status,
                                    m.membership_status) a),
         email = d.email,
         name = d.profile ->> 'name', nickname = d.profile ->> 'nickname',
         job_title = d.profile ->> 'job_title', department = d.profile ->> 'department',
         organization = d.profile ->> 'organization', location = d.profile ->> 'location',
         time_zone = d.profile ->> 'time_zone',
         groups = coalesce(d.groups, m.groups), group_ids = coalesce(d.group_ids, m.group_ids)
    FROM atl_directory_changes_mine() d
   WHERE d.server = OLD.server AND d.account_id = OLD.account_id AND d.applied
     AND m.server = OLD.server AND m.account_id = OLD.account_id
  RETURNING m.server, m.account_id, m.name, m.nickname, m.email, m.status, m.job_title,
            m.department, m.organization, m.location, m.time_zone, m.groups, m.group_ids,
            m.account_status, m.membership_status, m.claim_status, m.management_source,
            m.added_to_org, m.platform_roles, m.products, m.last_active,
            m.product_last_active, m.synced_at;
  DELETE FROM atl_directory_changes d USING atl_directory_changes_mine() c
   WHERE d.change_id = c.change_id AND c.server = OLD.server
     AND c.account_id = OLD.account_id
);

-- DELETE and INSERT on the view are errors (0A000), not changes of the
-- mirror: a view over one table would otherwise take them as its own, and
-- an owner's "DELETE FROM atl_directory WHERE ..." would silently empty
-- mirror rows while nothing happened at Atlassian.
CREATE FUNCTION atl_directory_refuse(command text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION 'cannot % view "atl_directory"', lower(command)
    USING ERRCODE = 'feature_not_supported',
          DETAIL = 'Its rows are the mirror of Atlassian''s directory; only UPDATE acts on them.',
          HINT = 'To remove accounts, UPDATE their status or call atl_delete(); atl_sync() adds new ones.';
END
$$;
COMMENT ON FUNCTION atl_directory_refuse(text) IS
  'read: the error a DELETE or INSERT on atl_directory raises';

CREATE RULE atl_directory_delete AS ON DELETE TO atl_directory
  DO INSTEAD SELECT atl_directory_refuse('DELETE FROM');
CREATE RULE atl_directory_insert AS ON INSERT TO atl_directory
  DO INSTEAD SELECT atl_directory_refuse('INSERT INTO');
