--
-- The Jira Cloud site: a server's site_url, and the site's e-mail and API
-- token in the user mapping (basic auth).
--
\! test/fakectl.py reset
\getenv fake_url FAKE_URL

-- Before the site is configured, the functions say what is missing.
SELECT count(*) FROM atl_jira_users();
ALTER SERVER acme OPTIONS (ADD site_url :'fake_url');
SELECT count(*) FROM atl_jira_users();
ALTER USER MAPPING FOR CURRENT_USER SERVER acme
  OPTIONS (ADD site_email 'admin@acme.example', ADD site_api_token 'site-token');

-- Users, paged with startAt/maxResults (up to 1,000 a page).
SELECT count(*) > 10000 AS all_users_and_apps FROM atl_jira_users();
SELECT account_type, count(*) > 0 AS some FROM atl_jira_users() GROUP BY 1 ORDER BY 1;
SELECT display_name, active FROM atl_jira_users() WHERE email = 'john.doe@acme.example';
SELECT count(*) FROM atl_jira_users(max_rows => 5);

-- Groups, and a group's members (50 a page).
SELECT count(*) > 20 AS many_groups FROM atl_jira_groups();
SELECT count(*) > 50 AS paged_past_one_page
  FROM atl_jira_group_members((SELECT group_id FROM atl_jira_groups() WHERE name = 'jira-software-users'));

-- A wrong token: Jira's 401, with where tokens come from.
ALTER USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (SET site_api_token 'wrong');
SELECT count(*) FROM atl_jira_groups();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (SET site_api_token 'site-token');

-- Only a superuser may point site_url anywhere but *.atlassian.net.
CREATE ROLE atl_site_admin;
GRANT USAGE ON FOREIGN DATA WRAPPER atlorg TO atl_site_admin;
SET ROLE atl_site_admin;
CREATE SERVER jira_ok FOREIGN DATA WRAPPER atlorg
  OPTIONS (org_id 'acme-org', site_url 'https://acme.atlassian.net');
CREATE SERVER jira_bad FOREIGN DATA WRAPPER atlorg
  OPTIONS (org_id 'acme-org', site_url 'https://acme.example.net');
RESET ROLE;
DROP SERVER jira_ok;
DROP OWNED BY atl_site_admin;
DROP ROLE atl_site_admin;
