--
-- When the API misbehaves: every failure is an error with a SQLSTATE and
-- Atlassian's own words; transient ones are retried first.
--
\! test/fakectl.py reset
\getenv fake_url FAKE_URL

-- A wrong key: the gateway's 401, with where keys come from.
CREATE SERVER wrong_key FOREIGN DATA WRAPPER atlorg
  OPTIONS (org_id 'acme-org', api_base :'fake_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wrong_key OPTIONS (api_key 'not-the-key');
SELECT count(*) FROM atl_users(server => 'wrong_key');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP SERVER wrong_key CASCADE;

-- 429 twice, then the answer: atlorg waits as Retry-After says and succeeds.
SET atlorg.server = 'acme';
\! test/fakectl.py fault '{"path": "users/search", "kind": "ratelimit429", "retry_after": 1, "count": 2}'
SELECT count(*) FROM atl_users();
\! test/fakectl.py answered 429
-- The same with only X-RateLimit-Reset to go by.
\! test/fakectl.py fault '{"path": "users/search", "kind": "ratelimit429", "reset_in_s": 1, "count": 1}'
SELECT count(*) FROM atl_users();
\! test/fakectl.py answered 429
-- Or a 503 with nothing to go by: jittered exponential backoff.
\! test/fakectl.py fault '{"path": "users/search", "kind": "status", "status": 503, "count": 2}'
SELECT count(*) FROM atl_users();

-- 5xx that does not stop: a bounded number of retries, then an error.
SET atlorg.max_retries = 2;
\! test/fakectl.py fault '{"path": "users/search", "kind": "status", "status": 500}'
SELECT count(*) FROM atl_users();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! test/fakectl.py answered 500
\! test/fakectl.py clear-faults

-- A Retry-After longer than atlorg.retry_max_wait is not waited out.
SET atlorg.retry_max_wait = '5s';
\! test/fakectl.py fault '{"path": "users/search", "kind": "ratelimit429", "retry_after": 120}'
SELECT count(*) FROM atl_users();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! test/fakectl.py clear-faults
RESET atlorg.retry_max_wait;

-- Malformed JSON, and JSON cut short in a well-formed HTTP answer.
\! test/fakectl.py fault '{"path": "users/search", "kind": "malformed", "count": 1}'
SELECT count(*) FROM atl_users();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! test/fakectl.py fault '{"path": "users/search", "kind": "truncate", "count": 1}'
SELECT count(*) FROM atl_users();
-- A connection that closes mid-body is a transport failure: a read is
-- retried, and succeeds.
\! test/fakectl.py fault '{"path": "users/search", "kind": "short", "count": 1}'
SELECT count(*) FROM atl_users();

-- A response larger than atlorg.max_response_size is refused, not buffered.
SET atlorg.max_response_size = '16kB';
SELECT count(*) FROM atl_users();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET atlorg.max_response_size;

-- A hanging API and atlorg.request_timeout.
SET atlorg.max_retries = 0;
SET atlorg.request_timeout = '1s';
\! test/fakectl.py fault '{"path": "users/search", "kind": "stall", "seconds": 5, "count": 1}'
-- (terse: libcurl's detail counts the milliseconds, 1000 or 1001)
\set VERBOSITY terse
SELECT count(*) FROM atl_users();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default
RESET atlorg.request_timeout;

-- A hanging API and a cancel: statement_timeout interrupts the request
-- within half a second.
\! test/fakectl.py fault '{"path": "users/search", "kind": "stall", "seconds": 30, "count": 1}'
SELECT clock_timestamp() AS started \gset
SET statement_timeout = '500ms';
SELECT count(*) FROM atl_users();
RESET statement_timeout;
SELECT clock_timestamp() - :'started'::timestamptz < interval '1 second' AS stopped_within_half_a_second;
-- The next call is unaffected: the interrupted connection was dropped.
SELECT count(*) FROM atl_users();

RESET atlorg.max_retries;
RESET atlorg.server;
\! test/fakectl.py clear-faults
