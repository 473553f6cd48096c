-- atlorg 1.1 -> 1.2.  1.1 has shipped and its install script is frozen;
-- every schema change after it goes here as well as into sql/ (which
-- builds a fresh 1.2); test/upgrade.sh checks that an upgraded
-- installation keeps its rows and has a fresh install's catalog.

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION atlorg UPDATE TO '1.2'" to load this file. \quit

-- 1.2: atl_sync() reads the users in disjoint slices at once
-- (atl_users_sliced, sql/41_sync.sql), proved against the API's counts.
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

-- new functions get their grants the way the install derives them
REVOKE ALL ON FUNCTION atl_users_sliced(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_users_sliced(name) TO atlorg_reader;

-- atl_sync() as in sql/41_sync.sql: its users come from atl_users_sliced()
CREATE OR REPLACE FUNCTION atl_sync(server name DEFAULT NULL, access boolean DEFAULT true)
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

  UPDATE atl_mirror_users m
     SET (name, nickname, email, email_verified, status, account_status, membership_status,
          claim_status, management_source, added_to_org, mfa_enabled, job_title, department,
          organization, location, time_zone, platform_roles, groups, group_ids, products,
          last_active, product_last_active, product_access, synced_at)
       = (n.name, n.nickname, n.email, n.email_verified, n.status, n.account_status,
          n.membership_status, n.claim_status, n.management_source, n.added_to_org,
          n.mfa_enabled, n.job_title, n.department, n.organization, n.location, n.time_zone,
          n.platform_roles, n.groups, n.group_ids, n.products, n.last_active,
          n.product_last_active, n.product_access, started)
    FROM pg_temp.atl_sync_users n
   WHERE m.server = srv AND m.account_id = n.account_id
     AND (m.name, m.nickname, m.email, m.email_verified, m.status, m.account_status,
          m.membership_status, m.claim_status, m.management_source, m.added_to_org,
          m.mfa_enabled, m.job_title, m.department, m.organization, m.location, m.time_zone,
          m.platform_roles, m.groups, m.group_ids, m.products, m.last_active,
          m.product_last_active, m.product_access)
         IS DISTINCT FROM
         (n.name, n.nickname, n.email, n.email_verified, n.status, n.account_status,
          n.membership_status, n.claim_status, n.management_source, n.added_to_org,
          n.mfa_enabled, n.job_title, n.department, n.organization, n.location, n.time_zone,
          n.platform_roles, n.groups, n.group_ids, n.products, n.last_active,
          n.product_last_active, n.product_access);
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

    UPDATE atl_mirror_access m
       SET (email, site, site_url, role, direct, via_groups, via_group_ids, last_active,
            resource_id, synced_at)
         = (n.email, n.site, n.site_url, n.role, n.direct, n.via_groups, n.via_group_ids,
            n.last_active, n.resource_id, started)
      FROM pg_temp.atl_sync_access n
     WHERE m.server = srv
       AND (n.account_id, n.product, n.site_id) = (m.account_id, m.product, m.site_id)
       AND (m.email, m.site, m.site_url, m.role, m.direct, m.via_groups, m.via_group_ids,
            m.last_active, m.resource_id)
           IS DISTINCT FROM
           (n.email, n.site, n.site_url, n.role, n.direct, n.via_groups, n.via_group_ids,
            n.last_active, n.resource_id);
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

-- end of 1.2: atl_sync() in slices

-- 1.2: reasons in words, action names, refusals by reason
-- (sql/11_audit_words.sql, sql/12_runs.sql).  The audit's rows are left as
-- they are: the words are looked up, never written into them.
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

-- The action catalogue (src/action_ops.c): each action's SQL function, its
-- name in the audit and the request it sends.  The names differ in one
-- place only, atl_cancel_delete and cancel-delete (Atlassian's own path);
-- the audit keeps the name it has always recorded, so that its history
-- reads one way.
CREATE FUNCTION atl_action_catalogue(OUT function text, OUT action text, OUT method text,
                                     OUT path text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'atl_action_catalogue'
LANGUAGE C IMMUTABLE STRICT;
COMMENT ON FUNCTION atl_action_catalogue() IS
  'read: every action: its SQL function, its name in atl_audit.action, its method and path';

CREATE VIEW atl_actions AS
  SELECT function, action, method, path FROM atl_action_catalogue();
COMMENT ON VIEW atl_actions IS
  'atlorg: every action: its SQL function (atl_cancel_delete), its name in the audit (cancel-delete), its request';

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

-- atl_runs as in sql/12_runs.sql: refusals by reason, a new last column
CREATE OR REPLACE VIEW atl_runs AS
  SELECT r.id AS run_id, r.acted_by, r.session_role, r.server, r.label, r.statement,
         r.background,
         CASE WHEN r.state IN ('queued', 'running') AND l.paused THEN 'paused' ELSE r.state END
           AS state,
         r.total, a.actions, r.started_at, r.finished_at, r.finished_at - r.started_at AS took,
         coalesce(a.requests, 0) AS requests, coalesce(a.succeeded, 0) AS succeeded,
         coalesce(a.already, 0) AS already, coalesce(a.refused, 0) AS refused,
         coalesce(a.failed, 0) AS failed, coalesce(a.unknown, 0) AS unknown,
         coalesce(a.skipped, 0) AS skipped, coalesce(a.dry_run, 0) AS dry_run,
         coalesce(a.cancelled, 0) AS cancelled, coalesce(a.pending, 0) AS pending,
         coalesce(a.verified, 0) AS verified, r.backend_pid, f.refusals
    FROM atl_run r
    LEFT JOIN atl_runs_live() l ON l.run_id = r.id
    LEFT JOIN LATERAL (
      SELECT string_agg(DISTINCT action, ', ' ORDER BY action) AS actions,
             count(*) AS requests,
             count(*) FILTER (WHERE outcome = 'succeeded') AS succeeded,
             count(*) FILTER (WHERE outcome = 'already') AS already,
             count(*) FILTER (WHERE outcome = 'refused') AS refused,
             count(*) FILTER (WHERE outcome = 'failed') AS failed,
             count(*) FILTER (WHERE outcome = 'unknown') AS unknown,
             count(*) FILTER (WHERE outcome = 'skipped') AS skipped,
             count(*) FILTER (WHERE outcome = 'dry_run') AS dry_run,
             count(*) FILTER (WHERE outcome = 'cancelled') AS cancelled,
             count(*) FILTER (WHERE outcome = 'pending') AS pending,
             count(*) FILTER (WHERE verified) AS verified
        FROM atl_audit au WHERE au.run_id = r.id) a ON true
    -- the refusals by what Atlassian said: {"managedAccount": 3, ...}
    LEFT JOIN LATERAL (
      SELECT jsonb_object_agg(x.reason, x.n) AS refusals
        FROM (SELECT atl_audit_reason(au.error_key, au.error_reason, au.error_detail,
                                      au.http_status) AS reason, count(*) AS n
                FROM atl_audit au WHERE au.run_id = r.id AND au.outcome = 'refused'
               GROUP BY 1) x
       WHERE x.reason IS NOT NULL) f ON true
   -- a run whose audit rows are gone (atlorg.audit_retention) is gone too
   WHERE a.requests > 0 OR r.state IN ('queued', 'running', 'paused');

-- new functions and relations get their grants as the install gives them
REVOKE ALL ON FUNCTION atl_error_words(text, text, integer), atl_audit_reason(text, text, text, integer),
                       atl_action_catalogue(), atl_action_name(text), atl_error_reasons_guard() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_error_words(text, text, integer), atl_audit_reason(text, text, text, integer),
                          atl_action_catalogue(), atl_action_name(text) TO atlorg_reader;
GRANT SELECT ON atl_error_reasons, atl_audit_explained, atl_actions TO atlorg_reader;
GRANT INSERT (key, meaning, what_to_do), UPDATE (key, meaning, what_to_do), DELETE
  ON atl_error_reasons TO atlorg_manager;

-- end of 1.2: reasons in words
