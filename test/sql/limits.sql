--
-- Limits: no answer from the API can end the executor, wedge an
-- organization or page forever; text from the API is stored as valid text;
-- a preview skips exactly what the real run would; an executor that cannot
-- start is an error, not a wait.
--
SET search_path = public, atlorg;
\! test/fakectl.py reset
TRUNCATE atl_audit;
SET atlorg.server = 'acme';
SET statement_timeout = '30s';   -- a regression here is a timeout, not a hang
\set john '712020:978521a6-2367-4092-a7f6-7cc1b9043bdd'
\set bot '557057:3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f'

-- Answers PostgreSQL cannot store: a \u0000 escape, a number beyond
-- numeric, nesting deep enough to exhaust the stack, half a surrogate
-- pair.  The executor records each by its status (a 2xx is a success,
-- whose body could not be read) and goes on: it is the same process after
-- them as before.
SELECT outcome FROM atl_enable(:'john', dry_run => true);
SELECT pid AS executor FROM pg_stat_activity
 WHERE backend_type = 'atlorg executor' AND datname = current_database() \gset
\! test/fakectl.py fault '{"path": "lifecycle/disable", "kind": "status", "status": 200, "raw": ["{\"message\": \"a\\u0000b\"}"], "count": 1}'
SELECT outcome, http_status, error_detail FROM atl_disable(:'john');
\! test/fakectl.py fault '{"path": "lifecycle/enable", "kind": "status", "status": 200, "raw": ["{\"message\": 1e1000000}"], "count": 1}'
SELECT outcome, http_status, error_detail FROM atl_enable(:'john');
\! test/fakectl.py fault '{"path": "lifecycle/disable", "kind": "status", "status": 200, "nest": 100000, "count": 1}'
SELECT outcome, http_status, error_detail FROM atl_disable(:'john');
\! test/fakectl.py fault '{"path": "lifecycle/enable", "kind": "status", "status": 409, "raw": ["{\"key\": \"conflict\", \"context\": \"\\ud800\"}"], "count": 1}'
SELECT outcome, http_status, error_key, error_detail FROM atl_enable(:'john');
SELECT pid = :executor AS same_executor FROM pg_stat_activity
 WHERE backend_type = 'atlorg executor' AND datname = current_database();

-- In a read, the same answers are an error with a SQLSTATE (08P01) that
-- says what is wrong.
\! test/fakectl.py fault '{"path": "users/search", "kind": "status", "status": 200, "raw": ["{\"data\": [{\"accountId\": \"a\\u0000b\"}]}"], "count": 1}'
SELECT count(*) FROM atl_users();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! test/fakectl.py fault '{"path": "users/search", "kind": "status", "status": 200, "raw": ["{\"data\": [], \"total\": -1e1000000}"], "count": 1}'
SELECT count(*) FROM atl_users();
\! test/fakectl.py fault '{"path": "users/search", "kind": "status", "status": 200, "nest": 100000, "count": 1}'
SELECT count(*) FROM atl_users();
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Text from the API is stored as valid UTF-8: bytes that are not are
-- replaced (U+FFFD), in the audit, in rows and in error messages ...
\! test/fakectl.py fault '{"path": "lifecycle/disable", "kind": "status", "status": 403, "encoding": "latin-1", "raw": ["{\"key\": \"forbidden\", \"context\": \"caf\u00c3 \u00ff\"}"], "count": 1}'
SELECT outcome, error_key, error_detail FROM atl_disable(:'john');
\! test/fakectl.py fault '{"path": "users/search", "kind": "status", "status": 200, "encoding": "latin-1", "raw": ["{\"data\": [{\"accountId\": \"x\", \"name\": \"Jos\u00e9 \u00ff\"}], \"links\": {}}"], "count": 1}'
SELECT account_id, name FROM atl_users();
\! test/fakectl.py fault '{"path": "users/search", "kind": "status", "status": 403, "encoding": "latin-1", "raw": ["{\"key\": \"forbidden\", \"context\": \"caf\u00c3\"}"], "count": 1}'
SELECT count(*) FROM atl_users();
-- ... and text cut to fit the audit's buffers is cut between characters:
-- a key of 100 and a detail of 600 two-byte characters.
\! test/fakectl.py fault '{"path": "lifecycle/disable", "kind": "status", "status": 403, "raw": ["{\"key\": \"", ["\u00e9", 100], "\", \"context\": \"", ["\u00e9", 600], "\"}"], "count": 1}'
SELECT outcome, octet_length(error_key) AS key_bytes, octet_length(error_detail) AS detail_bytes,
       convert_from(textsend(error_key), 'UTF8') = error_key AND
       convert_from(textsend(error_detail), 'UTF8') = error_detail AS valid_utf8
  FROM atl_disable(:'john');
