--
-- Connections are kept and reused, actions' too (over TLS a new one costs
-- two more round trips).  When a reused connection dies before its answer,
-- libcurl would silently send the request again, though Atlassian may have
-- acted on the first copy; atlorg refuses that re-send, so every account
-- gets one request at most, and the audit says which are unknown.
--
-- Protection by role as before 1.2 (org admins only): this file's accounts
-- were picked before site and product admins were protected (guards.sql).
SET atlorg.protected_roles = 'atlassian/org-admin';
\! test/fakectl.py reset
\! test/fakectl.py config '{"latency_ms": 20}'
SET atlorg.server = 'acme';
CREATE TEMP TABLE conn_targets AS
  SELECT account_id FROM atl_users() u
   WHERE u.status = 'active' AND u.management_source = 'invited'
     AND NOT 'atlassian/org-admin' = ANY (u.platform_roles)
   ORDER BY account_id LIMIT 300;
SELECT count(*) FROM conn_targets;

-- Under load, every 20th disable's connection dies after Atlassian acted,
-- before the answer: 15 of them.
\! test/fakectl.py fault '{"path": "lifecycle/disable$", "kind": "drop", "every": 20}'
\! test/fakectl.py reset-log
SELECT outcome, count(*), sum(attempts) AS attempts
  FROM atl_disable(ARRAY(SELECT account_id FROM conn_targets))
 GROUP BY outcome ORDER BY outcome;
-- (libcurl's words differ as the connection was new or reused)
SELECT count(*) AS unknown,
       bool_and(error_detail LIKE '%the request was sent, so whether Atlassian acted on it is unknown')
         AS all_say_why
  FROM atl_audit
 WHERE outcome = 'unknown' AND account_id IN (SELECT account_id FROM conn_targets);

-- The fake's log agrees with the audit: one request per account, no more;
-- far fewer connections than requests.
\set sent `test/fakectl.py sent lifecycle/disable$`
\set conns `test/fakectl.py connections lifecycle/disable$`
SELECT :sent AS requests_seen,
       (SELECT sum(attempts) FROM atl_audit
         WHERE action = 'disable' AND account_id IN (SELECT account_id FROM conn_targets)) AS audit_attempts,
       :conns < :sent / 5 AS connections_reused;

-- A read, which may be sent again, is: a page whose answer was lost is
-- asked for once more, and no user is missing.
\! test/fakectl.py clear-faults
CREATE TEMP TABLE conn_all AS SELECT account_id FROM atl_users();
\! test/fakectl.py fault '{"path": "users/search$", "kind": "drop", "every": 7}'
SELECT count(*) = (SELECT count(*) FROM conn_all) AS every_user_read,
       count(*) = count(DISTINCT account_id) AS none_twice
  FROM atl_users();

\! test/fakectl.py reset
RESET atlorg.server;
