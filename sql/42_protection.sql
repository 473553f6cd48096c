-- The roles that protect an account: atlorg.protected_roles, as an array.
CREATE FUNCTION atl_protected_roles()
RETURNS text[]
AS 'MODULE_PATHNAME', 'atl_protected_roles_array'
LANGUAGE C STABLE;
COMMENT ON FUNCTION atl_protected_roles() IS
  'read: the roles that protect an account (atlorg.protected_roles)';

-- Why accounts must not be acted on, or null: an entry of the allowlist
-- (atl_protected_accounts) that applies to the action and has not expired,
-- a role of atlorg.protected_roles as the mirror knows it (a platform role,
-- or the role held on a site: atlassian/admin is a product admin), or the
-- acting admin's own account (known when the server has a site e-mail: the
-- mirror's account with it).  actions: the action for each element of
-- account_ids (the audit's names); null, or a null element: any action.
-- One row per element of account_ids, in order, in one query (a bulk
-- action asks once).  Every action asks it as its caller: readers may read
-- the lists.
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