-- A protection's reason too, however long.
INSERT INTO atl_protected_accounts (account_id, reason) VALUES (:'bot', 'x' || repeat('é', 300));
SELECT outcome, octet_length(error_detail) AS detail_bytes,
       convert_from(textsend(error_detail), 'UTF8') = error_detail AS valid_utf8
  FROM atl_disable(:'bot');

-- A preview says skipped exactly where the real run would (a protected
-- account here; an org admin likewise).
UPDATE atl_protected_accounts SET reason = 'service desk bot';
SELECT outcome, error_detail FROM atl_disable(:'bot', dry_run => true);
SELECT outcome, error_detail, count(*)
  FROM atl_disable(ARRAY[:'bot', :'john'], dry_run => true) GROUP BY 1, 2 ORDER BY 1;
DELETE FROM atl_protected_accounts;

-- Every row of the audit is valid UTF-8 (so a pg_dump of it restores).
SELECT count(*) AS audited,
       bool_and(coalesce(convert_from(textsend(error_key), 'UTF8') = error_key, true) AND
                coalesce(convert_from(textsend(error_reason), 'UTF8') = error_reason, true) AND
                coalesce(convert_from(textsend(error_detail), 'UTF8') = error_detail, true))
         AS all_valid_utf8
  FROM atl_audit;

-- A Retry-After that is garbage, negative or zero means the usual backoff
-- (250 ms or more before the second attempt), never a retry at once.
\! test/fakectl.py fault '{"path": "users/search", "kind": "status", "status": 503, "retry_after": "soon", "count": 1}'
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) AS read FROM atl_users(max_rows => 1);
SELECT clock_timestamp() - :'t0' >= interval '250 ms' AS backed_off;
\! test/fakectl.py fault '{"path": "lifecycle/enable", "kind": "ratelimit429", "retry_after": "-5", "count": 1}'
SELECT outcome, attempts, elapsed_ms >= 250 AS backed_off FROM atl_enable(:'john');
\! test/fakectl.py fault '{"path": "lifecycle/disable", "kind": "status", "status": 503, "retry_after": 0, "count": 1}'
SELECT outcome, attempts, elapsed_ms >= 250 AS backed_off FROM atl_disable(:'john');

-- One 429 asking to wait a day: the request is not retried, and the
-- organization's pause (which every session acting on it waits out) is cut
-- to atlorg.max_pause, a superuser's setting.
SET atlorg.max_pause = '5s';
\! test/fakectl.py fault '{"path": "lifecycle/enable", "kind": "ratelimit429", "retry_after": 86400, "count": 1}'
SELECT outcome, http_status, error_detail FROM atl_enable(:'john');
-- The executor shows the pause in pg_stat_activity ...
SELECT query FROM pg_stat_activity
 WHERE backend_type = 'atlorg executor' AND datname = current_database();
-- ... and an action waiting on it says so, once.
SELECT clock_timestamp() AS t0 \gset
SELECT outcome FROM atl_enable(:'john');
SELECT clock_timestamp() - :'t0' BETWEEN interval '3 s' AND interval '6 s' AS waited_the_cut_pause;
CREATE ROLE atl_limits_clerk;
SET ROLE atl_limits_clerk;
SET atlorg.max_pause = '1h';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE atl_limits_clerk;

