--
-- Guards: a statement sends at most atlorg.max_statement_actions requests
-- (over it, an error and nothing more is sent), warns when it sends inside
-- a transaction block, and sends the same request once.  Protection by
-- role is a rule (atlorg.protected_roles), and an allowlist entry may
-- protect from some actions only, or end.  All as the lowest roles that
-- can: an actor acts, a manager keeps the allowlist.
--
\! test/fakectl.py reset
TRUNCATE atl_audit;
SELECT users_added + users_changed >= 0 AS synced FROM atl_sync();
CREATE ROLE atl_guard IN ROLE atlorg_actor;
CREATE ROLE atl_keeper IN ROLE atlorg_manager;
GRANT USAGE ON FOREIGN SERVER acme TO atl_guard;
\getenv fake_key FAKE_KEY
CREATE USER MAPPING FOR atl_guard SERVER acme OPTIONS (api_key :'fake_key');
-- three plain accounts (no role protects them), managed and active
SELECT array_agg(account_id ORDER BY account_id) AS plain,
       (array_agg(account_id ORDER BY account_id))[1] AS a,
       (array_agg(account_id ORDER BY account_id))[2] AS b,
       (array_agg(account_id ORDER BY account_id))[3] AS c
  FROM (SELECT account_id FROM atl_mirror_users m
         WHERE server = 'acme' AND status = 'active' AND claim_status = 'managed'
           AND management_source = 'invited' AND platform_roles = '{}'
           AND NOT EXISTS (SELECT FROM atl_mirror_access x
                            WHERE x.account_id = m.account_id AND x.role <> 'atlassian/user')
         ORDER BY account_id LIMIT 3) p \gset
SELECT min(account_id) AS site_admin FROM atl_mirror_users
 WHERE status = 'active' AND platform_roles = '{atlassian/site-admin}' \gset
SELECT min(account_id) AS org_admin FROM atl_mirror_users
 WHERE status = 'active' AND platform_roles = '{atlassian/org-admin}' \gset
SELECT min(m.account_id) AS product_admin FROM atl_mirror_users m
 WHERE m.status = 'active' AND m.platform_roles = '{}'
   AND EXISTS (SELECT FROM atl_mirror_access x
                WHERE x.account_id = m.account_id AND x.role = 'atlassian/admin') \gset
SELECT set_config('guards.a', :'a', false) IS NOT NULL AS for_plpgsql;
SET ROLE atl_guard;
SET client_min_messages = warning;   -- the NOTICEs name run ids

-- The cap: one a statement, 1000 unless set.  A user may lower it...
SHOW atlorg.max_statement_actions;
SET atlorg.max_statement_actions = 2;
-- ... and a set-based call over it sends nothing.
SELECT count(*) FROM atl_enable(:'plain'::text[]);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! test/fakectl.py sent 'lifecycle|suspend|restore'
-- So does UPDATE atl_directory, and a background run is not queued.
SET atlorg.max_statement_actions = 0;
UPDATE atl_directory SET status = 'deactivated' WHERE account_id = :'a';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET atlorg.max_statement_actions = 2;
SET atlorg.background = on;
SELECT count(*) FROM atl_enable(:'plain'::text[]);
RESET atlorg.background;
SELECT count(*) AS runs_queued FROM atl_runs WHERE background;
\! test/fakectl.py sent 'lifecycle|suspend|restore'
SELECT count(*) AS audited FROM atl_audit;
-- Per-row calls reach the executor one by one: the first two are sent, the
-- third call fails the statement unsent, and nothing after it is tried.
SELECT (atl_enable(x)).outcome FROM unnest(:'plain'::text[]) WITH ORDINALITY AS u(x, i) ORDER BY i;
\! test/fakectl.py sent 'lifecycle|suspend|restore'
SELECT account_id = ANY (:'plain'::text[]) AS ours, outcome, count(*)
  FROM atl_audit GROUP BY 1, 2 ORDER BY 1, 2;
-- The refused call is in the audit all the same: skipped, nothing sent,
-- the cap as its reason, in the statement's run with the two sent before
-- (the executor's rows outlive the statement's ERROR).
SELECT account_id = :'c' AS the_third, outcome, http_status, error_detail
  FROM atl_audit WHERE outcome = 'skipped';
SELECT count(DISTINCT run_id) AS runs FROM atl_audit;
SELECT total, requests, succeeded, skipped
  FROM atl_run_wait((SELECT max(run_id) FROM atl_audit), '10 s');
-- A PL/pgSQL loop is inside its caller's statement: counted with it.
DO $$ BEGIN
  FOR i IN 1..3 LOOP PERFORM atlorg.atl_enable(current_setting('guards.a')); END LOOP;
END $$;
SELECT account_id = :'a' AS ours, outcome, count(*)
  FROM atl_audit WHERE run_id = (SELECT max(run_id) FROM atl_audit) GROUP BY 1, 2 ORDER BY 1, 2;
-- Dry runs send nothing: no cap.
SET atlorg.max_statement_actions = 0;
SELECT outcome, count(*) FROM atl_enable(:'plain'::text[], dry_run => true) GROUP BY 1;
-- Only a superuser raises it above the session's starting value.
SET atlorg.max_statement_actions = 5000;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET atlorg.max_statement_actions = -1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET atlorg.max_statement_actions;
SHOW atlorg.max_statement_actions;
RESET ROLE;
SET atlorg.max_statement_actions = 5000;
RESET atlorg.max_statement_actions;
SET ROLE atl_guard;
SET client_min_messages = warning;

