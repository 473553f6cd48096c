-- Undo: the reverse of what a run changed.  Each audit row records what its
-- request changed from (atl_audit.previous, taken from the mirror just
-- before the request was sent); atl_undo_plan() turns a run's rows that
-- took effect into the requests that put things back, and says why for
-- those that cannot be; atl_run_undo() sends them as one run of its own,
-- labelled "undo of run N", dry-runnable like any other.

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

-- Which requests act on the same thing: a later one of the same family on
-- the same account changed again what an undo would put back.  The family
-- is what the action changes (atl_actions.changes), of one group or role
-- where it changes a group's members or a role.
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

-- Atlassian keeps a deleted account 14 days before deleting it for good;
-- until then cancel-delete brings it back.
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
