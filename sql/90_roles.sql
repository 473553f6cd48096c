-- Roles: nothing of atlorg is granted to PUBLIC.
--   atlorg_reader   reads: the directory, exports, the mirror, the audit
--   atlorg_actor    also acts on accounts and syncs the mirror
--   atlorg_manager  also creates servers and user mappings, and keeps the
--                   list of protected accounts
-- Grant them to people: GRANT atlorg_actor TO alice;
-- (Roles belong to the cluster: a second database's CREATE EXTENSION
-- reuses them.)
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'atlorg_reader') THEN
    CREATE ROLE atlorg_reader NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'atlorg_actor') THEN
    CREATE ROLE atlorg_actor NOLOGIN IN ROLE atlorg_reader;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'atlorg_manager') THEN
    CREATE ROLE atlorg_manager NOLOGIN IN ROLE atlorg_actor;
  END IF;
END
$$;

-- Every function of the extension: first from PUBLIC, then to its role.
DO $$
DECLARE
  f regprocedure;
  actions text[] := ARRAY['atl_disable', 'atl_enable', 'atl_delete', 'atl_cancel_delete',
                          'atl_act', 'atl_act_many', 'atl_suspend', 'atl_restore', 'atl_remove_from_directory',
                          'atl_add_to_group', 'atl_remove_from_group', 'atl_grant_role',
                          'atl_revoke_role', 'atl_set_email', 'atl_update_profile',
                          'atl_revoke_api_token', 'atl_jira_add_to_group',
                          'atl_jira_remove_from_group', 'atl_jira_remove_user',
                          'atl_sync', 'atl_sync_apply_users', 'atl_sync_apply_groups',
                          'atl_sync_apply_memberships', 'atl_protection', 'atl_protections', 'atl_directory_apply',
                          'atl_directory_check', 'atl_directory_requests',
                          'atl_directory_results'];
  owner_only text[] := ARRAY['atl_audit_prune'];
BEGIN
  FOR f IN SELECT d.objid::regprocedure FROM pg_depend d
            WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
              AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'atlorg')
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    CONTINUE WHEN (SELECT proname FROM pg_proc WHERE oid = f) = ANY (owner_only);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f,
                   CASE WHEN (SELECT proname FROM pg_proc WHERE oid = f) = ANY (actions)
                        THEN 'atlorg_actor' ELSE 'atlorg_reader' END);
  END LOOP;
END
$$;

GRANT SELECT ON atl_audit, atl_runs, atl_protected_accounts, atl_mirror_users,
                atl_mirror_user_products, atl_mirror_groups, atl_mirror_group_members,
                atl_mirror_syncs, atl_mirror_status TO atlorg_reader;
GRANT INSERT, UPDATE, DELETE ON atl_mirror_users, atl_mirror_user_products, atl_mirror_groups,
                atl_mirror_group_members TO atlorg_actor;
GRANT INSERT ON atl_mirror_syncs TO atlorg_actor;
GRANT SELECT ON atl_directory TO atlorg_reader;
GRANT UPDATE ON atl_directory TO atlorg_actor;
GRANT SELECT, UPDATE, DELETE ON atl_directory_changes TO atlorg_actor;
GRANT USAGE ON SEQUENCE atl_directory_changes_seq TO atlorg_actor;
GRANT INSERT, UPDATE, DELETE ON atl_protected_accounts TO atlorg_manager;
GRANT USAGE ON FOREIGN DATA WRAPPER atlorg TO atlorg_manager;
