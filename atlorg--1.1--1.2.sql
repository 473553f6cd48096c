-- atlorg 1.1 -> 1.2.  1.1 has shipped and its install script is frozen;
-- every schema change after it goes here as well as into sql/ (which
-- builds a fresh 1.2); test/upgrade.sh checks that an upgraded
-- installation keeps its rows and has a fresh install's catalog.

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION atlorg UPDATE TO '1.2'" to load this file. \quit

-- 1.2: atl_sync() reads the users in disjoint slices at once
-- (atl_users_sliced, sql/41_sync.sql), proved against the API's counts.
-- The directory's users as atl_users() returns them, read for atl_sync():
-- in disjoint slices of the directory (by status, claimStatus and
-- mfaEnabled) paged at once, each proved against the API's counts, or
-- through one cursor chain when atlorg.sync_slices is off, the directory
-- is small, or the counts do not add up (a NOTICE says which).
CREATE FUNCTION atl_users_sliced(server name DEFAULT NULL)
RETURNS SETOF atl_user
AS 'MODULE_PATHNAME', 'atl_users_sliced'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_users_sliced(name) IS
  'read: the users of the organization''s directory, read in disjoint slices at once (what atl_sync() reads)';

-- new functions get their grants the way the install derives them
REVOKE ALL ON FUNCTION atl_users_sliced(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_users_sliced(name) TO atlorg_reader;

-- atl_sync() as in sql/41_sync.sql: its users come from atl_users_sliced()
CREATE OR REPLACE FUNCTION atl_sync(server name DEFAULT NULL, access boolean DEFAULT true)
RETURNS TABLE (users_added integer, users_changed integer, users_gone integer,
               groups_added integer, groups_changed integer, groups_gone integer,
               memberships_added integer, memberships_gone integer,
               access_added integer, access_changed integer, access_gone integer,
               synced_at timestamptz)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  srv     name := atlorg.atl_server(server);
  started timestamptz := clock_timestamp();
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('atlorg.sync'), hashtext(srv));

  -- left over from an earlier sync in this transaction
  IF to_regclass('pg_temp.atl_sync_users') IS NOT NULL THEN
    DROP TABLE pg_temp.atl_sync_users;
  END IF;
  IF to_regclass('pg_temp.atl_sync_groups') IS NOT NULL THEN
    DROP TABLE pg_temp.atl_sync_groups;
  END IF;
  IF to_regclass('pg_temp.atl_sync_access') IS NOT NULL THEN
    DROP TABLE pg_temp.atl_sync_access;
  END IF;
  CREATE TEMP TABLE atl_sync_users ON COMMIT DROP AS
    SELECT * FROM atlorg.atl_users_sliced(srv);
  ALTER TABLE pg_temp.atl_sync_users ADD PRIMARY KEY (account_id);
  CREATE TEMP TABLE atl_sync_groups ON COMMIT DROP AS
    SELECT * FROM atlorg.atl_groups(server => srv);
  -- per-site access: what groups grant, and the role assignments of every
  -- member of the directory (one request each, many at once); without it,
  -- the mirror's per-site rows stay as they are
  IF access THEN
    CREATE TEMP TABLE atl_sync_access ON COMMIT DROP AS
      WITH u AS (SELECT ARRAY(SELECT ROW(n.*)::atlorg.atl_user FROM pg_temp.atl_sync_users n) AS users)
      SELECT a.* FROM u, atlorg.atl_access_of(
        u.users,
        ARRAY(SELECT g FROM atlorg.atl_group_grants(srv) g),
        ARRAY(SELECT r FROM atlorg.atl_role_assignments(atlorg.atl_access_holders(u.users), srv) r),
        ARRAY(SELECT s FROM atlorg.atl_sites(srv) s)) a;
    ALTER TABLE pg_temp.atl_sync_access ADD PRIMARY KEY (account_id, product, site_id);
  END IF;

  -- users, and their per-product rows
  DELETE FROM atl_mirror_users m
   WHERE m.server = srv
     AND NOT EXISTS (SELECT FROM pg_temp.atl_sync_users n WHERE n.account_id = m.account_id);
  GET DIAGNOSTICS users_gone = ROW_COUNT;

  -- a changed user takes every column of the read row (atl_user's, in its
  -- order: the mirror's columns are server, LIKE atl_user, synced_at)
  UPDATE atl_mirror_users m
     SET (account_id, name, nickname, email, email_verified, status, account_status,
          membership_status, claim_status, management_source, added_to_org, mfa_enabled,
          job_title, department, organization, location, time_zone, platform_roles, groups,
          group_ids, products, last_active, product_last_active, product_access, synced_at)
       = ROW(n.*, started)
    FROM pg_temp.atl_sync_users n
   WHERE m.server = srv AND m.account_id = n.account_id
     AND ROW(m.*) IS DISTINCT FROM ROW(m.server, n.*, m.synced_at);
  GET DIAGNOSTICS users_changed = ROW_COUNT;

  INSERT INTO atl_mirror_users
  SELECT srv, n.*, started
    FROM pg_temp.atl_sync_users n
   WHERE NOT EXISTS (SELECT FROM atl_mirror_users m
                      WHERE m.server = srv AND m.account_id = n.account_id);
  GET DIAGNOSTICS users_added = ROW_COUNT;

  -- per-product rows follow product_last_active
  DELETE FROM atl_mirror_user_products p
   WHERE p.server = srv
     AND NOT EXISTS (SELECT FROM pg_temp.atl_sync_users n
                      WHERE n.account_id = p.account_id AND n.product_last_active ? p.product);
  INSERT INTO atl_mirror_user_products AS p
  SELECT srv, n.account_id, e.key, (e.value #>> '{}')::timestamptz
    FROM pg_temp.atl_sync_users n, jsonb_each(n.product_last_active) AS e
  ON CONFLICT (server, account_id, product) DO UPDATE
     SET last_active = excluded.last_active
   WHERE p.last_active IS DISTINCT FROM excluded.last_active;

  -- groups
  DELETE FROM atl_mirror_groups m
   WHERE m.server = srv
     AND NOT EXISTS (SELECT FROM pg_temp.atl_sync_groups n WHERE n.group_id = m.group_id);
  GET DIAGNOSTICS groups_gone = ROW_COUNT;

  UPDATE atl_mirror_groups m
     SET name = n.name, description = n.description, managed_by = n.managed_by,
         external_synced = n.external_synced, user_count = n.user_count,
         resource_count = n.resource_count, synced_at = started
    FROM pg_temp.atl_sync_groups n
   WHERE m.server = srv AND m.group_id = n.group_id
     AND (m.name, m.description, m.managed_by, m.external_synced, m.user_count, m.resource_count)
         IS DISTINCT FROM
         (n.name, n.description, n.managed_by, n.external_synced, n.user_count, n.resource_count);
  GET DIAGNOSTICS groups_changed = ROW_COUNT;

  INSERT INTO atl_mirror_groups
  SELECT srv, n.group_id, n.name, n.description, n.managed_by, n.external_synced,
         n.user_count, n.resource_count, started
    FROM pg_temp.atl_sync_groups n
   WHERE NOT EXISTS (SELECT FROM atl_mirror_groups m
                      WHERE m.server = srv AND m.group_id = n.group_id);
  GET DIAGNOSTICS groups_added = ROW_COUNT;

  -- memberships
  CREATE TEMP TABLE atl_sync_members ON COMMIT DROP AS
    SELECT DISTINCT g.group_id, n.account_id
      FROM pg_temp.atl_sync_users n, unnest(n.group_ids) AS g(group_id);

  DELETE FROM atl_mirror_group_members m
   WHERE m.server = srv
     AND NOT EXISTS (SELECT FROM pg_temp.atl_sync_members n
                      WHERE n.group_id = m.group_id AND n.account_id = m.account_id);
  GET DIAGNOSTICS memberships_gone = ROW_COUNT;

  INSERT INTO atl_mirror_group_members
  SELECT srv, n.group_id, n.account_id FROM pg_temp.atl_sync_members n
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS memberships_added = ROW_COUNT;
  DROP TABLE pg_temp.atl_sync_members;

  -- per-site access
  IF access THEN
    DELETE FROM atl_mirror_access m
     WHERE m.server = srv
       AND NOT EXISTS (SELECT FROM pg_temp.atl_sync_access n
                        WHERE (n.account_id, n.product, n.site_id) = (m.account_id, m.product, m.site_id));
    GET DIAGNOSTICS access_gone = ROW_COUNT;

    -- as the users: atl_access's columns, in its order
    UPDATE atl_mirror_access m
       SET (account_id, email, product, site, site_url, role, direct, via_groups, via_group_ids,
            last_active, resource_id, site_id, synced_at)
         = ROW(n.*, started)
      FROM pg_temp.atl_sync_access n
     WHERE m.server = srv
       AND (n.account_id, n.product, n.site_id) = (m.account_id, m.product, m.site_id)
       AND ROW(m.*) IS DISTINCT FROM ROW(m.server, n.*, m.synced_at);
    GET DIAGNOSTICS access_changed = ROW_COUNT;

    INSERT INTO atl_mirror_access
    SELECT srv, n.*, started
      FROM pg_temp.atl_sync_access n
     WHERE NOT EXISTS (SELECT FROM atl_mirror_access m
                        WHERE m.server = srv
                          AND (n.account_id, n.product, n.site_id) = (m.account_id, m.product, m.site_id));
    GET DIAGNOSTICS access_added = ROW_COUNT;
  END IF;

  synced_at := clock_timestamp();
  INSERT INTO atl_mirror_syncs (server, started_at, finished_at, users_added, users_changed,
                                users_gone, groups_added, groups_changed, groups_gone,
                                memberships_added, memberships_gone, access_added,
                                access_changed, access_gone)
  VALUES (srv, started, synced_at, users_added, users_changed, users_gone, groups_added,
          groups_changed, groups_gone, memberships_added, memberships_gone, access_added,
          access_changed, access_gone);
  RETURN NEXT;
END
$$;

-- end of 1.2: atl_sync() in slices

-- 1.2: undo.  Each audit row records what its request changed from
-- (previous, from the mirror as the intent is recorded), and a run can be
-- undone (sql/46_undo.sql).
ALTER TABLE atl_audit ADD COLUMN previous jsonb;
-- What a request changes from, as the mirror knows it now: the account's
-- states, and for an e-mail, profile or group change the value it had.
-- NULL when the mirror does not hold the account.  The executor calls it
-- as it records each intent.
CREATE FUNCTION atl_audit_previous(server name, action text, account_id text, target text,
                                   params jsonb)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
  SELECT jsonb_build_object('as_of', m.synced_at, 'status', m.status,
                            'account_status', m.account_status,
                            'membership_status', m.membership_status)
         || CASE action
              WHEN 'set_email' THEN jsonb_build_object('email', m.email)
              WHEN 'update_profile' THEN jsonb_build_object('profile',
                jsonb_strip_nulls(jsonb_build_object(
                  'name', CASE WHEN params ? 'name' THEN to_jsonb(m.name) END,
                  'nickname', CASE WHEN params ? 'nickname' THEN to_jsonb(m.nickname) END,
                  'zoneinfo', CASE WHEN params ? 'zoneinfo' THEN to_jsonb(m.time_zone) END))
                || jsonb_build_object('extended_profile', jsonb_strip_nulls(jsonb_build_object(
                  'job_title', CASE WHEN params->'extended_profile' ? 'job_title' THEN to_jsonb(m.job_title) END,
                  'department', CASE WHEN params->'extended_profile' ? 'department' THEN to_jsonb(m.department) END,
                  'organization', CASE WHEN params->'extended_profile' ? 'organization' THEN to_jsonb(m.organization) END,
                  'location', CASE WHEN params->'extended_profile' ? 'location' THEN to_jsonb(m.location) END))))
              WHEN 'add_to_group' THEN jsonb_build_object('member', target = ANY (m.group_ids))
              WHEN 'remove_from_group' THEN jsonb_build_object('member', target = ANY (m.group_ids))
              ELSE '{}'::jsonb
            END
    FROM atlorg.atl_mirror_users m
   WHERE m.server = atl_audit_previous.server
     AND m.account_id = atl_audit_previous.account_id COLLATE "default"
$$;
COMMENT ON FUNCTION atl_audit_previous(name, text, text, text, jsonb) IS
  'internal: what a request changes from, as the mirror knows it; the executor records it with the intent';

-- atl_undo_family() and atl_undo_plan() are made below, with the action catalogue they read

-- Undo a run: one run of its own ("undo of run N"), the plan's requests
-- newest first, grouped into set-based calls (one per kind, group, role or
-- profile: the same parameters); what cannot be undone comes
-- back as outcome 'not_undoable' with the reason, never left out.
CREATE FUNCTION atl_run_undo(run_id bigint)
RETURNS TABLE (undoes bigint, action text, account_id text, undo text, outcome text,
               reason text, audit_id bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  r atlorg.atl_run;
  grp record;
  res atlorg.atl_audit;
  results atlorg.atl_audit[];
  label_before text := current_setting('atlorg.run_label', true);
BEGIN
  IF run_id IS NULL THEN
    RAISE EXCEPTION 'run_id must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT * INTO r FROM atlorg.atl_run WHERE id = atl_run_undo.run_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'run % does not exist', run_id
      USING ERRCODE = 'undefined_object', HINT = 'atl_runs lists the runs.';
  END IF;
  IF r.state NOT IN ('finished', 'cancelled') AND NOT r.background THEN
    -- the executor records a statement's run as ended just after it returns
    PERFORM atlorg.atl_run_wait(run_id, interval '5 s');
    SELECT * INTO r FROM atlorg.atl_run WHERE id = atl_run_undo.run_id;
  END IF;
  IF r.state NOT IN ('finished', 'cancelled') THEN
    RAISE EXCEPTION 'atlorg: run % is %; undo it when it has ended', run_id, r.state
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Cancel it with atl_run_cancel(), or wait with atl_run_wait().';
  END IF;
  RETURN QUERY SELECT p.audit_id, p.action, p.account_id, NULL::text, 'not_undoable'::text,
                      p.reason, NULL::bigint
                 FROM atlorg.atl_undo_plan(run_id) p WHERE p.undo IS NULL;
  PERFORM pg_catalog.set_config('atlorg.run_label', format('undo of run %s', run_id), true);
  FOR grp IN
    SELECT p.undo, p.undo_target,
           CASE WHEN p.undo = 'set_email' THEN NULL ELSE p.undo_params END AS params,
           array_agg(p.account_id ORDER BY p.audit_id DESC) AS accounts,
           array_agg(p.undo_params->>'email' ORDER BY p.audit_id DESC) AS emails,
           array_agg(p.audit_id ORDER BY p.audit_id DESC) AS ids,
           array_agg(p.action ORDER BY p.audit_id DESC) AS actions,
           array_agg(p.reason ORDER BY p.audit_id DESC) AS notes
      FROM atlorg.atl_undo_plan(run_id) p
     WHERE p.undo IS NOT NULL
     GROUP BY 1, 2, 3
     ORDER BY max(p.audit_id) DESC
  LOOP
    -- static calls, one per kind: the plan names only these undos
    results := CASE grp.undo
      WHEN 'enable' THEN ARRAY(SELECT x FROM atlorg.atl_enable(grp.accounts, r.server) x)
      WHEN 'disable' THEN ARRAY(SELECT x FROM atlorg.atl_disable(grp.accounts, r.server) x)
      WHEN 'restore' THEN ARRAY(SELECT x FROM atlorg.atl_restore(grp.accounts, r.server) x)
      WHEN 'suspend' THEN ARRAY(SELECT x FROM atlorg.atl_suspend(grp.accounts, r.server) x)
      WHEN 'cancel-delete' THEN ARRAY(SELECT x FROM atlorg.atl_cancel_delete(grp.accounts, r.server) x)
      WHEN 'delete' THEN ARRAY(SELECT x FROM atlorg.atl_delete(grp.accounts, r.server) x)
      WHEN 'add_to_group' THEN
        ARRAY(SELECT x FROM atlorg.atl_add_to_group(grp.accounts, grp.undo_target, r.server) x)
      WHEN 'remove_from_group' THEN
        ARRAY(SELECT x FROM atlorg.atl_remove_from_group(grp.accounts, grp.undo_target, r.server) x)
      WHEN 'jira_add_to_group' THEN
        ARRAY(SELECT x FROM atlorg.atl_jira_add_to_group(grp.accounts, grp.undo_target, r.server) x)
      WHEN 'jira_remove_from_group' THEN
        ARRAY(SELECT x FROM atlorg.atl_jira_remove_from_group(grp.accounts, grp.undo_target, r.server) x)
      WHEN 'grant_role' THEN ARRAY(SELECT x FROM atlorg.atl_grant_role(grp.accounts,
        grp.params->>'role', grp.params->>'resource', r.server) x)
      WHEN 'revoke_role' THEN ARRAY(SELECT x FROM atlorg.atl_revoke_role(grp.accounts,
        grp.params->>'role', grp.params->>'resource', r.server) x)
      WHEN 'set_email' THEN ARRAY(SELECT x FROM atlorg.atl_set_email(grp.accounts, grp.emails, r.server) x)
      WHEN 'update_profile' THEN ARRAY(SELECT x FROM atlorg.atl_update_profile(grp.accounts,
        name => grp.params->>'name', nickname => grp.params->>'nickname',
        job_title => grp.params->'extended_profile'->>'job_title',
        department => grp.params->'extended_profile'->>'department',
        organization => grp.params->'extended_profile'->>'organization',
        location => grp.params->'extended_profile'->>'location',
        time_zone => grp.params->>'zoneinfo', server => r.server) x)
    END;
    FOREACH res IN ARRAY results LOOP
      FOR i IN 1 .. array_length(grp.accounts, 1) LOOP
        CONTINUE WHEN grp.accounts[i] <> res.account_id;
        undoes := grp.ids[i]; action := grp.actions[i]; account_id := res.account_id;
        undo := grp.undo; outcome := res.outcome; audit_id := res.id;
        reason := coalesce(res.error_reason, res.error_detail, grp.notes[i]);
        RETURN NEXT;
      END LOOP;
    END LOOP;
  END LOOP;
  PERFORM pg_catalog.set_config('atlorg.run_label', coalesce(label_before, ''), true);
END
$$;
COMMENT ON FUNCTION atl_run_undo(bigint) IS
  'action: undo a run: the reverse of each of its requests that took effect, as one run labelled "undo of run N"; what cannot be undone is listed with why';
REVOKE ALL ON FUNCTION atl_audit_previous(name, text, text, text, jsonb), atl_run_undo(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_run_undo(bigint) TO atlorg_actor;
GRANT EXECUTE ON FUNCTION atl_audit_previous(name, text, text, text, jsonb) TO atlorg_executor;
-- end of 1.2: undo

-- 1.2: previews that know: a dry run records what Atlassian would answer
-- (sql/47_preview.sql)
-- atl_predictions() is made below, with the action catalogue it reads
-- end of 1.2: previews
-- 1.2: UPDATE atl_directory skips a status change
-- makes meaningless (suspending a deactivated account) instead of failing
-- the statement, and keeps the mirror's account_status and
-- membership_status with what the lifecycle action did (sql/43_directory.sql).
ALTER TABLE atl_directory_changes ADD COLUMN status_action text;
ALTER TYPE atl_directory_request ADD ATTRIBUTE skip_reason text;

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

REVOKE ALL ON FUNCTION atl_directory_status_skip(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_directory_status_skip(text, text) TO atlorg_reader;

CREATE OR REPLACE FUNCTION atl_directory_check(changes atl_directory_changes[])
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

CREATE OR REPLACE FUNCTION atl_directory_requests(changes atl_directory_changes[], srv name)
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

CREATE OR REPLACE FUNCTION atl_directory_record(changes atl_directory_changes[], srv name, sent atl_audit[])
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

REVOKE ALL ON FUNCTION atl_directory_changes_mine() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_directory_changes_mine() TO atlorg_actor;

-- 1.2: what an account's statuses become once Atlassian has done a lifecycle
-- action on it (or found it done): the one rule that atl_mirror_follow()
-- (a background run's success) and atl_directory's UPDATE (its write to the
-- mirror) both follow.  What an enable or a restore leaves depends on the
-- other flag: an enabled account whose membership is suspended stays
-- suspended, a restored member whose account is inactive stays
-- deactivated.  Any other action leaves all three as they are.
CREATE FUNCTION atl_status_after(action text, INOUT status text, INOUT account_status text,
                                 INOUT membership_status text)
LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT CASE action
           WHEN 'disable' THEN 'deactivated'
           WHEN 'suspend' THEN 'suspended'
           WHEN 'enable' THEN CASE membership_status WHEN 'suspended' THEN 'suspended' ELSE 'active' END
           WHEN 'restore' THEN CASE account_status WHEN 'inactive' THEN 'deactivated' ELSE 'active' END
           ELSE status
         END,
         CASE action WHEN 'disable' THEN 'inactive' WHEN 'enable' THEN 'active'
                     ELSE account_status END,
         CASE action WHEN 'suspend' THEN 'suspended' WHEN 'restore' THEN 'active'
                     ELSE membership_status END;
END;
COMMENT ON FUNCTION atl_status_after(text, text, text, text) IS
  'read: an account''s status, account_status and membership_status once a lifecycle action (disable, enable, suspend, restore) is done';

REVOKE ALL ON FUNCTION atl_status_after(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_status_after(text, text, text, text) TO atlorg_reader, atlorg_executor;

CREATE OR REPLACE FUNCTION atl_mirror_follow(server name, action text, account_id text, target text,
                                  params jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  m atlorg.atl_mirror_users;
  after record;
  group_name text;
BEGIN
  SELECT * INTO m FROM atlorg.atl_mirror_users u
   WHERE u.server = atl_mirror_follow.server AND u.account_id = atl_mirror_follow.account_id COLLATE "default"
     FOR UPDATE NOWAIT;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  CASE action
    WHEN 'disable', 'enable', 'suspend', 'restore' THEN
      -- an assignment, not SELECT ... INTO: 7 µs a call rather than 77
      after := atlorg.atl_status_after(action, m.status, m.account_status, m.membership_status);
      m.status := after.status;
      m.account_status := after.account_status;
      m.membership_status := after.membership_status;
    WHEN 'set_email' THEN m.email := params->>'email';
    WHEN 'update_profile' THEN
      m.name := coalesce(params->>'name', m.name);
      m.nickname := coalesce(params->>'nickname', m.nickname);
      m.time_zone := coalesce(params->>'zoneinfo', m.time_zone);
      m.job_title := coalesce(params->'extended_profile'->>'job_title', m.job_title);
      m.department := coalesce(params->'extended_profile'->>'department', m.department);
      m.organization := coalesce(params->'extended_profile'->>'organization', m.organization);
      m.location := coalesce(params->'extended_profile'->>'location', m.location);
    WHEN 'add_to_group', 'remove_from_group' THEN
      SELECT g.name INTO group_name FROM atlorg.atl_mirror_groups g
       WHERE g.server = atl_mirror_follow.server AND g.group_id = target COLLATE "default";
      m.group_ids := array_remove(m.group_ids, target);
      m.groups := array_remove(m.groups, group_name);
      IF action = 'add_to_group' AND group_name IS NOT NULL THEN
        m.group_ids := m.group_ids || target;
        m.groups := m.groups || group_name;
      END IF;
    ELSE
      RETURN;
  END CASE;
  UPDATE atlorg.atl_mirror_users u
     SET status = m.status, account_status = m.account_status,
         membership_status = m.membership_status, email = m.email, name = m.name,
         nickname = m.nickname, time_zone = m.time_zone, job_title = m.job_title,
         department = m.department, organization = m.organization, location = m.location,
         groups = m.groups, group_ids = m.group_ids
   WHERE u.server = atl_mirror_follow.server AND u.account_id = atl_mirror_follow.account_id COLLATE "default";
EXCEPTION WHEN lock_not_available THEN
  RETURN;
END
$$;

CREATE OR REPLACE RULE atl_directory_update AS ON UPDATE TO atl_directory DO INSTEAD (
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
-- end of 1.2: atl_directory's meaningless status changes and lifecycle columns
-- 1.2: atl_csv_rejects_file(path), the one CSV function that had no _file
-- form (sql/50_csv.sql)
CREATE FUNCTION atl_csv_rejects_file(path text)
RETURNS SETOF atl_csv_reject
AS 'MODULE_PATHNAME', 'atl_csv_rejects_file' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_rejects_file(text) IS 'read: the rows of an export file on the server (needs pg_read_server_files) that cannot be read, and why';
REVOKE ALL ON FUNCTION atl_csv_rejects_file(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_csv_rejects_file(text) TO atlorg_reader;

-- end of 1.2: atl_csv_rejects_file()
-- 1.2: reasons in words, action names, refusals by reason
-- (sql/11_audit_words.sql, sql/12_runs.sql).  The audit's rows are left as
-- they are: the words are looked up, never written into them.
-- Reasons in words: what Atlassian's error keys and codes mean, and what
-- the admin can do about them.  One table, read by whoever reads the
-- audit; the audit's views and the NOTICE of a statement that acted show
-- these words next to the key.
--
-- The rows atlorg ships are marked shipped and are the extension script's:
-- pg_dump leaves them out (a restore's CREATE EXTENSION writes them again,
-- and an upgrade script replaces them), and only the extension's owner
-- may change them (a trigger says so: row security would also make a
-- non-superuser's pg_dump fail on the table, and hide rows silently).  A manager
-- adds keys atlorg does not know, or their own words for a key it does, as
-- rows with shipped false: those are dumped and survive upgrades, and a
-- lookup prefers them.  So the key alone is not unique; (key, shipped) is,
-- and a restore never collides with the shipped rows.  (A view over a
-- function would ship the words as well, but would leave users nowhere to
-- put theirs.)
CREATE TABLE atl_error_reasons (
  key         text    NOT NULL,     -- exactly as Atlassian sends it (a key, a code, or 'HTTP <status>')
  shipped     boolean NOT NULL DEFAULT false,
  meaning     text    NOT NULL,     -- what Atlassian said, in plain words
  what_to_do  text    NOT NULL,     -- what the admin can do about it
  PRIMARY KEY (key, shipped)
);
COMMENT ON TABLE atl_error_reasons IS
  'atlorg: Atlassian''s error keys and codes in plain words; shipped rows are atlorg''s, the others a manager''s';
REVOKE ALL ON atl_error_reasons FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('atl_error_reasons', 'WHERE NOT shipped');

-- (A manager's grants leave out the shipped column: what they write is
-- never shipped.)
CREATE FUNCTION atl_error_reasons_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
BEGIN
  IF (TG_OP <> 'INSERT' AND OLD.shipped OR TG_OP <> 'DELETE' AND NEW.shipped)
     AND NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID),
                                    'MEMBER') THEN
    RAISE EXCEPTION 'atlorg''s own words for "%" cannot be changed', coalesce(OLD.key, NEW.key)
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Add a row of your own for the key: a lookup takes it first.';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION atl_error_reasons_guard() IS
  'internal: keeps the shipped rows of atl_error_reasons the extension''s';
CREATE TRIGGER atl_error_reasons_guard BEFORE INSERT OR UPDATE OR DELETE ON atl_error_reasons
  FOR EACH ROW EXECUTE FUNCTION atl_error_reasons_guard();

-- The words for an audit row: its reason (the most precise: managedAccount
-- under forbidden.action), else its key, else its HTTP status; a user's
-- row before atlorg's.  Each lookup is exact.
CREATE FUNCTION atl_error_words(error_key text, error_reason text, http_status integer,
                                OUT key text, OUT meaning text, OUT what_to_do text)
RETURNS record
LANGUAGE sql STABLE
SET search_path = pg_catalog, atlorg, pg_temp
BEGIN ATOMIC
  SELECT r.key, r.meaning, r.what_to_do
    FROM atlorg.atl_error_reasons r
   WHERE r.key = atl_error_words.error_reason
      OR r.key = atl_error_words.error_key
      OR r.key = 'HTTP ' || atl_error_words.http_status
   ORDER BY r.key = atl_error_words.error_reason IS NOT TRUE,
            r.key = atl_error_words.error_key IS NOT TRUE,
            r.shipped
   LIMIT 1;
END;
COMMENT ON FUNCTION atl_error_words(text, text, integer) IS
  'read: the plain words for an error (its reason, else its key, else its HTTP status), from atl_error_reasons';
INSERT INTO atl_error_reasons (key, shipped, meaning, what_to_do)
SELECT k, true, m, w FROM (VALUES
  -- user management (/users/{id}/manage/...): the reason under forbidden.action
  ('managedAccount', 'The account is not managed by your organization: its e-mail domain is not verified and claimed by the organization, so Atlassian lets its owner, not you, change it.',
   'Verify and claim the account''s domain (admin.atlassian.com > Domains), or ask the owner; atl_users() shows the account''s claim status.'),
  ('externalDirectory.scim', 'The account is synced from an identity provider (SCIM): its lifecycle and e-mail belong to that directory, not to Atlassian.',
   'Make the change in the identity provider (Okta, Entra ID, ...); the next sync carries it to Atlassian.'),
  ('externalDirectory.google', 'The account is synced from Google Workspace: its lifecycle and e-mail belong to that directory.',
   'Make the change in Google Workspace, or stop syncing the account there.'),
  ('administrative', 'The account is an administrator''s, and Atlassian does not let this change be made to an administrator by API.',
   'Remove the account''s admin roles first (admin.atlassian.com), or make the change in the admin console.'),
  ('administrative.notMyself', 'The change would act on an administrator other than the key''s owner, which Atlassian refuses.',
   'Have that administrator make the change, or make it in the admin console.'),
  ('myselfOnly', 'Only the account''s owner may make this change.',
   'Ask the account''s owner to make it in their Atlassian profile.'),
  ('authPolicy.saml', 'The account''s authentication policy (SAML single sign-on) forbids this change.',
   'Move the account to a policy without SSO, or make the change in the identity provider.'),
  ('blocked.exportControl', 'Atlassian has blocked the account for export-control reasons.',
   'Nothing the organization can do by API; contact Atlassian support.'),
  -- user management keys
  ('unauthorized', 'The API key was not accepted.',
   'Check the user mapping''s api_key (admin.atlassian.com > Settings > API keys); keys expire after a year.'),
  ('asapUnauthorizedIssuer', 'The service token''s issuer is not accepted (Atlassian''s internal authentication): the credential was not accepted.',
   'Check the user mapping''s api_key; if it is right, contact Atlassian support.'),
  ('forbidden', 'The key may not do this: a scoped key (the user management API takes only keys without scopes), or a key without the rights.',
   'Use an organization API key without scopes for the user management actions.'),
  ('forbidden.action', 'Atlassian refused this action on this account; the reason says why.',
   'See the reason: an unmanaged account, an account synced from an identity provider, an administrator, ...'),
  ('forbidden.targetUnverified', 'The account''s e-mail address is not verified, so Atlassian will not change it.',
   'Have the owner verify their e-mail address, then try again.'),
  ('forbidden.unclaimedDomain', 'The new e-mail address is on a domain the organization has not verified.',
   'Verify the domain (admin.atlassian.com > Domains), or choose an address on a verified one.'),
  ('forbidden.fieldMutation', 'The profile field may not be changed for this account (the identity provider or Atlassian owns it).',
   'Change the field in the identity provider, or leave it out of the update.'),
  ('accountNotFound', 'No such account.',
   'Check the account id (atl_users() lists them); the account may have been deleted.'),
  ('notFound', 'Nothing at this path: no such account or token.',
   'Check the account id or token; atl_sync() refreshes the mirror.'),
  ('bodyParseFailure', 'Atlassian could not read the request''s body.',
   'Check the values given (an e-mail, a profile field); if they look right, report it as an atlorg bug.'),
  ('fieldConstraintsViolated', 'A value breaks a field''s rules (too long, wrong format, ...); the detail names the field.',
   'Correct the value and try again.'),
  ('conflict.lifecycleErrors', 'The account''s state does not allow this lifecycle change; the reason code says which state.',
   'See the reason; atl_sync() shows the account''s current state.'),
  ('ACCOUNT_ALREADY_ACTIVE', 'The account is already active.', 'Nothing: the account is as asked.'),
  ('ACCOUNT_ALREADY_DEACTIVATED', 'The account is already deactivated.', 'Nothing: the account is as asked.'),
  ('ACCOUNT_ALREADY_SCHEDULED_FOR_DELETION', 'The account is already scheduled for deletion.', 'Nothing: the account is as asked.'),
  ('ACCOUNT_SCHEDULED_FOR_DELETION', 'The account is scheduled for deletion, so it cannot be changed.',
   'Cancel the deletion first (atl_cancel_delete), while the grace period lasts.'),
  ('CONFLICT', 'The account''s state does not allow this change.',
   'atl_sync() shows the account''s current state; act on that.'),
  -- organizations API v1 (ApplicationError codes)
  ('ADMIN-400-1', 'Invalid page cursor.', 'Start the read again; if it recurs, report it as an atlorg bug.'),
  ('ADMIN-400-2', 'Invalid domain identifier.', 'Check the domain id (atl_domains() lists them).'),
  ('ADMIN-400-3', 'Invalid date or time.', 'Check the date given.'),
  ('ADMIN-400-4', 'Invalid resource.', 'Check the resource (an ari:cloud:... of the product or site).'),
  ('ADMIN-400-19', 'The request''s syntax is not valid.', 'Check the values given; if they look right, report it as an atlorg bug.'),
  ('ADMIN-400-21', 'The request asks for more than the API allows in one query.', 'Ask for less at a time.'),
  ('ADMIN-400-24', 'The request''s body is not valid.', 'Check the values given (a role, a resource).'),
  ('ADMIN-400-32', 'Too many licence breaches.', 'Free seats or buy more before adding access.'),
  ('ADMIN-401-2', 'The API key was not accepted.', 'Check the user mapping''s api_key.'),
  ('ADMIN-403-3', 'The key is not allowed to manage the organization.', 'Use a key created by an organization admin, with the scopes the action needs.'),
  ('ADMIN-403-5', 'The key is not allowed to manage this group.', 'Check the key''s scopes, or manage the group in the admin console.'),
  ('ADMIN-403-6', 'The group has the default-role attribute and cannot be deleted.', 'Remove the default role first.'),
  ('ADMIN-403-7', 'The group grants admin access to a product or the organization and cannot be deleted.', 'Remove its admin roles first.'),
  ('ADMIN-404-1', 'Unknown resource.', 'Check the ids given.'),
  ('ADMIN-404-2', 'The organization was not found.', 'Check the server''s org_id option.'),
  ('ADMIN-404-3', 'The domain was not found.', 'Check the domain id.'),
  ('ADMIN-404-4', 'The event was not found.', 'Check the event id.'),
  ('ADMIN-404-5', 'The policy was not found.', 'Check the policy id.'),
  ('ADMIN-404-6', 'The policy''s resource was not found.', 'Check the resource id.'),
  ('ADMIN-404-8', 'The user was not found in the organization.', 'Check the account id; atl_sync() refreshes the mirror.'),
  ('ADMIN-404-10', 'The group was not found.', 'Check the group id; atl_sync() refreshes the mirror.'),
  ('ADMIN-405-1', 'The method is not supported here.', 'Report it as an atlorg bug.'),
  ('ADMIN-409-3', 'The product''s licence limit is reached.', 'Free seats (atl_seats shows them) or buy more.'),
  ('ADMIN-409-5', 'The group is not empty.', 'Remove its members first.'),
  ('ADMIN-409-28', 'The request conflicts with the resource''s state.', 'atl_sync() shows the current state; act on that.'),
  ('ADMIN-429-1', 'Rate limit exceeded.', 'atlorg waits and retries; lower atlorg.action_rate if it keeps happening.'),
  ('ADMIN-500-1', 'Atlassian had an internal error.', 'Try again later.'),
  ('ADMIN-500-2', 'Policy validation failed on Atlassian''s side.', 'Try again later; if it recurs, contact Atlassian support.'),
  -- organizations API "UAM" codes (directories, groups, roles)
  ('ADMIN-UAM-400-1', 'Bad request.', 'Check the values given.'),
  ('ADMIN-UAM-400-2', 'The user is inactive.', 'Enable the account first (atl_enable), or leave it out.'),
  ('ADMIN-UAM-400-3', 'The role is not valid for this resource.', 'Check the role and the resource (atl_mirror_access shows the roles in use).'),
  ('ADMIN-UAM-400-4', 'The product is not licensed.', 'Check the product and site.'),
  ('ADMIN-UAM-401-1', 'The API key was not accepted.', 'Check the user mapping''s api_key.'),
  ('ADMIN-UAM-401-2', 'The key is not authorized for this.', 'Check the key''s scopes.'),
  ('ADMIN-UAM-402-1', 'Payment required.', 'Check the organization''s billing.'),
  ('ADMIN-UAM-403-1', 'Forbidden: the key may not do this.', 'Use an organization API key without scopes (v2 group writes need one).'),
  ('ADMIN-UAM-403-2', 'The key is not allowed to manage the organization.', 'Use a key created by an organization admin.'),
  ('ADMIN-UAM-404-1', 'The user or resource is not in the directory.', 'Check the account id; atl_sync() refreshes the mirror.'),
  ('ADMIN-UAM-404-2', 'The organization was not found.', 'Check the server''s org_id option.'),
  ('ADMIN-UAM-404-3', 'The group was not found.', 'Check the group id; atl_sync() refreshes the mirror.'),
  ('ADMIN-UAM-405-1', 'The method is not supported here.', 'Report it as an atlorg bug.'),
  ('ADMIN-UAM-409-1', 'A default group cannot be created.', 'Use another group name.'),
  ('ADMIN-UAM-409-2', 'The resource already is as asked (for a group: the account is already a member).', 'Nothing: atlorg records it as already.'),
  ('ADMIN-UAM-409-3', 'The product''s licence (user) limit is reached.', 'Free seats (atl_seats shows them) or buy more.'),
  ('ADMIN-UAM-415-1', 'Unsupported media type.', 'Report it as an atlorg bug.'),
  ('ADMIN-UAM-500-1', 'Atlassian had an internal error.', 'Try again later.'),
  -- the org routing layer's Spring-style 403
  ('Forbidden', 'The key has no permission for this resource.', 'Check the key''s scopes, or use a key without scopes.'),
  -- what an answer without a key says: its HTTP status
  ('HTTP 400', 'Bad request: Atlassian could not accept the values sent.', 'Read the detail; correct the values.'),
  ('HTTP 401', 'Not authenticated: the key (or the Jira site''s e-mail and token) was not accepted.', 'Check the user mapping''s credentials.'),
  ('HTTP 403', 'Forbidden: the key, or the account acting for it, may not do this.', 'Read the detail; check the key''s scopes or the Jira account''s permissions.'),
  ('HTTP 404', 'Not found: no such account, group or resource.', 'Check the ids; atl_sync() refreshes the mirror.'),
  ('HTTP 405', 'Method not allowed.', 'Report it as an atlorg bug.'),
  ('HTTP 408', 'Atlassian timed out waiting for the request.', 'Try again; counted as failed, not refused.'),
  ('HTTP 409', 'Conflict: the account or resource is not in a state that allows this.', 'atl_sync() shows the current state; act on that.'),
  ('HTTP 413', 'The request is too large.', 'Send less at a time.'),
  ('HTTP 415', 'Unsupported media type.', 'Report it as an atlorg bug.'),
  ('HTTP 429', 'Rate limited, and still so after atlorg''s retries.', 'Run it again later, or lower atlorg.action_rate.'),
  ('HTTP 500', 'Atlassian had an internal error (after atlorg''s retries).', 'Try again later.'),
  ('HTTP 502', 'Bad gateway: Atlassian''s gateway could not reach the service (after retries).', 'Try again later.'),
  ('HTTP 503', 'Atlassian''s service was unavailable (after retries).', 'Try again later; see status.atlassian.com.'),
  ('HTTP 504', 'Atlassian''s gateway timed out (after retries).', 'Try again later; whether the change took effect may need checking.')
) AS t(k, m, w);

-- What an audit row's answer said, never empty for a request Atlassian
-- answered with an error: its reason, else its key, else its message,
-- else its HTTP status.  (From 1.2 the executor stores the message or the
-- status line as the reason of an answer that gave neither key nor reason;
-- rows from before get the same here.)
CREATE FUNCTION atl_audit_reason(error_key text, error_reason text, error_detail text,
                                 http_status integer)
RETURNS text
LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT coalesce(nullif(error_reason, ''), nullif(error_key, ''),
                  CASE WHEN http_status >= 400 THEN coalesce(nullif(error_detail, ''),
                                                             'HTTP ' || http_status) END);
END;
COMMENT ON FUNCTION atl_audit_reason(text, text, text, integer) IS
  'read: an audit row''s reason: its reason, else its key, else its message, else its HTTP status';

-- The action catalogue (src/act_catalogue.c): each action's SQL function, its
-- name in the audit and the request it sends.  The names differ in one
-- place only, atl_cancel_delete and cancel-delete (Atlassian's own path);
-- the audit keeps the name it has always recorded, so that its history
-- reads one way.
CREATE FUNCTION atl_action_catalogue(OUT function text, OUT action text, OUT method text,
                                     OUT path text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'atl_action_catalogue'
LANGUAGE C IMMUTABLE STRICT;
COMMENT ON FUNCTION atl_action_catalogue() IS
  'read: every action: its SQL function, its name in atl_audit.action, its method and path';

CREATE VIEW atl_actions AS
  SELECT function, action, method, path FROM atl_action_catalogue();
COMMENT ON VIEW atl_actions IS
  'atlorg: every action: its SQL function (atl_cancel_delete), its name in the audit (cancel-delete), its request';

-- An action's name as the audit records it, from either spelling: the
-- function's (atl_cancel_delete), the audit's (cancel-delete), or either
-- without its prefix or with - and _ swapped.  For filters:
--   SELECT * FROM atl_audit WHERE action = atl_action_name('atl_cancel_delete');
CREATE FUNCTION atl_action_name(name text)
RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  spelled text := replace(regexp_replace(lower(name), '^atl_', ''), '-', '_');
  found text;
BEGIN
  SELECT c.action INTO found FROM atlorg.atl_action_catalogue() c
   WHERE replace(c.action, '-', '_') = spelled;
  IF found IS NULL THEN
    RAISE EXCEPTION 'atlorg has no action "%"', name
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'SELECT function, action FROM atlorg.atl_actions lists them.';
  END IF;
  RETURN found;
END
$$;
COMMENT ON FUNCTION atl_action_name(text) IS
  'read: an action''s name in atl_audit.action, from its function''s name or the audit''s (either spelling)';

-- The audit with its reasons in words, and each action's SQL function.
CREATE VIEW atl_audit_explained AS
  SELECT a.id, a.requested_at, a.finished_at, a.acted_by, a.session_role, a.server,
         a.action, c.function AS action_function, a.account_id, a.target, a.params,
         a.outcome, a.http_status, a.error_key, a.error_reason, a.error_detail,
         atl_audit_reason(a.error_key, a.error_reason, a.error_detail, a.http_status) AS reason,
         w.key AS explained_key, w.meaning, w.what_to_do,
         a.attempts, a.elapsed_ms, a.run_id, a.verified
    FROM atl_audit a
    LEFT JOIN atl_action_catalogue() c ON c.action = a.action
    LEFT JOIN LATERAL atl_error_words(a.error_key, a.error_reason, a.http_status) w
      ON a.outcome NOT IN ('succeeded', 'pending', 'dry_run');
COMMENT ON VIEW atl_audit_explained IS
  'atlorg: atl_audit with each action''s SQL function and each error''s reason in plain words';

-- atl_runs as in sql/12_runs.sql: refusals by reason, a new last column
CREATE OR REPLACE VIEW atl_runs AS
  SELECT r.id AS run_id, r.acted_by, r.session_role, r.server, r.label, r.statement,
         r.background,
         CASE WHEN r.state IN ('queued', 'running') AND l.paused THEN 'paused' ELSE r.state END
           AS state,
         r.total, a.actions, r.started_at, r.finished_at, r.finished_at - r.started_at AS took,
         coalesce(a.requests, 0) AS requests, coalesce(a.succeeded, 0) AS succeeded,
         coalesce(a.already, 0) AS already, coalesce(a.refused, 0) AS refused,
         coalesce(a.failed, 0) AS failed, coalesce(a.unknown, 0) AS unknown,
         coalesce(a.skipped, 0) AS skipped, coalesce(a.dry_run, 0) AS dry_run,
         coalesce(a.cancelled, 0) AS cancelled, coalesce(a.pending, 0) AS pending,
         coalesce(a.verified, 0) AS verified, r.backend_pid, f.refusals
    FROM atl_run r
    LEFT JOIN atl_runs_live() l ON l.run_id = r.id
    LEFT JOIN LATERAL (
      SELECT string_agg(DISTINCT action, ', ' ORDER BY action) AS actions,
             count(*) AS requests,
             count(*) FILTER (WHERE outcome = 'succeeded') AS succeeded,
             count(*) FILTER (WHERE outcome = 'already') AS already,
             count(*) FILTER (WHERE outcome = 'refused') AS refused,
             count(*) FILTER (WHERE outcome = 'failed') AS failed,
             count(*) FILTER (WHERE outcome = 'unknown') AS unknown,
             count(*) FILTER (WHERE outcome = 'skipped') AS skipped,
             count(*) FILTER (WHERE outcome = 'dry_run') AS dry_run,
             count(*) FILTER (WHERE outcome = 'cancelled') AS cancelled,
             count(*) FILTER (WHERE outcome = 'pending') AS pending,
             count(*) FILTER (WHERE verified) AS verified
        FROM atl_audit au WHERE au.run_id = r.id) a ON true
    -- the refusals by what Atlassian said: {"managedAccount": 3, ...}
    LEFT JOIN LATERAL (
      SELECT jsonb_object_agg(x.reason, x.n) AS refusals
        FROM (SELECT atl_audit_reason(au.error_key, au.error_reason, au.error_detail,
                                      au.http_status) AS reason, count(*) AS n
                FROM atl_audit au WHERE au.run_id = r.id AND au.outcome = 'refused'
               GROUP BY 1) x
       WHERE x.reason IS NOT NULL) f ON true
   -- a run whose audit rows are gone (atlorg.audit_retention) is gone too
   WHERE a.requests > 0 OR r.state IN ('queued', 'running', 'paused');

-- new functions and relations get their grants as the install gives them
REVOKE ALL ON FUNCTION atl_error_words(text, text, integer), atl_audit_reason(text, text, text, integer),
                       atl_action_catalogue(), atl_action_name(text), atl_error_reasons_guard() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_error_words(text, text, integer), atl_audit_reason(text, text, text, integer),
                          atl_action_catalogue(), atl_action_name(text) TO atlorg_reader;
GRANT SELECT ON atl_error_reasons, atl_audit_explained, atl_actions TO atlorg_reader;
GRANT INSERT (key, meaning, what_to_do), UPDATE (key, meaning, what_to_do), DELETE
  ON atl_error_reasons TO atlorg_manager;

-- end of 1.2: reasons in words
-- 1.2: protection by role, as a rule (atlorg.protected_roles: org, site and
-- product admins by default), and allowlist entries that protect from some
-- actions only, or end (sql/10_audit.sql, sql/42_protection.sql).
ALTER TABLE atl_protected_accounts
  ADD COLUMN actions text[] CONSTRAINT atl_protected_accounts_actions_check
               CHECK (cardinality(actions) > 0 AND array_position(actions, NULL) IS NULL),
  ADD COLUMN expires_at timestamptz;
-- the functions take the actions now: the old signatures go
DROP FUNCTION atl_protection(text, name, text);
DROP FUNCTION atl_protections(text[], name, text);
CREATE FUNCTION atl_protected_roles()
RETURNS text[]
AS 'MODULE_PATHNAME', 'atl_protected_roles_array'
LANGUAGE C STABLE;
COMMENT ON FUNCTION atl_protected_roles() IS
  'read: the roles that protect an account (atlorg.protected_roles)';

CREATE FUNCTION atl_protections(account_ids text[], server name, acting_email text DEFAULT NULL,
                                actions text[] DEFAULT NULL)
RETURNS TABLE (ord bigint, reason text)
LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT u.i,
         CASE WHEN p.reason IS NOT NULL THEN 'protected: ' || p.reason
              WHEN 'atlassian/org-admin' = ANY (m.platform_roles)
                   AND 'atlassian/org-admin' = ANY (r.roles)
                THEN 'protected: an organization admin'
              WHEN lower(m.email) = lower(atl_protections.acting_email)
                THEN 'protected: the acting admin''s own account'
              WHEN 'atlassian/site-admin' = ANY (m.platform_roles)
                   AND 'atlassian/site-admin' = ANY (r.roles)
                THEN 'protected: a site admin'
              WHEN s.role = 'atlassian/admin'
                THEN 'protected: a product admin (' || s.product || ' on ' || s.site || ')'
              WHEN s.role IS NOT NULL
                THEN 'protected: holds ' || s.role || ' (' || s.product || ' on ' || s.site || ')'
              WHEN m.platform_roles && r.roles
                THEN 'protected: holds ' || array_to_string(ARRAY(
                       SELECT x FROM unnest(m.platform_roles) AS x WHERE x = ANY (r.roles)), ', ')
         END
    FROM unnest(atl_protections.account_ids) WITH ORDINALITY AS u(a, i)
    CROSS JOIN (SELECT atl_protected_roles() AS roles) AS r
    LEFT JOIN LATERAL (
      SELECT e.reason
             || CASE WHEN e.actions IS NOT NULL
                     THEN ' (from ' || array_to_string(e.actions, ', ') || ' only)' ELSE '' END
             || CASE WHEN e.expires_at IS NOT NULL
                     THEN ' (until ' || e.expires_at::text || ')' ELSE '' END AS reason
        FROM atl_protected_accounts e
       WHERE e.account_id = u.a
         AND (e.expires_at IS NULL OR e.expires_at > now())
         AND (e.actions IS NULL OR atl_protections.actions[u.i] IS NULL
              OR atl_protections.actions[u.i] = ANY (e.actions))) AS p ON true
    LEFT JOIN atl_mirror_users m ON m.server = atl_protections.server AND m.account_id = u.a
    LEFT JOIN LATERAL (
      SELECT ma.role, ma.product, ma.site
        FROM atl_mirror_access ma
       WHERE ma.server = atl_protections.server AND ma.account_id = u.a
         AND ma.role = ANY (r.roles)
       ORDER BY ma.role = 'atlassian/admin' DESC, ma.product, ma.site
       LIMIT 1) AS s ON true
   ORDER BY u.i;
END;
COMMENT ON FUNCTION atl_protections(text[], name, text, text[]) IS
  'read: why each of the accounts would be skipped by an action, or null';

-- The same for one account (and an action, or null: any).
CREATE FUNCTION atl_protection(account_id text, server name, acting_email text DEFAULT NULL,
                               action text DEFAULT NULL)
RETURNS text
LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT p.reason
    FROM atl_protections(ARRAY[atl_protection.account_id], atl_protection.server,
                         atl_protection.acting_email, ARRAY[atl_protection.action]) AS p;
END;
COMMENT ON FUNCTION atl_protection(text, name, text, text) IS
  'read: why the account would be skipped by an action, or null';

REVOKE ALL ON FUNCTION atl_protected_roles() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_protected_roles() TO atlorg_reader;
REVOKE ALL ON FUNCTION atl_protections(text[], name, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_protections(text[], name, text, text[]) TO atlorg_reader;
REVOKE ALL ON FUNCTION atl_protection(text, name, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_protection(text, name, text, text) TO atlorg_reader;

-- The session's own applied changes of a kind, for the rules' actions
-- below: a function the planner expects many rows of, for the reason
-- atl_directory_changes_mine() gives (sql/43_directory.sql).  The kind and
-- applied are asked inside: each condition outside would cut the planner's
-- guess (the view's own WHERE adds more, product = ... and the like).
CREATE FUNCTION atl_access_changes_mine(kind text)
RETURNS SETOF atl_access_changes
LANGUAGE sql STABLE ROWS 100000
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
  SELECT * FROM atlorg.atl_access_changes c
   WHERE c.backend_pid = pg_backend_pid() AND c.kind = $1 AND c.applied
$$;
COMMENT ON FUNCTION atl_access_changes_mine(text) IS
  'action: the applied changes of one kind in the calling session''s change set of atl_directory_access (its rules'' actions read them)';

REVOKE ALL ON FUNCTION atl_access_changes_mine(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_access_changes_mine(text) TO atlorg_actor;

CREATE OR REPLACE RULE atl_directory_access_delete AS ON DELETE TO atl_directory_access DO INSTEAD (
  INSERT INTO atl_access_changes (kind, server, account_id, product, site)
  VALUES ('remove', OLD.server, OLD.account_id, OLD.product, OLD.site_id);
  DELETE FROM atl_mirror_access m
   USING atl_access_changes_mine('remove') c
   WHERE c.server = OLD.server AND c.account_id = OLD.account_id
     AND c.product = OLD.product AND c.site = OLD.site_id
     AND m.server = OLD.server AND m.account_id = OLD.account_id
     AND m.product = OLD.product AND m.site_id = OLD.site_id
  RETURNING m.*
);

CREATE OR REPLACE RULE atl_directory_access_insert AS ON INSERT TO atl_directory_access DO INSTEAD (
  INSERT INTO atl_access_changes (kind, server, account_id, product, site, role, readonly_given)
  VALUES ('grant', coalesce(NEW.server, atl_server()), NEW.account_id, NEW.product,
          coalesce(NEW.site_id, NEW.site), coalesce(NEW.role, 'atlassian/user'),
          CASE WHEN NEW.email IS NOT NULL THEN 'email'
               WHEN NEW.site_url IS NOT NULL THEN 'site_url'
               WHEN NEW.direct IS NOT NULL THEN 'direct'
               WHEN NEW.via_groups IS NOT NULL THEN 'via_groups'
               WHEN NEW.via_group_ids IS NOT NULL THEN 'via_group_ids'
               WHEN NEW.last_active IS NOT NULL THEN 'last_active'
               WHEN NEW.resource_id IS NOT NULL THEN 'resource_id'
               WHEN NEW.synced_at IS NOT NULL THEN 'synced_at'
               WHEN NEW.site IS NOT NULL AND NEW.site_id IS NOT NULL THEN 'site_id'
          END);
  INSERT INTO atl_mirror_access
  SELECT c.server, (c.granted).*, now()
    FROM atl_access_changes_mine('grant') c
   WHERE c.server = coalesce(NEW.server, atl_server()) AND c.account_id = NEW.account_id
     AND c.product = NEW.product AND c.site = coalesce(NEW.site_id, NEW.site)
  RETURNING *
);

-- A background dry run records what Atlassian would answer, as a
-- synchronous one does: predicted as the caller when it is queued, kept
-- with the queued request until the executor records it.
ALTER TABLE atl_queue ADD COLUMN predicted_key text,
                      ADD COLUMN predicted_reason text,
                      ADD COLUMN predicted_detail text;

-- One list of actions: the catalogue says what each action changes, what
-- undoes it and why nothing does (atl_actions); previews and undo read it
-- instead of lists of their own.  Its function's columns change: it is
-- made again, with the views over it.
DROP VIEW atl_audit_explained;
DROP VIEW atl_actions;
DROP FUNCTION atl_action_catalogue();
CREATE FUNCTION atl_action_catalogue(OUT function text, OUT action text, OUT method text,
                                     OUT path text, OUT api text, OUT changes text,
                                     OUT undo text, OUT final text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'atl_action_catalogue'
LANGUAGE C IMMUTABLE STRICT;
COMMENT ON FUNCTION atl_action_catalogue() IS
  'read: every action: its SQL function, its name in atl_audit.action, its request, what it changes and what undoes it';

CREATE VIEW atl_actions AS
  SELECT function, action, method, path, api, changes, undo, final FROM atl_action_catalogue();
COMMENT ON VIEW atl_actions IS
  'atlorg: every action: its SQL function (atl_cancel_delete), its name in the audit (cancel-delete), its request, what it changes, what undoes it';

CREATE VIEW atl_audit_explained AS
  SELECT a.id, a.requested_at, a.finished_at, a.acted_by, a.session_role, a.server,
         a.action, c.function AS action_function, a.account_id, a.target, a.params,
         a.outcome, a.http_status, a.error_key, a.error_reason, a.error_detail,
         atl_audit_reason(a.error_key, a.error_reason, a.error_detail, a.http_status) AS reason,
         w.key AS explained_key, w.meaning, w.what_to_do,
         a.attempts, a.elapsed_ms, a.run_id, a.verified
    FROM atl_audit a
    LEFT JOIN atl_action_catalogue() c ON c.action = a.action
    LEFT JOIN LATERAL atl_error_words(a.error_key, a.error_reason, a.http_status) w
      ON a.outcome NOT IN ('succeeded', 'pending', 'dry_run');
COMMENT ON VIEW atl_audit_explained IS
  'atlorg: atl_audit with each action''s SQL function and each error''s reason in plain words';
REVOKE ALL ON FUNCTION atl_action_catalogue() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_action_catalogue() TO atlorg_reader;
GRANT SELECT ON atl_audit_explained, atl_actions TO atlorg_reader;

CREATE FUNCTION atl_undo_family(action text, target text, params jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
  SELECT CASE
    WHEN c.changes IN ('group', 'jira group') THEN c.changes || ' ' || target
    WHEN c.changes = 'role' THEN
      'role ' || coalesce(params->>'role', '') || ' on ' || coalesce(params->>'resource', '')
    ELSE coalesce(c.changes, atl_undo_family.action)
  END
    FROM (SELECT) AS one
    LEFT JOIN atlorg.atl_action_catalogue() c ON c.action = atl_undo_family.action
$$;
COMMENT ON FUNCTION atl_undo_family(text, text, jsonb) IS
  'read: which requests change the same thing: a later one of the same family is a change an undo must not overwrite';
REVOKE ALL ON FUNCTION atl_undo_family(text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_undo_family(text, text, jsonb) TO atlorg_reader;

CREATE FUNCTION atl_undo_plan(run_id bigint)
RETURNS TABLE (audit_id bigint, action text, account_id text, target text, outcome text,
               undo text, undo_target text, undo_params jsonb, reason text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
  SELECT a.id, a.action, a.account_id, a.target, a.outcome,
         CASE WHEN why.reason IS NULL THEN c.undo END,
         CASE WHEN why.reason IS NULL THEN a.target END,
         CASE WHEN why.reason IS NULL THEN rev.params END,
         coalesce(why.reason, CASE WHEN a.outcome = 'unknown' THEN
           'its outcome is unknown: if Atlassian did not act on it, the undo changes nothing' END)
    FROM atlorg.atl_audit a
    -- what undoes each action, or why nothing does: atl_actions
    LEFT JOIN atlorg.atl_action_catalogue() c ON c.action = a.action
    CROSS JOIN LATERAL (SELECT CASE c.changes
        WHEN 'role' THEN a.params
        WHEN 'email' THEN jsonb_build_object('email', a.previous->>'email')
        WHEN 'profile' THEN a.previous->'profile'
      END AS params) rev
    CROSS JOIN LATERAL (SELECT CASE
        WHEN c.final IS NOT NULL THEN c.final
        WHEN c.undo IS NULL THEN format('atlorg cannot undo %s', a.action)
        WHEN a.action = 'delete' AND a.finished_at < now() - interval '14 days' THEN
          format('deleted on %s: past Atlassian''s 14-day grace period, the deletion is final',
                 a.finished_at::date)
        WHEN c.changes IN ('email', 'profile') AND a.previous IS NULL THEN
          'what it changed from is not known: the mirror did not hold the account then (atl_sync() before changes you may want to undo)'
        WHEN a.action = 'set_email' AND a.previous->>'email' IS NULL THEN
          'the e-mail it changed from is not known (the mirror had none)'
        WHEN a.action = 'update_profile' AND EXISTS (
            SELECT FROM jsonb_object_keys(a.params - 'extended_profile') k
             WHERE NOT (coalesce(a.previous->'profile', '{}') ? k)
            UNION ALL
            SELECT FROM jsonb_object_keys(coalesce(a.params->'extended_profile', '{}')) k
             WHERE NOT (coalesce(a.previous->'profile'->'extended_profile', '{}') ? k)) THEN
          'some fields it changed were empty before, or are not in the mirror (locale): atlorg cannot put them back'
        ELSE (SELECT format('changed again since, by run %s (audit id %s): undo that first',
                            coalesce(l.run_id::text, '?'), l.id)
                FROM atlorg.atl_audit l
               WHERE l.account_id = a.account_id AND l.id > a.id
                 AND l.run_id IS DISTINCT FROM a.run_id
                 AND l.outcome IN ('succeeded', 'unknown')
                 AND atlorg.atl_undo_family(l.action, l.target, l.params)
                     = (SELECT atlorg.atl_undo_family(a.action, a.target, a.params))
               ORDER BY l.id LIMIT 1)
      END AS reason
      -- computed once a row: the SELECT list names the reason four times,
      -- and a subquery pulled up would look for a later change four times
      OFFSET 0) why
   WHERE a.run_id = atl_undo_plan.run_id AND a.outcome IN ('succeeded', 'unknown')
   ORDER BY a.id DESC
$$;
COMMENT ON FUNCTION atl_undo_plan(bigint) IS
  'read: what undoing a run would send, request by request (newest first), and why what cannot be undone cannot';
REVOKE ALL ON FUNCTION atl_undo_plan(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_undo_plan(bigint) TO atlorg_reader;

CREATE FUNCTION atl_predictions(actions text[], account_ids text[], targets text[], bodies jsonb[],
                                server name, verified_domains text[])
RETURNS TABLE (ord bigint, error_key text, error_reason text, detail text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
  SELECT u.i, p.error_key, p.error_reason, p.detail
    FROM unnest(atl_predictions.actions, atl_predictions.account_ids, atl_predictions.targets,
                atl_predictions.bodies) WITH ORDINALITY AS u(action, a, t, b, i)
    -- what each action changes, and through which API: atl_actions
    LEFT JOIN atlorg.atl_action_catalogue() c ON c.action = u.action
    LEFT JOIN atlorg.atl_mirror_users m
      ON m.server = atl_predictions.server AND m.account_id = u.a COLLATE "default"
    LEFT JOIN LATERAL (SELECT lower(split_part(u.b->>'email', '@', 2)) AS domain) d ON true
    LEFT JOIN LATERAL (SELECT * FROM (VALUES
      -- the user management API acts on managed accounts only ...
      (c.api = 'user management'
         AND m.claim_status IS DISTINCT FROM 'managed' AND m.account_id IS NOT NULL,
       1, 'forbidden.action', 'managedAccount',
       format('Atlassian would refuse it: the account is not managed by the organization (claim status %s)',
              coalesce(m.claim_status, 'unknown'))),
      -- ... and leaves an identity provider's accounts to it
      (c.changes IN ('lifecycle', 'email') AND m.management_source = 'synced',
       2, 'forbidden.action', 'externalDirectory.scim',
       'Atlassian would refuse it: the account is synced from an identity provider (SCIM), which manages its lifecycle and e-mail'),
      (c.changes = 'profile' AND m.management_source = 'synced'
         AND (u.b ? 'name' OR u.b ? 'extended_profile'),
       2, 'forbidden.fieldMutation', 'externalDirectory.scim',
       'Atlassian would refuse it: the account is synced from an identity provider (SCIM), which owns its name and profile fields'),
      (c.changes = 'email' AND d.domain <> ''
         AND NOT d.domain = ANY (coalesce(atl_predictions.verified_domains, '{}')),
       3, 'forbidden.unclaimedDomain', d.domain,
       format('Atlassian would refuse it: %s is not one of the organization''s verified domains', d.domain)),
      -- the account already as asked
      (u.action = 'disable' AND m.account_status = 'inactive',
       4, 'already', NULL, 'the account is already deactivated'),
      (u.action = 'enable' AND m.account_status = 'active',
       4, 'already', NULL, 'the account is already active'),
      (u.action = 'suspend' AND m.membership_status = 'suspended',
       4, 'already', NULL, 'the account''s access is already suspended'),
      (u.action = 'add_to_group' AND u.t = ANY (m.group_ids),
       4, 'already', NULL, 'the account is already a member of the group'),
      (u.action = 'set_email' AND lower(m.email) = lower(u.b->>'email'),
       4, 'already', NULL, 'the account already has that e-mail address')
    ) AS v(hit, rank, error_key, error_reason, detail)
     WHERE v.hit ORDER BY v.rank LIMIT 1) p ON true
   ORDER BY u.i
$$;
COMMENT ON FUNCTION atl_predictions(text[], text[], text[], jsonb[], name, text[]) IS
  'read: what Atlassian would answer each of a dry run''s requests, as the mirror and the verified domains tell';
REVOKE ALL ON FUNCTION atl_predictions(text[], text[], text[], jsonb[], name, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_predictions(text[], text[], text[], jsonb[], name, text[]) TO atlorg_reader;
