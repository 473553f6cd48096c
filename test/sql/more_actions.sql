--
-- The action catalogue beyond the lifecycle: directory access, groups,
-- product roles, e-mail, profile, API tokens, and the Jira site.  Each is
-- audited like atl_disable(), and each change shows in the next read.
--
\! test/fakectl.py reset
TRUNCATE atl_audit;
\set john '712020:978521a6-2367-4092-a7f6-7cc1b9043bdd'

-- Suspend and restore access to the organization (the account stays active).
SELECT action, outcome, http_status FROM atl_suspend(:'john');
SELECT status, account_status, membership_status FROM atl_users(emails => '{john.doe@acme.example}');
SELECT action, outcome, http_status FROM atl_restore(:'john');
SELECT status, membership_status FROM atl_users(emails => '{john.doe@acme.example}');
-- An org admin: protected by atlorg, and refused by Atlassian when forced.
SELECT outcome, error_detail FROM atl_suspend('5b10ac8d82e05b22cc7d4ef5');
SELECT outcome, http_status FROM atl_suspend('5b10ac8d82e05b22cc7d4ef5', force => true);

-- Groups; adding a member twice is 'already', not a failure.
SELECT group_id AS contractors FROM atl_groups(group_names => '{contractors}') \gset
SELECT action, outcome, http_status FROM atl_add_to_group(:'john', :'contractors');
SELECT 'contractors' = ANY (groups) AS member FROM atl_users(emails => '{john.doe@acme.example}');
SELECT action, outcome, http_status, error_key FROM atl_add_to_group(:'john', :'contractors');
SELECT action, outcome, http_status FROM atl_remove_from_group(:'john', :'contractors');
SELECT 'contractors' = ANY (groups) AS member FROM atl_users(emails => '{john.doe@acme.example}');
SELECT atl_add_to_group(:'john', 'no/such/group');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Product roles on a site.
SELECT workspace_id AS labs_jira FROM atl_workspaces()
 WHERE type_key = 'jira-software' AND name = 'acme-labs' \gset
SELECT action, outcome, http_status FROM atl_grant_role(:'john', 'atlassian/user', :'labs_jira');
SELECT count(*) AS jira_sites FROM atl_user_roles(:'john') WHERE resource_owner = 'jira-software';
SELECT action, outcome, http_status FROM atl_revoke_role(:'john', 'atlassian/user', :'labs_jira');
SELECT count(*) AS jira_sites FROM atl_user_roles(:'john') WHERE resource_owner = 'jira-software';

-- E-mail: only to a verified domain.
SELECT action, outcome, http_status FROM atl_set_email(:'john', 'john.doe@acme-labs.example');
SELECT name FROM atl_users(emails => '{john.doe@acme-labs.example}');
SELECT outcome, http_status, error_key, error_reason
  FROM atl_set_email(:'john', 'john@elsewhere.example');

-- Profile: only the fields given change.
SELECT action, outcome, http_status
  FROM atl_update_profile(:'john', job_title => 'Principal Analyst', department => 'People');
SELECT job_title, department, organization FROM atl_users(emails => '{john.doe@acme-labs.example}');

-- API tokens: list a user's, revoke one.
SELECT u.account_id AS holder FROM atl_users(claim_status => 'managed', max_rows => 40) AS u
 WHERE u.management_source = 'invited' AND u.status = 'active'
   AND NOT 'atlassian/org-admin' = ANY (u.platform_roles)
   AND EXISTS (SELECT FROM atl_api_tokens(u.account_id)) LIMIT 1 \gset
SELECT count(*) AS tokens FROM atl_api_tokens(:'holder') \gset
SELECT token_id AS token FROM atl_api_tokens(:'holder') ORDER BY 1 LIMIT 1 \gset
SELECT action, outcome, http_status FROM atl_revoke_api_token(:'holder', :'token');
SELECT count(*) = :tokens - 1 AS one_fewer FROM atl_api_tokens(:'holder');
SELECT outcome, http_status, error_key FROM atl_revoke_api_token(:'holder', :'token');

-- The Jira site, with its own credentials (set in jira.sql).
SELECT group_id AS jira_contractors FROM atl_jira_groups() WHERE name = 'contractors' \gset
SELECT action, outcome, http_status FROM atl_jira_add_to_group(:'john', :'jira_contractors');
SELECT action, outcome, http_status FROM atl_jira_remove_from_group(:'john', :'jira_contractors');
SELECT action, outcome, http_status FROM atl_jira_remove_user(:'john');
SELECT count(*) AS still_on_the_site FROM atl_jira_users() WHERE account_id = :'john';

-- Everything is in the audit.
SELECT action, outcome, count(*) FROM atl_audit GROUP BY 1, 2 ORDER BY 1, 2;
\! test/fakectl.py reset
