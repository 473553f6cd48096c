-- Runs: every statement that acts is one run, with an id from a sequence
-- (so that a rolled-back caller never reuses one), a row saying who
-- started it, from which session, with what statement or label, and what
-- it planned; its requests' audit rows carry its id.
--
-- A synchronous run's row is written by the executor with the first of its
-- intents (the caller's transaction may roll back; the audit may not).  A
-- background run (atlorg.background) writes its row and its queue in the
-- caller's transaction: ROLLBACK and nothing was ever queued, COMMIT and
-- the executor will send every request, whatever happens to the caller or
-- the server.  Neither table is written by the caller's own rights: the C
-- code that queues switches to atlorg_executor for the insert, so nobody
-- can queue a request the action catalogue did not build.
CREATE SEQUENCE atl_run_ids;

CREATE TABLE atl_run (
  id            bigint PRIMARY KEY,
  started_at    timestamptz NOT NULL,   -- the statement's start
  acted_by      name        NOT NULL,   -- the role in effect (current_user)
  acted_by_oid  oid         NOT NULL,   -- whose user mapping a background run uses
  session_role  name        NOT NULL,   -- who logged in
  backend_pid   integer     NOT NULL,
  server        name        NOT NULL,
  label         text,                   -- atlorg.run_label
  statement     text,                   -- the statement's text, cut to 4 kB
  background    boolean     NOT NULL,
  dry_run       boolean     NOT NULL,
  verify        boolean     NOT NULL,   -- atlorg.verify: read each change back
  total         bigint      NOT NULL,   -- the requests planned (so far, for a synchronous one)
  state         text        NOT NULL
                CHECK (state IN ('queued', 'running', 'paused', 'finished', 'cancelled')),
  finished_at   timestamptz,
  steered_by    name                    -- who last paused, resumed or cancelled it
);
COMMENT ON TABLE atl_run IS
  'atlorg: one row per run (a statement that acted); written by atlorg, never by its caller''s rights';
CREATE INDEX atl_run_open_idx ON atl_run (id) WHERE state IN ('queued', 'running', 'paused');

-- A background run's requests not yet finished.  audit_id null: waiting;
-- set: its intent is recorded (the audit row is 'pending') and it may be on
-- the wire.  A row goes when its outcome is recorded, in the same
-- transaction; after a crash, the rows with an audit_id are reconciled
-- before anything else is sent.
CREATE TABLE atl_queue (
  run_id      bigint  NOT NULL REFERENCES atl_run ON DELETE CASCADE,
  seq         integer NOT NULL,
  action      text    NOT NULL,
  account_id  text    NOT NULL,
  target      text,
  params      jsonb,                      -- the request's body
  method      text    NOT NULL,
  url         text    NOT NULL,
  site_auth   boolean NOT NULL,           -- the Jira site's credentials, not the org key
  skip_reason text,                       -- protected: recorded as skipped, never sent
  audit_id    bigint,
  -- a dry run's: what Atlassian would answer (atl_predictions()), predicted
  -- as the caller when the run was queued; NULL when it would go through
  predicted_key    text,
  predicted_reason text,
  predicted_detail text,
  PRIMARY KEY (run_id, seq)
);
COMMENT ON TABLE atl_queue IS
  'atlorg: the requests of background runs still to finish; written by atlorg only';

CREATE INDEX atl_audit_run_id_idx ON atl_audit (run_id);

REVOKE ALL ON atl_run, atl_queue, atl_run_ids FROM PUBLIC;
-- a restored database keeps its history of runs (never its queue: a
-- restore must not send anything)
SELECT pg_catalog.pg_extension_config_dump('atl_run', '');
SELECT pg_catalog.pg_extension_config_dump('atl_run_ids', '');

-- The runs this server's memory knows (running, or steered, now): what
-- the tables cannot say yet.
CREATE FUNCTION atl_runs_live(OUT run_id bigint, OUT backend_pid integer,
                              OUT background boolean, OUT paused boolean,
                              OUT cancelling boolean, OUT open boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'atl_runs_live'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION atl_runs_live() IS
  'read: the runs the executors are working on now, with their pause and cancel flags';

-- One row per run: who, what, when, planned and done (one not yet ended
-- shows before its first request is recorded).  Refused and failed are
-- counted apart (the executor's classify(), src/exec_worker.c): refused,
-- Atlassian answered no (a 4xx other than 408 and 429; a 409 that says
-- "already" is already); failed, no answer that decides (429 or 5xx once
-- the retries are spent, 408, or nothing could be sent); unknown, sent
-- and never answered.  refusals counts the refused by their reason.
CREATE VIEW atl_runs AS
  SELECT r.id AS run_id, r.acted_by, r.session_role, r.server, r.label, r.statement,
         r.background,
         CASE WHEN r.state IN ('queued', 'running') AND l.paused THEN 'paused' ELSE r.state END
           AS state,
         r.total, a.actions, r.started_at, r.finished_at, r.finished_at - r.started_at AS took,
         coalesce(a.requests, 0) AS requests, coalesce(a.succeeded, 0) AS succeeded,
         coalesce(a.already, 0) AS already, coalesce(a.refused, 0) AS refused,
         coalesce(a.failed, 0) AS failed, coalesce(a.unknown, 0) AS unknown,
         coalesce(a.skipped, 0) AS skipped, coalesce(a.dry_run, 0) AS dry_run,
         coalesce(a.cancelled, 0) AS cancelled, coalesce(a.pending, 0) AS pending,
         coalesce(a.verified, 0) AS verified, r.backend_pid, f.refusals
    FROM atl_run r
    LEFT JOIN atl_runs_live() l ON l.run_id = r.id
    LEFT JOIN LATERAL (
      SELECT string_agg(DISTINCT action, ', ' ORDER BY action) AS actions,
             count(*) AS requests,
             count(*) FILTER (WHERE outcome = 'succeeded') AS succeeded,
             count(*) FILTER (WHERE outcome = 'already') AS already,
             count(*) FILTER (WHERE outcome = 'refused') AS refused,
             count(*) FILTER (WHERE outcome = 'failed') AS failed,
             count(*) FILTER (WHERE outcome = 'unknown') AS unknown,
             count(*) FILTER (WHERE outcome = 'skipped') AS skipped,
             count(*) FILTER (WHERE outcome = 'dry_run') AS dry_run,
             count(*) FILTER (WHERE outcome = 'cancelled') AS cancelled,
             count(*) FILTER (WHERE outcome = 'pending') AS pending,
             count(*) FILTER (WHERE verified) AS verified
        FROM atl_audit au WHERE au.run_id = r.id) a ON true
    -- the refusals by what Atlassian said: {"managedAccount": 3, ...}
    LEFT JOIN LATERAL (
      SELECT jsonb_object_agg(x.reason, x.n) AS refusals
        FROM (SELECT atl_audit_reason(au.error_key, au.error_reason, au.error_detail,
                                      au.http_status) AS reason, count(*) AS n
                FROM atl_audit au WHERE au.run_id = r.id AND au.outcome = 'refused'
               GROUP BY 1) x
       WHERE x.reason IS NOT NULL) f ON true
   -- a run whose audit rows are gone (atlorg.audit_retention) is gone too
   WHERE a.requests > 0 OR r.state IN ('queued', 'running', 'paused');
COMMENT ON VIEW atl_runs IS
  'atlorg: one row per run (a statement that acted): who, what, its plan and its outcomes';

-- The runs not yet ended, in the style of pg_stat_progress_*: how far,
-- how fast now (the last 10 seconds), and how long is left at that pace.
CREATE VIEW atl_run_progress AS
  SELECT r.run_id, r.backend_pid, r.acted_by, r.session_role, r.server,
         coalesce(r.label, r.statement) AS what, r.state, r.total,
         s.sent, r.succeeded, r.already, r.refused, r.failed, r.skipped, r.unknown,
         r.cancelled, r.dry_run, r.pending, round(s.recent / 10.0, 1) AS rate,
         CASE WHEN s.recent > 0
              THEN make_interval(secs => greatest(r.total - r.requests + r.pending, 0)
                                         * 10.0 / s.recent) END AS time_left,
         r.started_at
    FROM atl_runs r
    CROSS JOIN LATERAL (
      SELECT count(*) FILTER (WHERE au.attempts > 0) AS sent,
             count(*) FILTER (WHERE au.finished_at > clock_timestamp() - interval '10 s') AS recent
        FROM atl_audit au WHERE au.run_id = r.run_id) s
   WHERE r.state IN ('queued', 'running', 'paused');
COMMENT ON VIEW atl_run_progress IS
  'atlorg: the runs not yet ended: state, planned, sent, outcomes, rate now and time left';

CREATE FUNCTION atl_last_run()
RETURNS bigint
AS 'MODULE_PATHNAME', 'atl_last_run'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_last_run() IS
  'read: the id of the last run this session started (null: none)';

-- Pause, resume or cancel a run: the caller's own (the role it ran as, or
-- one they are a member of) or, for an atlorg_manager, anyone's.  Takes
-- effect at once through the executors' memory; the executor records it.
CREATE FUNCTION atl_run_signal(run_id bigint, verb text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'atl_run_signal'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION atl_run_signal(bigint, text) IS
  'action: pause, resume or cancel a run the caller may steer; false if it has ended';

CREATE FUNCTION atl_run_wait(run_id bigint, timeout interval DEFAULT '1 hour')
RETURNS atl_runs
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  r atlorg.atl_runs;
  give_up timestamptz := clock_timestamp() + coalesce(timeout, interval '1 hour');
BEGIN
  IF run_id IS NULL THEN
    RAISE EXCEPTION 'run_id must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'atl_run_wait needs READ COMMITTED'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'Under a snapshot taken once, the run would never be seen to end.';
  END IF;
  LOOP
    SELECT * INTO r FROM atlorg.atl_runs x WHERE x.run_id = atl_run_wait.run_id;
    IF NOT FOUND AND NOT EXISTS (SELECT FROM atlorg.atl_runs_live() l
                                  WHERE l.run_id = atl_run_wait.run_id) THEN
      RAISE EXCEPTION 'run % does not exist', run_id
        USING ERRCODE = 'undefined_object',
              HINT = 'A background run exists once the transaction that queued it commits.';
    END IF;
    EXIT WHEN r.state IN ('finished', 'cancelled') OR clock_timestamp() >= give_up;
    PERFORM pg_catalog.pg_sleep(0.1);
  END LOOP;
  RETURN r;
END
$$;
COMMENT ON FUNCTION atl_run_wait(bigint, interval) IS
  'read: wait until a run ends (or the timeout passes), then return it';

CREATE FUNCTION atl_run_steer(run_id bigint, verb text)
RETURNS atl_runs
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  r atlorg.atl_runs;
BEGIN
  IF NOT atlorg.atl_run_signal(run_id, verb) THEN
    RAISE NOTICE 'atlorg: run % has already ended', run_id;
  ELSIF verb = 'cancel' THEN
    -- the unsent rest is recorded as cancelled; what is on the wire ends
    r := atlorg.atl_run_wait(run_id, interval '60 s');
    RETURN r;
  ELSE
    -- the executor records the new state within a moment
    PERFORM pg_catalog.pg_sleep(0.2);
  END IF;
  SELECT * INTO r FROM atlorg.atl_runs x WHERE x.run_id = atl_run_steer.run_id;
  RETURN r;
END
$$;
COMMENT ON FUNCTION atl_run_steer(bigint, text) IS
  'action: pause, resume or cancel a run, then return it (cancel: once it has ended)';

CREATE FUNCTION atl_run_pause(run_id bigint) RETURNS atl_runs
LANGUAGE sql VOLATILE STRICT
BEGIN ATOMIC
  SELECT atlorg.atl_run_steer(run_id, 'pause');
END;
COMMENT ON FUNCTION atl_run_pause(bigint) IS
  'action: pause a run: nothing more is sent until it is resumed (a restart keeps the pause)';

CREATE FUNCTION atl_run_resume(run_id bigint) RETURNS atl_runs
LANGUAGE sql VOLATILE STRICT
BEGIN ATOMIC
  SELECT atlorg.atl_run_steer(run_id, 'resume');
END;
COMMENT ON FUNCTION atl_run_resume(bigint) IS 'action: resume a paused run';

CREATE FUNCTION atl_run_cancel(run_id bigint) RETURNS atl_runs
LANGUAGE sql VOLATILE STRICT
BEGIN ATOMIC
  SELECT atlorg.atl_run_steer(run_id, 'cancel');
END;
COMMENT ON FUNCTION atl_run_cancel(bigint) IS
  'action: cancel a run: its unsent requests are recorded as cancelled; returns its summary';

-- What an account's statuses become once Atlassian has done a lifecycle
-- action on it (or found it done): the one rule that atl_mirror_follow()
-- (a background run's success) and atl_directory's UPDATE (its write to the
-- mirror) both follow.  What an enable or a restore leaves depends on the
-- other flag: an enabled account whose membership is suspended stays
-- suspended, a restored member whose account is inactive stays
-- deactivated.  Any other action leaves all three as they are.
CREATE FUNCTION atl_status_after(action text, INOUT status text, INOUT account_status text,
                                 INOUT membership_status text)
LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT CASE action
           WHEN 'disable' THEN 'deactivated'
           WHEN 'suspend' THEN 'suspended'
           WHEN 'enable' THEN CASE membership_status WHEN 'suspended' THEN 'suspended' ELSE 'active' END
           WHEN 'restore' THEN CASE account_status WHEN 'inactive' THEN 'deactivated' ELSE 'active' END
           ELSE status
         END,
         CASE action WHEN 'disable' THEN 'inactive' WHEN 'enable' THEN 'active'
                     ELSE account_status END,
         CASE action WHEN 'suspend' THEN 'suspended' WHEN 'restore' THEN 'active'
                     ELSE membership_status END;
END;
COMMENT ON FUNCTION atl_status_after(text, text, text, text) IS
  'read: an account''s status, account_status and membership_status once a lifecycle action (disable, enable, suspend, restore) is done';

-- A background run's success, in the mirror at once (the executor calls it
-- in the transaction that records the outcome).  The server argument, a
-- name, gives the call the C collation: the text comparisons say
-- "default", or the mirror's keys could not be used (a scan per outcome).  A row another transaction
-- holds is left for the next atl_sync(): the executor never waits on a
-- caller's lock.
CREATE FUNCTION atl_mirror_follow(server name, action text, account_id text, target text,
                                  params jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  m atlorg.atl_mirror_users;
  after record;
  group_name text;
BEGIN
  SELECT * INTO m FROM atlorg.atl_mirror_users u
   WHERE u.server = atl_mirror_follow.server AND u.account_id = atl_mirror_follow.account_id COLLATE "default"
     FOR UPDATE NOWAIT;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  CASE action
    WHEN 'disable', 'enable', 'suspend', 'restore' THEN
      -- an assignment, not SELECT ... INTO: 7 µs a call rather than 77
      after := atlorg.atl_status_after(action, m.status, m.account_status, m.membership_status);
      m.status := after.status;
      m.account_status := after.account_status;
      m.membership_status := after.membership_status;
    WHEN 'set_email' THEN m.email := params->>'email';
    WHEN 'update_profile' THEN
      m.name := coalesce(params->>'name', m.name);
      m.nickname := coalesce(params->>'nickname', m.nickname);
      m.time_zone := coalesce(params->>'zoneinfo', m.time_zone);
      m.job_title := coalesce(params->'extended_profile'->>'job_title', m.job_title);
      m.department := coalesce(params->'extended_profile'->>'department', m.department);
      m.organization := coalesce(params->'extended_profile'->>'organization', m.organization);
      m.location := coalesce(params->'extended_profile'->>'location', m.location);
    WHEN 'add_to_group', 'remove_from_group' THEN
      SELECT g.name INTO group_name FROM atlorg.atl_mirror_groups g
       WHERE g.server = atl_mirror_follow.server AND g.group_id = target COLLATE "default";
      m.group_ids := array_remove(m.group_ids, target);
      m.groups := array_remove(m.groups, group_name);
      IF action = 'add_to_group' AND group_name IS NOT NULL THEN
        m.group_ids := m.group_ids || target;
        m.groups := m.groups || group_name;
      END IF;
    ELSE
      RETURN;
  END CASE;
  UPDATE atlorg.atl_mirror_users u
     SET status = m.status, account_status = m.account_status,
         membership_status = m.membership_status, email = m.email, name = m.name,
         nickname = m.nickname, time_zone = m.time_zone, job_title = m.job_title,
         department = m.department, organization = m.organization, location = m.location,
         groups = m.groups, group_ids = m.group_ids
   WHERE u.server = atl_mirror_follow.server AND u.account_id = atl_mirror_follow.account_id COLLATE "default";
EXCEPTION WHEN lock_not_available THEN
  RETURN;
END
$$;
COMMENT ON FUNCTION atl_mirror_follow(name, text, text, text, jsonb) IS
  'internal: a background run''s success, written into the mirror by the executor';