-- Inside a transaction block: a WARNING, once a statement.
\! test/fakectl.py reset-log
BEGIN;
SELECT e.outcome, f.outcome FROM atl_enable(:'a') AS e, atl_enable(:'b') AS f;
SELECT count(*) FROM atl_enable(:'plain'::text[]);
-- a dry run sends nothing, and a background run is sent only at COMMIT: no warning
SELECT outcome FROM atl_enable(:'a', dry_run => true);
SET LOCAL atlorg.background = on;
SELECT outcome FROM atl_enable(:'a');
ROLLBACK;
-- outside one: none
SELECT outcome FROM atl_enable(:'a');
\! test/fakectl.py sent 'lifecycle|suspend|restore'

-- Once a statement: PostgreSQL calls atl_enable once per column of (…).*;
-- the first call sends, the others get its row.
\! test/fakectl.py reset-log
SELECT action, account_id = :'a' AS ours, outcome FROM (SELECT (atl_enable(:'a')).*) AS t;
\! test/fakectl.py sent 'lifecycle|suspend|restore'
-- per row: each account once, whatever the columns
SELECT (atl_enable(x)).account_id = x AS same, (atl_enable(x)).outcome
  FROM unnest(:'plain'::text[]) AS x;
\! test/fakectl.py sent 'lifecycle|suspend|restore'
-- a different request (another action, a dry run) is its own
SELECT (atl_enable(:'a')).outcome, (atl_enable(:'a', dry_run => true)).outcome,
       (atl_restore(:'a')).action;
\! test/fakectl.py sent 'lifecycle|suspend|restore'
-- other statements send again: a PL/pgSQL loop's, and the next statement's
\! test/fakectl.py reset-log
DO $$ BEGIN
  FOR i IN 1..2 LOOP PERFORM atlorg.atl_enable(current_setting('guards.a')); END LOOP;
END $$;
SELECT outcome FROM atl_enable(:'a');
SELECT outcome FROM atl_enable(:'a');
\! test/fakectl.py sent 'lifecycle|suspend|restore'

-- Protection by role, as the mirror knows it: org, site and product admins.
SHOW atlorg.protected_roles;
SELECT atl_protected_roles();
SELECT atl_protection(:'org_admin', 'acme') AS org_admin,
       atl_protection(:'site_admin', 'acme') AS site_admin,
       atl_protection(:'product_admin', 'acme') LIKE 'protected: a product admin (%)' AS product_admin,
       atl_protection(:'a', 'acme') AS plain;
\! test/fakectl.py reset-log
SELECT account_id = :'site_admin' AS site_admin, outcome, error_detail
  FROM atl_disable(ARRAY[:'site_admin', :'product_admin']) ORDER BY 1;
\! test/fakectl.py sent 'lifecycle|suspend|restore'
-- The rule is the organization's: only a superuser sets it.
SET atlorg.protected_roles = '';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SET atlorg.protected_roles = 'atlassian/org-admin';
SET ROLE atl_guard;
SELECT atl_protection(:'org_admin', 'acme') AS org_admin,
       atl_protection(:'site_admin', 'acme') AS site_admin,
       atl_protection(:'product_admin', 'acme') AS product_admin;
RESET ROLE;
SET atlorg.protected_roles = 'atlassian/org-admin, "atlassian/user-access-admin';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET atlorg.protected_roles;

-- The allowlist: a manager keeps it; an entry may protect from some
-- actions only (the audit's names), and may end.
SET ROLE atl_keeper;
INSERT INTO atl_protected_accounts (account_id, reason, actions)
VALUES (:'b', 'on a legal hold', '{suspend,delete}');
-- (terse: the failing row's detail has a timestamp)
\set VERBOSITY terse
INSERT INTO atl_protected_accounts (account_id, reason, actions) VALUES (:'c', 'x', '{}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO atl_protected_accounts (account_id, reason, actions) VALUES (:'c', 'x', '{suspend,NULL}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SET ROLE atl_guard;
SELECT atl_protection(:'b', 'acme') AS any_action,
       atl_protection(:'b', 'acme', action => 'suspend') AS suspend,
       atl_protection(:'b', 'acme', action => 'enable') AS enable;
\! test/fakectl.py reset-log
SELECT action, outcome, error_detail FROM atl_suspend(:'b');
SELECT action, outcome, error_detail FROM atl_enable(:'b');
\! test/fakectl.py sent 'lifecycle|suspend|restore'
-- an entry that has ended no longer protects
SET ROLE atl_keeper;
UPDATE atl_protected_accounts SET expires_at = now() - interval '1 minute' WHERE account_id = :'b';
SET ROLE atl_guard;
SELECT atl_protection(:'b', 'acme', action => 'suspend') AS ended;
SELECT action, outcome FROM atl_suspend(:'b', dry_run => true);
SET ROLE atl_keeper;
UPDATE atl_protected_accounts SET expires_at = now() + interval '1 day' WHERE account_id = :'b';
SET ROLE atl_guard;
SELECT atl_protection(:'b', 'acme', action => 'delete') LIKE 'protected: on a legal hold (from suspend, delete only) (until %)' AS until;
-- an actor cannot change it
DELETE FROM atl_protected_accounts;
SET ROLE atl_keeper;
DELETE FROM atl_protected_accounts WHERE account_id = :'b';
RESET ROLE;

-- Leave the org as found.
\! test/fakectl.py reset
DROP USER MAPPING FOR atl_guard SERVER acme;
DROP OWNED BY atl_guard, atl_keeper;
DROP ROLE atl_guard, atl_keeper;
TRUNCATE atl_audit;
