-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION atlorg" to load this file. \quit

-- The schema must be the installer's own: a schema that another role
-- created (or may create in) could hold objects planted before the install,
-- which this script's names would bind to.  CREATE EXTENSION creates it
-- when it does not exist; a schema of that name made by someone else is
-- refused.
DO $$
DECLARE
  owner_is_super boolean;
  writers text;
BEGIN
  SELECT r.rolsuper INTO owner_is_super
    FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid = n.nspowner
   WHERE n.nspname = 'atlorg';
  SELECT pg_catalog.string_agg(r.rolname, ', ') INTO writers
    FROM pg_catalog.pg_roles r
   WHERE NOT r.rolsuper
     AND pg_catalog.has_schema_privilege(r.oid, 'atlorg', 'CREATE');
  IF NOT owner_is_super OR writers IS NOT NULL THEN
    RAISE EXCEPTION 'schema "atlorg" is not safe to install atlorg into'
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = pg_catalog.format('It must belong to a superuser and no other role may create in it%s.',
                                       coalesce('; these can: ' || writers, '')),
            HINT = 'Drop the schema (or fix its owner and privileges) and run CREATE EXTENSION again.';
  END IF;
END
$$;

-- Credentials, the PostgreSQL way: one foreign server per Atlassian
-- organization, the org API key in a user mapping (pg_user_mappings hides it
-- from everyone but its owner and superusers).
CREATE FUNCTION atl_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME', 'atl_fdw_validator'
LANGUAGE C STRICT;
COMMENT ON FUNCTION atl_fdw_validator(text[], oid) IS
  'internal: checks the options of atlorg servers and user mappings (called by PostgreSQL)';

-- No handler: atlorg has no foreign tables, only servers and user mappings.
CREATE FOREIGN DATA WRAPPER atlorg VALIDATOR atl_fdw_validator;
-- The audit: one row per request that may change the organization.  The
-- executor (a background worker) writes the intent before sending and the
-- outcome after, each in its own committed transaction, so the row survives
-- whatever happens to the caller's transaction.
CREATE TABLE atl_audit (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  requested_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at   timestamptz,
  acted_by      name        NOT NULL,  -- the role in effect (current_user)
  session_role  name        NOT NULL DEFAULT session_user,  -- who logged in: SET ROLE cannot hide them
  server        name        NOT NULL,
  action        text        NOT NULL,
  account_id    text        NOT NULL,
  target        text,       -- the group or API token acted on, if any
  params        jsonb,      -- the request's body: the new e-mail, the role, ...
  outcome       text        NOT NULL DEFAULT 'pending'
                CHECK (outcome IN ('pending', 'succeeded', 'already', 'refused', 'failed',
                                   'cancelled', 'unknown', 'skipped', 'dry_run')),
  http_status   integer,
  error_key     text,
  error_reason  text,
  error_detail  text,
  attempts      integer     NOT NULL DEFAULT 0,
  elapsed_ms    double precision,
  backend_pid   integer     NOT NULL,
  statement_at  timestamptz NOT NULL,   -- when the caller's statement began
  run_id        bigint,                 -- its run (atl_run); null only for rows from before 1.1
  verified      boolean                 -- atlorg.verify: Atlassian showed the change when read back
);

COMMENT ON TABLE atl_audit IS
  'atlorg: one row per request that may change the organization; written by the executor, never by the caller''s transaction';

CREATE INDEX atl_audit_account_idx ON atl_audit (account_id);
CREATE INDEX atl_audit_requested_at_idx ON atl_audit (requested_at);
CREATE INDEX atl_audit_run_idx ON atl_audit (backend_pid, statement_at);

-- Nobody but the executor writes the audit; pg_dump keeps its rows.
REVOKE ALL ON atl_audit FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('atl_audit', '');

-- Accounts no action may touch unless forced: service accounts, break-glass
-- admins, ...  (Org admins, as the mirror knows them, are protected too.)
CREATE TABLE atl_protected_accounts (
  account_id text PRIMARY KEY,
  reason     text NOT NULL,
  added_by   name NOT NULL DEFAULT current_user,
  added_at   timestamptz NOT NULL DEFAULT now()
);
SELECT pg_catalog.pg_extension_config_dump('atl_protected_accounts', '');

-- Retention: the audit keeps everything until told otherwise (pg_cron's
-- job_run_details grows without bound; this does not have to).  Deletes
-- rows older than keep, returns how many; only the extension's owner (or a
-- superuser) may run it.
CREATE FUNCTION atl_audit_prune(keep interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  n bigint;
BEGIN
  IF keep < interval '1 day' THEN
    RAISE EXCEPTION 'refusing to prune the audit to less than a day'
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Keep at least a day; the audit is the record of who did what.';
  END IF;
  DELETE FROM atlorg.atl_audit WHERE requested_at < now() - keep AND outcome <> 'pending';
  GET DIAGNOSTICS n = ROW_COUNT;
  -- and the runs (atl_run) whose rows are all gone
  DELETE FROM atlorg.atl_run r
   WHERE r.state IN ('finished', 'cancelled') AND r.finished_at < now() - keep
     AND NOT EXISTS (SELECT FROM atlorg.atl_audit a WHERE a.run_id = r.id);
  RETURN n;
END
$$;
COMMENT ON FUNCTION atl_audit_prune(interval) IS
  'owner: delete audit rows older than keep (at least a day); returns how many';
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
-- shows before its first request is recorded).
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
         coalesce(a.verified, 0) AS verified, r.backend_pid
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
  group_name text;
BEGIN
  SELECT * INTO m FROM atlorg.atl_mirror_users u
   WHERE u.server = atl_mirror_follow.server AND u.account_id = atl_mirror_follow.account_id COLLATE "default"
     FOR UPDATE NOWAIT;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  CASE action
    WHEN 'disable' THEN m.status := 'deactivated'; m.account_status := 'inactive';
    WHEN 'enable' THEN m.account_status := 'active';
      m.status := CASE m.membership_status WHEN 'suspended' THEN 'suspended' ELSE 'active' END;
    WHEN 'suspend' THEN m.status := 'suspended'; m.membership_status := 'suspended';
    WHEN 'restore' THEN m.membership_status := 'active';
      m.status := CASE m.account_status WHEN 'inactive' THEN 'deactivated' ELSE 'active' END;
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
-- The org directory, one row per user, paged live from
-- POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/search.
-- The filters are the API's own, sent with the request (not applied after
-- download); max_rows stops paging early (a LIMIT alone would not: a
-- set-returning function in FROM is read to the end first).
-- A user of the directory (the row type of atl_users(); a composite type
-- lets the filter arguments share the names of the columns they filter).
CREATE TYPE atl_user AS (
  account_id          text,
  name                text,
  nickname            text,
  email               text,
  email_verified      boolean,
  status              text,
  account_status      text,
  membership_status   text,
  claim_status        text,
  management_source   text,
  added_to_org        timestamptz,
  mfa_enabled         boolean,
  job_title           text,
  department          text,
  organization        text,
  location            text,
  time_zone           text,
  platform_roles      text[],
  groups              text[],
  group_ids           text[],
  products            text[],
  last_active         timestamptz,
  product_last_active jsonb,
  product_access      jsonb);   -- productAccess as given: one entry per product and site

CREATE FUNCTION atl_users(
  status              text[] DEFAULT NULL,
  account_status      text[] DEFAULT NULL,
  membership_status   text[] DEFAULT NULL,
  claim_status        text   DEFAULT NULL,
  email_domains       text[] DEFAULT NULL,
  emails              text[] DEFAULT NULL,
  group_ids           text[] DEFAULT NULL,
  role_ids            text[] DEFAULT NULL,
  search              text   DEFAULT NULL,
  max_rows            bigint DEFAULT NULL,
  server              name   DEFAULT NULL)
RETURNS SETOF atl_user
AS 'MODULE_PATHNAME', 'atl_users'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION atl_users IS
  'read: the users of the organization''s directory, with per-product last-active times';

-- True when the user has access to the product and has not used it for at
-- least the given interval (or never has).  product_last_active maps each
-- product key the user can access to its latest activity, null if none.
CREATE FUNCTION atl_inactive(product_last_active jsonb, product text,
                             for_at_least interval)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN product_last_active ? product
   AND coalesce((product_last_active ->> product)::timestamptz
                < now() - for_at_least, true);
COMMENT ON FUNCTION atl_inactive(jsonb, text, interval) IS
  'read: true when the user has access to the product and has not used it for at least the given interval (or never has)';

-- The server a call without one would use.
CREATE FUNCTION atl_server(server name DEFAULT NULL)
RETURNS name
AS 'MODULE_PATHNAME', 'atl_server'
LANGUAGE C CALLED ON NULL INPUT STABLE;
COMMENT ON FUNCTION atl_server(name) IS
  'read: the server a call without one would use';
-- Every other read.  atl_read() pages through any operation of atlorg's
-- catalogue and returns its items as jsonb; the typed functions below are
-- views of it.  params: {"path": {...}, "query": {...}, "body": {...}}.
CREATE FUNCTION atl_read(op text, params jsonb DEFAULT '{}', max_items bigint DEFAULT NULL,
                         server name DEFAULT NULL)
RETURNS SETOF jsonb
AS 'MODULE_PATHNAME', 'atl_read'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION atl_read IS
  'read: the items of one of atlorg''s read operations, as jsonb';

