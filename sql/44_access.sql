-- Taking product access away, and giving it: atl_remove_access() and
-- atl_grant_access(), and the same as statements on atl_directory_access.
--
-- Access to a product on a site comes from a role assigned to the account
-- itself, or from a group of the account that holds a role there.  Removing
-- it removes it however it was granted: each direct role is revoked, and
-- the account leaves every group of its that grants the product on that
-- site, and only those.  A group that also grants something else (another
-- product, another site, an admin role) would take that too: by default
-- the account's removal is refused (every request of it recorded as
-- skipped, naming the group), and also_remove_other_grants => true allows
-- it.  A group synced from an identity provider cannot be changed here:
-- refused the same way.  The plan is made from live reads, not the mirror.

-- One request of a plan: an action of the catalogue, its values, and a
-- reason not to send it (recorded as skipped), if any.
CREATE TYPE atl_access_request AS (
  account_id text, op text, group_id text, role text, resource text, skip text);

-- The site a caller names (its name, URL, cloud id or an ARI on it) for a
-- product, as atl_sites() knows it: an error when none or several match.
-- Where one name covers several sites (Jira and Confluence of one
-- organization may be sites of their own), the product's own one counts.
CREATE FUNCTION atl_access_site(site text, for_product text, srv name, OUT site_id text, OUT name text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  ids text[];
  known text;
BEGIN
  WITH named AS (
    SELECT s.*, split_part(s.product, '-', 1) = split_part(for_product, '-', 1) AS same_family
      FROM atl_sites(srv) s
     WHERE lower(btrim(site)) IN (lower(s.name), lower(s.site_id), lower(s.resource_id),
                                  lower(s.host_url),
                                  lower(regexp_replace(s.host_url, '^https?://|/+$', '', 'g')))
        OR atl_site_id(site) = s.site_id)
  SELECT array_agg(DISTINCT n.site_id), min(n.name), string_agg(DISTINCT n.site_id, ', ')
    INTO ids, name, known
    FROM named n
   WHERE n.same_family OR NOT EXISTS (SELECT FROM named o WHERE o.same_family);
  IF ids IS NULL THEN
    SELECT string_agg(DISTINCT s.name, ', ' ORDER BY s.name) INTO known FROM atl_sites(srv) s;
    RAISE EXCEPTION 'unknown site "%"', site
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'The organization''s sites: ' || coalesce(known, 'none') ||
                   '. A site is named by its name, URL, cloud id or an ARI on it.';
  END IF;
  IF cardinality(ids) > 1 THEN
    RAISE EXCEPTION 'site "%" names % sites for %: %', site, cardinality(ids), for_product, known
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Name it by its cloud id.';
  END IF;
  site_id := ids[1];
END
$$;
COMMENT ON FUNCTION atl_access_site(text, text, name) IS
  'read: the site a caller names for a product (its name, URL, cloud id or an ARI on it), as atl_sites() knows it';

-- The product key a caller names, or an error.
CREATE FUNCTION atl_access_product(product text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
BEGIN
  IF product IS NULL OR lower(btrim(product)) !~ '^[a-z][a-z-]{0,63}$' THEN
    RAISE EXCEPTION 'not a product key: %', quote_nullable(product)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Product keys are the API''s: jira-software, jira-servicedesk, jira-core, confluence, ...';
  END IF;
  RETURN atl_product_key(lower(btrim(product)));
END
$$;
COMMENT ON FUNCTION atl_access_product(text) IS
  'read: the product key a caller names, or an error';

-- The requests that grant role on product at site to each account: one
-- role assignment each.
CREATE FUNCTION atl_access_grant_plan(account_ids text[], product text, site text, role text,
                                      srv name)
RETURNS atl_access_request[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  p text := atl_access_product(product);
  s record := atl_access_site(site, p, srv);
  given text;
BEGIN
  IF role IS NULL OR role !~ '^atlassian/[a-z-]{1,64}$' OR NOT atl_product_role(role) THEN
    RAISE EXCEPTION 'not a product role: %', quote_nullable(role)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Product roles: atlassian/user (the default), atlassian/admin, atlassian/guest, ...';
  END IF;
  SELECT w.resource_id INTO given FROM atl_sites(srv) w
   WHERE w.site_id = s.site_id AND w.product = p LIMIT 1;
  RETURN ARRAY(SELECT ROW(a, 'grant_role', NULL, role,
                          atl_product_resource(p, s.site_id, given), NULL)::atl_access_request
                 FROM unnest(account_ids) AS a ORDER BY a);
END
$$;
COMMENT ON FUNCTION atl_access_grant_plan(text[], text, text, text, name) IS
  'internal: the requests that grant a product role on a site to accounts (called by atl_grant_access)';

-- The groups among grants that give the accounts' memberships: account id
-- and group id, for the groups given.  Few accounts are looked up by id
-- (10 a request), many by listing the groups' members (100 a request).
CREATE FUNCTION atl_access_memberships(account_ids text[], group_ids text[], srv name)
RETURNS TABLE (account_id text, group_id text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
#variable_conflict use_column
BEGIN
  IF cardinality(group_ids) = 0 OR cardinality(account_ids) = 0 THEN
    RETURN;
  END IF;
  IF cardinality(account_ids) <= 100 THEN
    RETURN QUERY
      SELECT DISTINCT u ->> 'accountId', g.id
        FROM generate_series(1, cardinality(account_ids), 10) AS c(i),
             atl_read('users.search',
                      jsonb_build_object('body', jsonb_build_object(
                        'accountIds', to_jsonb(account_ids[c.i:c.i + 9]),
                        'expand', jsonb_build_array('groups'))), NULL, srv) AS u,
             jsonb_array_elements(CASE jsonb_typeof(u -> 'groups') WHEN 'array'
                                       THEN u -> 'groups' ELSE '[]' END) AS e,
             -- a user's groups are named by ARI (ari:cloud:identity::group/<id>)
             LATERAL (SELECT regexp_replace(e ->> 'id', '^.*/', '') AS id) AS g
       WHERE g.id = ANY (group_ids) AND u ->> 'accountId' = ANY (account_ids);
  ELSE
    RETURN QUERY
      SELECT DISTINCT u.account_id, m.group_id
        FROM generate_series(1, cardinality(group_ids), 10) AS c(i),
             atl_users(group_ids => group_ids[c.i:c.i + 9], server => srv) AS u,
             unnest(u.group_ids) AS m(group_id)
       WHERE m.group_id = ANY (group_ids) AND u.account_id = ANY (account_ids);
  END IF;
END
$$;
COMMENT ON FUNCTION atl_access_memberships(text[], text[], name) IS
  'read: which of the accounts are in which of the groups, live';

-- The requests that remove product at site from each account (see the top
-- of this file).  An account with no access there has none.
CREATE FUNCTION atl_access_remove_plan(account_ids text[], product text, site text,
                                       also_other_grants boolean, srv name)
RETURNS atl_access_request[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  p text := atl_access_product(product);
  s record := atl_access_site(site, p, srv);
  sites atl_site[] := ARRAY(SELECT w FROM atl_sites(srv) w);
  roles atl_role_assignment[];
  grants atl_group_grant[] := ARRAY(SELECT g FROM atl_group_grants(srv) g);
  member_accounts text[];
  member_groups text[];
  plan atl_access_request[];
BEGIN
  roles := ARRAY(SELECT r FROM atl_role_assignments(account_ids, srv) r
                  WHERE r.product = p AND r.site_id = s.site_id AND atl_product_role(r.role));
  SELECT coalesce(array_agg(m.account_id), '{}'), coalesce(array_agg(m.group_id), '{}')
    INTO member_accounts, member_groups
    FROM atl_access_memberships(account_ids,
                                ARRAY(SELECT DISTINCT g.group_id FROM unnest(grants) g
                                       WHERE g.product = p AND g.site_id = s.site_id
                                         AND atl_product_role(g.role)), srv) m;

  WITH granting AS (
    -- the groups that grant the product there, and what else each grants
    SELECT g.group_id, min(g.group_name) AS group_name, bool_or(g.external_synced) AS synced,
           (SELECT string_agg(DISTINCT o.product || ' on ' ||
                              coalesce((SELECT w.name FROM unnest(sites) w
                                         WHERE w.site_id = o.site_id LIMIT 1), o.site_id)
                              || ' (' || o.role || ')', ', ')
              FROM unnest(grants) o
             WHERE o.group_id = g.group_id
               AND (o.product, o.site_id) IS DISTINCT FROM (p, s.site_id)) AS also_grants
      FROM unnest(grants) g
     WHERE g.product = p AND g.site_id = s.site_id AND atl_product_role(g.role)
     GROUP BY g.group_id),
       members AS (SELECT * FROM unnest(member_accounts, member_groups) AS m(account_id, group_id)),
       requests AS (
    -- every direct role (and, where Atlassian does not say how, every role)
    SELECT r.account_id, 'revoke_role' AS op, NULL::text AS group_id, r.role,
           atl_product_resource(p, s.site_id, r.resource_id) AS resource,
           NULL::text AS refusal
      FROM unnest(roles) r
     WHERE coalesce(cardinality(r.assigned_via), 0) = 0 OR 'direct' = ANY (r.assigned_via)
    UNION
    -- every granting group of the account
    SELECT m.account_id, 'remove_from_group', g.group_id, NULL, NULL,
           CASE WHEN g.synced THEN
                  format('group "%s" is synced from an identity provider: remove the account there', g.group_name)
                WHEN g.also_grants IS NOT NULL AND NOT also_other_grants THEN
                  format('group "%s" also grants %s; also_remove_other_grants allows removing the account from it', g.group_name, g.also_grants)
           END
      FROM members m JOIN granting g ON g.group_id = m.group_id
    UNION
    -- access that neither a direct role nor a group of the account explains
    SELECT r.account_id, 'revoke_role', NULL, r.role,
           atl_product_resource(p, s.site_id, r.resource_id),
           format('the account''s %s role there is %s; no request removes it', r.role,
                  CASE WHEN 'group_direct' = ANY (r.assigned_via)
                       THEN 'granted by a group the account''s groups do not show'
                       ELSE 'inferred (from another role)' END)
      FROM unnest(roles) r
     WHERE cardinality(r.assigned_via) > 0 AND NOT 'direct' = ANY (r.assigned_via)
       AND NOT EXISTS (SELECT FROM members m WHERE m.account_id = r.account_id)),
       refused AS (
    -- one refusal stops the account's whole removal: nothing half done
    SELECT DISTINCT ON (q.account_id) q.account_id, q.refusal
      FROM requests q WHERE q.refusal IS NOT NULL ORDER BY q.account_id, q.refusal)
  SELECT coalesce(array_agg(ROW(q.account_id, q.op, q.group_id, q.role, q.resource,
                                coalesce(q.refusal, CASE WHEN x.refusal IS NOT NULL
                                                         THEN 'not sent: ' || x.refusal END))::atl_access_request
                            ORDER BY q.account_id, q.op DESC, q.group_id, q.role), '{}')
    INTO plan
    FROM requests q LEFT JOIN refused x ON x.account_id = q.account_id;
  RETURN plan;
END
$$;
COMMENT ON FUNCTION atl_access_remove_plan(text[], text, text, boolean, name) IS
  'internal: the requests that remove a product on a site from accounts (called by atl_remove_access)';

-- The actions.  Each returns the audit rows of the requests it took (one
-- for a grant; for a removal, each revoked role and each group left), and
-- takes the account(s), the product key, and the site (its name, URL,
-- cloud id or an ARI on it).
CREATE FUNCTION atl_remove_access(account_id text, product text, site text,
  also_remove_other_grants boolean DEFAULT false, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_access_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 2;
COMMENT ON FUNCTION atl_remove_access(text, text, text, boolean, name, boolean, boolean) IS
  'action: remove an account''s access to a product on a site, however granted (its direct roles, its groups that grant it), audited';

CREATE FUNCTION atl_remove_access(account_ids text[], product text, site text,
  also_remove_other_grants boolean DEFAULT false, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_access_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_remove_access(text[], text, text, boolean, name, boolean, boolean) IS
  'action: remove many accounts'' access to a product on a site, however granted, audited';

CREATE FUNCTION atl_grant_access(account_id text, product text, site text,
  role text DEFAULT 'atlassian/user', server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_access_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1;
COMMENT ON FUNCTION atl_grant_access(text, text, text, text, name, boolean, boolean) IS
  'action: grant an account a role (atlassian/user by default) on a product on a site, audited';

CREATE FUNCTION atl_grant_access(account_ids text[], product text, site text,
  role text DEFAULT 'atlassian/user', server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_access_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_grant_access(text[], text, text, text, name, boolean, boolean) IS
  'action: grant many accounts a role (atlassian/user by default) on a product on a site, audited';
