--
-- Undo a run: each of its requests that took effect is reversed, from what
-- its audit row says it changed from (atl_audit.previous, taken from the
-- mirror as the request was sent); what cannot be undone is listed with
-- why.  Each kind is checked against the fake's state, read back from it.
--
\! test/fakectl.py reset
SET atlorg.server = 'acme';
SELECT count(*) AS synced FROM atl_sync(access => false);
SELECT group_id AS contractors FROM atl_groups(group_names => '{contractors}') \gset
CREATE TEMP TABLE undo_t AS
  SELECT account_id, email, job_title, department, row_number() OVER (ORDER BY account_id) AS n
    FROM atl_mirror_users
   WHERE server = 'acme' AND status = 'active' AND management_source = 'invited'
     AND claim_status = 'managed' AND NOT 'atlassian/org-admin' = ANY (platform_roles)
     AND email LIKE '%@acme.example' AND job_title IS NOT NULL AND department IS NOT NULL
     AND NOT :'contractors' = ANY (group_ids)
     AND atl_protection(account_id, 'acme') IS NULL
   ORDER BY account_id LIMIT 11;
SELECT count(*) FROM undo_t;
CREATE FUNCTION pg_temp.last_run() RETURNS bigint
  LANGUAGE sql AS $$ SELECT max(run_id) FROM atlorg.atl_audit $$;
CREATE FUNCTION pg_temp.emails(lo int, hi int) RETURNS text[]
  LANGUAGE sql AS $$ SELECT array_agg(email) FROM undo_t WHERE n BETWEEN lo AND hi $$;
CREATE FUNCTION pg_temp.ids(lo int, hi int) RETURNS text[]
  LANGUAGE sql AS $$ SELECT array_agg(account_id ORDER BY n) FROM undo_t WHERE n BETWEEN lo AND hi $$;

-- 1. Lifecycle: three accounts deactivated, then the run undone.
SELECT outcome, count(*) FROM atl_disable(pg_temp.ids(1, 3)) GROUP BY 1;
SELECT pg_temp.last_run() AS disable_run \gset
SELECT action, previous->>'status' AS was, count(*) FROM atl_audit
 WHERE run_id = :disable_run GROUP BY 1, 2;
SELECT action, undo, reason, count(*) FROM atl_undo_plan(:disable_run) GROUP BY 1, 2, 3;
-- a dry run previews the undo and sends nothing
\! test/fakectl.py reset-log
SET atlorg.dry_run = on;
SELECT undo, outcome, count(*) FROM atl_run_undo(:disable_run) GROUP BY 1, 2;
RESET atlorg.dry_run;
\set sent `test/fakectl.py sent lifecycle`
SELECT :sent AS requests_sent_by_the_preview;
SELECT undo, outcome, count(*) FROM atl_run_undo(:disable_run) GROUP BY 1, 2;
SELECT status, count(*) FROM atl_users(emails => pg_temp.emails(1, 3)) GROUP BY 1;
-- the undo is a run of its own, and says whose undo it is
SELECT label = 'undo of run ' || :disable_run AS labelled, total, state FROM atl_run WHERE id = pg_temp.last_run();
-- undone once: undoing the first run again would overwrite the undo
SELECT undo, reason LIKE 'changed again since, by run % (audit id %): undo that first' AS why, count(*)
  FROM atl_undo_plan(:disable_run) GROUP BY 1, 2;
SELECT outcome, count(*) FROM atl_run_undo(:disable_run) GROUP BY 1;

-- 2. E-mail: two accounts moved to another verified domain, then back.
SELECT outcome, count(*)
  FROM atl_set_email(pg_temp.ids(4, 5),
                     ARRAY(SELECT replace(email, '@acme.example', '@acme-labs.example')
                             FROM undo_t WHERE n BETWEEN 4 AND 5 ORDER BY n)) GROUP BY 1;
SELECT pg_temp.last_run() AS email_run \gset
SELECT count(*) AS at_old_address FROM atl_users(emails => pg_temp.emails(4, 5));
SELECT undo, outcome, count(*) FROM atl_run_undo(:email_run) GROUP BY 1, 2;
SELECT count(*) AS back_at_old_address FROM atl_users(emails => pg_temp.emails(4, 5));

-- 3. Profile: job title and department changed for two, then put back.
SELECT outcome, count(*)
  FROM atl_update_profile(pg_temp.ids(6, 7), job_title => 'Interim', department => 'Undo test')
 GROUP BY 1;
SELECT pg_temp.last_run() AS profile_run \gset
SELECT count(*) FILTER (WHERE u.job_title = 'Interim' AND u.department = 'Undo test') AS changed
  FROM atl_users(emails => pg_temp.emails(6, 7)) u;
