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

-- Many accounts' or groups' role-assignment pages at once (src/read_id_pages.c).
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
