--
-- atl_disable(account_id): deactivate an account through the user
-- management API.  Each call returns its audit row; a refusal by the API is
-- an outcome, recorded and returned, never an error.
--
\! test/fakectl.py reset
TRUNCATE atl_audit;   -- (earlier tests acted too)

-- A managed account: 204, succeeded.
SELECT action, account_id, outcome, http_status, error_key, attempts, acted_by, server
  FROM atl_disable('712020:978521a6-2367-4092-a7f6-7cc1b9043bdd');
-- The directory shows it at once.
SELECT status, account_status FROM atl_users()
 WHERE account_id = '712020:978521a6-2367-4092-a7f6-7cc1b9043bdd';

-- Refusals, with Atlassian's reason: an unmanaged account, a SCIM-synced
-- one, and an account that does not exist.
SELECT account_id, outcome, http_status, error_key, error_reason
  FROM atl_disable('557057:4f9acfd2-6155-419b-8de5-5b5cf27a59a0');
SELECT account_id, outcome, http_status, error_key, error_reason
  FROM atl_disable('557057:0c3f5b6e-8a51-4d7e-9b7f-2f6f1a2d3c4e');
SELECT account_id, outcome, http_status, error_key, error_reason
  FROM atl_disable('5b10ac8d82e05b22cc7d4eff');
-- An account already deactivated, where the API answers 409: not a failure.
\! test/fakectl.py config '{"already_state": "409"}'
SELECT account_id, outcome, http_status, error_key, error_reason, error_detail IS NOT NULL AS has_detail
  FROM atl_disable('5c2e9a1b7d3f4e0a8b6c1d2e');
\! test/fakectl.py config '{"already_state": "204"}'

-- In bulk, one refusal does not stop the rest.
SELECT v.account_id, d.outcome, d.http_status, d.error_reason
  FROM (VALUES ('5e6f7a8b9c0d1e2f3a4b5c6d'),
               ('557057:4f9acfd2-6155-419b-8de5-5b5cf27a59a0'),
               ('557057:5e6f7a8b-9c0d-4e1f-8a2b-4c5d6e7f8a9b')) AS v(account_id),
       LATERAL atl_disable(v.account_id) AS d;

-- Each action is sent once, and the connection is kept for the next (see
-- the README: libcurl's silent re-send on a reused connection is refused;
-- connections.sql tests it).
\! test/fakectl.py sent lifecycle/disable
\! test/fakectl.py connections lifecycle/disable

-- 5xx is retried; the audit counts the attempts.
\! test/fakectl.py fault '{"path": "lifecycle/disable", "kind": "status", "status": 503, "count": 1}'
SELECT outcome, http_status, attempts
  FROM atl_disable('557057:6f7a8b9c-0d1e-4f2a-9b3c-5d6e7f8a9b0c');
-- and a 5xx that persists is a failure, returned and recorded.
SET atlorg.max_retries = 1;
\! test/fakectl.py fault '{"path": "lifecycle/disable", "kind": "status", "status": 502}'
SELECT outcome, http_status, attempts
  FROM atl_disable('557057:6f7a8b9c-0d1e-4f2a-9b3c-5d6e7f8a9b0c');
\! test/fakectl.py clear-faults
RESET atlorg.max_retries;

-- A malformed account id is an error and never reaches a URL.
SELECT atl_disable('../../admin');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT atl_disable('5b10ac8d82e05b22cc7d4ef5?x=1');
SELECT atl_disable('');
SELECT atl_disable(repeat('a', 129));
SELECT atl_disable(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Every request is in the audit, in order; errors before a request are not
-- requests and leave no row.
SELECT action, account_id, outcome, http_status, error_key, error_reason, attempts,
       finished_at >= requested_at AS timed, elapsed_ms >= 0 AS measured
  FROM atl_audit ORDER BY id;

-- The API key is in no audit row.
\getenv fake_key FAKE_KEY
SELECT count(*) AS rows_with_key FROM atl_audit a
 WHERE strpos(to_jsonb(a)::text, :'fake_key') > 0;

-- Only the executor writes the audit: its rows cannot be changed by users.
CREATE ROLE atl_clerk;
SET ROLE atl_clerk;
DELETE FROM atl_audit;
RESET ROLE;
DROP ROLE atl_clerk;