SELECT undo, outcome, count(*) FROM atl_run_undo(:profile_run) GROUP BY 1, 2;
SELECT count(*) FILTER (WHERE (u.job_title, u.department) = (t.job_title, t.department)) AS as_before
  FROM atl_users(emails => pg_temp.emails(6, 7)) u JOIN undo_t t USING (account_id);

-- 4. Groups: two added to contractors, then taken out again.
SELECT outcome, count(*) FROM atl_add_to_group(pg_temp.ids(8, 9), :'contractors') GROUP BY 1;
SELECT pg_temp.last_run() AS group_run \gset
SELECT count(*) FILTER (WHERE 'contractors' = ANY (groups)) AS members
  FROM atl_users(emails => pg_temp.emails(8, 9));
SELECT undo, outcome, count(*) FROM atl_run_undo(:group_run) GROUP BY 1, 2;
SELECT count(*) FILTER (WHERE 'contractors' = ANY (groups)) AS members
  FROM atl_users(emails => pg_temp.emails(8, 9));

-- 5. Delete: within Atlassian's 14-day grace period, cancel-delete brings
-- the account back; past it, the undo says so and sends nothing.
SELECT outcome FROM atl_delete(pg_temp.ids(10, 10));
SELECT pg_temp.last_run() AS delete_run \gset
SELECT status FROM atl_users(emails => pg_temp.emails(10, 10));
SELECT undo, outcome FROM atl_run_undo(:delete_run);
SELECT status FROM atl_users(emails => pg_temp.emails(10, 10));
SELECT outcome FROM atl_delete(pg_temp.ids(11, 11));
SELECT pg_temp.last_run() AS old_delete_run \gset
-- (fifteen days pass: the audit row is aged as the clock would)
UPDATE atl_audit SET finished_at = finished_at - interval '15 days' WHERE run_id = :old_delete_run;
\! test/fakectl.py reset-log
SELECT undo, outcome, reason LIKE 'deleted on %: past Atlassian''s 14-day grace period, the deletion is final' AS why
  FROM atl_run_undo(:old_delete_run);
\set sent `test/fakectl.py sent lifecycle`
SELECT :sent AS requests_sent;

-- 6. What cannot be undone is listed with why: a revoked API token, and an
-- e-mail change of an account the mirror did not hold (its old address is
-- not known).
SELECT u.account_id AS holder FROM atl_users(claim_status => 'managed', max_rows => 40) AS u
 WHERE u.management_source = 'invited' AND u.status = 'active'
   AND NOT 'atlassian/org-admin' = ANY (u.platform_roles)
   AND EXISTS (SELECT FROM atl_api_tokens(u.account_id)) LIMIT 1 \gset
SELECT token_id AS token FROM atl_api_tokens(:'holder') ORDER BY 1 LIMIT 1 \gset
SELECT outcome FROM atl_revoke_api_token(:'holder', :'token');
SELECT undo, outcome, reason FROM atl_run_undo(pg_temp.last_run());
DELETE FROM atl_mirror_users WHERE account_id = (SELECT account_id FROM undo_t WHERE n = 5);
SELECT outcome FROM atl_set_email(pg_temp.ids(5, 5), '{elsewhere@acme-labs.example}');
SELECT undo, outcome, reason FROM atl_run_undo(pg_temp.last_run());

-- 7. Errors, and who may: a reader plans, only an actor undoes.
SELECT * FROM atl_run_undo(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM atl_run_undo(-1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE ROLE atl_undo_reader IN ROLE atlorg_reader;
SET ROLE atl_undo_reader;
SELECT count(*) AS planned FROM atl_undo_plan(:disable_run);
SELECT * FROM atl_run_undo(:disable_run);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- What a later change must share with a request to stand in an undo's
-- way: what the action changes (atl_actions), of the same group or role.
SELECT x.action, atl_undo_family(x.action, x.target, x.params)
  FROM (VALUES ('disable', NULL, NULL), ('cancel-delete', NULL, NULL), ('restore', NULL, NULL),
               ('remove_from_group', 'g1', NULL), ('jira_add_to_group', '10010', NULL),
               ('grant_role', NULL, '{"role": "atlassian/user", "resource": "ari:site"}'::jsonb),
               ('set_email', NULL, NULL), ('update_profile', NULL, NULL),
               ('revoke_api_token', 't1', NULL), ('no_such_action', NULL, NULL))
       AS x(action, target, params);
RESET ROLE;
DROP ROLE atl_undo_reader;

\! test/fakectl.py reset
RESET atlorg.server;
