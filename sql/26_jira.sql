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
