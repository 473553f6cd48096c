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
  verified      boolean,                -- atlorg.verify: Atlassian showed the change when read back
  previous      jsonb                   -- what it changes from, as the mirror knew it (1.2): undo
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
-- admins, ...  (Accounts holding a role of atlorg.protected_roles, as the
-- mirror knows them, are protected too.)  An entry may protect from some
-- actions only (the audit's names, e.g. {suspend,delete}), and may end.
CREATE TABLE atl_protected_accounts (
  account_id text PRIMARY KEY,
  reason     text NOT NULL,
  added_by   name NOT NULL DEFAULT current_user,
  added_at   timestamptz NOT NULL DEFAULT now(),
  actions    text[] CONSTRAINT atl_protected_accounts_actions_check
               CHECK (cardinality(actions) > 0 AND array_position(actions, NULL) IS NULL),
  expires_at timestamptz  -- null: never
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
