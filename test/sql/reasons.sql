--
-- Reasons in words: Atlassian's error keys explained from atl_error_reasons
-- (shipped rows and a manager's own), in atl_audit_explained and in the
-- NOTICE of a writable view; refused counted apart from failed and
-- unknown in atl_runs; the action names of the functions and of the audit.
--
\! test/fakectl.py reset
TRUNCATE atl_audit;
SET atlorg.server = 'acme';
SELECT users_added + users_changed >= 0 AS synced FROM atl_sync(access => false);

-- The shipped words cover what the docs and the fake answer, each key once.
SELECT count(*) > 80 AS many, count(*) = count(DISTINCT key) AS each_once, bool_and(shipped) AS all_shipped
  FROM atl_error_reasons;
SELECT key FROM atl_error_reasons
 WHERE key IN ('managedAccount', 'externalDirectory.scim', 'forbidden.fieldMutation', 'ADMIN-UAM-409-2',
               'forbidden.unclaimedDomain', 'conflict.lifecycleErrors', 'ADMIN-404-8', 'HTTP 403')
 ORDER BY key;
-- pg_dump leaves the shipped rows to CREATE EXTENSION, and keeps the others
SELECT c.relname, e.extcondition[array_position(e.extconfig, c.oid)] AS dumped
  FROM pg_extension e JOIN pg_class c ON c.oid = ANY (e.extconfig)
 WHERE e.extname = 'atlorg' AND c.relname = 'atl_error_reasons';

-- A lookup is exact: the reason first, then the key, then the HTTP status.
SELECT key FROM atl_error_words('forbidden.action', 'managedAccount', 403);
SELECT key FROM atl_error_words('forbidden.action', 'no.such.reason', 403);
SELECT key FROM atl_error_words(NULL, 'Specified group does not exist.', 404);
SELECT key FROM atl_error_words('MANAGEDACCOUNT', NULL, NULL);   -- no: case matters
SELECT key FROM atl_error_words(NULL, NULL, NULL);

-- A manager adds a key atlorg does not know and their own words for one it
-- does; theirs come first.  atlorg's own rows are not theirs to change.
CREATE ROLE atl_words_manager IN ROLE atlorg_manager;
CREATE ROLE atl_words_reader IN ROLE atlorg_reader;
SET ROLE atl_words_manager;
INSERT INTO atl_error_reasons (key, meaning, what_to_do)
VALUES ('ourProxy.blocked', 'Our egress proxy blocked the request.', 'Ask the network team.'),
       ('managedAccount', 'Not one of ours (acme.example is claimed, others are not).', 'Open a ticket with IT.');
SELECT key, shipped, meaning FROM atl_error_words('forbidden.action', 'managedAccount', 403)
  JOIN atl_error_reasons r USING (key, meaning);
SELECT key FROM atl_error_words('ourProxy.blocked', NULL, 403);
UPDATE atl_error_reasons SET meaning = 'changed' WHERE key = 'externalDirectory.scim';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM atl_error_reasons WHERE key = 'HTTP 403';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO atl_error_reasons (key, shipped, meaning, what_to_do) VALUES ('x', true, 'x', 'x');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE atl_error_reasons SET shipped = true WHERE key = 'ourProxy.blocked';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET ROLE atl_words_reader;
SELECT count(*) > 0 AS reader_reads FROM atl_error_reasons;
INSERT INTO atl_error_reasons (key, meaning, what_to_do) VALUES ('y', 'y', 'y');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS untouched FROM atl_error_reasons
 WHERE key IN ('externalDirectory.scim', 'HTTP 403') AND shipped AND meaning <> 'changed';
DELETE FROM atl_error_reasons WHERE NOT shipped;

-- One run, every kind of outcome, the fault injection choosing each:
-- Atlassian refuses 4 (an unmanaged account, one synced by SCIM, a 403
-- with an empty body, a 404 with only the gateway's message); 2 fail (a
-- 503 once the retries are spent, Atlassian's 408 timeout); 1 is unknown
-- (the connection dies after Atlassian acted); 2 succeed.
CREATE TEMP TABLE cast_of AS
SELECT 'ok' AS role, account_id FROM (SELECT account_id FROM atl_users(status => '{active}', claim_status => 'managed')
   WHERE management_source = 'invited' AND NOT 'atlassian/org-admin' = ANY (platform_roles)
   ORDER BY account_id LIMIT 7) m
UNION ALL
SELECT 'unmanaged', (SELECT account_id FROM atl_users(status => '{active}') WHERE claim_status <> 'managed'
                      ORDER BY account_id LIMIT 1)
UNION ALL
SELECT 'scim', (SELECT account_id FROM atl_users(status => '{active}', claim_status => 'managed')
                 WHERE management_source = 'synced' AND NOT 'atlassian/org-admin' = ANY (platform_roles)
                 ORDER BY account_id LIMIT 1);
CREATE TEMP TABLE parts AS
SELECT account_id, CASE role WHEN 'ok' THEN (ARRAY['ok', 'ok', 'empty403', 'msg404', 'busy503', 'timeout408', 'drop'])[n]
                             ELSE role END AS part
  FROM (SELECT *, row_number() OVER (PARTITION BY role ORDER BY account_id) AS n FROM cast_of) c;
SELECT part, count(*) FROM parts GROUP BY 1 ORDER BY 1;
SELECT format('{"path": "%s/manage/lifecycle/disable$", "kind": "status", "status": 403, "raw": [""]}',
              account_id) AS f_empty FROM parts WHERE part = 'empty403' \gset
SELECT format('{"path": "%s/manage/lifecycle/disable$", "kind": "status", "status": 404, "body": {"code": 404, "message": "No route to that account here"}}',
              account_id) AS f_msg FROM parts WHERE part = 'msg404' \gset
SELECT format('{"path": "%s/manage/lifecycle/disable$", "kind": "status", "status": 503}',
              account_id) AS f_busy FROM parts WHERE part = 'busy503' \gset
SELECT format('{"path": "%s/manage/lifecycle/disable$", "kind": "status", "status": 408}',
              account_id) AS f_timeout FROM parts WHERE part = 'timeout408' \gset
SELECT format('{"path": "%s/manage/lifecycle/disable$", "kind": "drop"}',
              account_id) AS f_drop FROM parts WHERE part = 'drop' \gset
\setenv F_EMPTY :f_empty
\setenv F_MSG :f_msg
\setenv F_BUSY :f_busy
\setenv F_TIMEOUT :f_timeout
\setenv F_DROP :f_drop
\! test/fakectl.py fault "$F_EMPTY" && test/fakectl.py fault "$F_MSG" && test/fakectl.py fault "$F_BUSY" && test/fakectl.py fault "$F_TIMEOUT" && test/fakectl.py fault "$F_DROP"
SET atlorg.max_retries = 1;
SELECT p.part, d.outcome, d.http_status, d.attempts
  FROM atl_disable(ARRAY(SELECT account_id FROM parts ORDER BY account_id)) d
  JOIN parts p USING (account_id)
 ORDER BY p.part;
RESET atlorg.max_retries;
\! test/fakectl.py clear-faults
SELECT requests, succeeded, refused, failed, unknown, refusals
  FROM atl_runs WHERE run_id = atl_last_run();

-- The audit in words: never an empty reason for what Atlassian refused.
SELECT p.part, e.action, e.action_function, e.outcome, e.reason, e.explained_key,
       e.meaning IS NOT NULL AS has_words, e.what_to_do IS NOT NULL AS says_what_to_do
  FROM atl_audit_explained e JOIN parts p USING (account_id)
 WHERE e.run_id = atl_last_run()
 ORDER BY p.part;
SELECT meaning, what_to_do FROM atl_audit_explained
 WHERE run_id = atl_last_run() AND error_reason = 'externalDirectory.scim';

-- Back as they were: every account of the run enabled.
SELECT outcome, count(*) FROM atl_enable(ARRAY(SELECT account_id FROM parts
                                                WHERE part IN ('ok', 'drop'))) GROUP BY 1;

-- An audit row from before 1.2, refused with neither key nor reason (as
-- the executor stored them): the view says what the answer said.
INSERT INTO atl_audit (acted_by, server, action, account_id, target, outcome, http_status,
                       error_detail, backend_pid, statement_at)
VALUES ('someone', 'acme', 'jira_add_to_group', '5b10ac8d82e05b22cc7d4ef5', 'g1', 'refused', 404,
        'Specified group does not exist.', 1, now()),
       ('someone', 'acme', 'jira_add_to_group', '5b10ac8d82e05b22cc7d4ef5', 'g1', 'refused', 403,
        NULL, 1, now());
SELECT http_status, error_reason, reason, explained_key FROM atl_audit_explained
 WHERE acted_by = 'someone' ORDER BY http_status;
DELETE FROM atl_audit WHERE acted_by = 'someone';

-- A writable view's NOTICE gives each reason in words.
SET client_min_messages = notice;
UPDATE atl_directory SET status = 'deactivated'
 WHERE account_id IN (SELECT account_id FROM parts WHERE part IN ('ok', 'scim'));
-- (and back through the view, so that the mirror follows)
UPDATE atl_directory SET status = 'active'
 WHERE account_id IN (SELECT account_id FROM parts WHERE part = 'ok')
RETURNING status;

-- Action names: the function's and the audit's, side by side (they differ
-- for one action: cancel-delete is Atlassian's path); a filter takes
-- either spelling.
SELECT function, action, path FROM atl_actions WHERE function <> 'atl_' || action;
SELECT count(*) = (SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid
                    WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'atlorg')
                      AND p.prosrc = 'atl_action' AND pronargs > 0 AND proargtypes[0] = 'text'::regtype)
       AS every_action_listed
  FROM atl_actions;
-- What each action changes, and what undoes it (previews and undo read
-- this one list): an undo is an action of the catalogue that changes the
-- same thing, and undoes it back; an action nothing undoes says why.
SELECT changes, api, string_agg(action || coalesce(' (undo: ' || undo || ')', ''), ', ' ORDER BY action) AS actions
  FROM atl_actions GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) FILTER (WHERE a.undo IS NOT NULL AND (u.action IS NULL OR u.changes <> a.changes
                                                  OR u.undo IS DISTINCT FROM a.action)) AS undos_not_reversed,
       count(*) FILTER (WHERE a.undo IS NULL AND a.final IS NULL) AS silent_finals,
       string_agg(a.action || ': ' || a.final, '; ' ORDER BY a.action) FILTER (WHERE a.final IS NOT NULL)
         AS finals
  FROM atl_actions a LEFT JOIN atl_actions u ON u.action = a.undo;
SELECT atl_action_name('atl_cancel_delete'), atl_action_name('cancel-delete'),
       atl_action_name('cancel_delete'), atl_action_name('atl_add_to_group');
SELECT atl_action_name('atl_cancel-everything');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_cancel_delete((SELECT account_id FROM parts WHERE part = 'ok' LIMIT 1),
                                       dry_run => true);
SELECT action, action_function, outcome FROM atl_audit_explained
 WHERE action = atl_action_name('atl_cancel_delete');

DROP ROLE atl_words_manager, atl_words_reader;
RESET atlorg.server;
