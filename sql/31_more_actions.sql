-- More actions, each a thin wrapper over atl_act() like atl_disable(): the
-- same outcomes, dry runs and protected accounts.

-- The directory: suspend and restore access (the account itself stays
-- active), or remove the user from the directory.
CREATE FUNCTION atl_suspend(account_id text, server name DEFAULT NULL,
                            dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('suspend', account_id, NULL, NULL, server, dry_run, force) $$;
CREATE FUNCTION atl_restore(account_id text, server name DEFAULT NULL,
                            dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('restore', account_id, NULL, NULL, server, dry_run, force) $$;
CREATE FUNCTION atl_remove_from_directory(account_id text, server name DEFAULT NULL,
                                          dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('remove_from_directory', account_id, NULL, NULL, server, dry_run, force) $$;

-- Groups.
CREATE FUNCTION atl_add_to_group(account_id text, group_id text, server name DEFAULT NULL,
                                 dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('add_to_group', account_id, group_id,
                     jsonb_build_object('accountId', account_id), server, dry_run, force) $$;
CREATE FUNCTION atl_remove_from_group(account_id text, group_id text, server name DEFAULT NULL,
                                      dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('remove_from_group', account_id, group_id, NULL, server, dry_run, force) $$;

-- Product roles on a site: role e.g. 'atlassian/user', resource an ARI
-- such as 'ari:cloud:jira::site/<cloud id>' (see atl_workspaces()).
CREATE FUNCTION atl_grant_role(account_id text, role text, resource text, server name DEFAULT NULL,
                               dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('grant_role', account_id, NULL,
                     jsonb_build_object('role', role, 'resource', resource), server, dry_run, force) $$;
CREATE FUNCTION atl_revoke_role(account_id text, role text, resource text, server name DEFAULT NULL,
                                dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('revoke_role', account_id, NULL,
                     jsonb_build_object('role', role, 'resource', resource), server, dry_run, force) $$;

-- E-mail (on a verified domain; ends the account's sessions) and profile.
CREATE FUNCTION atl_set_email(account_id text, email text, server name DEFAULT NULL,
                              dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('set_email', account_id, NULL, jsonb_build_object('email', email),
                     server, dry_run, force) $$;
-- The body of PATCH .../manage/profile: only the fields given.
CREATE FUNCTION atl_profile_body(name text, nickname text, job_title text, department text,
                                 organization text, location text, time_zone text, locale text)
RETURNS jsonb LANGUAGE sql IMMUTABLE
AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
           'name', name, 'nickname', nickname, 'zoneinfo', time_zone, 'locale', locale,
           'extended_profile', nullif(jsonb_strip_nulls(jsonb_build_object(
             'job_title', job_title, 'department', department,
             'organization', organization, 'location', location)), '{}')))
$$;

CREATE FUNCTION atl_update_profile(account_id text, name text DEFAULT NULL,
                                   nickname text DEFAULT NULL, job_title text DEFAULT NULL,
                                   department text DEFAULT NULL, organization text DEFAULT NULL,
                                   location text DEFAULT NULL, time_zone text DEFAULT NULL,
                                   locale text DEFAULT NULL, server name DEFAULT NULL,
                                   dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$
  SELECT atl_act('update_profile', account_id, NULL,
                 atl_profile_body(name, nickname, job_title, department, organization,
                                  location, time_zone, locale),
                 server, dry_run, force)
$$;

-- A user's API tokens, and revoking one.
CREATE FUNCTION atl_revoke_api_token(account_id text, token_id text, server name DEFAULT NULL,
                                     dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('revoke_api_token', account_id, token_id, NULL, server, dry_run, force) $$;

-- The Jira site (its site_url and basic-auth credentials).
CREATE FUNCTION atl_jira_add_to_group(account_id text, group_id text, server name DEFAULT NULL,
                                      dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('jira_add_to_group', account_id, group_id,
                     jsonb_build_object('accountId', account_id), server, dry_run, force) $$;
CREATE FUNCTION atl_jira_remove_from_group(account_id text, group_id text, server name DEFAULT NULL,
                                           dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('jira_remove_from_group', account_id, group_id, NULL, server, dry_run, force) $$;
CREATE FUNCTION atl_jira_remove_user(account_id text, server name DEFAULT NULL,
                                     dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('jira_remove_user', account_id, NULL, NULL, server, dry_run, force) $$;

-- A user's API tokens (a read: GET /users/{id}/manage/api-tokens).
CREATE FUNCTION atl_api_tokens(account_id text, server name DEFAULT NULL)
RETURNS TABLE (token_id text, label text, created_at timestamptz, last_access timestamptz,
               expires_at timestamptz)
LANGUAGE sql VOLATILE
AS $$
  SELECT t ->> 'id', t ->> 'label', (t ->> 'createdAt')::timestamptz,
         (t ->> 'lastAccess')::timestamptz, (t ->> 'expiry')::timestamptz
    FROM atl_read('users.api_tokens',
                  jsonb_build_object('path', jsonb_build_object('accountId', account_id)),
                  NULL, server) AS t
$$;

-- values[i] belongs to account_ids[i]: as many of one as of the other.
CREATE FUNCTION atl_paired(account_ids text[], vals text[], what text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
  IF cardinality(vals) IS DISTINCT FROM cardinality(account_ids) THEN
    RAISE EXCEPTION 'account_ids has % elements, % has %', coalesce(cardinality(account_ids), 0),
                    what, coalesce(cardinality(vals), 0)
      USING ERRCODE = 'array_subscript_error',
            HINT = 'Give one value for each account, in the same order.';
  END IF;
  RETURN vals;
END
$$;

-- The set-based forms (see atl_act_many in 30_actions.sql): the same
-- arguments, with an array of accounts; where each account has its own
-- value (an e-mail, a token), an array of those, in the same order.
CREATE FUNCTION atl_suspend(account_ids text[], server name DEFAULT NULL,
                            dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['suspend'], account_ids, NULL, NULL, server, dry_run, force) $$;
CREATE FUNCTION atl_restore(account_ids text[], server name DEFAULT NULL,
                            dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['restore'], account_ids, NULL, NULL, server, dry_run, force) $$;
CREATE FUNCTION atl_remove_from_directory(account_ids text[], server name DEFAULT NULL,
                                          dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['remove_from_directory'], account_ids, NULL, NULL, server, dry_run, force) $$;
CREATE FUNCTION atl_add_to_group(account_ids text[], group_id text, server name DEFAULT NULL,
                                 dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['add_to_group'], account_ids, ARRAY[group_id],
                                 ARRAY(SELECT jsonb_build_object('accountId', a)
                                         FROM unnest(account_ids) WITH ORDINALITY AS u(a, i) ORDER BY i),
                                 server, dry_run, force) $$;
CREATE FUNCTION atl_remove_from_group(account_ids text[], group_id text, server name DEFAULT NULL,
                                      dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['remove_from_group'], account_ids, ARRAY[group_id], NULL,
                                 server, dry_run, force) $$;
CREATE FUNCTION atl_grant_role(account_ids text[], role text, resource text, server name DEFAULT NULL,
                               dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['grant_role'], account_ids, NULL,
                                 ARRAY[jsonb_build_object('role', role, 'resource', resource)],
                                 server, dry_run, force) $$;
CREATE FUNCTION atl_revoke_role(account_ids text[], role text, resource text, server name DEFAULT NULL,
                                dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['revoke_role'], account_ids, NULL,
                                 ARRAY[jsonb_build_object('role', role, 'resource', resource)],
                                 server, dry_run, force) $$;
-- emails[i] is account_ids[i]'s new e-mail.
CREATE FUNCTION atl_set_email(account_ids text[], emails text[], server name DEFAULT NULL,
                              dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['set_email'], account_ids, NULL,
                                 ARRAY(SELECT jsonb_build_object('email', e)
                                         FROM unnest(atl_paired(account_ids, emails, 'emails'))
                                              WITH ORDINALITY AS u(e, i) ORDER BY i),
                                 server, dry_run, force) $$;
-- The same profile fields for every account (a department, an office);
-- per-account values: UPDATE atl_directory (43_directory.sql).
CREATE FUNCTION atl_update_profile(account_ids text[], name text DEFAULT NULL,
                                   nickname text DEFAULT NULL, job_title text DEFAULT NULL,
                                   department text DEFAULT NULL, organization text DEFAULT NULL,
                                   location text DEFAULT NULL, time_zone text DEFAULT NULL,
                                   locale text DEFAULT NULL, server name DEFAULT NULL,
                                   dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$
  SELECT * FROM atl_act_many(ARRAY['update_profile'], account_ids, NULL,
                 ARRAY[atl_profile_body(name, nickname, job_title, department, organization,
                                        location, time_zone, locale)],
                 server, dry_run, force)
$$;
-- token_ids[i] is one of account_ids[i]'s tokens.
CREATE FUNCTION atl_revoke_api_token(account_ids text[], token_ids text[], server name DEFAULT NULL,
                                     dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['revoke_api_token'], account_ids,
                                 atl_paired(account_ids, token_ids, 'token_ids'), NULL,
                                 server, dry_run, force) $$;
CREATE FUNCTION atl_jira_add_to_group(account_ids text[], group_id text, server name DEFAULT NULL,
                                      dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['jira_add_to_group'], account_ids, ARRAY[group_id],
                                 ARRAY(SELECT jsonb_build_object('accountId', a)
                                         FROM unnest(account_ids) WITH ORDINALITY AS u(a, i) ORDER BY i),
                                 server, dry_run, force) $$;
CREATE FUNCTION atl_jira_remove_from_group(account_ids text[], group_id text, server name DEFAULT NULL,
                                           dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['jira_remove_from_group'], account_ids, ARRAY[group_id], NULL,
                                 server, dry_run, force) $$;
CREATE FUNCTION atl_jira_remove_user(account_ids text[], server name DEFAULT NULL,
                                     dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['jira_remove_user'], account_ids, NULL, NULL, server, dry_run, force) $$;
