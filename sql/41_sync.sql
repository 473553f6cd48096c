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

-- atl_sync(): refresh the mirror of one server from the live reads.
--
-- Everything is read first (users with their products and groups, in
-- disjoint slices at once (atl_users_sliced), then
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

  -- a changed user takes every column of the read row (atl_user's, in its
  -- order: the mirror's columns are server, LIKE atl_user, synced_at)
  UPDATE atl_mirror_users m
     SET (account_id, name, nickname, email, email_verified, status, account_status,
          membership_status, claim_status, management_source, added_to_org, mfa_enabled,
          job_title, department, organization, location, time_zone, platform_roles, groups,
          group_ids, products, last_active, product_last_active, product_access, synced_at)
       = ROW(n.*, started)
    FROM pg_temp.atl_sync_users n
   WHERE m.server = srv AND m.account_id = n.account_id
     AND ROW(m.*) IS DISTINCT FROM ROW(m.server, n.*, m.synced_at);
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

    -- as the users: atl_access's columns, in its order
    UPDATE atl_mirror_access m
       SET (account_id, email, product, site, site_url, role, direct, via_groups, via_group_ids,
            last_active, resource_id, site_id, synced_at)
         = ROW(n.*, started)
      FROM pg_temp.atl_sync_access n
     WHERE m.server = srv
       AND (n.account_id, n.product, n.site_id) = (m.account_id, m.product, m.site_id)
       AND ROW(m.*) IS DISTINCT FROM ROW(m.server, n.*, m.synced_at);
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