-- A cancel (here statement_timeout) stops the wait at once, whether for a
-- retry (a 503 asking for 4 s) ...
\! test/fakectl.py fault '{"path": "lifecycle/disable", "kind": "status", "status": 503, "retry_after": 4, "count": 1}'
SET statement_timeout = '1s';
SELECT outcome FROM atl_disable(:'john');
SET statement_timeout = '30s';
-- ... and the executor records the request as cancelled at once too, not
-- when the wait would have ended.
DO $$
BEGIN
  FOR i IN 1..20 LOOP
    EXIT WHEN NOT EXISTS (SELECT FROM atl_audit WHERE outcome = 'pending');
    PERFORM pg_sleep(0.1);
  END LOOP;
END
$$;
SELECT outcome, http_status, attempts FROM atl_audit ORDER BY id DESC LIMIT 1;
-- ... or for the organization's pause (X-RateLimit-Reset a day away, here).
\! test/fakectl.py fault '{"path": "lifecycle/enable", "kind": "ratelimit429", "reset_in_s": 86400, "count": 1}'
SELECT clock_timestamp() AS paused_at \gset
SELECT outcome, regexp_replace(error_detail, '\d+ s', 'N s') AS error_detail FROM atl_enable(:'john');
SET statement_timeout = '1s';
SELECT clock_timestamp() AS t0 \gset
SELECT outcome FROM atl_disable(:'john');
SET statement_timeout = '30s';
SELECT clock_timestamp() - :'t0' < interval '2 s' AS stopped_at_once;
DO $$
BEGIN
  FOR i IN 1..20 LOOP
    EXIT WHEN NOT EXISTS (SELECT FROM atl_audit WHERE outcome = 'pending');
    PERFORM pg_sleep(0.1);
  END LOOP;
END
$$;
SELECT outcome, error_detail FROM atl_audit ORDER BY id DESC LIMIT 1;
-- A read asked to wait says so as well, and a cancel stops its wait.
\! test/fakectl.py fault '{"path": "users/search", "kind": "ratelimit429", "retry_after": 3, "count": 1}'
SET statement_timeout = '1s';
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM atl_users();
SET statement_timeout = '30s';
SELECT clock_timestamp() - :'t0' < interval '2 s' AS stopped_at_once;

-- Paging that would never end: a next cursor, or next-page URL, that the
-- chain has followed before is an error (08P01) naming the operation.
\! test/fakectl.py fault '{"path": "users/search", "kind": "status", "status": 200, "body": {"data": [], "links": {"next": "again"}}}'
SELECT count(*) FROM atl_users();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! test/fakectl.py clear-faults
\getenv fake_url FAKE_URL
SELECT json_build_object('path', 'v1/orgs/acme-org/users$', 'kind', 'status', 'status', 200,
         'body', json_build_object('data', '[]'::json, 'links',
           json_build_object('next', :'fake_url' || '/admin/v1/orgs/acme-org/users?cursor=again')))
       AS rule \gset
\setenv RULE :rule
\! test/fakectl.py fault "$RULE"
SELECT count(*) FROM atl_accounts();
\! test/fakectl.py clear-faults
\! test/fakectl.py fault '{"path": "last-active-dates", "kind": "status", "status": 200, "body": {"data": {"product_access": []}, "links": {"next": "again"}}}'
SELECT count(*) FROM atl_last_active(ARRAY[:'john']);
\! test/fakectl.py clear-faults

