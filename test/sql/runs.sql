--
-- Runs: every statement that acts is a run (atl_runs), with an id in each
-- audit row.  atlorg.background queues a run in the caller's transaction;
-- the executor sends it after COMMIT, and never after ROLLBACK.  Runs can
-- be waited for, paused, resumed and cancelled, by the role that started
-- them or a manager; atlorg.verify reads each change back.
--
-- Protection by role as before 1.2 (org admins only): this file's accounts
-- were picked before site and product admins were protected (guards.sql).
SET atlorg.protected_roles = 'atlassian/org-admin';
\! test/fakectl.py reset
TRUNCATE atl_audit;
CREATE ROLE atl_runner LOGIN IN ROLE atlorg_actor;
CREATE ROLE atl_other_actor IN ROLE atlorg_actor;
CREATE ROLE atl_onlooker IN ROLE atlorg_reader;
GRANT USAGE ON FOREIGN SERVER acme TO atl_runner;
\getenv fake_key FAKE_KEY
CREATE USER MAPPING FOR atl_runner SERVER acme OPTIONS (api_key :'fake_key');
CREATE TEMP TABLE picked AS
  SELECT account_id FROM atl_users(status => '{active}', claim_status => 'managed')
   WHERE management_source = 'invited' AND NOT 'atlassian/org-admin' = ANY (platform_roles)
   ORDER BY account_id LIMIT 40;
GRANT SELECT ON picked TO atl_runner, atl_other_actor;
SET ROLE atl_runner;
SET client_min_messages = warning;   -- the NOTICEs name run ids

-- A synchronous run: its row says who, what and how many.
SELECT count(*) FROM atl_disable(ARRAY(SELECT account_id FROM picked ORDER BY account_id LIMIT 3));
SELECT acted_by, session_role, state, background, total, requests, succeeded, actions,
       statement LIKE 'SELECT count(*) FROM atl_disable(%' AS has_statement,
       run_id = atl_last_run() AS is_last
  FROM atl_run_wait(atl_last_run(), '10 s');
SELECT count(*) AS rows_of_the_run FROM atl_audit WHERE run_id = atl_last_run();

-- ROLLBACK: nothing queued, nothing ever sent.
\! test/fakectl.py reset-log
BEGIN;
SET LOCAL atlorg.background = on;
SELECT outcome, count(*), count(DISTINCT run_id) AS runs, count(id) AS audit_ids
  FROM atl_enable(ARRAY(SELECT account_id FROM picked ORDER BY account_id LIMIT 3)) GROUP BY 1;
ROLLBACK;
SELECT pg_sleep(1);
SELECT count(*) AS runs_after_rollback FROM atl_runs WHERE run_id = atl_last_run();
\! test/fakectl.py sent lifecycle/enable

-- The mirror follows a background run's successes at once
-- (atl_mirror_follow): the three, deactivated with their membership
-- suspended as the mirror is made to hold them, are enabled below: active
-- accounts again, still suspended members, as Atlassian would have them.
RESET ROLE;
UPDATE atl_mirror_users SET status = 'deactivated', account_status = 'inactive',
                            membership_status = 'suspended'
 WHERE server = 'acme' AND account_id IN (SELECT account_id FROM picked ORDER BY account_id LIMIT 3);
SET ROLE atl_runner;

-- COMMIT: the executor sends the run; the caller waits only if it wants to.
BEGIN;
SET LOCAL atlorg.background = on;
SET LOCAL atlorg.run_label = 'undo the first three';
SELECT outcome, count(*) FROM atl_enable(ARRAY(SELECT account_id FROM picked ORDER BY account_id LIMIT 3)) GROUP BY 1;
COMMIT;
SELECT state, background, label, total, requests, succeeded, pending
  FROM atl_run_wait(atl_last_run(), '30 s');
\! test/fakectl.py sent lifecycle/enable
SELECT count(*) AS acted_by_runner FROM atl_audit WHERE run_id = atl_last_run() AND acted_by = 'atl_runner';
SELECT status, account_status, membership_status, count(*) FROM atl_mirror_users
 WHERE account_id IN (SELECT account_id FROM picked ORDER BY account_id LIMIT 3) GROUP BY 1, 2, 3;

-- A background dry run: every request recorded as dry_run, none sent.
BEGIN;
SET LOCAL atlorg.background = on;
SET LOCAL atlorg.dry_run = on;
SELECT count(*) FROM atl_disable(ARRAY(SELECT account_id FROM picked));
COMMIT;
SELECT state, total, dry_run, succeeded FROM atl_run_wait(atl_last_run(), '30 s');
\! test/fakectl.py sent lifecycle/disable

