--
-- The audit row survives whatever happens to the caller: a rollback, an
-- error later in the same statement, a cancel, an executor that dies.
-- The executor writes it in its own transactions.
--
\! test/fakectl.py reset
TRUNCATE atl_audit;

-- Waits (up to 10 s) until the executor has recorded every outcome.
CREATE FUNCTION pg_temp.wait_until_settled() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..100 LOOP
    EXIT WHEN NOT EXISTS (SELECT FROM atl_audit WHERE outcome = 'pending');
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;

-- ROLLBACK does not undo the row (nor the change at Atlassian).
BEGIN;
SELECT outcome FROM atl_disable('557057:3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f');
ROLLBACK;
SELECT action, account_id, outcome, http_status FROM atl_audit;
SELECT status FROM atl_users() WHERE account_id = '557057:3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f';

-- An error later in the same statement.
TRUNCATE atl_audit;
SELECT d.outcome, 1 / (v.n - 2) AS boom
  FROM (VALUES ('5e6f7a8b9c0d1e2f3a4b5c6d', 1),
               ('557057:5e6f7a8b-9c0d-4e1f-8a2b-4c5d6e7f8a9b', 2)) AS v(account_id, n),
       LATERAL atl_disable(v.account_id) AS d;
SELECT account_id, outcome FROM atl_audit ORDER BY id;

-- A cancel while the request hangs at Atlassian: the caller is free within
-- half a second; the executor lets the sent request finish and records
-- what it knows.  Here the API holds the request 2 s and closes without an
-- answer: whether it acted is unknown, and the row says so.  The request
-- was sent once: libcurl is not let re-send it (on a reused connection it
-- would try, and is refused; on a new one it would not).
TRUNCATE atl_audit;
\! test/fakectl.py reset
\! test/fakectl.py fault '{"path": "lifecycle/disable", "kind": "stall", "seconds": 2, "count": 1}'
SELECT clock_timestamp() AS started \gset
SET statement_timeout = '500ms';
SELECT outcome FROM atl_disable('557057:6f7a8b9c-0d1e-4f2a-9b3c-5d6e7f8a9b0c');
RESET statement_timeout;
SELECT clock_timestamp() - :'started'::timestamptz < interval '1 second' AS stopped_within_half_a_second;
SELECT account_id, outcome FROM atl_audit;
SELECT pg_temp.wait_until_settled();
SELECT account_id, outcome, http_status,
       error_detail LIKE '%; the request was sent, so whether Atlassian acted on it is unknown'
         AS says_why
  FROM atl_audit;
\! test/fakectl.py sent 'lifecycle/disable'

-- A cancel while the executor waits to retry: the retry is never sent.
TRUNCATE atl_audit;
\! test/fakectl.py reset
\! test/fakectl.py fault '{"path": "lifecycle/disable", "kind": "status", "status": 503, "retry_after": 3}'
SET statement_timeout = '500ms';
SELECT outcome FROM atl_disable('712020:978521a6-2367-4092-a7f6-7cc1b9043bdd');
RESET statement_timeout;
SELECT pg_temp.wait_until_settled();
SELECT account_id, outcome, http_status, attempts FROM atl_audit;
\! test/fakectl.py answered 503
\! test/fakectl.py clear-faults

-- The executor dies mid-request.  The next one reads the account back:
-- Atlassian does not show the change yet, so the waiting caller is told
-- 'unknown'.  The audit row is judged once the request cannot still be
-- under way at Atlassian (atlorg.request_timeout after the restart, 3 s
-- here): read back again, it was not made, and a synchronous statement's
-- request is never sent twice.
ALTER SYSTEM SET atlorg.request_timeout = '3s';
SELECT pg_reload_conf();
TRUNCATE atl_audit;
\! test/fakectl.py reset-log
\! test/fakectl.py fault '{"path": "lifecycle/disable", "kind": "stall", "seconds": 5, "count": 1}'
\! (sleep 1; psql -XqAt -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'atlorg executor'" >/dev/null) &
SELECT outcome, error_detail FROM atl_disable('557057:6f7a8b9c-0d1e-4f2a-9b3c-5d6e7f8a9b0c');
SELECT pg_temp.wait_until_settled();
SELECT account_id, outcome, attempts, error_detail FROM atl_audit;
\! test/fakectl.py sent lifecycle/disable
\! test/fakectl.py clear-faults
ALTER SYSTEM RESET atlorg.request_timeout;
SELECT pg_reload_conf();

-- A new executor serves the next call.
SELECT outcome FROM atl_disable('5e6f7a8b9c0d1e2f3a4b5c6d');

-- The caller itself is terminated while it waits (FATAL, no error
-- handling runs): the executor still finishes the request and records it,
-- and the caller's slot is given back.
TRUNCATE atl_audit;
\setenv ATL_DB :DBNAME
\! test/fakectl.py fault '{"path": "lifecycle/disable", "kind": "latency", "ms": 1500, "count": 1}'
\! (psql -d "$ATL_DB" -XqAt -c "SELECT outcome FROM atl_disable('712020:2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e')" >/dev/null 2>&1 &); sleep 0.7; psql -d "$ATL_DB" -XqAt -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'SELECT outcome FROM atl_disable(''712020:2b3c%'"
SELECT pg_temp.wait_until_settled();
SELECT account_id, outcome, http_status FROM atl_audit;
SELECT outcome FROM atl_disable('557057:3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f');