-- The next page is asked for as soon as its cursor is read, while the page
-- is checked and before it is converted to rows.  The reading follows
-- jsonb's rules: names are de-escaped ("li\u006eks" is links), and a "links"
-- anywhere but at the top is not the page's.  Page 2 names its own cursor
-- again, which is found only once page 2 is converted (the 08P01 above): by
-- then the page after it was already asked for, so the fake saw three
-- requests, every one after the first for c"2.
\! test/fakectl.py reset-log
\! test/fakectl.py fault '{"path": "users/search", "kind": "status", "status": 200, "count": 1, "raw": ["{\"data\": [{\"accountId\": \"x\", \"links\": {\"next\": \"item\"}}], \"meta\": {\"links\": {\"next\": \"meta\"}}, \"li\\u006eks\": {\"self\": {\"next\": \"self\"}, \"n\\u0065xt\": \"c\\\"2\"}}"]}' '{"path": "users/search", "kind": "status", "status": 200, "count": 1, "body": {"data": [], "links": {"next": "c\"2"}}}'
SELECT count(*) FROM atl_users();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! test/fakectl.py clear-faults
\! test/fakectl.py bodies users/search

-- The cursor is read before the page is checked, the first page's too: a
-- first page that turns out not to be JSON (something after its object)
-- is an error, but the page it named was already asked for (the second
-- request, for c2).  The request left behind does not trouble the next
-- read.  There, as jsonb reads a page, the last "links" wins (not the
-- array before it, nor the first object), and a "next" under another name
-- is not the cursor: after page 2 the fake saw one request, for "last".
\! test/fakectl.py reset-log
\! test/fakectl.py fault '{"path": "users/search", "kind": "status", "status": 200, "count": 1, "raw": ["{\"data\": [], \"links\": {\"next\": \"c2\"}} and more"]}'
SELECT count(*) FROM atl_users();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! test/fakectl.py clear-faults
\! test/fakectl.py bodies users/search
\! test/fakectl.py reset-log
\! test/fakectl.py fault '{"path": "users/search", "kind": "status", "status": 200, "count": 1, "body": {"data": [], "links": {"next": "p2"}}}' '{"path": "users/search", "kind": "status", "status": 200, "count": 1, "raw": ["{\"data\": [], \"links\": [{\"next\": \"array\"}], \"meta\": {\"next\": \"meta\"}, \"links\": {\"next\": \"first\"}, \"links\": {\"self\": \"s\", \"next\": \"last\"}}"]}' '{"path": "users/search", "kind": "status", "status": 200, "count": 1, "body": {"data": [], "links": {}}}'
SELECT count(*) FROM atl_users();
\! test/fakectl.py clear-faults
\! test/fakectl.py bodies users/search

-- An executor that cannot start is an error for the caller, not a wait,
-- and frees every slot the call took.  Here the database does not allow
-- connections, so its executor stops as it starts ...
\getenv fake_key FAKE_KEY
\set regress_db :DBNAME
\setenv REGRESS_DB :regress_db
CREATE DATABASE atl_closed;
\c atl_closed
CREATE EXTENSION atlorg;
SET search_path = public, atlorg;
CREATE SERVER acme FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', api_base :'fake_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (api_key :'fake_key');
-- (from another session: a database cannot close itself)
\! psql -Xq -d "$REGRESS_DB" -c 'ALTER DATABASE atl_closed ALLOW_CONNECTIONS false'
SET statement_timeout = '30s';
SELECT outcome FROM atl_disable(:'john', dry_run => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- five calls of 64 requests (more than the executor's 256 slots in all):
-- each fails at once, none waits for a slot
DO $$
DECLARE
  failed int := 0;
BEGIN
  FOR i IN 1..5 LOOP
    BEGIN
      PERFORM count(*) FROM atl_disable(ARRAY(SELECT 'account-' || g FROM generate_series(1, 64) g),
                                        dry_run => true);
    EXCEPTION WHEN object_not_in_prerequisite_state THEN
      failed := failed + 1;
    END;
  END LOOP;
  RAISE NOTICE '% of 5 calls failed at once', failed;
END
$$;
\c :regress_db
DROP DATABASE atl_closed WITH (FORCE);
-- ... and here, in a cluster of its own, no background worker slot is
-- free (max_worker_processes = 0).
\! bash test/lib/no_worker_slots.sh

-- The organization's last pause is over before the next test.
SELECT pg_sleep(greatest(0, 5.5 - extract(epoch FROM clock_timestamp() - :'paused_at'::timestamptz)));
