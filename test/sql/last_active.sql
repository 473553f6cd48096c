--
-- atl_last_active(account_ids): per-product last-active dates of many
-- accounts.  The endpoint is rate limited (200 a minute per organization);
-- atlorg runs requests concurrently, paced under atlorg.last_active_rate,
-- and retries a 429 after pausing them all, so no row fails for it.
--
\! test/fakectl.py reset
SET atlorg.last_active_rate = 60000;   -- the fake sets no limit here

SELECT account_id, product, round(extract(epoch FROM now() - last_active_at) / 86400) AS days_ago,
       last_active_at IS NOT NULL AS has_time, http_status, error
  FROM atl_last_active(ARRAY['712020:978521a6-2367-4092-a7f6-7cc1b9043bdd',
                             '712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
                             '5b10ac8d82e05b22cc7d4ee0'])
 ORDER BY 1, 2;

-- They agree with the directory's own per-product dates.
CREATE TEMP TABLE sample AS
  SELECT account_id, product_last_active FROM atl_users(max_rows => 200);
SELECT count(*) AS differing FROM (
  -- one row per site: the directory keeps the latest per product
  SELECT account_id, product, max(last_active_at)
    FROM atl_last_active(ARRAY(SELECT account_id FROM sample))
   WHERE product IS NOT NULL GROUP BY 1, 2
  EXCEPT
  -- last-active-dates has whole seconds, the directory finer
  SELECT account_id, e.key, date_trunc('second', (e.value #>> '{}')::timestamptz)
    FROM sample, jsonb_each(product_last_active) AS e WHERE e.value <> 'null') d;

-- Under a limit atlorg does not know about (here 10 requests in any
-- second, while atlorg.last_active_rate allows far more), with 429s on top,
-- every account still gets its answer.
\! test/fakectl.py reset
\! test/fakectl.py ratelimit '{"limit": 10, "window_s": 1}'
\! test/fakectl.py fault '{"path": "last-active-dates", "kind": "ratelimit429", "retry_after": 1, "count": 2}'
SELECT count(DISTINCT account_id) AS accounts, count(*) FILTER (WHERE error IS NOT NULL) AS failed
  FROM atl_last_active(ARRAY(SELECT account_id FROM sample LIMIT 25));
\! test/fakectl.py answered 429 | awk '{ print ($1 > 0) ? "some 429s, retried" : "no 429" }'
\! test/fakectl.py ratelimit '{"limit": null}'
RESET atlorg.last_active_rate;

-- A cancel stops the whole batch within half a second.
\! test/fakectl.py fault '{"path": "last-active-dates", "kind": "stall", "seconds": 30}'
SELECT clock_timestamp() AS started \gset
SET statement_timeout = '500ms';
SELECT count(*) FROM atl_last_active(ARRAY(SELECT account_id FROM sample LIMIT 20));
RESET statement_timeout;
SELECT clock_timestamp() - :'started'::timestamptz < interval '1 second' AS stopped_within_half_a_second;
\! test/fakectl.py clear-faults

-- Ids are checked before anything is sent.
SELECT * FROM atl_last_active(ARRAY['ok-id', 'not/ok']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
