-- atlorg 1.1 -> 1.2.  1.1 has shipped and its install script is frozen;
-- every schema change after it goes here as well as into sql/ (which
-- builds a fresh 1.2); test/upgrade.sh checks that an upgraded
-- installation keeps its rows and has a fresh install's catalog.

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION atlorg UPDATE TO '1.2'" to load this file. \quit

-- 1.2: atl_sync() reads the users in disjoint slices at once
-- (atl_users_sliced, sql/41_sync.sql), proved against the API's counts.
-- The directory's users as atl_users() returns them, read for atl_sync():
-- in disjoint slices of the directory (by status, claimStatus and
-- mfaEnabled) paged at once, each proved against the API's counts, or
-- through one cursor chain when atlorg.sync_slices is off, the directory
-- is small, or the counts do not add up (a NOTICE says which).
CREATE FUNCTION atl_users_sliced(server name DEFAULT NULL)
RETURNS SETOF atl_user
AS 'MODULE_PATHNAME', 'atl_users_sliced'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_users_sliced(name) IS
  'read: the users of the organization''s directory, read in disjoint slices at once (what atl_sync() reads)';

-- new functions get their grants the way the install derives them
REVOKE ALL ON FUNCTION atl_users_sliced(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_users_sliced(name) TO atlorg_reader;

-- atl_sync() as in sql/41_sync.sql: its users come from atl_users_sliced()
CREATE OR REPLACE FUNCTION atl_sync(server name DEFAULT NULL, access boolean DEFAULT true)
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
    SELECT * FROM atlorg.atl_users_sliced(srv);
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

-- end of 1.2: atl_sync() in slices

-- 1.2: protection by role, as a rule (atlorg.protected_roles: org, site and
-- product admins by default), and allowlist entries that protect from some
-- actions only, or end (sql/10_audit.sql, sql/42_protection.sql).
ALTER TABLE atl_protected_accounts
  ADD COLUMN actions text[] CONSTRAINT atl_protected_accounts_actions_check
               CHECK (cardinality(actions) > 0 AND array_position(actions, NULL) IS NULL),
  ADD COLUMN expires_at timestamptz;
-- the functions take the actions now: the old signatures go
DROP FUNCTION atl_protection(text, name, text);
DROP FUNCTION atl_protections(text[], name, text);
CREATE FUNCTION atl_protected_roles()
RETURNS text[]
AS 'MODULE_PATHNAME', 'atl_protected_roles_array'
LANGUAGE C STABLE;
COMMENT ON FUNCTION atl_protected_roles() IS
  'read: the roles that protect an account (atlorg.protected_roles)';

CREATE FUNCTION atl_protections(account_ids text[], server name, acting_email text DEFAULT NULL,
                                actions text[] DEFAULT NULL)
RETURNS TABLE (ord bigint, reason text)
LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT u.i,
         CASE WHEN p.reason IS NOT NULL THEN 'protected: ' || p.reason
              WHEN 'atlassian/org-admin' = ANY (m.platform_roles)
                   AND 'atlassian/org-admin' = ANY (r.roles)
                THEN 'protected: an organization admin'
              WHEN lower(m.email) = lower(atl_protections.acting_email)
                THEN 'protected: the acting admin''s own account'
              WHEN 'atlassian/site-admin' = ANY (m.platform_roles)
                   AND 'atlassian/site-admin' = ANY (r.roles)
                THEN 'protected: a site admin'
              WHEN s.role = 'atlassian/admin'
                THEN 'protected: a product admin (' || s.product || ' on ' || s.site || ')'
              WHEN s.role IS NOT NULL
                THEN 'protected: holds ' || s.role || ' (' || s.product || ' on ' || s.site || ')'
              WHEN m.platform_roles && r.roles
                THEN 'protected: holds ' || array_to_string(ARRAY(
                       SELECT x FROM unnest(m.platform_roles) AS x WHERE x = ANY (r.roles)), ', ')
         END
    FROM unnest(atl_protections.account_ids) WITH ORDINALITY AS u(a, i)
    CROSS JOIN (SELECT atl_protected_roles() AS roles) AS r
    LEFT JOIN LATERAL (
      SELECT e.reason
             || CASE WHEN e.actions IS NOT NULL
                     THEN ' (from ' || array_to_string(e.actions, ', ') || ' only)' ELSE '' END
             || CASE WHEN e.expires_at IS NOT NULL
                     THEN ' (until ' || e.expires_at::text || ')' ELSE '' END AS reason
        FROM atl_protected_accounts e
       WHERE e.account_id = u.a
         AND (e.expires_at IS NULL OR e.expires_at > now())
         AND (e.actions IS NULL OR atl_protections.actions[u.i] IS NULL
              OR atl_protections.actions[u.i] = ANY (e.actions))) AS p ON true
    LEFT JOIN atl_mirror_users m ON m.server = atl_protections.server AND m.account_id = u.a
    LEFT JOIN LATERAL (
      SELECT ma.role, ma.product, ma.site
        FROM atl_mirror_access ma
       WHERE ma.server = atl_protections.server AND ma.account_id = u.a
         AND ma.role = ANY (r.roles)
       ORDER BY ma.role = 'atlassian/admin' DESC, ma.product, ma.site
       LIMIT 1) AS s ON true
   ORDER BY u.i;
END;
COMMENT ON FUNCTION atl_protections(text[], name, text, text[]) IS
  'read: why each of the accounts would be skipped by an action, or null';

-- The same for one account (and an action, or null: any).
CREATE FUNCTION atl_protection(account_id text, server name, acting_email text DEFAULT NULL,
                               action text DEFAULT NULL)
RETURNS text
LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT p.reason
    FROM atl_protections(ARRAY[atl_protection.account_id], atl_protection.server,
                         atl_protection.acting_email, ARRAY[atl_protection.action]) AS p;
END;
COMMENT ON FUNCTION atl_protection(text, name, text, text) IS
  'read: why the account would be skipped by an action, or null';

REVOKE ALL ON FUNCTION atl_protected_roles() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_protected_roles() TO atlorg_reader;
REVOKE ALL ON FUNCTION atl_protections(text[], name, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_protections(text[], name, text, text[]) TO atlorg_reader;
REVOKE ALL ON FUNCTION atl_protection(text, name, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_protection(text, name, text, text) TO atlorg_reader;
