--
-- Safety: dry runs record what would happen and send nothing; protected
-- accounts (the allowlist, and org admins as the mirror knows them) are
-- skipped, and recorded so, unless forced.
--
-- Protection by role as before 1.2 (org admins only): this file's accounts
-- were picked before site and product admins were protected (guards.sql).
SET atlorg.protected_roles = 'atlassian/org-admin';
\! test/fakectl.py reset
TRUNCATE atl_audit;

-- A dry run, for the session or for one call.
SET atlorg.dry_run = on;
SELECT action, account_id, outcome, http_status, error_detail
  FROM atl_disable('712020:978521a6-2367-4092-a7f6-7cc1b9043bdd');
RESET atlorg.dry_run;
SELECT outcome FROM atl_delete('712020:978521a6-2367-4092-a7f6-7cc1b9043bdd', dry_run => true);
\! test/fakectl.py sent lifecycle
SELECT status FROM atl_users(emails => '{john.doe@acme.example}');

-- The allowlist.
INSERT INTO atl_protected_accounts (account_id, reason)
VALUES ('557057:3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f', 'service desk bot');
SELECT outcome, error_detail FROM atl_disable('557057:3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f');
SELECT outcome FROM atl_disable('557057:3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f', force => true);

-- Org admins, as the mirror knows them.
SELECT users_added + users_changed >= 0 AS synced FROM atl_sync(access => false);
SELECT outcome, error_detail FROM atl_disable('5b10ac8d82e05b22cc7d4ef5');

-- Which of these an action would skip, and why (the README's example).
SELECT ord, reason
  FROM atl_protections(ARRAY['557057:3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f',
                             '5b10ac8d82e05b22cc7d4ef5',
                             '712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'], 'acme');
SELECT atl_protection('5b10ac8d82e05b22cc7d4ef5', 'acme');

-- Only the forced request reached Atlassian; every call is in the audit.
\! test/fakectl.py sent lifecycle
SELECT action, account_id, outcome FROM atl_audit ORDER BY id;

-- In bulk: a preview of what a clean-up would do, sending nothing.
SELECT d.outcome, count(*)
  FROM atl_users(status => '{active}', email_domains => '{acme-labs.example}', max_rows => 20) AS u,
       LATERAL atl_disable(u.account_id, dry_run => true) AS d
 GROUP BY 1 ORDER BY 1;
\! test/fakectl.py sent lifecycle
DELETE FROM atl_protected_accounts;

-- Runs: every statement that acted is one run, its requests summed.
SELECT actions, requests, succeeded, already, failed, skipped, dry_run,
       finished_at >= started_at AS timed
  FROM atl_runs ORDER BY run_id;

-- Retention is the owner's choice: rows older than what is kept go.
SELECT atl_audit_prune('30 days') AS pruned;
SELECT atl_audit_prune('1 minute');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE ROLE atl_clerk2;
SET ROLE atl_clerk2;
SELECT atl_audit_prune('30 days');
RESET ROLE;
DROP ROLE atl_clerk2;

-- Roles: an atlorg_actor with a key of her own acts; the audit says who.
CREATE ROLE atl_alice IN ROLE atlorg_actor;
GRANT USAGE ON FOREIGN SERVER acme TO atl_alice;
\getenv fake_key FAKE_KEY
CREATE USER MAPPING FOR atl_alice SERVER acme OPTIONS (api_key :'fake_key');
SET ROLE atl_alice;
SELECT acted_by, action, outcome FROM atl_disable('557057:5e6f7a8b-9c0d-4e1f-8a2b-4c5d6e7f8a9b');
SELECT acted_by, count(*) FROM atl_audit GROUP BY 1 ORDER BY 1;
DELETE FROM atl_audit;
INSERT INTO atl_protected_accounts VALUES ('x', 'only managers keep the list');
RESET ROLE;
DROP USER MAPPING FOR atl_alice SERVER acme;
DROP OWNED BY atl_alice;
DROP ROLE atl_alice;

-- Retention without a scheduler: with atlorg.audit_retention = 1 (day),
-- the executor deletes older rows (at its start, then hourly).
INSERT INTO atl_audit (requested_at, finished_at, acted_by, server, action, account_id,
                       outcome, backend_pid, statement_at)
VALUES (now() - interval '3 days', now() - interval '3 days', 'old', 'acme', 'disable',
        '5e6f7a8b9c0d1e2f3a4b5c6d', 'succeeded', 1, now() - interval '3 days');
ALTER SYSTEM SET atlorg.audit_retention = 1;
SELECT pg_reload_conf();
SELECT outcome FROM atl_disable('5e6f7a8b9c0d1e2f3a4b5c6d', dry_run => true);
DO $$
BEGIN
  FOR i IN 1..50 LOOP
    EXIT WHEN NOT EXISTS (SELECT FROM atl_audit WHERE acted_by = 'old');
    PERFORM pg_sleep(0.1);
  END LOOP;
END
$$;
SELECT count(*) FILTER (WHERE acted_by = 'old') AS older_than_a_day,
       count(*) FILTER (WHERE acted_by <> 'old') > 0 AS recent_kept
  FROM atl_audit;
ALTER SYSTEM RESET atlorg.audit_retention;
SELECT pg_reload_conf();