-- Product keys in the directory API's vocabulary: the v1 endpoints say
-- jira-service-desk where v2 says jira-servicedesk.
CREATE FUNCTION atl_product_key(key text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE key WHEN 'jira-service-desk' THEN 'jira-servicedesk' ELSE key END;
COMMENT ON FUNCTION atl_product_key(text) IS
  'read: product keys in the directory API''s vocabulary: the v1 endpoints say jira-service-desk where v2 says jira-servicedesk';

-- A map of product key -> latest activity, from [{key, <ts_field>}, ...]
-- (null for products never used), the shape atl_inactive() reads.
CREATE FUNCTION atl_product_map(access jsonb, ts_field text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (SELECT coalesce(jsonb_object_agg(k, ts), '{}')
          FROM (SELECT atl_product_key(p ->> 'key') AS k, max((p ->> ts_field)::timestamptz) AS ts
                  FROM jsonb_array_elements(coalesce(access, '[]')) AS p
                 GROUP BY 1) AS products);
COMMENT ON FUNCTION atl_product_map(jsonb, text) IS
  'read: a map of product key -> latest activity, from [{key, <ts_field>}, ...] (null for products never used), the shape atl_inactive() reads';

-- Managed accounts: the accounts on the organization's verified domains.
CREATE FUNCTION atl_accounts(max_rows bigint DEFAULT NULL, server name DEFAULT NULL)
RETURNS TABLE (account_id text, account_type text, account_status text, name text,
               email text, access_billable boolean, last_active timestamptz,
               products text[], product_last_active jsonb, product_access jsonb)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT a ->> 'account_id', a ->> 'account_type', a ->> 'account_status', a ->> 'name',
         a ->> 'email', (a ->> 'access_billable')::boolean, (a ->> 'last_active')::timestamptz,
         ARRAY(SELECT DISTINCT atl_product_key(p ->> 'key') FROM jsonb_array_elements(a -> 'product_access') AS p ORDER BY 1),
         atl_product_map(a -> 'product_access', 'last_active'),
         a -> 'product_access'
    FROM atl_read('accounts', '{}', max_rows, server) AS a;
END;
COMMENT ON FUNCTION atl_accounts(bigint, name) IS
  'read: managed accounts: the accounts on the organization''s verified domains';

-- Last-active dates of the given accounts, one row per account and product
-- (one row with a null product for an account with none).  Many requests
-- run at once, paced under atlorg.last_active_rate.
CREATE FUNCTION atl_last_active_pages(account_ids text[], server name DEFAULT NULL,
                                      OUT account_id text, OUT data jsonb,
                                      OUT http_status integer, OUT error text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'atl_last_active_pages'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_last_active_pages(text[], name) IS
  'read: the raw last-active answers of the given accounts, one row per account';

CREATE FUNCTION atl_last_active(account_ids text[], server name DEFAULT NULL)
RETURNS TABLE (account_id text, product text, product_id text, last_active date,
               last_active_at timestamptz, added_to_org timestamptz,
               http_status integer, error text)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT r.account_id, atl_product_key(p ->> 'key'), p ->> 'id', (p ->> 'last_active')::date,
         (p ->> 'last_active_timestamp')::timestamptz,
         (r.data ->> 'added_to_org_timestamp')::timestamptz, r.http_status, r.error
    FROM atl_last_active_pages(account_ids, server) AS r
    LEFT JOIN LATERAL jsonb_array_elements(r.data -> 'product_access') AS p ON true;
END;
COMMENT ON FUNCTION atl_last_active(text[], name) IS
  'read: last-active dates of the given accounts, one row per account and product';

-- Groups, with their user and resource counts.
CREATE FUNCTION atl_groups(search text DEFAULT NULL, group_ids text[] DEFAULT NULL,
                           group_names text[] DEFAULT NULL, account_ids text[] DEFAULT NULL,
                           max_rows bigint DEFAULT NULL, server name DEFAULT NULL)
RETURNS TABLE (group_id text, name text, description text, directory_id text,
               managed_by text, external_synced boolean, user_count bigint,
               resource_count bigint, management_access jsonb)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT g ->> 'id', g ->> 'name', g ->> 'description', g ->> 'directoryId',
         g ->> 'managedBy', (g ->> 'externalSynced')::boolean,
         (g #>> '{counts,users}')::bigint, (g #>> '{counts,resources}')::bigint,
         g -> 'managementAccess'
    FROM atl_read('groups.search',
                  jsonb_build_object('body', jsonb_strip_nulls(jsonb_build_object(
                    'searchTerm', search, 'groupIds', group_ids, 'groupNames', group_names,
                    'accountIds', account_ids,
                    'expand', jsonb_build_array('counts.users', 'counts.resources')))),
                  max_rows, server) AS g;
END;
COMMENT ON FUNCTION atl_groups(text, text[], text[], text[], bigint, name) IS
  'read: groups, with their user and resource counts';

-- Group memberships, from the directory's users and their groups.  The API
-- filters by at most 10 groups a request; more are filtered here.
CREATE FUNCTION atl_group_members(group_ids text[] DEFAULT NULL, server name DEFAULT NULL)
RETURNS TABLE (group_id text, group_name text, account_id text, email text, status text)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT g.id, g.name, u.account_id, u.email, u.status
    FROM atl_users(group_ids => CASE WHEN cardinality(atl_group_members.group_ids) <= 10
                                     THEN atl_group_members.group_ids END,
                   server => atl_group_members.server) AS u,
         unnest(u.group_ids, u.groups) AS g(id, name)
   WHERE atl_group_members.group_ids IS NULL OR g.id = ANY (atl_group_members.group_ids);
END;
COMMENT ON FUNCTION atl_group_members(text[], name) IS
  'read: group memberships, from the directory''s users and their groups';

CREATE FUNCTION atl_directories(search text DEFAULT NULL, server name DEFAULT NULL)
RETURNS TABLE (directory_id text, name text, icon text)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT d ->> 'directoryId', d ->> 'name', d ->> 'icon'
    FROM atl_read('directories',
                  jsonb_build_object('query', jsonb_strip_nulls(jsonb_build_object('searchTerm', search))),
                  NULL, server) AS d;
END;
COMMENT ON FUNCTION atl_directories(text, name) IS
  'read: the organization''s user directories';

-- Sites and products of the organization.
CREATE FUNCTION atl_workspaces(server name DEFAULT NULL)
RETURNS TABLE (workspace_id text, type text, name text, type_key text, status text,
               host_url text, sandbox text, created_at timestamptz, attributes jsonb)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT w ->> 'id', w ->> 'type', w #>> '{attributes,name}', w #>> '{attributes,typeKey}',
         w #>> '{attributes,status}', w #>> '{attributes,hostUrl}',
         w #>> '{attributes,sandbox,type}', (w #>> '{attributes,createdAt}')::timestamptz,
         w -> 'attributes'
    FROM atl_read('workspaces', '{}', NULL, server) AS w;
END;
COMMENT ON FUNCTION atl_workspaces(name) IS
  'read: sites and products of the organization';

-- The roles a user holds, and how (directly or through a group).
CREATE FUNCTION atl_user_roles(account_id text, server name DEFAULT NULL)
RETURNS TABLE (resource_id text, resource_owner text, role text, assigned_via text[],
               directory_id text, user_directory_status text)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT r ->> 'resourceId', r ->> 'resourceOwner',
         coalesce(ra ->> 'role', legacy.role),
         ARRAY(SELECT jsonb_array_elements_text(ra -> 'roleAssignmentMethods')),
         r ->> 'directoryId', r ->> 'userDirectoryStatus'
    FROM atl_read('users.role_assignments',
                  jsonb_build_object('path', jsonb_build_object('accountId', account_id)),
                  NULL, server) AS r
    LEFT JOIN LATERAL jsonb_array_elements(r -> 'roleAssignments') AS ra ON true
    LEFT JOIN LATERAL jsonb_array_elements_text(
                CASE WHEN jsonb_array_length(coalesce(r -> 'roleAssignments', '[]')) = 0
                     THEN r -> 'roles' END) AS legacy(role) ON true;
END;
COMMENT ON FUNCTION atl_user_roles(text, name) IS
  'read: the roles a user holds, and how (directly or through a group)';

-- The roles a group grants, on which resources.
CREATE FUNCTION atl_group_roles(group_id text, server name DEFAULT NULL)
RETURNS TABLE (resource_id text, resource_owner text, role text, default_role text)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT r ->> 'resourceId', r ->> 'resourceOwner', role.value, r ->> 'defaultRole'
    FROM atl_read('groups.role_assignments',
                  jsonb_build_object('path', jsonb_build_object('groupId', group_id)),
                  NULL, server) AS r,
         jsonb_array_elements_text(r -> 'roles') AS role;
END;
COMMENT ON FUNCTION atl_group_roles(text, name) IS
  'read: the roles a group grants, on which resources';

CREATE FUNCTION atl_user_count(status text[] DEFAULT NULL, account_status text[] DEFAULT NULL,
                               membership_status text[] DEFAULT NULL,
                               claim_status text DEFAULT NULL,
                               email_domains text[] DEFAULT NULL,
                               group_ids text[] DEFAULT NULL, role_ids text[] DEFAULT NULL,
                               server name DEFAULT NULL)
RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT (c ->> 'count')::bigint
    FROM atl_read('users.count',
                  jsonb_build_object('query', jsonb_strip_nulls(jsonb_build_object(
                    'status', status, 'accountStatus', account_status,
                    'membershipStatus', membership_status, 'claimStatus', claim_status,
                    'emailDomains', email_domains, 'groupIds', group_ids, 'roleIds', role_ids))),
                  NULL, server) AS c;
END;
COMMENT ON FUNCTION atl_user_count(text[], text[], text[], text, text[], text[], text[], name) IS
  'read: how many users of the directory match the filters';

-- Users by account status and by role.
CREATE FUNCTION atl_user_stats(server name DEFAULT NULL)
RETURNS TABLE (dimension text, value text, count bigint)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  WITH s AS (SELECT * FROM atl_read('users.stats', '{}', NULL, server) AS s)
  SELECT 'account_status', a ->> 'status', (a ->> 'count')::bigint
    FROM s, jsonb_array_elements(s.s -> 'accountStatus') AS a
  UNION ALL
  SELECT 'role', r ->> 'roleId', (r ->> 'count')::bigint
    FROM s, jsonb_array_elements(s.s -> 'roles') AS r;
END;
COMMENT ON FUNCTION atl_user_stats(name) IS
  'read: users by account status and by role';

CREATE FUNCTION atl_group_count(server name DEFAULT NULL)
RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT (c ->> 'count')::bigint FROM atl_read('groups.count', '{}', NULL, server) AS c;
END;
COMMENT ON FUNCTION atl_group_count(name) IS
  'read: how many groups the directory has';

-- Groups by management (all, managed, synced) and by type.
CREATE FUNCTION atl_group_stats(server name DEFAULT NULL)
RETURNS TABLE (dimension text, value text, count bigint)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  WITH s AS (SELECT * FROM atl_read('groups.stats', '{}', NULL, server) AS s)
  SELECT 'total', t.key, t.value::bigint FROM s, jsonb_each_text(s.s -> 'totals') AS t
  UNION ALL
  SELECT 'type', x ->> 'type', (x ->> 'count')::bigint
    FROM s, jsonb_array_elements(s.s -> 'types') AS x;
END;
COMMENT ON FUNCTION atl_group_stats(name) IS
  'read: groups by management (all, managed, synced) and by type';

CREATE FUNCTION atl_domains(server name DEFAULT NULL)
RETURNS TABLE (domain_id text, name text, claim_type text, claim_status text)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT d ->> 'id', d #>> '{attributes,name}', d #>> '{attributes,claim,type}',
         d #>> '{attributes,claim,status}'
    FROM atl_read('domains', '{}', NULL, server) AS d;
END;
COMMENT ON FUNCTION atl_domains(name) IS
  'read: the organization''s domains and their claim status';

-- The organization's own audit log.
CREATE TYPE atl_event AS (event_id text, "time" timestamptz, action text, actor_id text,
                          actor_name text, actor_email text, auth_type text, ip text,
                          message text, context jsonb, container jsonb, location jsonb);

CREATE FUNCTION atl_events(since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
                           action text DEFAULT NULL, search text DEFAULT NULL,
                           max_rows bigint DEFAULT NULL, server name DEFAULT NULL)
RETURNS SETOF atl_event
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT e ->> 'id', (e #>> '{attributes,time}')::timestamptz, e #>> '{attributes,action}',
         e #>> '{attributes,actor,id}', e #>> '{attributes,actor,name}',
         e #>> '{attributes,actor,email}', e #>> '{attributes,actor,auth,authType}',
         e #>> '{attributes,location,ip}', e #>> '{message,content}',
         e #> '{attributes,context}', e #> '{attributes,container}', e #> '{attributes,location}'
    FROM atl_read('events',
                  jsonb_build_object('query', jsonb_strip_nulls(jsonb_build_object(
                    'from', (extract(epoch FROM since) * 1000)::bigint::text,
                    'to', (extract(epoch FROM until) * 1000)::bigint::text,
                    'action', action, 'q', search))),
                  max_rows, server) AS e;
END;
COMMENT ON FUNCTION atl_events(timestamptz, timestamptz, text, text, bigint, name) IS
  'read: the organization''s own audit log';

CREATE FUNCTION atl_event_actions(server name DEFAULT NULL)
RETURNS TABLE (action text, display_name text, group_name text)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT a ->> 'id', a #>> '{attributes,displayName}', a #>> '{attributes,groupDisplayName}'
    FROM atl_read('event_actions', '{}', NULL, server) AS a;
END;
COMMENT ON FUNCTION atl_event_actions(name) IS
  'read: the actions the organization''s audit log can name';
-- The Jira Cloud site of a server (option site_url; user mapping options
-- site_email and site_api_token, sent as basic auth).
CREATE FUNCTION atl_jira_users(max_rows bigint DEFAULT NULL, server name DEFAULT NULL)
RETURNS TABLE (account_id text, account_type text, display_name text, email text,
               active boolean, time_zone text, locale text)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT u ->> 'accountId', u ->> 'accountType', u ->> 'displayName', u ->> 'emailAddress',
         (u ->> 'active')::boolean, u ->> 'timeZone', u ->> 'locale'
    FROM atl_read('jira.users', '{}', max_rows, server) AS u;
END;
COMMENT ON FUNCTION atl_jira_users(bigint, name) IS
  'read: the users of the Jira site';

CREATE FUNCTION atl_jira_groups(server name DEFAULT NULL)
RETURNS TABLE (group_id text, name text)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT g ->> 'groupId', g ->> 'name' FROM atl_read('jira.groups', '{}', NULL, server) AS g;
END;
COMMENT ON FUNCTION atl_jira_groups(name) IS
  'read: the groups of the Jira site';

CREATE FUNCTION atl_jira_group_members(group_id text, include_inactive boolean DEFAULT false,
                                       server name DEFAULT NULL)
RETURNS TABLE (account_id text, display_name text, email text, active boolean)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT m ->> 'accountId', m ->> 'displayName', m ->> 'emailAddress',
         (m ->> 'active')::boolean
    FROM atl_read('jira.group_members',
                  jsonb_build_object('query', jsonb_build_object(
                    'groupId', group_id, 'includeInactiveUsers', include_inactive)),
                  NULL, server) AS m;
END;
COMMENT ON FUNCTION atl_jira_group_members(text, boolean, name) IS
  'read: the members of a group of the Jira site';
-- Product access per site: who may use which product where, how it was
-- granted (directly, or through which groups), and when it was last used.
--
-- One row per account, product and site.  Live (atl_product_access()), in
-- the mirror (atl_directory_access, kept by atl_sync()) and from an export
-- file (atl_csv_product_access()): the same columns, so that "inactive in
-- Jira Software on acme for 90 days" is the same WHERE on all three.
CREATE TYPE atl_access AS (
  account_id    text,
  email         text,
  product       text,          -- the API's product key, e.g. jira-software
  site          text,          -- the site's name, as atl_workspaces() knows it
  site_url      text,
  role          text,          -- the highest role held there, e.g. atlassian/user
  direct        boolean,       -- granted to the account itself (null: not known)
  via_groups    text[],        -- the account's groups that grant it (null: not known)
  via_group_ids text[],
  last_active   timestamptz,   -- null: never used
  resource_id   text,          -- the access's ARI, e.g. ari:cloud:jira::site/<cloud id>
  site_id       text);         -- the site's cloud id (the ARI's last part)

-- The cloud id of a site (or the id of a workspace) from a resource ARI.
CREATE FUNCTION atl_site_id(resource_id text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(substring(resource_id FROM '::(?:site|workspace)/([^/]+)$'), resource_id);
COMMENT ON FUNCTION atl_site_id(text) IS
  'read: the cloud id of a site (or the id of a workspace) from a resource ARI';

-- The product a role assignment is on.  Atlassian names it in
-- resourceOwner, or only in the ARI (ari:cloud:jira-servicedesk::site/..);
-- the generic "jira" means Jira Software.
CREATE FUNCTION atl_resource_product(resource_id text, resource_owner text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
  WHEN lower(resource_owner) NOT IN ('', 'jira', 'platform') THEN atl_product_key(lower(resource_owner))
  WHEN lower(substring(resource_id FROM '^ari:cloud:([^:]+)::')) = 'jira' THEN 'jira-software'
  ELSE atl_product_key(lower(substring(resource_id FROM '^ari:cloud:([^:]+)::')))
END;
COMMENT ON FUNCTION atl_resource_product(text, text) IS
  'read: the product a role assignment is on, from its resourceOwner or its ARI';

-- The ARI that names a product on a site in a role request: the one given
-- when it names that product, else ari:cloud:<product>::site/<cloud id>
-- (ari:cloud:jira::site/.. names only Jira Software).
CREATE FUNCTION atl_product_resource(product text, site_id text, given text DEFAULT NULL)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
  WHEN atl_product_key(lower(substring(given FROM '^ari:cloud:([^:]+)::'))) = product THEN given
  ELSE 'ari:cloud:' || product || '::site/' || site_id
END;
COMMENT ON FUNCTION atl_product_resource(text, text, text) IS
  'read: the ARI that names a product on a site in a role request';

-- Roles that give access to a product (the others administer the platform).
CREATE FUNCTION atl_product_role(role text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN role IS NOT NULL AND role NOT IN ('atlassian/org-admin', 'atlassian/site-admin',
                                         'atlassian/user-access-admin', 'atlassian/ai-access');
COMMENT ON FUNCTION atl_product_role(text) IS
  'read: true for the roles that give access to a product';

-- True when never used, or not for at least the interval: the same test on
-- every source's last_active.
CREATE FUNCTION atl_inactive(last_active timestamptz, for_at_least interval)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(last_active < now() - for_at_least, true);
COMMENT ON FUNCTION atl_inactive(timestamptz, interval) IS
  'read: true when never used, or not used for at least the interval';

-- Used on one of the last `days` days (UTC, today counting): the export
-- file knows only days, so seat counts are by day on every source.
CREATE FUNCTION atl_active_within(last_active timestamptz, days integer)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce((last_active AT TIME ZONE 'UTC')::date > (now() AT TIME ZONE 'UTC')::date - days,
                false);
COMMENT ON FUNCTION atl_active_within(timestamptz, integer) IS
  'read: true when used on one of the last days (UTC, today counting)';

-- Many accounts' or groups' role-assignment pages at once (src/id_pages.c).
CREATE FUNCTION atl_user_role_pages(account_ids text[], server name DEFAULT NULL,
                                    OUT account_id text, OUT data jsonb,
                                    OUT http_status integer, OUT error text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'atl_user_role_pages'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_user_role_pages(text[], name) IS
  'read: the raw role-assignment pages of the given accounts, one row per page';

CREATE FUNCTION atl_group_role_pages(group_ids text[], server name DEFAULT NULL,
                                     OUT group_id text, OUT data jsonb,
                                     OUT http_status integer, OUT error text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'atl_group_role_pages'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_group_role_pages(text[], name) IS
  'read: the raw role-assignment pages of the given groups, one row per page';

-- The role assignments of many accounts, one row per account, resource and
-- role; assigned_via is null where Atlassian does not say (the older
-- answer, with "roles" only).
CREATE TYPE atl_role_assignment AS (
  account_id text, resource_id text, resource_owner text, product text, site_id text,
  role text, assigned_via text[]);

CREATE FUNCTION atl_role_assignments(account_ids text[], server name DEFAULT NULL)
RETURNS SETOF atl_role_assignment
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT p.account_id, r ->> 'resourceId', r ->> 'resourceOwner',
         atl_resource_product(r ->> 'resourceId', r ->> 'resourceOwner'),
         atl_site_id(r ->> 'resourceId'),
         coalesce(ra ->> 'role', legacy.role),
         CASE WHEN ra IS NOT NULL THEN
           ARRAY(SELECT jsonb_array_elements_text(
                   CASE jsonb_typeof(ra -> 'roleAssignmentMethods') WHEN 'array'
                        THEN ra -> 'roleAssignmentMethods' ELSE '[]' END)) END
    FROM atl_user_role_pages(account_ids, server) AS p,
         jsonb_array_elements(CASE jsonb_typeof(p.data) WHEN 'array' THEN p.data ELSE '[]' END) AS r
    LEFT JOIN LATERAL jsonb_array_elements(
                CASE jsonb_typeof(r -> 'roleAssignments') WHEN 'array'
                     THEN r -> 'roleAssignments' ELSE '[]' END) AS ra ON true
    LEFT JOIN LATERAL jsonb_array_elements_text(
                CASE WHEN jsonb_typeof(r -> 'roleAssignments') = 'array'
                          AND jsonb_array_length(r -> 'roleAssignments') > 0 THEN NULL
                     WHEN jsonb_typeof(r -> 'roles') = 'array' THEN r -> 'roles' END) AS legacy(role)
         ON true
   WHERE coalesce(ra ->> 'role', legacy.role) IS NOT NULL;
END;
COMMENT ON FUNCTION atl_role_assignments(text[], name) IS
  'read: the role assignments of many accounts, and how each was assigned';

-- What every group grants: one row per group, resource and role (every
-- group is asked: a resource count is no proof that it grants nothing).
CREATE TYPE atl_group_grant AS (
  group_id text, group_name text, external_synced boolean, resource_id text,
  resource_owner text, product text, site_id text, role text, default_role text);

CREATE FUNCTION atl_group_grants(server name DEFAULT NULL)
RETURNS SETOF atl_group_grant
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  WITH g AS MATERIALIZED (
    SELECT g.group_id, g.name, g.external_synced
      FROM atl_groups(server => atl_group_grants.server) AS g)
  SELECT g.group_id, g.name, g.external_synced, r ->> 'resourceId', r ->> 'resourceOwner',
         atl_resource_product(r ->> 'resourceId', r ->> 'resourceOwner'),
         atl_site_id(r ->> 'resourceId'), role.value, r ->> 'defaultRole'
    FROM atl_group_role_pages(ARRAY(SELECT g.group_id FROM g), atl_group_grants.server) AS p
    JOIN g ON g.group_id = p.group_id,
         jsonb_array_elements(CASE jsonb_typeof(p.data) WHEN 'array' THEN p.data ELSE '[]' END) AS r,
         jsonb_array_elements_text(CASE jsonb_typeof(r -> 'roles') WHEN 'array'
                                        THEN r -> 'roles' ELSE '[]' END) AS role;
END;
COMMENT ON FUNCTION atl_group_grants(name) IS
  'read: what every group grants: one row per group, resource and role';

-- The sites (and other workspaces) of the organization, by cloud id.
CREATE TYPE atl_site AS (site_id text, resource_id text, product text, name text, host_url text);

CREATE FUNCTION atl_sites(server name DEFAULT NULL)
RETURNS SETOF atl_site
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT atl_site_id(w.workspace_id), w.workspace_id, atl_product_key(w.type_key), w.name,
         w.host_url
    FROM atl_workspaces(server) AS w;
END;
COMMENT ON FUNCTION atl_sites(name) IS
  'read: the sites and workspaces of the organization, by cloud id';

-- Per-site access from what the reads give: the users (their productAccess
-- and groups), what groups grant, the users' role assignments and the
-- sites.  An access is a product and site in productAccess or a product
-- role in the role assignments.  Its role is the highest one held there
-- (admin above user); direct says whether one of them is assigned to the
-- account itself (null where the role assignments do not say); via_groups
-- are the account's groups that grant a product role there.
CREATE FUNCTION atl_access_of(users atl_user[], grants atl_group_grant[],
                              roles atl_role_assignment[], sites atl_site[])
RETURNS SETOF atl_access
LANGUAGE sql STABLE
BEGIN ATOMIC
  WITH u AS (SELECT * FROM unnest(users)),
       seen AS (
    SELECT u.account_id, atl_product_key(p ->> 'key') AS product, atl_site_id(p ->> 'id') AS site_id,
           min(p ->> 'id') AS resource_id, max((p ->> 'lastActiveTimestamp')::timestamptz) AS last_active
      FROM u, jsonb_array_elements(CASE jsonb_typeof(u.product_access) WHEN 'array'
                                        THEN u.product_access ELSE '[]' END) AS p
     WHERE p ->> 'id' IS NOT NULL AND p ->> 'key' IS NOT NULL
     GROUP BY 1, 2, 3),
       held AS (
    SELECT r.account_id, r.product, r.site_id, min(r.resource_id) AS resource_id,
           (array_agg(r.role ORDER BY r.role = 'atlassian/user', r.role <> 'atlassian/admin', r.role))[1] AS role,
           bool_or('direct' = ANY (r.assigned_via)) AS direct
      FROM unnest(roles) AS r
     WHERE atl_product_role(r.role) AND r.product IS NOT NULL AND r.product <> 'platform'
     GROUP BY 1, 2, 3),
       granted AS (SELECT * FROM unnest(grants) AS g WHERE atl_product_role(g.role)),
       k AS (SELECT account_id, product, site_id FROM seen
             UNION SELECT account_id, product, site_id FROM held)
  SELECT k.account_id, u.email, k.product, s.name, s.host_url,
         coalesce(held.role, via.role), coalesce(held.direct, CASE WHEN via.ids IS NOT NULL THEN false END),
         coalesce(via.names, '{}'), coalesce(via.ids, '{}'), seen.last_active,
         coalesce(seen.resource_id, held.resource_id), k.site_id
    FROM k JOIN u ON u.account_id = k.account_id
    LEFT JOIN seen ON (seen.account_id, seen.product, seen.site_id) = (k.account_id, k.product, k.site_id)
    LEFT JOIN held ON (held.account_id, held.product, held.site_id) = (k.account_id, k.product, k.site_id)
    LEFT JOIN LATERAL (
      SELECT array_agg(DISTINCT g.group_name ORDER BY g.group_name) AS names,
             array_agg(DISTINCT g.group_id ORDER BY g.group_id) AS ids,
             (array_agg(g.role ORDER BY g.role = 'atlassian/user', g.role <> 'atlassian/admin', g.role))[1] AS role
        FROM unnest(u.group_ids) AS m(group_id)   -- a bare id, or an ARI ending in one
        JOIN granted g ON g.group_id = regexp_replace(m.group_id, '^.*/', '')
                      AND g.product = k.product AND g.site_id = k.site_id) AS via
      ON true
    LEFT JOIN LATERAL (
      SELECT s.name, s.host_url FROM unnest(sites) AS s
       WHERE s.site_id = k.site_id ORDER BY s.product = k.product DESC, s.name LIMIT 1) AS s ON true;
END;
COMMENT ON FUNCTION atl_access_of(atl_user[], atl_group_grant[], atl_role_assignment[], atl_site[]) IS
  'read: per-site access from the users, what groups grant, the users'' role assignments and the sites';

-- Whose role assignments per-site access needs: every member of the
-- directory (an access never used may be absent from productAccess), and
-- anyone productAccess names.
CREATE FUNCTION atl_access_holders(users atl_user[])
RETURNS text[]
LANGUAGE sql IMMUTABLE
RETURN ARRAY(SELECT u.account_id FROM unnest(users) AS u
              WHERE u.membership_status IS DISTINCT FROM 'no_membership'
                 OR (jsonb_typeof(u.product_access) = 'array'
                     AND jsonb_array_length(u.product_access) > 0));
COMMENT ON FUNCTION atl_access_holders(atl_user[]) IS
  'read: whose role assignments per-site access needs: every member of the directory, and anyone productAccess names';

-- Live: every account's access per product and site.  Reads the users,
-- the sites, what each group grants, and the role assignments of
-- atl_access_holders() (one request each, many at once).
CREATE FUNCTION atl_product_access(server name DEFAULT NULL)
RETURNS SETOF atl_access
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  WITH u AS MATERIALIZED (SELECT u FROM atl_users(server => atl_product_access.server) AS u)
  SELECT a.*
    FROM atl_access_of(
           ARRAY(SELECT u.u FROM u),
           ARRAY(SELECT g FROM atl_group_grants(atl_product_access.server) AS g),
           ARRAY(SELECT r FROM atl_role_assignments(atl_access_holders(ARRAY(SELECT u.u FROM u)),
                                                    atl_product_access.server) AS r),
           ARRAY(SELECT s FROM atl_sites(atl_product_access.server) AS s)) AS a;
END;
COMMENT ON FUNCTION atl_product_access(name) IS
  'read: every account''s access per product and site, live: role, how granted, last use';

-- Seats per product and site, from any source's access rows: the numbers
-- a licence renewal needs.
CREATE FUNCTION atl_seats_of(access atl_access[])
RETURNS TABLE (product text, site text, seats bigint, active_30 bigint, active_60 bigint,
               active_90 bigint, never_used bigint, direct bigint, via_groups bigint)
LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT a.product, a.site, count(*),
         count(*) FILTER (WHERE atl_active_within(a.last_active, 30)),
         count(*) FILTER (WHERE atl_active_within(a.last_active, 60)),
         count(*) FILTER (WHERE atl_active_within(a.last_active, 90)),
         count(*) FILTER (WHERE a.last_active IS NULL),
         count(*) FILTER (WHERE a.direct),
         count(*) FILTER (WHERE cardinality(a.via_groups) > 0)
    FROM unnest(access) AS a
   GROUP BY a.product, a.site
   ORDER BY a.product, a.site;
END;
COMMENT ON FUNCTION atl_seats_of(atl_access[]) IS
  'read: seats per product and site (active in the last 30/60/90 days, never used) from access rows';
-- Actions.  Each call returns its audit row; an API refusal is an outcome
-- (recorded and returned), not an error, so one bad row cannot abort a bulk
-- SELECT atl_disable(account_id) FROM ...
--
-- dry_run (default: atlorg.dry_run) records what would be done and sends
-- nothing; a protected account (atl_protected_accounts, an org admin in
-- the mirror, or the acting admin's own account) is skipped, and recorded
-- so, unless force is true -- in a dry run too, so that a preview says what
-- the real run will do.
--
-- Every action is a C function of its own name (symbol atl_action): the C
-- code finds the action from the function's name in its catalogue
-- (src/action_ops.c), checks that its declaration is the one the catalogue
-- expects, builds the request's body itself, and checks every element
-- before anything is sent.  There is no generic entry point that could send
-- (or audit) anything else.
--
-- Each action also has a set-based form taking an array of accounts, e.g.
-- atl_disable(ARRAY(SELECT ...)): the requests run concurrently (up to
-- atlorg.executor_in_flight, paced by atlorg.action_rate), it returns one
-- audit row per account as each ends, and an action listed twice is done
-- once.

CREATE FUNCTION atl_disable(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_disable(text, name, boolean, boolean) IS
  'action: deactivate an Atlassian account (POST /users/{id}/manage/lifecycle/disable), audited';

CREATE FUNCTION atl_enable(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_enable(text, name, boolean, boolean) IS
  'action: reactivate an Atlassian account (POST /users/{id}/manage/lifecycle/enable), audited';

CREATE FUNCTION atl_delete(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_delete(text, name, boolean, boolean) IS
  'action: delete an Atlassian account after its 14-day grace period (POST /users/{id}/manage/lifecycle/delete), audited';

CREATE FUNCTION atl_cancel_delete(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_cancel_delete(text, name, boolean, boolean) IS
  'action: cancel an account''s deletion during its grace period (POST /users/{id}/manage/lifecycle/cancel-delete), audited';

-- The set-based forms.
CREATE FUNCTION atl_disable(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_disable(text[], name, boolean, boolean) IS
  'action: deactivate many accounts (POST /users/{id}/manage/lifecycle/disable), audited';

CREATE FUNCTION atl_enable(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_enable(text[], name, boolean, boolean) IS
  'action: reactivate many accounts (POST /users/{id}/manage/lifecycle/enable), audited';

CREATE FUNCTION atl_delete(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_delete(text[], name, boolean, boolean) IS
  'action: delete many accounts after its 14-day grace period (POST /users/{id}/manage/lifecycle/delete), audited';

CREATE FUNCTION atl_cancel_delete(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_cancel_delete(text[], name, boolean, boolean) IS
  'action: cancel many accounts'' deletion during its grace period (POST /users/{id}/manage/lifecycle/cancel-delete), audited';
-- More actions, each a C function like atl_disable() (30_actions.sql): the
-- same outcomes, dry runs and protected accounts.

-- The directory: suspend and restore access (the account itself stays
-- active), or remove the user from the directory.
CREATE FUNCTION atl_suspend(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_suspend(text, name, boolean, boolean) IS
  'action: suspend an account''s access to the directory (POST .../directories/{dir}/users/{id}/suspend), audited';

CREATE FUNCTION atl_restore(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_restore(text, name, boolean, boolean) IS
  'action: restore an account''s suspended access (POST .../directories/{dir}/users/{id}/restore), audited';

CREATE FUNCTION atl_remove_from_directory(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_remove_from_directory(text, name, boolean, boolean) IS
  'action: remove a user from the directory (DELETE .../directories/{dir}/users/{id}), audited';

-- Groups (the body {"accountId": ...} is built from the account).
CREATE FUNCTION atl_add_to_group(account_id text, group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_add_to_group(text, text, name, boolean, boolean) IS
  'action: add an account to a group of the directory, audited';

CREATE FUNCTION atl_remove_from_group(account_id text, group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_remove_from_group(text, text, name, boolean, boolean) IS
  'action: remove an account from a group of the directory, audited';

-- Product roles on a site: role e.g. 'atlassian/user', resource an ARI
-- such as 'ari:cloud:jira::site/<cloud id>' (see atl_workspaces()).
CREATE FUNCTION atl_grant_role(account_id text, role text, resource text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_grant_role(text, text, text, name, boolean, boolean) IS
  'action: grant a role on a resource (POST /admin/v1/orgs/{org}/users/{id}/roles/assign), audited';

CREATE FUNCTION atl_revoke_role(account_id text, role text, resource text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_revoke_role(text, text, text, name, boolean, boolean) IS
  'action: revoke a role on a resource (POST /admin/v1/orgs/{org}/users/{id}/roles/revoke), audited';

-- E-mail (on a verified domain; ends the account's sessions).
CREATE FUNCTION atl_set_email(account_id text, email text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_set_email(text, text, name, boolean, boolean) IS
  'action: change an account''s e-mail address (PUT /users/{id}/manage/email), audited';

-- The profile: only the fields given (PATCH .../manage/profile).
CREATE FUNCTION atl_update_profile(account_id text, name text DEFAULT NULL, nickname text DEFAULT NULL, job_title text DEFAULT NULL, department text DEFAULT NULL, organization text DEFAULT NULL, location text DEFAULT NULL, time_zone text DEFAULT NULL, locale text DEFAULT NULL, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_update_profile(text, text, text, text, text, text, text, text, text, name, boolean, boolean) IS
  'action: update an account''s profile fields (PATCH /users/{id}/manage/profile), audited';

-- Revoking one of a user's API tokens (atl_api_tokens() lists them).
CREATE FUNCTION atl_revoke_api_token(account_id text, token_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_revoke_api_token(text, text, name, boolean, boolean) IS
  'action: revoke one of an account''s API tokens (DELETE /users/{id}/manage/api-tokens/{token}), audited';

-- The Jira site (its site_url and basic-auth credentials).
CREATE FUNCTION atl_jira_add_to_group(account_id text, group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_jira_add_to_group(text, text, name, boolean, boolean) IS
  'action: add an account to a group of the Jira site, audited';

CREATE FUNCTION atl_jira_remove_from_group(account_id text, group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_jira_remove_from_group(text, text, name, boolean, boolean) IS
  'action: remove an account from a group of the Jira site, audited';

CREATE FUNCTION atl_jira_remove_user(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_jira_remove_user(text, name, boolean, boolean) IS
  'action: remove an account from the Jira site, audited';

-- The set-based forms (see 30_actions.sql): the same arguments, with an
-- array of accounts; where each account has its own value (an e-mail, a
-- token), an array of those, in the same order and of the same length.
CREATE FUNCTION atl_suspend(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_suspend(text[], name, boolean, boolean) IS
  'action: suspend an account''s access to the directory (POST .../directories/{dir}/users/{id}/suspend), audited';

CREATE FUNCTION atl_restore(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_restore(text[], name, boolean, boolean) IS
  'action: restore an account''s suspended access (POST .../directories/{dir}/users/{id}/restore), audited';

CREATE FUNCTION atl_remove_from_directory(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_remove_from_directory(text[], name, boolean, boolean) IS
  'action: remove a user from the directory (DELETE .../directories/{dir}/users/{id}), audited';

CREATE FUNCTION atl_add_to_group(account_ids text[], group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_add_to_group(text[], text, name, boolean, boolean) IS
  'action: add an account to a group of the directory, audited';

CREATE FUNCTION atl_remove_from_group(account_ids text[], group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_remove_from_group(text[], text, name, boolean, boolean) IS
  'action: remove an account from a group of the directory, audited';

CREATE FUNCTION atl_grant_role(account_ids text[], role text, resource text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_grant_role(text[], text, text, name, boolean, boolean) IS
  'action: grant a role on a resource (POST /admin/v1/orgs/{org}/users/{id}/roles/assign), audited';

CREATE FUNCTION atl_revoke_role(account_ids text[], role text, resource text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_revoke_role(text[], text, text, name, boolean, boolean) IS
  'action: revoke a role on a resource (POST /admin/v1/orgs/{org}/users/{id}/roles/revoke), audited';

CREATE FUNCTION atl_set_email(account_ids text[], emails text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_set_email(text[], text[], name, boolean, boolean) IS
  'action: change an account''s e-mail address (PUT /users/{id}/manage/email), audited';

CREATE FUNCTION atl_update_profile(account_ids text[], name text DEFAULT NULL, nickname text DEFAULT NULL, job_title text DEFAULT NULL, department text DEFAULT NULL, organization text DEFAULT NULL, location text DEFAULT NULL, time_zone text DEFAULT NULL, locale text DEFAULT NULL, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_update_profile(text[], text, text, text, text, text, text, text, text, name, boolean, boolean) IS
  'action: update an account''s profile fields (PATCH /users/{id}/manage/profile), audited';

CREATE FUNCTION atl_revoke_api_token(account_ids text[], token_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_revoke_api_token(text[], text[], name, boolean, boolean) IS
  'action: revoke one of an account''s API tokens (DELETE /users/{id}/manage/api-tokens/{token}), audited';

CREATE FUNCTION atl_jira_add_to_group(account_ids text[], group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_jira_add_to_group(text[], text, name, boolean, boolean) IS
  'action: add an account to a group of the Jira site, audited';

CREATE FUNCTION atl_jira_remove_from_group(account_ids text[], group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_jira_remove_from_group(text[], text, name, boolean, boolean) IS
  'action: remove an account from a group of the Jira site, audited';

CREATE FUNCTION atl_jira_remove_user(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_jira_remove_user(text[], name, boolean, boolean) IS
  'action: remove an account from the Jira site, audited';

-- A user's API tokens (a read: GET /users/{id}/manage/api-tokens).
CREATE FUNCTION atl_api_tokens(account_id text, server name DEFAULT NULL)
RETURNS TABLE (token_id text, label text, created_at timestamptz, last_access timestamptz,
               expires_at timestamptz)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT t ->> 'id', t ->> 'label', (t ->> 'createdAt')::timestamptz,
         (t ->> 'lastAccess')::timestamptz, (t ->> 'expiry')::timestamptz
    FROM atl_read('users.api_tokens',
                  jsonb_build_object('path', jsonb_build_object('accountId', account_id)),
                  NULL, server) AS t;
END;
COMMENT ON FUNCTION atl_api_tokens(text, name) IS
  'read: the API tokens of an account';
-- A local mirror of the directory: users, their per-product activity,
-- groups and memberships, refreshed by atl_sync() in the caller's
-- transaction.  Queries, joins and indexes on it cost no API calls.
-- The columns of atl_users() (the atl_user type), and where and when.
CREATE TABLE atl_mirror_users (
  server    name NOT NULL,
  LIKE atl_user,
  synced_at timestamptz NOT NULL,
  PRIMARY KEY (server, account_id)
);
CREATE INDEX atl_mirror_users_email_idx ON atl_mirror_users (lower(email));

-- One row per user and product they can access; last_active null: never used.
CREATE TABLE atl_mirror_user_products (
  server      name NOT NULL,
  account_id  text NOT NULL,
  product     text NOT NULL,
  last_active timestamptz,
  PRIMARY KEY (server, account_id, product),
  FOREIGN KEY (server, account_id) REFERENCES atl_mirror_users ON DELETE CASCADE
);
CREATE INDEX atl_mirror_user_products_product_idx
  ON atl_mirror_user_products (server, product, last_active);

-- One row per user, product and site (atl_access's columns): who may use
-- what where, how it was granted, and when it was last used there.
CREATE TABLE atl_mirror_access (
  server    name NOT NULL,
  LIKE atl_access,
  synced_at timestamptz NOT NULL,
  PRIMARY KEY (server, account_id, product, site_id),
  FOREIGN KEY (server, account_id) REFERENCES atl_mirror_users ON DELETE CASCADE
);
CREATE INDEX atl_mirror_access_site_idx
  ON atl_mirror_access (server, product, site, last_active);

CREATE TABLE atl_mirror_groups (
  server          name NOT NULL,
  group_id        text NOT NULL,
  name            text NOT NULL,
  description     text,
  managed_by      text,
  external_synced boolean,
  user_count      bigint,
  resource_count  bigint,
  synced_at       timestamptz NOT NULL,
  PRIMARY KEY (server, group_id)
);

CREATE TABLE atl_mirror_group_members (
  server     name NOT NULL,
  group_id   text NOT NULL,
  account_id text NOT NULL,
  PRIMARY KEY (server, group_id, account_id),
  FOREIGN KEY (server, account_id) REFERENCES atl_mirror_users ON DELETE CASCADE
);
CREATE INDEX atl_mirror_group_members_account_idx
  ON atl_mirror_group_members (server, account_id);

-- Every completed sync: when, and what changed.
CREATE TABLE atl_mirror_syncs (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  server            name NOT NULL,
  started_at        timestamptz NOT NULL,
  finished_at       timestamptz NOT NULL,
  synced_by         name NOT NULL DEFAULT current_user,
  users_added       integer NOT NULL,
  users_changed     integer NOT NULL,
  users_gone        integer NOT NULL,
  groups_added      integer NOT NULL,
  groups_changed    integer NOT NULL,
  groups_gone       integer NOT NULL,
  memberships_added integer NOT NULL,
  memberships_gone  integer NOT NULL,
  access_added      integer,   -- null: per-site access was not synced
  access_changed    integer,
  access_gone       integer
);

-- When each server's mirror was last synced.
CREATE VIEW atl_mirror_status AS
  SELECT DISTINCT ON (server) server, finished_at AS last_synced,
         finished_at - started_at AS took, synced_by
    FROM atl_mirror_syncs ORDER BY server, id DESC;

SELECT pg_catalog.pg_extension_config_dump('atl_mirror_users', '');
SELECT pg_catalog.pg_extension_config_dump('atl_mirror_user_products', '');
SELECT pg_catalog.pg_extension_config_dump('atl_mirror_access', '');
SELECT pg_catalog.pg_extension_config_dump('atl_mirror_groups', '');
SELECT pg_catalog.pg_extension_config_dump('atl_mirror_group_members', '');
SELECT pg_catalog.pg_extension_config_dump('atl_mirror_syncs', '');
-- atl_sync(): refresh the mirror of one server from the live reads.
--
-- Everything is read first (users with their products and groups, then
-- groups with their counts, then, unless access is false, per-site access:
-- what groups grant and every member's role assignments, one request
-- each), then the mirror is brought in line row by row,
-- so unchanged rows are not rewritten.  It all happens in the caller's
-- transaction: a sync that fails (a read error, a cancel) changes nothing.
-- Two syncs of the same server wait for each other.
-- One function (its steps are not functions of their own: a user could
-- call those with tables of their making), with search_path pinned: the
-- tables it names are atlorg's, its temporary tables are named pg_temp.
CREATE FUNCTION atl_sync(server name DEFAULT NULL, access boolean DEFAULT true)
RETURNS TABLE (users_added integer, users_changed integer, users_gone integer,
               groups_added integer, groups_changed integer, groups_gone integer,
               memberships_added integer, memberships_gone integer,
               access_added integer, access_changed integer, access_gone integer,
               synced_at timestamptz)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  srv     name := atlorg.atl_server(server);
  started timestamptz := clock_timestamp();
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('atlorg.sync'), hashtext(srv));

  -- left over from an earlier sync in this transaction
  IF to_regclass('pg_temp.atl_sync_users') IS NOT NULL THEN
    DROP TABLE pg_temp.atl_sync_users;
  END IF;
  IF to_regclass('pg_temp.atl_sync_groups') IS NOT NULL THEN
    DROP TABLE pg_temp.atl_sync_groups;
  END IF;
  IF to_regclass('pg_temp.atl_sync_access') IS NOT NULL THEN
    DROP TABLE pg_temp.atl_sync_access;
  END IF;
  CREATE TEMP TABLE atl_sync_users ON COMMIT DROP AS
    SELECT * FROM atlorg.atl_users(server => srv);
  ALTER TABLE pg_temp.atl_sync_users ADD PRIMARY KEY (account_id);
  CREATE TEMP TABLE atl_sync_groups ON COMMIT DROP AS
    SELECT * FROM atlorg.atl_groups(server => srv);
  -- per-site access: what groups grant, and the role assignments of every
  -- member of the directory (one request each, many at once); without it,
  -- the mirror's per-site rows stay as they are
  IF access THEN
    CREATE TEMP TABLE atl_sync_access ON COMMIT DROP AS
      WITH u AS (SELECT ARRAY(SELECT ROW(n.*)::atlorg.atl_user FROM pg_temp.atl_sync_users n) AS users)
      SELECT a.* FROM u, atlorg.atl_access_of(
        u.users,
        ARRAY(SELECT g FROM atlorg.atl_group_grants(srv) g),
        ARRAY(SELECT r FROM atlorg.atl_role_assignments(atlorg.atl_access_holders(u.users), srv) r),
        ARRAY(SELECT s FROM atlorg.atl_sites(srv) s)) a;
    ALTER TABLE pg_temp.atl_sync_access ADD PRIMARY KEY (account_id, product, site_id);
  END IF;

  -- users, and their per-product rows
  DELETE FROM atl_mirror_users m
   WHERE m.server = srv
     AND NOT EXISTS (SELECT FROM pg_temp.atl_sync_users n WHERE n.account_id = m.account_id);
  GET DIAGNOSTICS users_gone = ROW_COUNT;

  UPDATE atl_mirror_users m
     SET (name, nickname, email, email_verified, status, account_status, membership_status,
          claim_status, management_source, added_to_org, mfa_enabled, job_title, department,
          organization, location, time_zone, platform_roles, groups, group_ids, products,
          last_active, product_last_active, product_access, synced_at)
       = (n.name, n.nickname, n.email, n.email_verified, n.status, n.account_status,
          n.membership_status, n.claim_status, n.management_source, n.added_to_org,
          n.mfa_enabled, n.job_title, n.department, n.organization, n.location, n.time_zone,
          n.platform_roles, n.groups, n.group_ids, n.products, n.last_active,
          n.product_last_active, n.product_access, started)
    FROM pg_temp.atl_sync_users n
   WHERE m.server = srv AND m.account_id = n.account_id
     AND (m.name, m.nickname, m.email, m.email_verified, m.status, m.account_status,
          m.membership_status, m.claim_status, m.management_source, m.added_to_org,
          m.mfa_enabled, m.job_title, m.department, m.organization, m.location, m.time_zone,
          m.platform_roles, m.groups, m.group_ids, m.products, m.last_active,
          m.product_last_active, m.product_access)
         IS DISTINCT FROM
         (n.name, n.nickname, n.email, n.email_verified, n.status, n.account_status,
          n.membership_status, n.claim_status, n.management_source, n.added_to_org,
          n.mfa_enabled, n.job_title, n.department, n.organization, n.location, n.time_zone,
          n.platform_roles, n.groups, n.group_ids, n.products, n.last_active,
          n.product_last_active, n.product_access);
  GET DIAGNOSTICS users_changed = ROW_COUNT;

  INSERT INTO atl_mirror_users
  SELECT srv, n.*, started
    FROM pg_temp.atl_sync_users n
   WHERE NOT EXISTS (SELECT FROM atl_mirror_users m
                      WHERE m.server = srv AND m.account_id = n.account_id);
  GET DIAGNOSTICS users_added = ROW_COUNT;

  -- per-product rows follow product_last_active
  DELETE FROM atl_mirror_user_products p
   WHERE p.server = srv
     AND NOT EXISTS (SELECT FROM pg_temp.atl_sync_users n
                      WHERE n.account_id = p.account_id AND n.product_last_active ? p.product);
  INSERT INTO atl_mirror_user_products AS p
  SELECT srv, n.account_id, e.key, (e.value #>> '{}')::timestamptz
    FROM pg_temp.atl_sync_users n, jsonb_each(n.product_last_active) AS e
  ON CONFLICT (server, account_id, product) DO UPDATE
     SET last_active = excluded.last_active
   WHERE p.last_active IS DISTINCT FROM excluded.last_active;

  -- groups
  DELETE FROM atl_mirror_groups m
   WHERE m.server = srv
     AND NOT EXISTS (SELECT FROM pg_temp.atl_sync_groups n WHERE n.group_id = m.group_id);
  GET DIAGNOSTICS groups_gone = ROW_COUNT;

  UPDATE atl_mirror_groups m
     SET name = n.name, description = n.description, managed_by = n.managed_by,
         external_synced = n.external_synced, user_count = n.user_count,
         resource_count = n.resource_count, synced_at = started
    FROM pg_temp.atl_sync_groups n
   WHERE m.server = srv AND m.group_id = n.group_id
     AND (m.name, m.description, m.managed_by, m.external_synced, m.user_count, m.resource_count)
         IS DISTINCT FROM
         (n.name, n.description, n.managed_by, n.external_synced, n.user_count, n.resource_count);
  GET DIAGNOSTICS groups_changed = ROW_COUNT;

  INSERT INTO atl_mirror_groups
  SELECT srv, n.group_id, n.name, n.description, n.managed_by, n.external_synced,
         n.user_count, n.resource_count, started
    FROM pg_temp.atl_sync_groups n
   WHERE NOT EXISTS (SELECT FROM atl_mirror_groups m
                      WHERE m.server = srv AND m.group_id = n.group_id);
  GET DIAGNOSTICS groups_added = ROW_COUNT;

  -- memberships
  CREATE TEMP TABLE atl_sync_members ON COMMIT DROP AS
    SELECT DISTINCT g.group_id, n.account_id
      FROM pg_temp.atl_sync_users n, unnest(n.group_ids) AS g(group_id);

  DELETE FROM atl_mirror_group_members m
   WHERE m.server = srv
     AND NOT EXISTS (SELECT FROM pg_temp.atl_sync_members n
                      WHERE n.group_id = m.group_id AND n.account_id = m.account_id);
  GET DIAGNOSTICS memberships_gone = ROW_COUNT;

  INSERT INTO atl_mirror_group_members
  SELECT srv, n.group_id, n.account_id FROM pg_temp.atl_sync_members n
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS memberships_added = ROW_COUNT;
  DROP TABLE pg_temp.atl_sync_members;

  -- per-site access
  IF access THEN
    DELETE FROM atl_mirror_access m
     WHERE m.server = srv
       AND NOT EXISTS (SELECT FROM pg_temp.atl_sync_access n
                        WHERE (n.account_id, n.product, n.site_id) = (m.account_id, m.product, m.site_id));
    GET DIAGNOSTICS access_gone = ROW_COUNT;

    UPDATE atl_mirror_access m
       SET (email, site, site_url, role, direct, via_groups, via_group_ids, last_active,
            resource_id, synced_at)
         = (n.email, n.site, n.site_url, n.role, n.direct, n.via_groups, n.via_group_ids,
            n.last_active, n.resource_id, started)
      FROM pg_temp.atl_sync_access n
     WHERE m.server = srv
       AND (n.account_id, n.product, n.site_id) = (m.account_id, m.product, m.site_id)
       AND (m.email, m.site, m.site_url, m.role, m.direct, m.via_groups, m.via_group_ids,
            m.last_active, m.resource_id)
           IS DISTINCT FROM
           (n.email, n.site, n.site_url, n.role, n.direct, n.via_groups, n.via_group_ids,
            n.last_active, n.resource_id);
    GET DIAGNOSTICS access_changed = ROW_COUNT;

    INSERT INTO atl_mirror_access
    SELECT srv, n.*, started
      FROM pg_temp.atl_sync_access n
     WHERE NOT EXISTS (SELECT FROM atl_mirror_access m
                        WHERE m.server = srv
                          AND (n.account_id, n.product, n.site_id) = (m.account_id, m.product, m.site_id));
    GET DIAGNOSTICS access_added = ROW_COUNT;
  END IF;

  synced_at := clock_timestamp();
  INSERT INTO atl_mirror_syncs (server, started_at, finished_at, users_added, users_changed,
                                users_gone, groups_added, groups_changed, groups_gone,
                                memberships_added, memberships_gone, access_added,
                                access_changed, access_gone)
  VALUES (srv, started, synced_at, users_added, users_changed, users_gone, groups_added,
          groups_changed, groups_gone, memberships_added, memberships_gone, access_added,
          access_changed, access_gone);
  RETURN NEXT;
END
$$;

COMMENT ON FUNCTION atl_sync(name, boolean) IS
  'action: refresh the local mirror of a server''s directory (per-site access too, unless access is false); returns what changed';
-- Why accounts must not be acted on, or null: the allowlist, an org admin
-- as the mirror knows them, or the acting admin's own account (known when
-- the server has a site e-mail: the mirror's account with it).  One row per
-- element of account_ids, in order, in one query (a bulk action asks once).
-- Every action asks it as its caller: readers may read both lists.
CREATE FUNCTION atl_protections(account_ids text[], server name, acting_email text DEFAULT NULL)
RETURNS TABLE (ord bigint, reason text)
LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT u.i,
         CASE WHEN p.account_id IS NOT NULL THEN 'protected: ' || p.reason
              WHEN 'atlassian/org-admin' = ANY (m.platform_roles)
                THEN 'protected: an organization admin'
              WHEN lower(m.email) = lower(atl_protections.acting_email)
                THEN 'protected: the acting admin''s own account'
         END
    FROM unnest(atl_protections.account_ids) WITH ORDINALITY AS u(a, i)
    LEFT JOIN atl_protected_accounts p ON p.account_id = u.a
    LEFT JOIN atl_mirror_users m ON m.server = atl_protections.server AND m.account_id = u.a
   ORDER BY u.i;
END;
COMMENT ON FUNCTION atl_protections(text[], name, text) IS
  'read: why each of the accounts would be skipped by an action, or null';

-- The same for one account.
CREATE FUNCTION atl_protection(account_id text, server name, acting_email text DEFAULT NULL)
RETURNS text
LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT p.reason
    FROM atl_protections(ARRAY[atl_protection.account_id], atl_protection.server,
                         atl_protection.acting_email) AS p;
END;
COMMENT ON FUNCTION atl_protection(text, name, text) IS
  'read: why the account would be skipped by an action, or null';
-- atl_directory: the mirror as a writable view.  An UPDATE acts at
-- Atlassian, concurrently, and the mirror changes only where Atlassian
-- agreed:
--   status        'deactivated' disables, 'suspended' suspends, 'active'
--                 enables (from deactivated) or restores (from suspended)
--   email         changes the e-mail
--   name, nickname, job_title, department, organization, location,
--   time_zone     update the profile (one request per account)
--   groups        names added join those groups, names removed leave them
-- The other columns are read-only (group_ids follows groups).  The row count and RETURNING are the
-- accounts whose requested changes Atlassian made (or found already made),
-- at least in part, as the mirror now has them; an account with nothing to
-- change counts too.  Refusals, failures, skipped (protected) accounts and
-- dry runs leave the mirror as it was, and a NOTICE counts them; the audit
-- (atl_runs) has every request.
--
-- How: an UPDATE rule.  Its first action records the statement's old and
-- new values (its change set) in atl_directory_changes; a statement trigger
-- on that table (C: src/directory.c) sees the whole change set at once (a
-- transition table), checks all of it, confirms with Atlassian that every
-- group it names has that name there (the mirror is no authority on which
-- group a name means), sends every request together through the action
-- engine, and writes back what was done; the rule's second action updates
-- the mirror from that (its row count and RETURNING are the UPDATE's), and
-- the third clears the change set.  The rule's actions run with the view
-- owner's rights; the trigger and its helpers run as the caller, who may
-- touch only their own session's change set (row-level security).
CREATE VIEW atl_directory AS
  SELECT server, account_id, name, nickname, email, status, job_title, department,
         organization, location, time_zone, groups, group_ids,
         account_status, membership_status, claim_status, management_source, added_to_org,
         platform_roles, products, last_active, product_last_active, synced_at
    FROM atl_mirror_users;

COMMENT ON VIEW atl_directory IS
  'atlorg: the mirror of the directory; UPDATE its status, email, profile or groups to act at Atlassian';

-- One statement's change set, and what came of it, between the rule's
-- actions (the last one removes it).
CREATE SEQUENCE atl_directory_changes_seq;
CREATE UNLOGGED TABLE atl_directory_changes (
  change_id        bigint PRIMARY KEY DEFAULT nextval('atl_directory_changes_seq'),
  backend_pid      integer NOT NULL DEFAULT pg_backend_pid(),
  server           name NOT NULL,
  account_id       text NOT NULL,
  readonly_changed text,     -- a read-only column the UPDATE changed
  old_status       text, new_status  text,
  old_email        text, new_email   text,
  old_profile      jsonb, new_profile jsonb,
  old_groups       text[], new_groups text[],
  -- filled in by the trigger: the account as Atlassian now has it
  applied          boolean,  -- at least part of the change was made (or none was needed)
  status           text,
  email            text,
  profile          jsonb,
  groups           text[],
  group_ids        text[]
);
CREATE INDEX atl_directory_changes_pid_idx ON atl_directory_changes (backend_pid, server, account_id);

-- A session sees and changes only its own change set: another session's
-- could otherwise be made to report (and mirror) changes Atlassian never
-- made.
ALTER TABLE atl_directory_changes ENABLE ROW LEVEL SECURITY;
CREATE POLICY atl_directory_changes_own ON atl_directory_changes
  USING (backend_pid = pg_backend_pid()) WITH CHECK (backend_pid = pg_backend_pid());

-- The profile columns of a row, named as atl_update_profile() names them.
CREATE FUNCTION atl_directory_profile(name text, nickname text, job_title text,
                                      department text, organization text, location text,
                                      time_zone text)
RETURNS jsonb LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT jsonb_build_object('name', name, 'nickname', nickname, 'job_title', job_title,
                            'department', department, 'organization', organization,
                            'location', location, 'time_zone', time_zone);
END;
COMMENT ON FUNCTION atl_directory_profile(text, text, text, text, text, text, text) IS
  'read: the profile columns of an atl_directory row, as jsonb';

-- The lifecycle action that takes an account from one status to another.
CREATE FUNCTION atl_directory_status_action(old_status text, new_status text)
RETURNS text LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT CASE
    WHEN old_status = new_status THEN NULL
    WHEN new_status = 'deactivated' AND old_status IN ('active', 'suspended') THEN 'disable'
    WHEN new_status = 'suspended' AND old_status = 'active' THEN 'suspend'
    WHEN new_status = 'active' AND old_status = 'deactivated' THEN 'enable'
    WHEN new_status = 'active' AND old_status = 'suspended' THEN 'restore'
    ELSE 'none'
  END;
END;
COMMENT ON FUNCTION atl_directory_status_action(text, text) IS
  'read: the lifecycle action that takes an account from one status to another';

-- The checks of a change set, before anything is sent: a read-only column,
-- a status change with no action, a bad e-mail, a cleared profile field, or
-- a group the mirror does not know are errors.
CREATE FUNCTION atl_directory_check(changes atl_directory_changes[])
RETURNS void LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  bad record;
BEGIN
  SELECT c.account_id, c.readonly_changed AS col INTO bad FROM unnest(changes) c
   WHERE c.readonly_changed IS NOT NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'cannot update column "%" of view "atl_directory"', bad.col
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'It is read from Atlassian; atl_sync() refreshes it.',
            HINT = 'The writable columns are status, email, name, nickname, job_title, '
                   'department, organization, location, time_zone and groups.';
  END IF;
  SELECT c.account_id, c.old_status, c.new_status INTO bad FROM unnest(changes) c
   WHERE c.old_status IS DISTINCT FROM c.new_status
     AND coalesce(atl_directory_status_action(c.old_status, c.new_status), 'none') = 'none' LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'cannot change the status of account % from % to %', bad.account_id,
                    quote_nullable(bad.old_status), quote_nullable(bad.new_status)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'An active account can become deactivated or suspended, a suspended one '
                   'deactivated or active, a deactivated one active.';
  END IF;
  SELECT c.account_id, c.new_email INTO bad FROM unnest(changes) c
   WHERE c.old_email IS DISTINCT FROM c.new_email
     AND (c.new_email IS NULL OR c.new_email !~ '^[^@[:space:]]+@[^@[:space:]]+$') LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'not an e-mail address for account %: %', bad.account_id,
                    quote_nullable(bad.new_email)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT c.account_id, k.key INTO bad FROM unnest(changes) c, jsonb_each(c.new_profile) k
   WHERE k.value = 'null' AND c.old_profile -> k.key <> 'null' LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'cannot clear the % of account %', bad.key, bad.account_id
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Atlassian''s profile API sets fields; it does not clear them.';
  END IF;
  SELECT c.account_id INTO bad FROM unnest(changes) c
   WHERE c.new_groups IS NULL AND c.old_groups IS NOT NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'the groups of account % cannot be null', bad.account_id
      USING ERRCODE = 'null_value_not_allowed', HINT = 'To remove every group, set groups = ''{}''.';
  END IF;
  SELECT c.account_id, g.name INTO bad
    FROM unnest(changes) c,
         LATERAL ((SELECT n FROM unnest(c.new_groups) n EXCEPT SELECT n FROM unnest(c.old_groups) n)
                  UNION ALL
                  (SELECT n FROM unnest(c.old_groups) n EXCEPT SELECT n FROM unnest(c.new_groups) n)) g(name)
   WHERE NOT EXISTS (SELECT FROM atl_mirror_groups mg WHERE mg.server = c.server AND mg.name = g.name)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'unknown group "%" (account %)', bad.name, bad.account_id
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'atl_mirror_groups lists the groups of the mirror; atl_sync() refreshes it.';
  END IF;
END
$$;
COMMENT ON FUNCTION atl_directory_check(atl_directory_changes[]) IS
  'internal: the checks of an UPDATE atl_directory change set (called by its trigger)';

-- The requests a change set needs, for one server, as the trigger reads
-- them: the action, and the values its body is built from (a group's name
-- too, which the trigger confirms with Atlassian).
CREATE TYPE atl_directory_request AS (
  account_id text, op text, group_id text, group_name text, email text,
  name text, nickname text, job_title text, department text, organization text,
  location text, time_zone text);

CREATE FUNCTION atl_directory_requests(changes atl_directory_changes[], srv name)
RETURNS atl_directory_request[]
LANGUAGE sql STABLE
BEGIN ATOMIC
  WITH c AS (SELECT * FROM unnest(changes) c WHERE c.server = srv),
       r AS (
  SELECT c.account_id, atl_directory_status_action(c.old_status, c.new_status) AS op,
         NULL::text AS group_id, NULL::text AS group_name, NULL::text AS email,
         NULL::jsonb AS profile
    FROM c WHERE c.old_status IS DISTINCT FROM c.new_status
  UNION ALL
  SELECT c.account_id, 'set_email', NULL, NULL, c.new_email, NULL
    FROM c WHERE c.old_email IS DISTINCT FROM c.new_email
  UNION ALL
  SELECT c.account_id, 'update_profile', NULL, NULL, NULL, p.ch
    FROM c, LATERAL (SELECT jsonb_object_agg(n.key, n.value) FROM jsonb_each(c.new_profile) n
                      WHERE n.value IS DISTINCT FROM c.old_profile -> n.key) AS p(ch)
   WHERE c.old_profile IS DISTINCT FROM c.new_profile
  UNION ALL
  SELECT c.account_id, 'add_to_group', g.group_id, g.name, NULL, NULL
    FROM c, unnest(c.new_groups) n(name), atl_mirror_groups g
   WHERE NOT n.name = ANY (coalesce(c.old_groups, '{}')) AND g.server = srv AND g.name = n.name
  UNION ALL
  SELECT c.account_id, 'remove_from_group', g.group_id, g.name, NULL, NULL
    FROM c, unnest(c.old_groups) o(name), atl_mirror_groups g
   WHERE NOT o.name = ANY (coalesce(c.new_groups, '{}')) AND g.server = srv AND g.name = o.name)
  SELECT coalesce(array_agg(ROW(r.account_id, r.op, r.group_id, r.group_name, r.email,
                                r.profile ->> 'name', r.profile ->> 'nickname',
                                r.profile ->> 'job_title', r.profile ->> 'department',
                                r.profile ->> 'organization', r.profile ->> 'location',
                                r.profile ->> 'time_zone')::atl_directory_request),
                  '{}')
    FROM r;
END;
COMMENT ON FUNCTION atl_directory_requests(atl_directory_changes[], name) IS
  'internal: the requests an UPDATE atl_directory change set needs (called by its trigger)';

-- What came of a change set, written back to it: each account as Atlassian
-- now has it (groups null: unchanged); and the mirror's memberships follow
-- the groups Atlassian changed.
CREATE FUNCTION atl_directory_record(changes atl_directory_changes[], srv name, sent atl_audit[])
RETURNS void LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
BEGIN
  WITH c AS (SELECT * FROM unnest(changes) c WHERE c.server = srv),
       asked AS (SELECT DISTINCT s.account_id FROM unnest(sent) s),
       done AS (
    SELECT s.account_id,
           bool_or(s.action IN ('disable', 'suspend', 'enable', 'restore')) AS status_done,
           bool_or(s.action = 'set_email') AS email_done,
           bool_or(s.action = 'update_profile') AS profile_done,
           coalesce(array_agg(g.name) FILTER (WHERE s.action = 'add_to_group'), '{}') AS joined,
           coalesce(array_agg(g.name) FILTER (WHERE s.action = 'remove_from_group'), '{}') AS left_
      FROM unnest(sent) s
      LEFT JOIN atl_mirror_groups g ON g.server = srv AND g.group_id = s.target
     WHERE s.outcome IN ('succeeded', 'already')
     GROUP BY s.account_id),
       r AS (
    SELECT c.*, a.account_id IS NOT NULL AS requested, d.account_id IS NOT NULL AS any_done,
           coalesce(d.status_done, false) AS status_done,
           coalesce(d.email_done, false) AS email_done,
           coalesce(d.profile_done, false) AS profile_done,
           coalesce(d.joined, '{}') AS joined, coalesce(d.left_, '{}') AS left_
      FROM c LEFT JOIN asked a ON a.account_id = c.account_id
             LEFT JOIN done d ON d.account_id = c.account_id),
       results AS (
    SELECT r.change_id, NOT r.requested OR r.any_done AS applied,
           CASE WHEN r.status_done THEN r.new_status ELSE r.old_status END AS status,
           CASE WHEN r.email_done THEN r.new_email ELSE r.old_email END AS email,
           CASE WHEN r.profile_done THEN r.new_profile ELSE r.old_profile END AS profile,
           gr.names AS groups,
           CASE WHEN gr.names IS NOT NULL THEN
             ARRAY(SELECT g.group_id FROM unnest(gr.names) n JOIN atl_mirror_groups g
                     ON g.server = srv AND g.name = n) END AS group_ids
      FROM r, LATERAL (SELECT CASE WHEN cardinality(r.joined) + cardinality(r.left_) > 0 THEN
                         ARRAY(SELECT n FROM unnest(r.old_groups) n WHERE NOT n = ANY (r.left_)
                               UNION
                               SELECT unnest(r.joined) ORDER BY 1) END) AS gr(names))
  UPDATE atl_directory_changes d
     SET applied = x.applied, status = x.status, email = x.email, profile = x.profile,
         groups = x.groups, group_ids = x.group_ids
    FROM results x
   WHERE d.change_id = x.change_id;

  DELETE FROM atl_mirror_group_members m USING unnest(sent) s
   WHERE s.action = 'remove_from_group' AND s.outcome IN ('succeeded', 'already')
     AND m.server = srv AND m.group_id = s.target AND m.account_id = s.account_id;
  INSERT INTO atl_mirror_group_members (server, group_id, account_id)
  SELECT srv, s.target, s.account_id FROM unnest(sent) s
   WHERE s.action = 'add_to_group' AND s.outcome IN ('succeeded', 'already')
  ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION atl_directory_record(atl_directory_changes[], name, atl_audit[]) IS
  'internal: writes back what came of an UPDATE atl_directory change set (called by its trigger)';

-- The statement trigger: the whole change set of one UPDATE at once
-- (src/directory.c).  It refuses to run as anything but this trigger.
CREATE FUNCTION atl_directory_apply()
RETURNS trigger
AS 'MODULE_PATHNAME', 'atl_directory_apply'
LANGUAGE C;
COMMENT ON FUNCTION atl_directory_apply() IS
  'internal: acts on the change set of an UPDATE atl_directory (the trigger of atl_directory_changes)';

CREATE TRIGGER atl_directory_apply AFTER INSERT ON atl_directory_changes
  REFERENCING NEW TABLE AS captured
  FOR EACH STATEMENT EXECUTE FUNCTION atl_directory_apply();

CREATE RULE atl_directory_update AS ON UPDATE TO atl_directory DO INSTEAD (
  INSERT INTO atl_directory_changes (server, account_id, readonly_changed,
                                     old_status, new_status, old_email, new_email,
                                     old_profile, new_profile, old_groups, new_groups)
  VALUES (OLD.server, OLD.account_id,
          CASE WHEN NEW.server IS DISTINCT FROM OLD.server THEN 'server'
               WHEN NEW.account_id IS DISTINCT FROM OLD.account_id THEN 'account_id'
               WHEN NEW.group_ids IS DISTINCT FROM OLD.group_ids THEN 'group_ids'
               WHEN NEW.account_status IS DISTINCT FROM OLD.account_status THEN 'account_status'
               WHEN NEW.membership_status IS DISTINCT FROM OLD.membership_status THEN 'membership_status'
               WHEN NEW.claim_status IS DISTINCT FROM OLD.claim_status THEN 'claim_status'
               WHEN NEW.management_source IS DISTINCT FROM OLD.management_source THEN 'management_source'
               WHEN NEW.added_to_org IS DISTINCT FROM OLD.added_to_org THEN 'added_to_org'
               WHEN NEW.platform_roles IS DISTINCT FROM OLD.platform_roles THEN 'platform_roles'
               WHEN NEW.products IS DISTINCT FROM OLD.products THEN 'products'
               WHEN NEW.last_active IS DISTINCT FROM OLD.last_active THEN 'last_active'
               WHEN NEW.product_last_active IS DISTINCT FROM OLD.product_last_active THEN 'product_last_active'
               WHEN NEW.synced_at IS DISTINCT FROM OLD.synced_at THEN 'synced_at'
          END,
          OLD.status, NEW.status, OLD.email, NEW.email,
          atl_directory_profile(OLD.name, OLD.nickname, OLD.job_title, OLD.department,
                                OLD.organization, OLD.location, OLD.time_zone),
          atl_directory_profile(NEW.name, NEW.nickname, NEW.job_title, NEW.department,
                                NEW.organization, NEW.location, NEW.time_zone),
          OLD.groups, NEW.groups);
  UPDATE atl_mirror_users m
     SET status = d.status, email = d.email,
         name = d.profile ->> 'name', nickname = d.profile ->> 'nickname',
         job_title = d.profile ->> 'job_title', department = d.profile ->> 'department',
         organization = d.profile ->> 'organization', location = d.profile ->> 'location',
         time_zone = d.profile ->> 'time_zone',
         groups = coalesce(d.groups, m.groups), group_ids = coalesce(d.group_ids, m.group_ids)
    FROM atl_directory_changes d
   WHERE d.backend_pid = pg_backend_pid() AND d.server = OLD.server
     AND d.account_id = OLD.account_id AND d.applied
     AND m.server = OLD.server AND m.account_id = OLD.account_id
  RETURNING m.server, m.account_id, m.name, m.nickname, m.email, m.status, m.job_title,
            m.department, m.organization, m.location, m.time_zone, m.groups, m.group_ids,
            m.account_status, m.membership_status, m.claim_status, m.management_source,
            m.added_to_org, m.platform_roles, m.products, m.last_active,
            m.product_last_active, m.synced_at;
  DELETE FROM atl_directory_changes d
   WHERE d.backend_pid = pg_backend_pid() AND d.server = OLD.server
     AND d.account_id = OLD.account_id
);

-- DELETE and INSERT on the view are errors (0A000), not changes of the
-- mirror: a view over one table would otherwise take them as its own, and
-- an owner's "DELETE FROM atl_directory WHERE ..." would silently empty
-- mirror rows while nothing happened at Atlassian.
CREATE FUNCTION atl_directory_refuse(command text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION 'cannot % view "atl_directory"', lower(command)
    USING ERRCODE = 'feature_not_supported',
          DETAIL = 'Its rows are the mirror of Atlassian''s directory; only UPDATE acts on them.',
          HINT = 'To remove accounts, UPDATE their status or call atl_delete(); atl_sync() adds new ones.';
END
$$;
COMMENT ON FUNCTION atl_directory_refuse(text) IS
  'read: the error a DELETE or INSERT on atl_directory raises';

CREATE RULE atl_directory_delete AS ON DELETE TO atl_directory
  DO INSTEAD SELECT atl_directory_refuse('DELETE FROM');
CREATE RULE atl_directory_insert AS ON INSERT TO atl_directory
  DO INSTEAD SELECT atl_directory_refuse('INSERT INTO');
-- Taking product access away, and giving it: atl_remove_access() and
-- atl_grant_access(), and the same as statements on atl_directory_access.
--
-- Access to a product on a site comes from a role assigned to the account
-- itself, or from a group of the account that holds a role there.  Removing
-- it removes it however it was granted: each direct role is revoked, and
-- the account leaves every group of its that grants the product on that
-- site, and only those.  A group that also grants something else (another
-- product, another site, an admin role) would take that too: by default
-- the account's removal is refused (every request of it recorded as
-- skipped, naming the group), and also_remove_other_grants => true allows
-- it.  A group synced from an identity provider cannot be changed here:
-- refused the same way.  The plan is made from live reads, not the mirror.

-- One request of a plan: an action of the catalogue, its values, and a
-- reason not to send it (recorded as skipped), if any.
CREATE TYPE atl_access_request AS (
  account_id text, op text, group_id text, role text, resource text, skip text);

-- The site a caller names (its name, URL, cloud id or an ARI on it) for a
-- product, as atl_sites() knows it: an error when none or several match.
-- Where one name covers several sites (Jira and Confluence of one
-- organization may be sites of their own), the product's own one counts.
CREATE FUNCTION atl_access_site(site text, for_product text, srv name, OUT site_id text, OUT name text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  ids text[];
  known text;
BEGIN
  WITH named AS (
    SELECT s.*, split_part(s.product, '-', 1) = split_part(for_product, '-', 1) AS same_family
      FROM atl_sites(srv) s
     WHERE lower(btrim(site)) IN (lower(s.name), lower(s.site_id), lower(s.resource_id),
                                  lower(s.host_url),
                                  lower(regexp_replace(s.host_url, '^https?://|/+$', '', 'g')))
        OR atl_site_id(site) = s.site_id)
  SELECT array_agg(DISTINCT n.site_id), min(n.name), string_agg(DISTINCT n.site_id, ', ')
    INTO ids, name, known
    FROM named n
   WHERE n.same_family OR NOT EXISTS (SELECT FROM named o WHERE o.same_family);
  IF ids IS NULL THEN
    SELECT string_agg(DISTINCT s.name, ', ' ORDER BY s.name) INTO known FROM atl_sites(srv) s;
    RAISE EXCEPTION 'unknown site "%"', site
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'The organization''s sites: ' || coalesce(known, 'none') ||
                   '. A site is named by its name, URL, cloud id or an ARI on it.';
  END IF;
  IF cardinality(ids) > 1 THEN
    RAISE EXCEPTION 'site "%" names % sites for %: %', site, cardinality(ids), for_product, known
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Name it by its cloud id.';
  END IF;
  site_id := ids[1];
END
$$;
COMMENT ON FUNCTION atl_access_site(text, text, name) IS
  'read: the site a caller names for a product (its name, URL, cloud id or an ARI on it), as atl_sites() knows it';

-- The product key a caller names, or an error.
CREATE FUNCTION atl_access_product(product text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
BEGIN
  IF product IS NULL OR lower(btrim(product)) !~ '^[a-z][a-z-]{0,63}$' THEN
    RAISE EXCEPTION 'not a product key: %', quote_nullable(product)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Product keys are the API''s: jira-software, jira-servicedesk, jira-core, confluence, ...';
  END IF;
  RETURN atl_product_key(lower(btrim(product)));
END
$$;
COMMENT ON FUNCTION atl_access_product(text) IS
  'read: the product key a caller names, or an error';

-- The requests that grant role on product at site to each account: one
-- role assignment each.
CREATE FUNCTION atl_access_grant_plan(account_ids text[], product text, site text, role text,
                                      srv name)
RETURNS atl_access_request[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  p text := atl_access_product(product);
  s record := atl_access_site(site, p, srv);
  given text;
BEGIN
  IF role IS NULL OR role !~ '^atlassian/[a-z-]{1,64}$' OR NOT atl_product_role(role) THEN
    RAISE EXCEPTION 'not a product role: %', quote_nullable(role)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Product roles: atlassian/user (the default), atlassian/admin, atlassian/guest, ...';
  END IF;
  SELECT w.resource_id INTO given FROM atl_sites(srv) w
   WHERE w.site_id = s.site_id AND w.product = p LIMIT 1;
  RETURN ARRAY(SELECT ROW(a, 'grant_role', NULL, role,
                          atl_product_resource(p, s.site_id, given), NULL)::atl_access_request
                 FROM unnest(account_ids) AS a ORDER BY a);
END
$$;
COMMENT ON FUNCTION atl_access_grant_plan(text[], text, text, text, name) IS
  'internal: the requests that grant a product role on a site to accounts (called by atl_grant_access)';

-- The groups among grants that give the accounts' memberships: account id
-- and group id, for the groups given.  Few accounts are looked up by id
-- (10 a request), many by listing the groups' members (100 a request).
CREATE FUNCTION atl_access_memberships(account_ids text[], group_ids text[], srv name)
RETURNS TABLE (account_id text, group_id text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
#variable_conflict use_column
BEGIN
  IF cardinality(group_ids) = 0 OR cardinality(account_ids) = 0 THEN
    RETURN;
  END IF;
  IF cardinality(account_ids) <= 100 THEN
    RETURN QUERY
      SELECT DISTINCT u ->> 'accountId', g.id
        FROM generate_series(1, cardinality(account_ids), 10) AS c(i),
             atl_read('users.search',
                      jsonb_build_object('body', jsonb_build_object(
                        'accountIds', to_jsonb(account_ids[c.i:c.i + 9]),
                        'expand', jsonb_build_array('groups'))), NULL, srv) AS u,
             jsonb_array_elements(CASE jsonb_typeof(u -> 'groups') WHEN 'array'
                                       THEN u -> 'groups' ELSE '[]' END) AS e,
             -- a user's groups are named by ARI (ari:cloud:identity::group/<id>)
             LATERAL (SELECT regexp_replace(e ->> 'id', '^.*/', '') AS id) AS g
       WHERE g.id = ANY (group_ids) AND u ->> 'accountId' = ANY (account_ids);
  ELSE
    RETURN QUERY
      SELECT DISTINCT u.account_id, m.group_id
        FROM generate_series(1, cardinality(group_ids), 10) AS c(i),
             atl_users(group_ids => group_ids[c.i:c.i + 9], server => srv) AS u,
             unnest(u.group_ids) AS m(group_id)
       WHERE m.group_id = ANY (group_ids) AND u.account_id = ANY (account_ids);
  END IF;
END
$$;
COMMENT ON FUNCTION atl_access_memberships(text[], text[], name) IS
  'read: which of the accounts are in which of the groups, live';

-- The requests that remove product at site from each account (see the top
-- of this file).  An account with no access there has none.
CREATE FUNCTION atl_access_remove_plan(account_ids text[], product text, site text,
                                       also_other_grants boolean, srv name)
RETURNS atl_access_request[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  p text := atl_access_product(product);
  s record := atl_access_site(site, p, srv);
  sites atl_site[] := ARRAY(SELECT w FROM atl_sites(srv) w);
  roles atl_role_assignment[];
  grants atl_group_grant[] := ARRAY(SELECT g FROM atl_group_grants(srv) g);
  member_accounts text[];
  member_groups text[];
  plan atl_access_request[];
BEGIN
  roles := ARRAY(SELECT r FROM atl_role_assignments(account_ids, srv) r
                  WHERE r.product = p AND r.site_id = s.site_id AND atl_product_role(r.role));
  SELECT coalesce(array_agg(m.account_id), '{}'), coalesce(array_agg(m.group_id), '{}')
    INTO member_accounts, member_groups
    FROM atl_access_memberships(account_ids,
                                ARRAY(SELECT DISTINCT g.group_id FROM unnest(grants) g
                                       WHERE g.product = p AND g.site_id = s.site_id
                                         AND atl_product_role(g.role)), srv) m;

  WITH granting AS (
    -- the groups that grant the product there, and what else each grants
    SELECT g.group_id, min(g.group_name) AS group_name, bool_or(g.external_synced) AS synced,
           (SELECT string_agg(DISTINCT o.product || ' on ' ||
                              coalesce((SELECT w.name FROM unnest(sites) w
                                         WHERE w.site_id = o.site_id LIMIT 1), o.site_id)
                              || ' (' || o.role || ')', ', ')
              FROM unnest(grants) o
             WHERE o.group_id = g.group_id
               AND (o.product, o.site_id) IS DISTINCT FROM (p, s.site_id)) AS also_grants
      FROM unnest(grants) g
     WHERE g.product = p AND g.site_id = s.site_id AND atl_product_role(g.role)
     GROUP BY g.group_id),
       members AS (SELECT * FROM unnest(member_accounts, member_groups) AS m(account_id, group_id)),
       requests AS (
    -- every direct role (and, where Atlassian does not say how, every role)
    SELECT r.account_id, 'revoke_role' AS op, NULL::text AS group_id, r.role,
           atl_product_resource(p, s.site_id, r.resource_id) AS resource,
           NULL::text AS refusal
      FROM unnest(roles) r
     WHERE coalesce(cardinality(r.assigned_via), 0) = 0 OR 'direct' = ANY (r.assigned_via)
    UNION
    -- every granting group of the account
    SELECT m.account_id, 'remove_from_group', g.group_id, NULL, NULL,
           CASE WHEN g.synced THEN
                  format('group "%s" is synced from an identity provider: remove the account there', g.group_name)
                WHEN g.also_grants IS NOT NULL AND NOT also_other_grants THEN
                  format('group "%s" also grants %s; also_remove_other_grants allows removing the account from it', g.group_name, g.also_grants)
           END
      FROM members m JOIN granting g ON g.group_id = m.group_id
    UNION
    -- access that neither a direct role nor a group of the account explains
    SELECT r.account_id, 'revoke_role', NULL, r.role,
           atl_product_resource(p, s.site_id, r.resource_id),
           format('the account''s %s role there is %s; no request removes it', r.role,
                  CASE WHEN 'group_direct' = ANY (r.assigned_via)
                       THEN 'granted by a group the account''s groups do not show'
                       ELSE 'inferred (from another role)' END)
      FROM unnest(roles) r
     WHERE cardinality(r.assigned_via) > 0 AND NOT 'direct' = ANY (r.assigned_via)
       AND NOT EXISTS (SELECT FROM members m WHERE m.account_id = r.account_id)),
       refused AS (
    -- one refusal stops the account's whole removal: nothing half done
    SELECT DISTINCT ON (q.account_id) q.account_id, q.refusal
      FROM requests q WHERE q.refusal IS NOT NULL ORDER BY q.account_id, q.refusal)
  SELECT coalesce(array_agg(ROW(q.account_id, q.op, q.group_id, q.role, q.resource,
                                coalesce(q.refusal, CASE WHEN x.refusal IS NOT NULL
                                                         THEN 'not sent: ' || x.refusal END))::atl_access_request
                            ORDER BY q.account_id, q.op DESC, q.group_id, q.role), '{}')
    INTO plan
    FROM requests q LEFT JOIN refused x ON x.account_id = q.account_id;
  RETURN plan;
END
$$;
COMMENT ON FUNCTION atl_access_remove_plan(text[], text, text, boolean, name) IS
  'internal: the requests that remove a product on a site from accounts (called by atl_remove_access)';

-- The actions.  Each returns the audit rows of the requests it took (one
-- for a grant; for a removal, each revoked role and each group left), and
-- takes the account(s), the product key, and the site (its name, URL,
-- cloud id or an ARI on it).
CREATE FUNCTION atl_remove_access(account_id text, product text, site text,
  also_remove_other_grants boolean DEFAULT false, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_access_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 2;
COMMENT ON FUNCTION atl_remove_access(text, text, text, boolean, name, boolean, boolean) IS
  'action: remove an account''s access to a product on a site, however granted (its direct roles, its groups that grant it), audited';

CREATE FUNCTION atl_remove_access(account_ids text[], product text, site text,
  also_remove_other_grants boolean DEFAULT false, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_access_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_remove_access(text[], text, text, boolean, name, boolean, boolean) IS
  'action: remove many accounts'' access to a product on a site, however granted, audited';

CREATE FUNCTION atl_grant_access(account_id text, product text, site text,
  role text DEFAULT 'atlassian/user', server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_access_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1;
COMMENT ON FUNCTION atl_grant_access(text, text, text, text, name, boolean, boolean) IS
  'action: grant an account a role (atlassian/user by default) on a product on a site, audited';

CREATE FUNCTION atl_grant_access(account_ids text[], product text, site text,
  role text DEFAULT 'atlassian/user', server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_access_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_grant_access(text[], text, text, text, name, boolean, boolean) IS
  'action: grant many accounts a role (atlassian/user by default) on a product on a site, audited';
-- atl_directory_access: the mirror's per-site access as a writable view.
--   DELETE removes the rows' access at Atlassian (as atl_remove_access():
--          direct roles revoked, granting groups left; a group that grants
--          more refuses, unless atlorg.also_remove_other_grants is on)
--   INSERT grants it (as atl_grant_access(): server, account_id, product,
--          site (a name, URL, cloud id or ARI; or site_id) and role, by
--          default atlassian/user; the account must be in the mirror)
-- The row count and RETURNING are the rows whose change Atlassian made (or
-- found already made), as the mirror now has them.  Refusals, failures,
-- skipped (protected) accounts and dry runs (atlorg.dry_run) leave the
-- mirror as it was, and a NOTICE counts them; the audit (atl_runs) has
-- every request.  A group left also takes, in the mirror, the other access
-- it alone granted.  UPDATE is an error (0A000): DELETE and INSERT say
-- what is meant.
--
-- How: as atl_directory (sql/43_directory.sql).  A rule records the
-- statement's change set in atl_access_changes; a statement trigger on it
-- (C: src/access_view.c) plans and runs it and writes back what came of
-- it; the rule's second action changes the mirror from that.
CREATE VIEW atl_directory_access AS
  SELECT server, account_id, email, product, site, site_url, role, direct, via_groups,
         via_group_ids, last_active, resource_id, site_id, synced_at
    FROM atl_mirror_access;

COMMENT ON VIEW atl_directory_access IS
  'atlorg: the mirror''s product access per site; DELETE removes access at Atlassian, INSERT grants it';

CREATE SEQUENCE atl_access_changes_seq;
CREATE UNLOGGED TABLE atl_access_changes (
  change_id      bigint PRIMARY KEY DEFAULT nextval('atl_access_changes_seq'),
  backend_pid    integer NOT NULL DEFAULT pg_backend_pid(),
  kind           text NOT NULL CHECK (kind IN ('remove', 'grant', 'update')),
  server         name,
  account_id     text,
  product        text,
  site           text,       -- as named: a site id (DELETE), or what the INSERT gave
  role           text,       -- grant: the role
  readonly_given text,       -- INSERT: a column it may not give
  -- filled in by the trigger
  applied        boolean,    -- Atlassian made the change (or found it made)
  granted        atl_access  -- grant: the mirror's row from now on
);
CREATE INDEX atl_access_changes_pid_idx ON atl_access_changes (backend_pid, account_id);

-- A session sees and changes only its own change set.
ALTER TABLE atl_access_changes ENABLE ROW LEVEL SECURITY;
CREATE POLICY atl_access_changes_own ON atl_access_changes
  USING (backend_pid = pg_backend_pid()) WITH CHECK (backend_pid = pg_backend_pid());

-- The checks of a change set before anything is sent.
CREATE FUNCTION atl_access_check(changes atl_access_changes[])
RETURNS void LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  bad record;
BEGIN
  IF EXISTS (SELECT FROM unnest(changes) c WHERE c.kind = 'update') THEN
    RAISE EXCEPTION 'cannot update view "atl_directory_access"'
      USING ERRCODE = 'feature_not_supported',
            HINT = 'DELETE removes an access and INSERT grants one; to change a role, INSERT the new one.';
  END IF;
  SELECT c.readonly_given AS col INTO bad FROM unnest(changes) c
   WHERE c.readonly_given IS NOT NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'cannot insert into column "%" of view "atl_directory_access"', bad.col
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'It is read from Atlassian; atl_sync() refreshes it.',
            HINT = 'An INSERT gives server, account_id, product, site (or site_id) and role.';
  END IF;
  SELECT c.account_id, c.product, c.site INTO bad FROM unnest(changes) c
   WHERE c.account_id IS NULL OR c.product IS NULL OR c.site IS NULL OR c.server IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'an access needs an account_id, a product and a site'
      USING ERRCODE = 'not_null_violation',
            DETAIL = format('account_id %s, product %s, site %s', quote_nullable(bad.account_id),
                            quote_nullable(bad.product), quote_nullable(bad.site));
  END IF;
  SELECT c.account_id, c.server INTO bad FROM unnest(changes) c
   WHERE c.kind = 'grant'
     AND NOT EXISTS (SELECT FROM atl_mirror_users m
                      WHERE m.server = c.server AND m.account_id = c.account_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'account % is not in the mirror of server %', bad.account_id, bad.server
      USING ERRCODE = 'foreign_key_violation',
            HINT = 'Run atl_sync() first, or grant it with atl_grant_access().';
  END IF;
END
$$;
COMMENT ON FUNCTION atl_access_check(atl_access_changes[]) IS
  'internal: the checks of an atl_directory_access change set (called by its trigger)';

-- What came of one part of a change set (its changes: one kind, server,
-- product, site and role), written back to it; and the mirror's
-- memberships and access follow the groups Atlassian let the accounts
-- leave.
CREATE FUNCTION atl_access_record(change_ids bigint[], sent atl_audit[])
RETURNS void LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  one atl_access_changes;
  s record;
BEGIN
  SELECT * INTO one FROM atl_access_changes c WHERE c.change_id = change_ids[1];
  UPDATE atl_access_changes c
     SET applied = NOT EXISTS (SELECT FROM unnest(sent) a
                                WHERE a.account_id = c.account_id
                                  AND a.outcome NOT IN ('succeeded', 'already'))
                   AND (c.kind = 'remove'
                        OR EXISTS (SELECT FROM unnest(sent) a WHERE a.account_id = c.account_id))
   WHERE c.change_id = ANY (change_ids);

  IF one.kind = 'grant' THEN
    s := atl_access_site(one.site, atl_access_product(one.product), one.server);
    UPDATE atl_access_changes c
       SET granted = ROW(c.account_id, u.email, atl_access_product(c.product), s.name, w.host_url,
                     CASE WHEN m.role = 'atlassian/admin' THEN m.role ELSE c.role END, true,
                     coalesce(m.via_groups, '{}'), coalesce(m.via_group_ids, '{}'), m.last_active,
                     coalesce(m.resource_id, w.resource_id), s.site_id)::atl_access
      FROM atl_mirror_users u
      LEFT JOIN LATERAL (SELECT w.host_url, w.resource_id FROM atl_sites(one.server) w
                          WHERE w.site_id = s.site_id LIMIT 1) w ON true
      LEFT JOIN atl_mirror_access m
        ON m.server = one.server AND m.account_id = u.account_id
       AND m.product = atl_access_product(one.product) AND m.site_id = s.site_id
     WHERE c.change_id = ANY (change_ids) AND c.applied
       AND u.server = c.server AND u.account_id = c.account_id;
    -- the rule inserts the new row in its place
    DELETE FROM atl_mirror_access m USING atl_access_changes c
     WHERE c.change_id = ANY (change_ids) AND c.applied
       AND m.server = c.server AND m.account_id = c.account_id
       AND m.product = (c.granted).product AND m.site_id = (c.granted).site_id;
    RETURN;
  END IF;

  -- the groups left, in the mirror: memberships, and the access they gave
  DELETE FROM atl_mirror_group_members g USING unnest(sent) a
   WHERE a.action = 'remove_from_group' AND a.outcome IN ('succeeded', 'already')
     AND g.server = one.server AND g.group_id = a.target AND g.account_id = a.account_id;
  UPDATE atl_mirror_access m
     SET via_groups = ARRAY(SELECT n FROM unnest(m.via_groups, m.via_group_ids) v(n, i)
                             WHERE NOT EXISTS (SELECT FROM unnest(sent) a
                                                WHERE a.action = 'remove_from_group'
                                                  AND a.outcome IN ('succeeded', 'already')
                                                  AND a.account_id = m.account_id AND a.target = v.i)),
         via_group_ids = ARRAY(SELECT i FROM unnest(m.via_group_ids) i
                                WHERE NOT EXISTS (SELECT FROM unnest(sent) a
                                                   WHERE a.action = 'remove_from_group'
                                                     AND a.outcome IN ('succeeded', 'already')
                                                     AND a.account_id = m.account_id AND a.target = i))
    FROM unnest(sent) a
   WHERE a.action = 'remove_from_group' AND a.outcome IN ('succeeded', 'already')
     AND m.server = one.server AND m.account_id = a.account_id AND a.target = ANY (m.via_group_ids);
  DELETE FROM atl_mirror_access m
   WHERE m.server = one.server AND cardinality(m.via_group_ids) = 0 AND m.direct IS FALSE
     AND m.account_id IN (SELECT a.account_id FROM unnest(sent) a
                           WHERE a.action = 'remove_from_group' AND a.outcome IN ('succeeded', 'already'))
     AND NOT EXISTS (SELECT FROM atl_access_changes c
                      WHERE c.change_id = ANY (change_ids) AND c.account_id = m.account_id
                        AND c.site = m.site_id AND atl_access_product(c.product) = m.product);
END
$$;
COMMENT ON FUNCTION atl_access_record(bigint[], atl_audit[]) IS
  'internal: writes back what came of part of an atl_directory_access change set (called by its trigger)';

-- The statement trigger (src/access_view.c).  It refuses to run as
-- anything but this trigger.
CREATE FUNCTION atl_access_apply()
RETURNS trigger
AS 'MODULE_PATHNAME', 'atl_access_apply'
LANGUAGE C;
COMMENT ON FUNCTION atl_access_apply() IS
  'internal: acts on the change set of a DELETE or INSERT on atl_directory_access (the trigger of atl_access_changes)';

CREATE TRIGGER atl_access_apply AFTER INSERT ON atl_access_changes
  REFERENCING NEW TABLE AS captured
  FOR EACH STATEMENT EXECUTE FUNCTION atl_access_apply();

-- The change set stays until the session's next statement on the view
-- (the trigger clears it then): a last DELETE here would be what the
-- DELETE's row count counts.
CREATE RULE atl_directory_access_delete AS ON DELETE TO atl_directory_access DO INSTEAD (
  INSERT INTO atl_access_changes (kind, server, account_id, product, site)
  VALUES ('remove', OLD.server, OLD.account_id, OLD.product, OLD.site_id);
  DELETE FROM atl_mirror_access m
   USING atl_access_changes c
   WHERE c.backend_pid = pg_backend_pid() AND c.kind = 'remove' AND c.applied
     AND c.server = OLD.server AND c.account_id = OLD.account_id
     AND c.product = OLD.product AND c.site = OLD.site_id
     AND m.server = OLD.server AND m.account_id = OLD.account_id
     AND m.product = OLD.product AND m.site_id = OLD.site_id
  RETURNING m.server, m.account_id, m.email, m.product, m.site, m.site_url, m.role, m.direct,
            m.via_groups, m.via_group_ids, m.last_active, m.resource_id, m.site_id, m.synced_at
);

CREATE RULE atl_directory_access_insert AS ON INSERT TO atl_directory_access DO INSTEAD (
  INSERT INTO atl_access_changes (kind, server, account_id, product, site, role, readonly_given)
  VALUES ('grant', coalesce(NEW.server, atl_server()), NEW.account_id, NEW.product,
          coalesce(NEW.site_id, NEW.site), coalesce(NEW.role, 'atlassian/user'),
          CASE WHEN NEW.email IS NOT NULL THEN 'email'
               WHEN NEW.site_url IS NOT NULL THEN 'site_url'
               WHEN NEW.direct IS NOT NULL THEN 'direct'
               WHEN NEW.via_groups IS NOT NULL THEN 'via_groups'
               WHEN NEW.via_group_ids IS NOT NULL THEN 'via_group_ids'
               WHEN NEW.last_active IS NOT NULL THEN 'last_active'
               WHEN NEW.resource_id IS NOT NULL THEN 'resource_id'
               WHEN NEW.synced_at IS NOT NULL THEN 'synced_at'
               WHEN NEW.site IS NOT NULL AND NEW.site_id IS NOT NULL THEN 'site_id'
          END);
  INSERT INTO atl_mirror_access
  SELECT c.server, (c.granted).*, now()
    FROM atl_access_changes c
   WHERE c.backend_pid = pg_backend_pid() AND c.kind = 'grant' AND c.applied
     AND c.server = coalesce(NEW.server, atl_server()) AND c.account_id = NEW.account_id
     AND c.product = NEW.product AND c.site = coalesce(NEW.site_id, NEW.site)
  RETURNING server, account_id, email, product, site, site_url, role, direct, via_groups,
            via_group_ids, last_active, resource_id, site_id, synced_at
);

-- Seats per server, product and site, from the mirror: the numbers a
-- licence renewal needs (atl_seats_of() gives the same from live or
-- export-file rows).
CREATE VIEW atl_seats AS
  SELECT srv.server, s.*
    FROM (SELECT DISTINCT m.server FROM atl_mirror_access m) AS srv,
         atl_seats_of(ARRAY(SELECT ROW(m.account_id, m.email, m.product, m.site, m.site_url,
                                       m.role, m.direct, m.via_groups, m.via_group_ids,
                                       m.last_active, m.resource_id, m.site_id)::atl_access
                              FROM atl_mirror_access m WHERE m.server = srv.server)) AS s;
COMMENT ON VIEW atl_seats IS
  'atlorg: seats per product and site in the mirror: active in the last 30/60/90 days, never used';

-- UPDATE is refused (by the trigger's check), not passed to the mirror.
CREATE RULE atl_directory_access_update AS ON UPDATE TO atl_directory_access DO INSTEAD
  INSERT INTO atl_access_changes (kind, server, account_id, product, site)
  VALUES ('update', OLD.server, OLD.account_id, OLD.product, OLD.site_id);
-- The admin console's export files ("Export users" in every known format,
-- "Export accounts"): as rows, and loaded into tables.  Columns are found
-- by header name; dates become dates, statuses the API's words, and each
-- "<App> - <site>" column a row of its own.
CREATE TYPE atl_csv_user AS (
  line         bigint,          -- where the user's row starts in the file
  account_id   text,            -- the username in 2018 files
  name         text,
  email        text,
  status       text,            -- active, suspended, deactivated
  org_role     text,
  added_to_org date,
  last_seen    date);           -- the latest date seen in any product

CREATE TYPE atl_csv_product AS (
  line           bigint,
  account_id     text,
  product        text,          -- the API's product key, e.g. jira-software
  app            text,          -- as the file names it
  site           text,
  access         text,          -- the file's value: a role, Yes, or empty
  last_seen      date,
  never_used     boolean,       -- true: "Never accessed"; null: the file does not say
  last_seen_text text);         -- the file's words when they are not a date

CREATE TYPE atl_csv_group AS (
  line       bigint,
  account_id text,
  group_id   text,
  group_name text);

CREATE TYPE atl_csv_reject AS (
  line   bigint,
  reason text);

-- Every function here is C, and its result type is the one declared here:
-- the C code checks its declaration (arguments and result row) and refuses
-- to run under any other.  A NULL argument is an error (22004).

-- The rows of one kind from a file's contents (bytea, or text: read as
-- UTF-8), or from a file on the server (atl_csv_*_file; as COPY FROM a
-- file allows it).
CREATE FUNCTION atl_csv_users(data bytea, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_user
AS 'MODULE_PATHNAME', 'atl_csv_users' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_users(bytea, boolean) IS 'read: the users of an export file';
CREATE FUNCTION atl_csv_users(data text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_user
AS 'MODULE_PATHNAME', 'atl_csv_users' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_users(text, boolean) IS 'read: the users of an export file';
CREATE FUNCTION atl_csv_users_file(path text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_user
AS 'MODULE_PATHNAME', 'atl_csv_users_file' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_users_file(text, boolean) IS 'read: the users of an export file on the server (needs pg_read_server_files)';

CREATE FUNCTION atl_csv_products(data bytea, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_product
AS 'MODULE_PATHNAME', 'atl_csv_products' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_products(bytea, boolean) IS 'read: the users'' products of an export file';
CREATE FUNCTION atl_csv_products(data text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_product
AS 'MODULE_PATHNAME', 'atl_csv_products' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_products(text, boolean) IS 'read: the users'' products of an export file';
CREATE FUNCTION atl_csv_products_file(path text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_product
AS 'MODULE_PATHNAME', 'atl_csv_products_file' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_products_file(text, boolean) IS 'read: the users'' products of an export file on the server (needs pg_read_server_files)';

CREATE FUNCTION atl_csv_groups(data bytea, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_group
AS 'MODULE_PATHNAME', 'atl_csv_groups' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_groups(bytea, boolean) IS 'read: the users'' groups of an export file';
CREATE FUNCTION atl_csv_groups(data text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_group
AS 'MODULE_PATHNAME', 'atl_csv_groups' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_groups(text, boolean) IS 'read: the users'' groups of an export file';
CREATE FUNCTION atl_csv_groups_file(path text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_group
AS 'MODULE_PATHNAME', 'atl_csv_groups_file' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_groups_file(text, boolean) IS 'read: the users'' groups of an export file on the server (needs pg_read_server_files)';

-- The role a file's access column names, in the API's words ("User" ->
-- atlassian/user); null where it names none ("Yes", or empty).
CREATE FUNCTION atl_csv_role(access text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE lower(btrim(access))
  WHEN 'user' THEN 'atlassian/user'
  WHEN 'admin' THEN 'atlassian/admin'
  WHEN 'product admin' THEN 'atlassian/admin'
  WHEN 'administrator' THEN 'atlassian/admin'
  WHEN 'guest' THEN 'atlassian/guest'
  WHEN 'customer' THEN 'atlassian/customer'
  WHEN 'basic' THEN 'atlassian/basic'
  WHEN 'stakeholder' THEN 'atlassian/stakeholder'
  WHEN 'contributor' THEN 'atlassian/contributor'
END;
COMMENT ON FUNCTION atl_csv_role(text) IS
  'read: the role an export file''s access column names, in the API''s words';

-- Per-site access from an export file, in atl_access's columns (the file
-- does not say how access was granted, nor the site's URL or ids: null).
-- A "Last seen" date is that day's start, UTC.
CREATE FUNCTION atl_csv_product_access(data bytea)
RETURNS SETOF atl_access
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  WITH u AS (SELECT DISTINCT ON (u.account_id) u.account_id, u.email
               FROM atl_csv_users(data) AS u ORDER BY u.account_id, u.line)
  SELECT DISTINCT ON (p.account_id, p.product, p.site)
         p.account_id, u.email, p.product, p.site, NULL::text, atl_csv_role(p.access),
         NULL::boolean, NULL::text[], NULL::text[],
         p.last_seen::timestamp AT TIME ZONE 'UTC', NULL::text, NULL::text
    FROM atl_csv_products(data) AS p LEFT JOIN u ON u.account_id = p.account_id
   ORDER BY p.account_id, p.product, p.site, p.last_seen DESC NULLS LAST;
END;
COMMENT ON FUNCTION atl_csv_product_access(bytea) IS
  'read: per-site access from an export file, in atl_access''s columns';
CREATE FUNCTION atl_csv_product_access(data text)
RETURNS SETOF atl_access
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT * FROM atl_csv_product_access(convert_to(data, 'UTF8'));
END;
COMMENT ON FUNCTION atl_csv_product_access(text) IS
  'read: per-site access from an export file (its text as UTF-8), in atl_access''s columns';

-- The rows a file cannot give, and why (nothing disappears silently).
CREATE FUNCTION atl_csv_rejects(data bytea)
RETURNS SETOF atl_csv_reject
AS 'MODULE_PATHNAME', 'atl_csv_rejects' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_rejects(bytea) IS 'read: the rows of an export file that cannot be read, and why';
CREATE FUNCTION atl_csv_rejects(data text)
RETURNS SETOF atl_csv_reject
AS 'MODULE_PATHNAME', 'atl_csv_rejects' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_rejects(text) IS 'read: the rows of an export file that cannot be read, and why';

-- Load a file into four new tables named <prefix>_users, _products, _groups
-- and _rejects (the prefix as written, not folded to lower case), in the
-- schema the caller's search_path creates in, in one pass; replace => true
-- first drops tables of those names (tables only).  The call creates the
-- tables itself and loads exactly those.
CREATE FUNCTION atl_csv_import(data bytea, prefix text, skip_bad boolean DEFAULT false,
                               replace boolean DEFAULT false,
                               OUT format text, OUT users bigint, OUT products bigint,
                               OUT groups bigint, OUT rejected bigint)
AS 'MODULE_PATHNAME', 'atl_csv_import' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_import(bytea, text, boolean, boolean) IS 'read: load an export file into four new tables of the caller''s';
CREATE FUNCTION atl_csv_import(data text, prefix text, skip_bad boolean DEFAULT false,
                               replace boolean DEFAULT false,
                               OUT format text, OUT users bigint, OUT products bigint,
                               OUT groups bigint, OUT rejected bigint)
AS 'MODULE_PATHNAME', 'atl_csv_import' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_import(text, text, boolean, boolean) IS 'read: load an export file into four new tables of the caller''s';
CREATE FUNCTION atl_csv_import_file(path text, prefix text, skip_bad boolean DEFAULT false,
                                    replace boolean DEFAULT false,
                                    OUT format text, OUT users bigint, OUT products bigint,
                                    OUT groups bigint, OUT rejected bigint)
AS 'MODULE_PATHNAME', 'atl_csv_import_file' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_import_file(text, text, boolean, boolean) IS 'read: load an export file on the server (needs pg_read_server_files) into four new tables of the caller''s';
-- Roles: nothing of atlorg is granted to PUBLIC.
--   atlorg_reader   reads: the directory, exports, the mirror, the audit
--   atlorg_actor    also acts on accounts and syncs the mirror
--   atlorg_manager  also creates servers and user mappings, and keeps the
--                   list of protected accounts
--   atlorg_executor the executor (background worker) connects as this role:
--                   it may write the audit and nothing else.  PostgreSQL 15
--                   lets a background worker connect only as a role with
--                   LOGIN; it has no password, so password authentication
--                   never admits it (see "Security" in the README).
-- Grant them to people: GRANT atlorg_actor TO alice;
-- (Roles belong to the cluster: a second database's CREATE EXTENSION
-- reuses them, after checking that nobody made them superusers.)
DO $$
DECLARE
  r record;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'atlorg_reader') THEN
    CREATE ROLE atlorg_reader NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'atlorg_actor') THEN
    CREATE ROLE atlorg_actor NOLOGIN IN ROLE atlorg_reader;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'atlorg_manager') THEN
    CREATE ROLE atlorg_manager NOLOGIN IN ROLE atlorg_actor;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'atlorg_executor') THEN
    CREATE ROLE atlorg_executor LOGIN NOINHERIT PASSWORD NULL;
  END IF;
  FOR r IN SELECT a.rolname FROM pg_catalog.pg_authid a
            WHERE a.rolname IN ('atlorg_reader', 'atlorg_actor', 'atlorg_manager', 'atlorg_executor')
              AND (a.rolsuper OR a.rolcreaterole OR a.rolcreatedb OR a.rolreplication
                   OR a.rolbypassrls OR a.rolpassword IS NOT NULL
                   OR (a.rolcanlogin AND a.rolname <> 'atlorg_executor'))
  LOOP
    RAISE EXCEPTION 'role "%" has more rights than atlorg gives it', r.rolname
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'atlorg''s roles have no password, no SUPERUSER, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS, and only atlorg_executor has LOGIN.',
            HINT = 'Someone created or changed this role before atlorg was installed; fix or drop it.';
  END LOOP;
END
$$;

-- Every function's grant follows from its kind, the first word of its
-- comment: read (atlorg_reader), action (atlorg_actor), manage
-- (atlorg_manager), owner (nobody: the extension's owner may grant it),
-- internal (nobody: only atlorg's C code and PostgreSQL call it).  A
-- function without a kind stops the install, so none can slip past.
DO $$
DECLARE
  f record;
  kind text;
BEGIN
  FOR f IN SELECT p.oid::pg_catalog.regprocedure AS sig,
                  pg_catalog.obj_description(p.oid, 'pg_proc') AS descr
             FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_proc p ON p.oid = d.objid
            WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.deptype = 'e'
              AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'atlorg')
  LOOP
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f.sig);
    kind := pg_catalog.substring(f.descr, '^(read|action|manage|owner|internal): ');
    IF kind IS NULL THEN
      RAISE EXCEPTION 'atlorg function % has no kind', f.sig
        USING ERRCODE = 'invalid_object_definition',
              HINT = 'Its comment must begin with read:, action:, manage:, owner: or internal:.';
    END IF;
    IF kind IN ('read', 'action', 'manage') THEN
      EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', f.sig,
                                'atlorg_' || CASE kind WHEN 'read' THEN 'reader'
                                                       WHEN 'action' THEN 'actor'
                                                       ELSE 'manager' END);
    END IF;
  END LOOP;
END
$$;

-- Anyone may look atlorg's names up (and be told "permission denied"
-- rather than "does not exist"); using anything takes one of the roles.
GRANT USAGE ON SCHEMA atlorg TO PUBLIC;
GRANT SELECT ON atl_audit, atl_runs, atl_run, atl_run_progress, atl_protected_accounts, atl_mirror_users,
                atl_mirror_user_products, atl_mirror_access, atl_mirror_groups, atl_mirror_group_members,
                atl_mirror_syncs, atl_mirror_status TO atlorg_reader;
-- atl_sync() writes the mirror as its caller
GRANT INSERT, UPDATE, DELETE ON atl_mirror_users, atl_mirror_user_products, atl_mirror_access,
                                atl_mirror_groups,
                atl_mirror_group_members TO atlorg_actor;
GRANT INSERT ON atl_mirror_syncs TO atlorg_actor;
GRANT SELECT ON atl_directory TO atlorg_reader;
GRANT UPDATE ON atl_directory TO atlorg_actor;
-- the UPDATE rule inserts the change set with the view owner's rights; the
-- trigger, as the caller, fills in and clears its own session's rows
GRANT SELECT, UPDATE, DELETE ON atl_directory_changes TO atlorg_actor;
GRANT USAGE ON SEQUENCE atl_directory_changes_seq TO atlorg_actor;	-- its default runs as the caller
GRANT SELECT ON atl_directory_access, atl_seats TO atlorg_reader;
GRANT INSERT, UPDATE, DELETE ON atl_directory_access TO atlorg_actor;	-- UPDATE: to hear why not
GRANT SELECT, UPDATE, DELETE ON atl_access_changes TO atlorg_actor;
GRANT USAGE ON SEQUENCE atl_access_changes_seq TO atlorg_actor;
GRANT INSERT, UPDATE, DELETE ON atl_protected_accounts TO atlorg_manager;
GRANT USAGE ON FOREIGN DATA WRAPPER atlorg TO atlorg_manager;
-- the executor: the audit, the runs and their queue (which atlorg's C code
-- also writes as this role, in the caller's transaction), and a background
-- run's successes in the mirror
GRANT SELECT, INSERT, UPDATE, DELETE ON atl_audit TO atlorg_executor;
GRANT SELECT, INSERT, UPDATE, DELETE ON atl_run TO atlorg_executor;
GRANT SELECT, INSERT, UPDATE, DELETE ON atl_queue TO atlorg_executor;
GRANT USAGE ON SEQUENCE atl_run_ids TO atlorg_executor;
GRANT SELECT, UPDATE ON atl_mirror_users TO atlorg_executor;
GRANT SELECT ON atl_mirror_groups TO atlorg_executor;
GRANT EXECUTE ON FUNCTION atl_mirror_follow(name, text, text, text, jsonb) TO atlorg_executor;
