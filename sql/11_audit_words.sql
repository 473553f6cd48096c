-- Reasons in words: what Atlassian's error keys and codes mean, and what
-- the admin can do about them.  One table, read by whoever reads the
-- audit; the audit's views and the NOTICE of a statement that acted show
-- these words next to the key.
--
-- The rows atlorg ships are marked shipped and are the extension script's:
-- pg_dump leaves them out (a restore's CREATE EXTENSION writes them again,
-- and an upgrade script replaces them), and only the extension's owner
-- may change them (a trigger says so: row security would also make a
-- non-superuser's pg_dump fail on the table, and hide rows silently).  A manager
-- adds keys atlorg does not know, or their own words for a key it does, as
-- rows with shipped false: those are dumped and survive upgrades, and a
-- lookup prefers them.  So the key alone is not unique; (key, shipped) is,
-- and a restore never collides with the shipped rows.  (A view over a
-- function would ship the words as well, but would leave users nowhere to
-- put theirs.)
CREATE TABLE atl_error_reasons (
  key         text    NOT NULL,     -- exactly as Atlassian sends it (a key, a code, or 'HTTP <status>')
  shipped     boolean NOT NULL DEFAULT false,
  meaning     text    NOT NULL,     -- what Atlassian said, in plain words
  what_to_do  text    NOT NULL,     -- what the admin can do about it
  PRIMARY KEY (key, shipped)
);
COMMENT ON TABLE atl_error_reasons IS
  'atlorg: Atlassian''s error keys and codes in plain words; shipped rows are atlorg''s, the others a manager''s';
REVOKE ALL ON atl_error_reasons FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('atl_error_reasons', 'WHERE NOT shipped');

-- (A manager's grants leave out the shipped column: what they write is
-- never shipped.)
CREATE FUNCTION atl_error_reasons_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
BEGIN
  IF (TG_OP <> 'INSERT' AND OLD.shipped OR TG_OP <> 'DELETE' AND NEW.shipped)
     AND NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID),
                                    'MEMBER') THEN
    RAISE EXCEPTION 'atlorg''s own words for "%" cannot be changed', coalesce(OLD.key, NEW.key)
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Add a row of your own for the key: a lookup takes it first.';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION atl_error_reasons_guard() IS
  'internal: keeps the shipped rows of atl_error_reasons the extension''s';
CREATE TRIGGER atl_error_reasons_guard BEFORE INSERT OR UPDATE OR DELETE ON atl_error_reasons
  FOR EACH ROW EXECUTE FUNCTION atl_error_reasons_guard();

-- The words for an audit row: its reason (the most precise: managedAccount
-- under forbidden.action), else its key, else its HTTP status; a user's
-- row before atlorg's.  Each lookup is exact.
CREATE FUNCTION atl_error_words(error_key text, error_reason text, http_status integer,
                                OUT key text, OUT meaning text, OUT what_to_do text)
RETURNS record
LANGUAGE sql STABLE
SET search_path = pg_catalog, atlorg, pg_temp
BEGIN ATOMIC
  SELECT r.key, r.meaning, r.what_to_do
    FROM atlorg.atl_error_reasons r
   WHERE r.key = atl_error_words.error_reason
      OR r.key = atl_error_words.error_key
      OR r.key = 'HTTP ' || atl_error_words.http_status
   ORDER BY r.key = atl_error_words.error_reason IS NOT TRUE,
            r.key = atl_error_words.error_key IS NOT TRUE,
            r.shipped
   LIMIT 1;
END;
COMMENT ON FUNCTION atl_error_words(text, text, integer) IS
  'read: the plain words for an error (its reason, else its key, else its HTTP status), from atl_error_reasons';
