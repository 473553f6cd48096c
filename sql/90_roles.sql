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
-- reasons in words: read with the audit; a manager adds their own keys
GRANT SELECT ON atl_error_reasons, atl_audit_explained, atl_actions TO atlorg_reader;
GRANT INSERT (key, meaning, what_to_do), UPDATE (key, meaning, what_to_do), DELETE
  ON atl_error_reasons TO atlorg_manager;
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
GRANT EXECUTE ON FUNCTION atl_status_after(text, text, text, text) TO atlorg_executor;
GRANT EXECUTE ON FUNCTION atl_audit_previous(name, text, text, text, jsonb) TO atlorg_executor;
