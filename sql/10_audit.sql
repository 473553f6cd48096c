-- The audit: one row per request that may change the organization.  The
-- executor (a background worker) writes the intent before sending and the
-- outcome after, each in its own committed transaction, so the row survives
-- whatever happens to the caller's transaction.
CREATE TABLE atl_audit (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  requested_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at   timestamptz,
  acted_by      name        NOT NULL,
  server        name        NOT NULL,
  action        text        NOT NULL,
  account_id    text        NOT NULL,
  outcome       text        NOT NULL DEFAULT 'pending'
                CHECK (outcome IN ('pending', 'succeeded', 'already', 'refused', 'failed',
                                   'cancelled', 'unknown', 'skipped', 'dry_run')),
  http_status   integer,
  error_key     text,
  error_reason  text,
  error_detail  text,
  attempts      integer     NOT NULL DEFAULT 0,
  elapsed_ms    double precision,
  backend_pid   integer     NOT NULL
);

COMMENT ON TABLE atl_audit IS
  'atlorg: one row per request that may change the organization; written by the executor, never by the caller''s transaction';

CREATE INDEX atl_audit_account_idx ON atl_audit (account_id);
CREATE INDEX atl_audit_requested_at_idx ON atl_audit (requested_at);

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
