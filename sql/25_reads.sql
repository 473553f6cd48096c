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
