--
-- Previews that know: a dry run records, request by request, what
-- Atlassian would answer, as far as the mirror and the organization's
-- verified domains tell (accounts it does not manage, accounts an identity
-- provider syncs, addresses on unverified domains, accounts already as
-- asked).  The real run that follows is compared with it outcome by outcome.
--
\! test/fakectl.py reset
SET atlorg.server = 'acme';
SELECT count(*) AS synced FROM atl_sync(access => false);
CREATE TEMP TABLE prev_t AS
  SELECT account_id, kind FROM (
    SELECT account_id,
           CASE WHEN claim_status = 'unmanaged' THEN 'unmanaged'
                WHEN management_source = 'synced' THEN 'scim' ELSE 'invited' END AS kind,
           row_number() OVER (PARTITION BY claim_status, management_source ORDER BY account_id) AS k
      FROM atl_mirror_users
     WHERE server = 'acme' AND status = 'active'
       AND atl_protection(account_id, 'acme') IS NULL) x
   WHERE k <= 3;
SELECT kind, count(*) FROM prev_t GROUP BY 1 ORDER BY 1;
-- one of them deactivated already (the mirror follows the change)
SELECT min(account_id) AS deactivated FROM prev_t WHERE kind = 'invited' \gset
SELECT outcome FROM atl_disable(:'deactivated');
SELECT count(*) AS synced FROM atl_sync(access => false);

-- The preview: nothing sent, every prediction with its reason in words.
\! test/fakectl.py reset-log
SET atlorg.dry_run = on;
CREATE TEMP TABLE preview AS
  SELECT account_id, outcome, error_key, error_reason, error_detail
    FROM atl_disable(ARRAY(SELECT account_id FROM prev_t ORDER BY account_id));
RESET atlorg.dry_run;
\set sent `test/fakectl.py sent lifecycle`
SELECT :sent AS requests_sent;
SELECT t.kind, p.outcome, p.error_key, p.error_reason, p.error_detail, count(*)
  FROM preview p JOIN prev_t t USING (account_id)
 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5;
-- the audit says the same as the rows returned
SELECT count(*) AS dry_run_rows_with_a_prediction
  FROM atl_audit WHERE outcome = 'dry_run' AND error_key IS NOT NULL
   AND run_id = (SELECT max(run_id) FROM atl_audit WHERE outcome = 'dry_run');

-- A background dry run predicts the same, request by request: it is
-- predicted as its caller when queued, and the executor records it so.
SET client_min_messages = warning;   -- the NOTICE names the run's id
BEGIN;
SET LOCAL atlorg.background = on;
SET LOCAL atlorg.dry_run = on;
SELECT outcome, count(*) AS queued
  FROM atl_disable(ARRAY(SELECT account_id FROM prev_t ORDER BY account_id)) GROUP BY 1;
COMMIT;
RESET client_min_messages;
SELECT state, background, dry_run, total FROM atl_run_wait(atl_last_run(), '30 s');
\set sent `test/fakectl.py sent lifecycle`
SELECT :sent AS requests_sent;
SELECT t.kind, b.outcome, b.error_key, b.error_reason, b.error_detail, count(*)
  FROM atl_audit b JOIN prev_t t USING (account_id)
 WHERE b.run_id = atl_last_run()
 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5;
SELECT count(*) AS compared,
       count(*) FILTER (WHERE (b.outcome, b.error_key, b.error_reason, b.error_detail)
                        IS DISTINCT FROM (p.outcome, p.error_key, p.error_reason, p.error_detail))
         AS differences
  FROM preview p JOIN atl_audit b USING (account_id)
 WHERE b.run_id = atl_last_run();

-- The real run, and the preview against it, outcome by outcome: a
-- predicted refusal is refused with the same key and reason; "already"
-- changes nothing; the rest succeed.
CREATE TEMP TABLE real_run AS
  SELECT account_id, outcome, error_key, error_reason
    FROM atl_disable(ARRAY(SELECT account_id FROM prev_t ORDER BY account_id));
SELECT t.kind, coalesce(p.error_key || coalesce(' ' || p.error_reason, ''), 'would go through') AS predicted,
       r.outcome, r.error_key, r.error_reason, count(*)
  FROM preview p JOIN real_run r USING (account_id) JOIN prev_t t USING (account_id)
 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5;
SELECT count(*) AS compared,
       count(*) FILTER (WHERE NOT CASE
         WHEN p.error_key IS NULL THEN r.outcome = 'succeeded'
         WHEN p.error_key = 'already' THEN r.outcome IN ('already', 'succeeded')
         ELSE r.outcome = 'refused' AND (r.error_key, r.error_reason) = (p.error_key, p.error_reason)
       END) AS disagreements
  FROM preview p JOIN real_run r USING (account_id);

-- An address on a domain the organization has not verified.
SELECT max(account_id) AS mover FROM prev_t WHERE kind = 'invited' \gset
SET atlorg.dry_run = on;
SELECT outcome, error_key, error_reason, error_detail
  FROM atl_set_email(:'mover', 'moved@acme-legacy.example');
RESET atlorg.dry_run;
SELECT outcome, error_key, error_reason FROM atl_set_email(:'mover', 'moved@acme-legacy.example');

\! test/fakectl.py reset
RESET atlorg.server;