-- Pause, resume and cancel, at a slow pace (5 requests a second).
\! test/fakectl.py reset-log
RESET ROLE;
ALTER SYSTEM SET atlorg.action_rate = 5;
SELECT pg_reload_conf();
SET ROLE atl_runner;
SET atlorg.background = on;
SELECT count(*) FROM atl_disable(ARRAY(SELECT account_id FROM picked ORDER BY account_id OFFSET 3));
RESET atlorg.background;
SELECT atl_last_run() AS run \gset
SELECT pg_sleep(1.5);
SELECT state FROM atl_run_pause(:run);
SELECT pg_sleep(1);     -- what was on the wire ends
-- outcomes known (intents are recorded ahead, a few at a time)
SELECT requests - pending AS at_pause FROM atl_runs WHERE run_id = :run \gset
SELECT pg_sleep(1.5);
SELECT requests - pending = :at_pause AS nothing_more_while_paused, state FROM atl_runs WHERE run_id = :run;
SELECT * FROM atl_run_progress WHERE run_id = :run AND state = 'paused' AND total = 37 \gset progress_
SELECT :'progress_state' AS progress_state, :progress_sent <= :at_pause AS sent_counted;
SELECT background, paused, cancelling, open FROM atl_runs_live() WHERE run_id = :run;
SELECT state FROM atl_run_resume(:run);
SELECT pg_sleep(1);
SELECT requests - pending > :at_pause AS going_again FROM atl_runs WHERE run_id = :run;
-- another actor may not steer it; a reader may not call the function at all
\set VERBOSITY sqlstate
SET ROLE atl_other_actor;
SELECT atl_run_cancel(:run);
SET ROLE atl_onlooker;
SELECT atl_run_cancel(:run);
\set VERBOSITY default
SET ROLE atl_runner;
SELECT state, total = requests AS all_recorded, cancelled > 0 AS some_cancelled, pending,
       succeeded + refused + cancelled = total AS adds_up
  FROM atl_run_cancel(:run);
-- every request of the run reached the org once, or was recorded cancelled and never sent
\set sent_by_fake `test/fakectl.py sent lifecycle/disable`
SELECT count(*) FILTER (WHERE outcome <> 'cancelled') = :sent_by_fake AS fake_log_matches_audit
  FROM atl_audit WHERE run_id = :run;
SELECT (atl_run_cancel(:run)).state AS an_ended_run_stays_ended;
SELECT atl_run_signal(:run, 'pause') AS an_ended_run_takes_no_signal;
RESET ROLE;
ALTER SYSTEM RESET atlorg.action_rate;
SELECT pg_reload_conf();
SET ROLE atl_runner;

-- atlorg.verify: each change read back, and whether Atlassian shows it.
SET atlorg.verify = on;
SELECT outcome, verified, count(*)
  FROM atl_enable(ARRAY(SELECT account_id FROM picked ORDER BY account_id LIMIT 3)) GROUP BY 1, 2;
RESET atlorg.verify;

-- A read-only transaction can draw no run id: its requests are still sent
-- and audited, without a run; a background run needs to write its queue.
BEGIN READ ONLY;
SELECT outcome, run_id IS NULL AS without_run
  FROM atl_enable((SELECT account_id FROM picked ORDER BY account_id LIMIT 1));
SET LOCAL atlorg.background = on;
SELECT count(*) FROM atl_enable(ARRAY(SELECT account_id FROM picked ORDER BY account_id LIMIT 1));
ROLLBACK;

-- Bad input: clear errors.
SELECT atl_run_pause(NULL) IS NULL AS strict;
SELECT atl_run_wait(NULL);
SELECT atl_run_wait(-1);
\set VERBOSITY terse
SELECT atl_run_signal(:run, 'explode');
\set VERBOSITY default
SELECT atl_run_pause(123456789);
-- Nobody writes the queue or the runs but atlorg itself.
INSERT INTO atl_queue (run_id, seq, action, account_id, method, url, site_auth)
VALUES (:run, 999, 'disable', 'x', 'POST', 'http://evil.example/', false);
UPDATE atl_run SET state = 'finished';
SELECT nextval('atlorg.atl_run_ids');
RESET ROLE;
DROP USER MAPPING FOR atl_runner SERVER acme;
REVOKE USAGE ON FOREIGN SERVER acme FROM atl_runner;
REVOKE SELECT ON picked FROM atl_runner, atl_other_actor;
DROP ROLE atl_runner, atl_other_actor, atl_onlooker;
