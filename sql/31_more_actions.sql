-- More actions, each a C function like atl_disable() (30_actions.sql): the
-- same outcomes, dry runs and protected accounts.

-- The directory: suspend and restore access (the account itself stays
-- active), or remove the user from the directory.
CREATE FUNCTION atl_suspend(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_suspend(text, name, boolean, boolean) IS
  'action: suspend an account''s access to the directory (POST .../directories/{dir}/users/{id}/suspend), audited';

CREATE FUNCTION atl_restore(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_restore(text, name, boolean, boolean) IS
  'action: restore an account''s suspended access (POST .../directories/{dir}/users/{id}/restore), audited';

CREATE FUNCTION atl_remove_from_directory(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_remove_from_directory(text, name, boolean, boolean) IS
  'action: remove a user from the directory (DELETE .../directories/{dir}/users/{id}), audited';

-- Groups (the body {"accountId": ...} is built from the account).
CREATE FUNCTION atl_add_to_group(account_id text, group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_add_to_group(text, text, name, boolean, boolean) IS
  'action: add an account to a group of the directory, audited';

CREATE FUNCTION atl_remove_from_group(account_id text, group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_remove_from_group(text, text, name, boolean, boolean) IS
  'action: remove an account from a group of the directory, audited';

-- Product roles on a site: role e.g. 'atlassian/user', resource an ARI
-- such as 'ari:cloud:jira::site/<cloud id>' (see atl_workspaces()).
CREATE FUNCTION atl_grant_role(account_id text, role text, resource text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_grant_role(text, text, text, name, boolean, boolean) IS
  'action: grant a role on a resource (POST /admin/v1/orgs/{org}/users/{id}/roles/assign), audited';

CREATE FUNCTION atl_revoke_role(account_id text, role text, resource text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_revoke_role(text, text, text, name, boolean, boolean) IS
  'action: revoke a role on a resource (POST /admin/v1/orgs/{org}/users/{id}/roles/revoke), audited';

-- E-mail (on a verified domain; ends the account's sessions).
CREATE FUNCTION atl_set_email(account_id text, email text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_set_email(text, text, name, boolean, boolean) IS
  'action: change an account''s e-mail address (PUT /users/{id}/manage/email), audited';

-- The profile: only the fields given (PATCH .../manage/profile).
CREATE FUNCTION atl_update_profile(account_id text, name text DEFAULT NULL, nickname text DEFAULT NULL, job_title text DEFAULT NULL, department text DEFAULT NULL, organization text DEFAULT NULL, location text DEFAULT NULL, time_zone text DEFAULT NULL, locale text DEFAULT NULL, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_update_profile(text, text, text, text, text, text, text, text, text, name, boolean, boolean) IS
  'action: update an account''s profile fields (PATCH /users/{id}/manage/profile), audited';

-- Revoking one of a user's API tokens (atl_api_tokens() lists them).
CREATE FUNCTION atl_revoke_api_token(account_id text, token_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_revoke_api_token(text, text, name, boolean, boolean) IS
  'action: revoke one of an account''s API tokens (DELETE /users/{id}/manage/api-tokens/{token}), audited';

-- The Jira site (its site_url and basic-auth credentials).
CREATE FUNCTION atl_jira_add_to_group(account_id text, group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_jira_add_to_group(text, text, name, boolean, boolean) IS
  'action: add an account to a group of the Jira site, audited';

CREATE FUNCTION atl_jira_remove_from_group(account_id text, group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_jira_remove_from_group(text, text, name, boolean, boolean) IS
  'action: remove an account from a group of the Jira site, audited';

CREATE FUNCTION atl_jira_remove_user(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_jira_remove_user(text, name, boolean, boolean) IS
  'action: remove an account from the Jira site, audited';

-- The set-based forms (see 30_actions.sql): the same arguments, with an
-- array of accounts; where each account has its own value (an e-mail, a
-- token), an array of those, in the same order and of the same length.
CREATE FUNCTION atl_suspend(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_suspend(text[], name, boolean, boolean) IS
  'action: suspend an account''s access to the directory (POST .../directories/{dir}/users/{id}/suspend), audited';

CREATE FUNCTION atl_restore(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_restore(text[], name, boolean, boolean) IS
  'action: restore an account''s suspended access (POST .../directories/{dir}/users/{id}/restore), audited';

CREATE FUNCTION atl_remove_from_directory(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_remove_from_directory(text[], name, boolean, boolean) IS
  'action: remove a user from the directory (DELETE .../directories/{dir}/users/{id}), audited';

CREATE FUNCTION atl_add_to_group(account_ids text[], group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_add_to_group(text[], text, name, boolean, boolean) IS
  'action: add an account to a group of the directory, audited';

CREATE FUNCTION atl_remove_from_group(account_ids text[], group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_remove_from_group(text[], text, name, boolean, boolean) IS
  'action: remove an account from a group of the directory, audited';

CREATE FUNCTION atl_grant_role(account_ids text[], role text, resource text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_grant_role(text[], text, text, name, boolean, boolean) IS
  'action: grant a role on a resource (POST /admin/v1/orgs/{org}/users/{id}/roles/assign), audited';

CREATE FUNCTION atl_revoke_role(account_ids text[], role text, resource text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_revoke_role(text[], text, text, name, boolean, boolean) IS
  'action: revoke a role on a resource (POST /admin/v1/orgs/{org}/users/{id}/roles/revoke), audited';

CREATE FUNCTION atl_set_email(account_ids text[], emails text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_set_email(text[], text[], name, boolean, boolean) IS
  'action: change an account''s e-mail address (PUT /users/{id}/manage/email), audited';

CREATE FUNCTION atl_update_profile(account_ids text[], name text DEFAULT NULL, nickname text DEFAULT NULL, job_title text DEFAULT NULL, department text DEFAULT NULL, organization text DEFAULT NULL, location text DEFAULT NULL, time_zone text DEFAULT NULL, locale text DEFAULT NULL, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_update_profile(text[], text, text, text, text, text, text, text, text, name, boolean, boolean) IS
  'action: update an account''s profile fields (PATCH /users/{id}/manage/profile), audited';

CREATE FUNCTION atl_revoke_api_token(account_ids text[], token_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_revoke_api_token(text[], text[], name, boolean, boolean) IS
  'action: revoke one of an account''s API tokens (DELETE /users/{id}/manage/api-tokens/{token}), audited';

CREATE FUNCTION atl_jira_add_to_group(account_ids text[], group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_jira_add_to_group(text[], text, name, boolean, boolean) IS
  'action: add an account to a group of the Jira site, audited';

CREATE FUNCTION atl_jira_remove_from_group(account_ids text[], group_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_jira_remove_from_group(text[], text, name, boolean, boolean) IS
  'action: remove an account from a group of the Jira site, audited';

CREATE FUNCTION atl_jira_remove_user(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_jira_remove_user(text[], name, boolean, boolean) IS
  'action: remove an account from the Jira site, audited';

-- A user's API tokens (a read: GET /users/{id}/manage/api-tokens).
CREATE FUNCTION atl_api_tokens(account_id text, server name DEFAULT NULL)
RETURNS TABLE (token_id text, label text, created_at timestamptz, last_access timestamptz,
               expires_at timestamptz)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT t ->> 'id', t ->> 'label', (t ->> 'createdAt')::timestamptz,
         (t ->> 'lastAccess')::timestamptz, (t ->> 'expiry')::timestamptz
    FROM atl_read('users.api_tokens',
                  jsonb_build_object('path', jsonb_build_object('accountId', account_id)),
                  NULL, server) AS t;
END;
COMMENT ON FUNCTION atl_api_tokens(text, name) IS
  'read: the API tokens of an account';