INSERT INTO atl_error_reasons (key, shipped, meaning, what_to_do)
SELECT k, true, m, w FROM (VALUES
  -- user management (/users/{id}/manage/...): the reason under forbidden.action
  ('managedAccount', 'The account is not managed by your organization: its e-mail domain is not verified and claimed by the organization, so Atlassian lets its owner, not you, change it.',
   'Verify and claim the account''s domain (admin.atlassian.com > Domains), or ask the owner; atl_users() shows the account''s claim status.'),
  ('externalDirectory.scim', 'The account is synced from an identity provider (SCIM): its lifecycle and e-mail belong to that directory, not to Atlassian.',
   'Make the change in the identity provider (Okta, Entra ID, ...); the next sync carries it to Atlassian.'),
  ('externalDirectory.google', 'The account is synced from Google Workspace: its lifecycle and e-mail belong to that directory.',
   'Make the change in Google Workspace, or stop syncing the account there.'),
  ('administrative', 'The account is an administrator''s, and Atlassian does not let this change be made to an administrator by API.',
   'Remove the account''s admin roles first (admin.atlassian.com), or make the change in the admin console.'),
  ('administrative.notMyself', 'The change would act on an administrator other than the key''s owner, which Atlassian refuses.',
   'Have that administrator make the change, or make it in the admin console.'),
  ('myselfOnly', 'Only the account''s owner may make this change.',
   'Ask the account''s owner to make it in their Atlassian profile.'),
  ('authPolicy.saml', 'The account''s authentication policy (SAML single sign-on) forbids this change.',
   'Move the account to a policy without SSO, or make the change in the identity provider.'),
  ('blocked.exportControl', 'Atlassian has blocked the account for export-control reasons.',
   'Nothing the organization can do by API; contact Atlassian support.'),
  -- user management keys
  ('unauthorized', 'The API key was not accepted.',
   'Check the user mapping''s api_key (admin.atlassian.com > Settings > API keys); keys expire after a year.'),
  ('asapUnauthorizedIssuer', 'The service token''s issuer is not accepted (Atlassian''s internal authentication): the credential was not accepted.',
   'Check the user mapping''s api_key; if it is right, contact Atlassian support.'),
  ('forbidden', 'The key may not do this: a scoped key (the user management API takes only keys without scopes), or a key without the rights.',
   'Use an organization API key without scopes for the user management actions.'),
  ('forbidden.action', 'Atlassian refused this action on this account; the reason says why.',
   'See the reason: an unmanaged account, an account synced from an identity provider, an administrator, ...'),
  ('forbidden.targetUnverified', 'The account''s e-mail address is not verified, so Atlassian will not change it.',
   'Have the owner verify their e-mail address, then try again.'),
  ('forbidden.unclaimedDomain', 'The new e-mail address is on a domain the organization has not verified.',
   'Verify the domain (admin.atlassian.com > Domains), or choose an address on a verified one.'),
  ('forbidden.fieldMutation', 'The profile field may not be changed for this account (the identity provider or Atlassian owns it).',
   'Change the field in the identity provider, or leave it out of the update.'),
  ('accountNotFound', 'No such account.',
   'Check the account id (atl_users() lists them); the account may have been deleted.'),
  ('notFound', 'Nothing at this path: no such account or token.',
   'Check the account id or token; atl_sync() refreshes the mirror.'),
  ('bodyParseFailure', 'Atlassian could not read the request''s body.',
   'Check the values given (an e-mail, a profile field); if they look right, report it as an atlorg bug.'),
  ('fieldConstraintsViolated', 'A value breaks a field''s rules (too long, wrong format, ...); the detail names the field.',
   'Correct the value and try again.'),
  ('conflict.lifecycleErrors', 'The account''s state does not allow this lifecycle change; the reason code says which state.',
   'See the reason; atl_sync() shows the account''s current state.'),
  ('ACCOUNT_ALREADY_ACTIVE', 'The account is already active.', 'Nothing: the account is as asked.'),
  ('ACCOUNT_ALREADY_DEACTIVATED', 'The account is already deactivated.', 'Nothing: the account is as asked.'),
  ('ACCOUNT_ALREADY_SCHEDULED_FOR_DELETION', 'The account is already scheduled for deletion.', 'Nothing: the account is as asked.'),
  ('ACCOUNT_SCHEDULED_FOR_DELETION', 'The account is scheduled for deletion, so it cannot be changed.',
   'Cancel the deletion first (atl_cancel_delete), while the grace period lasts.'),
  ('CONFLICT', 'The account''s state does not allow this change.',
   'atl_sync() shows the account''s current state; act on that.'),
  -- organizations API v1 (ApplicationError codes)
  ('ADMIN-400-1', 'Invalid page cursor.', 'Start the read again; if it recurs, report it as an atlorg bug.'),
  ('ADMIN-400-2', 'Invalid domain identifier.', 'Check the domain id (atl_domains() lists them).'),
  ('ADMIN-400-3', 'Invalid date or time.', 'Check the date given.'),
  ('ADMIN-400-4', 'Invalid resource.', 'Check the resource (an ari:cloud:... of the product or site).'),
  ('ADMIN-400-19', 'The request''s syntax is not valid.', 'Check the values given; if they look right, report it as an atlorg bug.'),
  ('ADMIN-400-21', 'The request asks for more than the API allows in one query.', 'Ask for less at a time.'),
  ('ADMIN-400-24', 'The request''s body is not valid.', 'Check the values given (a role, a resource).'),
  ('ADMIN-400-32', 'Too many licence breaches.', 'Free seats or buy more before adding access.'),
  ('ADMIN-401-2', 'The API key was not accepted.', 'Check the user mapping''s api_key.'),
  ('ADMIN-403-3', 'The key is not allowed to manage the organization.', 'Use a key created by an organization admin, with the scopes the action needs.'),
  ('ADMIN-403-5', 'The key is not allowed to manage this group.', 'Check the key''s scopes, or manage the group in the admin console.'),
  ('ADMIN-403-6', 'The group has the default-role attribute and cannot be deleted.', 'Remove the default role first.'),
  ('ADMIN-403-7', 'The group grants admin access to a product or the organization and cannot be deleted.', 'Remove its admin roles first.'),
  ('ADMIN-404-1', 'Unknown resource.', 'Check the ids given.'),
  ('ADMIN-404-2', 'The organization was not found.', 'Check the server''s org_id option.'),
  ('ADMIN-404-3', 'The domain was not found.', 'Check the domain id.'),
  ('ADMIN-404-4', 'The event was not found.', 'Check the event id.'),
  ('ADMIN-404-5', 'The policy was not found.', 'Check the policy id.'),
  ('ADMIN-404-6', 'The policy''s resource was not found.', 'Check the resource id.'),
  ('ADMIN-404-8', 'The user was not found in the organization.', 'Check the account id; atl_sync() refreshes the mirror.'),
  ('ADMIN-404-10', 'The group was not found.', 'Check the group id; atl_sync() refreshes the mirror.'),
  ('ADMIN-405-1', 'The method is not supported here.', 'Report it as an atlorg bug.'),
  ('ADMIN-409-3', 'The product''s licence limit is reached.', 'Free seats (atl_seats shows them) or buy more.'),
  ('ADMIN-409-5', 'The group is not empty.', 'Remove its members first.'),
  ('ADMIN-409-28', 'The request conflicts with the resource''s state.', 'atl_sync() shows the current state; act on that.'),
  ('ADMIN-429-1', 'Rate limit exceeded.', 'atlorg waits and retries; lower atlorg.action_rate if it keeps happening.'),
  ('ADMIN-500-1', 'Atlassian had an internal error.', 'Try again later.'),
  ('ADMIN-500-2', 'Policy validation failed on Atlassian''s side.', 'Try again later; if it recurs, contact Atlassian support.'),
  -- organizations API "UAM" codes (directories, groups, roles)
  ('ADMIN-UAM-400-1', 'Bad request.', 'Check the values given.'),
  ('ADMIN-UAM-400-2', 'The user is inactive.', 'Enable the account first (atl_enable), or leave it out.'),
  ('ADMIN-UAM-400-3', 'The role is not valid for this resource.', 'Check the role and the resource (atl_mirror_access shows the roles in use).'),
  ('ADMIN-UAM-400-4', 'The product is not licensed.', 'Check the product and site.'),
  ('ADMIN-UAM-401-1', 'The API key was not accepted.', 'Check the user mapping''s api_key.'),
  ('ADMIN-UAM-401-2', 'The key is not authorized for this.', 'Check the key''s scopes.'),
  ('ADMIN-UAM-402-1', 'Payment required.', 'Check the organization''s billing.'),
  ('ADMIN-UAM-403-1', 'Forbidden: the key may not do this.', 'Use an organization API key without scopes (v2 group writes need one).'),
  ('ADMIN-UAM-403-2', 'The key is not allowed to manage the organization.', 'Use a key created by an organization admin.'),
  ('ADMIN-UAM-404-1', 'The user or resource is not in the directory.', 'Check the account id; atl_sync() refreshes the mirror.'),
  ('ADMIN-UAM-404-2', 'The organization was not found.', 'Check the server''s org_id option.'),
  ('ADMIN-UAM-404-3', 'The group was not found.', 'Check the group id; atl_sync() refreshes the mirror.'),
  ('ADMIN-UAM-405-1', 'The method is not supported here.', 'Report it as an atlorg bug.'),
  ('ADMIN-UAM-409-1', 'A default group cannot be created.', 'Use another group name.'),
  ('ADMIN-UAM-409-2', 'The resource already is as asked (for a group: the account is already a member).', 'Nothing: atlorg records it as already.'),
  ('ADMIN-UAM-409-3', 'The product''s licence (user) limit is reached.', 'Free seats (atl_seats shows them) or buy more.'),
  ('ADMIN-UAM-415-1', 'Unsupported media type.', 'Report it as an atlorg bug.'),
  ('ADMIN-UAM-500-1', 'Atlassian had an internal error.', 'Try again later.'),
  -- the org routing layer's Spring-style 403
  ('Forbidden', 'The key has no permission for this resource.', 'Check the key''s scopes, or use a key without scopes.'),
  -- what an answer without a key says: its HTTP status
  ('HTTP 400', 'Bad request: Atlassian could not accept the values sent.', 'Read the detail; correct the values.'),
  ('HTTP 401', 'Not authenticated: the key (or the Jira site''s e-mail and token) was not accepted.', 'Check the user mapping''s credentials.'),
  ('HTTP 403', 'Forbidden: the key, or the account acting for it, may not do this.', 'Read the detail; check the key''s scopes or the Jira account''s permissions.'),
  ('HTTP 404', 'Not found: no such account, group or resource.', 'Check the ids; atl_sync() refreshes the mirror.'),
  ('HTTP 405', 'Method not allowed.', 'Report it as an atlorg bug.'),
  ('HTTP 408', 'Atlassian timed out waiting for the request.', 'Try again; counted as failed, not refused.'),
  ('HTTP 409', 'Conflict: the account or resource is not in a state that allows this.', 'atl_sync() shows the current state; act on that.'),
  ('HTTP 413', 'The request is too large.', 'Send less at a time.'),
  ('HTTP 415', 'Unsupported media type.', 'Report it as an atlorg bug.'),
  ('HTTP 429', 'Rate limited, and still so after atlorg''s retries.', 'Run it again later, or lower atlorg.action_rate.'),
  ('HTTP 500', 'Atlassian had an internal error (after atlorg''s retries).', 'Try again later.'),
  ('HTTP 502', 'Bad gateway: Atlassian''s gateway could not reach the service (after retries).', 'Try again later.'),
  ('HTTP 503', 'Atlassian''s service was unavailable (after retries).', 'Try again later; see status.atlassian.com.'),
  ('HTTP 504', 'Atlassian''s gateway timed out (after retries).', 'Try again later; whether the change took effect may need checking.')
) AS t(k, m, w);

-- What an audit row's answer said, never empty for a request Atlassian
-- answered with an error: its reason, else its key, else its message,
-- else its HTTP status.  (From 1.2 the executor stores the message or the
-- status line as the reason of an answer that gave neither key nor reason;
-- rows from before get the same here.)
CREATE FUNCTION atl_audit_reason(error_key text, error_reason text, error_detail text,
                                 http_status integer)
RETURNS text
LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT coalesce(nullif(error_reason, ''), nullif(error_key, ''),
                  CASE WHEN http_status >= 400 THEN coalesce(nullif(error_detail, ''),
                                                             'HTTP ' || http_status) END);
END;
COMMENT ON FUNCTION atl_audit_reason(text, text, text, integer) IS
  'read: an audit row''s reason: its reason, else its key, else its message, else its HTTP status';

-- The action catalogue (src/act_catalogue.c): each action's SQL function, its
-- name in the audit and the request it sends; the API it goes to, what it
-- changes on the account (lifecycle, membership, email, profile, group,
-- jira group, role, api token, directory, jira user), the action that puts
-- it back, or why nothing does.  The names differ in one place only,
-- atl_cancel_delete and cancel-delete (Atlassian's own path); the audit
-- keeps the name it has always recorded, so that its history reads one
-- way.  Previews (atl_predictions()) and undo (atl_undo_plan()) read what
-- they need to know of an action here, not from lists of their own.
CREATE FUNCTION atl_action_catalogue(OUT function text, OUT action text, OUT method text,
                                     OUT path text, OUT api text, OUT changes text,
                                     OUT undo text, OUT final text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'atl_action_catalogue'
LANGUAGE C IMMUTABLE STRICT;
COMMENT ON FUNCTION atl_action_catalogue() IS
  'read: every action: its SQL function, its name in atl_audit.action, its request, what it changes and what undoes it';

CREATE VIEW atl_actions AS
  SELECT function, action, method, path, api, changes, undo, final FROM atl_action_catalogue();
COMMENT ON VIEW atl_actions IS
  'atlorg: every action: its SQL function (atl_cancel_delete), its name in the audit (cancel-delete), its request, what it changes, what undoes it';

-- An action's name as the audit records it, from either spelling: the
-- function's (atl_cancel_delete), the audit's (cancel-delete), or either
-- without its prefix or with - and _ swapped.  For filters:
--   SELECT * FROM atl_audit WHERE action = atl_action_name('atl_cancel_delete');
CREATE FUNCTION atl_action_name(name text)
RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  spelled text := replace(regexp_replace(lower(name), '^atl_', ''), '-', '_');
  found text;
BEGIN
  SELECT c.action INTO found FROM atlorg.atl_action_catalogue() c
   WHERE replace(c.action, '-', '_') = spelled;
  IF found IS NULL THEN
    RAISE EXCEPTION 'atlorg has no action "%"', name
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'SELECT function, action FROM atlorg.atl_actions lists them.';
  END IF;
  RETURN found;
END
$$;
COMMENT ON FUNCTION atl_action_name(text) IS
  'read: an action''s name in atl_audit.action, from its function''s name or the audit''s (either spelling)';

-- The audit with its reasons in words, and each action's SQL function.
CREATE VIEW atl_audit_explained AS
  SELECT a.id, a.requested_at, a.finished_at, a.acted_by, a.session_role, a.server,
         a.action, c.function AS action_function, a.account_id, a.target, a.params,
         a.outcome, a.http_status, a.error_key, a.error_reason, a.error_detail,
         atl_audit_reason(a.error_key, a.error_reason, a.error_detail, a.http_status) AS reason,
         w.key AS explained_key, w.meaning, w.what_to_do,
         a.attempts, a.elapsed_ms, a.run_id, a.verified
    FROM atl_audit a
    LEFT JOIN atl_action_catalogue() c ON c.action = a.action
    LEFT JOIN LATERAL atl_error_words(a.error_key, a.error_reason, a.http_status) w
      ON a.outcome NOT IN ('succeeded', 'pending', 'dry_run');
COMMENT ON VIEW atl_audit_explained IS
  'atlorg: atl_audit with each action''s SQL function and each error''s reason in plain words';
