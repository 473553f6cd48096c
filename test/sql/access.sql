--
-- Product access per site: who may use which product where, how it was
-- granted, and when it was last used (live, in the mirror, from an export
-- file); taking it away and giving it (functions, and statements on
-- atl_directory_access).  Checked against the fake org's own ground truth.
--
-- Protection by role as before 1.2 (org admins only): this file's accounts
-- were picked before site and product admins were protected (guards.sql).
SET atlorg.protected_roles = 'atlassian/org-admin';
\! test/fakectl.py reset
SET timezone = 'UTC';
-- the fake sets no rate limit: actions go unpaced here
SET atlorg.action_rate = 0;

-- The org's truth: one row per account, product and site.  :reload reads
-- it again after a change.
CREATE TEMP TABLE truth (j jsonb);
\set reload 'TRUNCATE truth; \\copy truth FROM PROGRAM ''test/fakectl.py access'' WITH (FORMAT csv, QUOTE e''\\x01'', DELIMITER e''\\x02'')'
:reload
CREATE TEMP VIEW expected AS
  SELECT j ->> 'account_id' AS account_id, j ->> 'product' AS product, j ->> 'site' AS site,
         j ->> 'role' AS role, (j ->> 'direct')::boolean AS direct,
         ARRAY(SELECT jsonb_array_elements_text(j -> 'groups') ORDER BY 1) AS via_groups,
         (j ->> 'last_active')::timestamptz AS last_active
    FROM truth;

-- Live: the same rows as the org, account by account (role, how granted,
-- last use), with the sites as atl_workspaces() names them.
CREATE TEMP TABLE live AS SELECT * FROM atl_product_access();
SELECT count(*) AS rows, count(DISTINCT account_id) AS accounts,
       (SELECT count(*) FROM (SELECT account_id, product, site, role, direct, via_groups, last_active FROM live
                              EXCEPT SELECT * FROM expected) x) AS only_live,
       (SELECT count(*) FROM (SELECT * FROM expected
                              EXCEPT SELECT account_id, product, site, role, direct, via_groups, last_active FROM live) x) AS only_org
  FROM live;
SELECT DISTINCT product, site, site_url FROM live ORDER BY 1, 2;

-- In the mirror: atl_sync() keeps the same rows (and writes again every
-- column of a row that differs from Atlassian's).
WITH tampered AS (
  UPDATE atl_mirror_access
     SET role = 'atlassian/guest', via_group_ids = '{}', site_url = NULL, last_active = '2000-01-01'
   WHERE (account_id, product, site_id) IN (SELECT account_id, product, site_id
                                              FROM atl_mirror_access JOIN live USING (account_id, product, site_id)
                                             ORDER BY 1, 2, 3 LIMIT 2)
  RETURNING 1)
SELECT count(*) AS tampered FROM tampered;
SELECT atl_sync() IS NOT NULL AS synced;
SELECT (SELECT count(*) FROM (SELECT account_id, email, product, site, site_url, role, direct, via_groups,
                                     via_group_ids, last_active, resource_id, site_id FROM atl_directory_access
                              EXCEPT SELECT * FROM live) x) AS only_mirror,
       (SELECT count(*) FROM (SELECT * FROM live
                              EXCEPT SELECT account_id, email, product, site, site_url, role, direct, via_groups,
                                            via_group_ids, last_active, resource_id, site_id FROM atl_directory_access) x) AS only_live;
SELECT access_added, access_changed, access_gone FROM atl_sync();   -- nothing changed
-- A quick sync of users and groups only: the per-site rows stay as they
-- are, and it says it did not look (nulls).
\! test/fakectl.py reset-log
SELECT access_added, access_changed, access_gone, users_changed FROM atl_sync(access => false);
\! test/fakectl.py sent role-assignments
SELECT count(*) = (SELECT count(*) FROM live) AS kept FROM atl_directory_access;

-- From the admin console's export file: the same accesses, roles and days.
\set export `test/fakectl.py export-users`
CREATE TEMP TABLE from_csv AS SELECT * FROM atl_csv_product_access(:'export');
SELECT count(*) AS rows,
       (SELECT count(*) FROM (SELECT account_id, product, site, role, last_active::date FROM from_csv
                              EXCEPT SELECT account_id, product, site, role, (last_active AT TIME ZONE 'UTC')::date FROM live) x) AS only_csv,
       (SELECT count(*) FROM (SELECT account_id, product, site, role, (last_active AT TIME ZONE 'UTC')::date FROM live
                              EXCEPT SELECT account_id, product, site, role, last_active::date FROM from_csv) x) AS only_live
  FROM from_csv;

-- "Inactive in Jira Software on acme-labs for 90 days" is one WHERE, the
-- same on all three sources, and finds the same accounts.
SELECT (SELECT count(*) FROM live WHERE product = 'jira-software' AND site = 'acme-labs' AND atl_inactive(last_active, '90 days')) AS live,
       (SELECT count(*) FROM atl_directory_access WHERE product = 'jira-software' AND site = 'acme-labs' AND atl_inactive(last_active, '90 days')) AS mirror,
       (SELECT count(*) FROM from_csv WHERE product = 'jira-software' AND site = 'acme-labs' AND atl_inactive(last_active, '90 days')) AS csv,
       (SELECT count(*) FROM expected WHERE product = 'jira-software' AND site = 'acme-labs' AND atl_inactive(last_active, '90 days')) AS org;

-- Seats: the licence report from the mirror (atl_seats), and the same
-- numbers from live rows and from the export file (atl_seats_of).
-- (Who was active in the last 30 days depends on the time of day the fake
-- started, so those columns are compared with the org's, not printed.)
SELECT product, site, seats, never_used, direct, via_groups
  FROM atl_seats ORDER BY product, site;
SELECT count(*) AS differ_from_org
  FROM (SELECT product, site, seats, active_30, active_60, active_90, never_used FROM atl_seats
        EXCEPT
        SELECT product, site, seats, active_30, active_60, active_90, never_used
          FROM atl_seats_of(ARRAY(SELECT ROW(e.account_id, NULL, e.product, e.site, NULL, e.role, e.direct,
                                             e.via_groups, NULL, e.last_active, NULL, NULL)::atl_access
                                    FROM expected e))) x;
\getenv dir CSV_DIR
\set export_file :dir/export-users.csv
\! test/fakectl.py export-users > "$CSV_DIR/export-users.csv"
SELECT (SELECT count(*) FROM (SELECT product, site, seats, active_30, active_60, active_90, never_used FROM atl_seats
                              EXCEPT SELECT product, site, seats, active_30, active_60, active_90, never_used
                                       FROM atl_seats_of(ARRAY(SELECT a FROM atl_csv_product_access(pg_read_binary_file(:'export_file')) a))) x) AS csv_differs,
       (SELECT count(*) FROM (SELECT * FROM atl_seats_of(ARRAY(SELECT ROW(l.*)::atl_access FROM live l))
                              EXCEPT SELECT product, site, seats, active_30, active_60, active_90, never_used, direct, via_groups
                                       FROM atl_seats) x) AS live_differs;

-- Where Atlassian's documents allow two shapes, both give the same rows:
-- an access never used that productAccess leaves out (the role says it),
-- a role assignment with only the older "roles" (how it was assigned is
-- then unknown: direct is null), the product named only in the ARI, a
-- user's groups named by ARI or by bare id.
SELECT a.account_id, a.product, a.site, a.role, a.direct, a.via_groups, a.last_active
  FROM atl_access_of(
    ARRAY[ROW('u1', 'U One', NULL, 'u1@acme.example', true, 'active', 'active', 'active', 'managed',
              NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{jsm-users}',
              '{ari:cloud:identity::group/g1}', NULL, NULL, NULL,
              '[{"id": "ari:cloud:jira-software::site/c1", "key": "jira-software",
                 "lastActiveTimestamp": "2026-11-20T10:00:00Z"}]')::atl_user,
          ROW('u2', 'U Two', NULL, 'u2@acme.example', true, 'active', 'active', 'active', 'managed',
              NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{jsm-users}', '{g1}',
              NULL, NULL, NULL, '[]')::atl_user],
    ARRAY[ROW('g1', 'jsm-users', false, 'ari:cloud:jira-servicedesk::site/c1', NULL,
              'jira-servicedesk', 'c1', 'atlassian/user', NULL)::atl_group_grant],
    ARRAY[ROW('u1', 'ari:cloud:jira::site/c1', 'jira-software', 'jira-software', 'c1',
              'atlassian/user', NULL)::atl_role_assignment,
          ROW('u1', 'ari:cloud:jira-servicedesk::site/c1', NULL,
              atl_resource_product('ari:cloud:jira-servicedesk::site/c1', NULL), 'c1',
              'atlassian/user', '{group_direct}')::atl_role_assignment,
          ROW('u2', 'ari:cloud:jira-servicedesk::site/c1', 'jira-servicedesk', 'jira-servicedesk',
              'c1', 'atlassian/user', '{group_direct}')::atl_role_assignment,
          ROW('u2', 'ari:cloud:platform::org/o1', 'platform', 'platform', 'o1',
              'atlassian/org-admin', '{direct}')::atl_role_assignment],
    ARRAY[ROW('c1', 'ari:cloud:jira::site/c1', 'jira-software', 'acme', 'https://acme.atlassian.net')::atl_site]) AS a
 ORDER BY 1, 2;
SELECT atl_resource_product('ari:cloud:jira::site/c1', NULL) AS generic_jira,
       atl_resource_product('ari:cloud:jira::site/c1', 'jira-core') AS owner_named,
       atl_resource_product('ari:cloud:confluence::site/c1', '') AS ari_only,
       atl_product_resource('jira-software', 'c1', 'ari:cloud:jira::site/c1') AS for_jira_software,
       atl_product_resource('confluence', 'c1', 'ari:cloud:confluence::site/c1') AS as_given;

-- The accounts the rest of this file acts on, chosen from the org's truth:
-- two_sites  Jira Software on both sites, used on acme in the last 30 days, idle on acme-labs
-- by_group   Jira Software on acme only through jira-software-users
-- by_admins  Jira Software on acme only through jira-admins (which grants three products)
-- both       Jira Software on acme directly and through a group
-- (the idle side is read once: the planner, which cannot estimate the
-- view's rows, would otherwise scan it again for each row of the other)
WITH idle_on_labs AS MATERIALIZED (
  SELECT account_id FROM expected
   WHERE product = 'jira-software' AND site = 'acme-labs' AND atl_inactive(last_active, '90 days'))
SELECT a.account_id AS two_sites
  FROM expected a JOIN idle_on_labs b USING (account_id)
 WHERE a.product = 'jira-software' AND a.site = 'acme' AND NOT atl_inactive(a.last_active, '30 days')
 ORDER BY 1 LIMIT 1 \gset
SELECT account_id AS by_group FROM expected
 WHERE product = 'jira-software' AND site = 'acme' AND NOT direct AND via_groups = '{jira-software-users}'
 ORDER BY 1 LIMIT 1 \gset
SELECT account_id AS by_admins FROM expected
 WHERE product = 'jira-software' AND site = 'acme' AND NOT direct AND via_groups = '{jira-admins}'
 ORDER BY 1 LIMIT 1 \gset
SELECT account_id AS both FROM expected
 WHERE product = 'jira-software' AND site = 'acme' AND direct AND cardinality(via_groups) > 0
 ORDER BY 1 LIMIT 1 \gset

-- The smaller reads, as the README shows them.
SELECT atl_site_id('ari:cloud:jira::site/c1') AS site_id,
       atl_product_role('atlassian/user') AS user_gives_access,
       atl_product_role('atlassian/org-admin') AS org_admin_gives_access,
       atl_csv_role('Admin') AS csv_admin;
SELECT atl_access_product('Jira-Service-Desk') AS product;
SELECT a.name, a.site_id = s.site_id AS same_site
  FROM atl_access_site('https://acme-labs.atlassian.net', 'jira-software', NULL) AS a,
       atl_sites() AS s
 WHERE s.name = 'acme-labs' AND s.product = 'jira-software';
SELECT product, site_id IS NOT NULL AS on_a_site, role, assigned_via
  FROM atl_role_assignments(ARRAY[:'both'])
 WHERE product = 'jira-software' ORDER BY 1, 2, 3;
SELECT count(*) AS both_in_jira_software_users
  FROM atl_access_memberships(ARRAY[:'both'],
                              ARRAY(SELECT group_id FROM atl_mirror_groups WHERE name = 'jira-software-users'),
                              NULL);
SELECT count(*) > 0 AS user_pages FROM atl_user_role_pages(ARRAY[:'both']);
SELECT count(*) > 0 AS group_pages
  FROM atl_group_role_pages(ARRAY(SELECT group_id FROM atl_mirror_groups WHERE name = 'jira-software-users'));
SELECT cardinality(atl_access_holders(ARRAY(SELECT u FROM atl_users(max_rows => 5) AS u))) AS holders;

-- Removing access granted through a group takes the account out of that
-- group, and only that one; the audit says which request it took.
SELECT a.action, g.name AS group_name, a.outcome
  FROM atl_remove_access(:'by_group', 'jira-software', 'acme') AS a
  LEFT JOIN atl_mirror_groups g ON g.group_id = a.target;
:reload
SELECT product, site, direct, via_groups FROM expected WHERE account_id = :'by_group' ORDER BY 1, 2;
SELECT status FROM atl_users(emails => ARRAY(SELECT email FROM atl_mirror_users WHERE account_id = :'by_group'));

-- Access granted directly and through a group: both go.
SELECT a.action, a.params ->> 'role' AS role, g.name AS group_name, a.outcome
  FROM atl_remove_access(:'both', 'jira-software', 'acme') AS a
  LEFT JOIN atl_mirror_groups g ON g.group_id = a.target ORDER BY 1;
:reload
SELECT count(*) AS left FROM expected WHERE account_id = :'both' AND product = 'jira-software' AND site = 'acme';

-- A group that grants more than this product here is not left by default:
-- the whole removal is refused, naming the group, and nothing is sent.
SELECT a.action, a.outcome, a.error_detail
  FROM atl_remove_access(:'by_admins', 'jira-software', 'acme') AS a;
:reload
SELECT product, site, via_groups FROM expected WHERE account_id = :'by_admins' ORDER BY 1, 2;
-- Allowed explicitly, it goes, and the group's other products with it.
SELECT a.action, a.outcome
  FROM atl_remove_access(:'by_admins', 'jira-software', 'acme', also_remove_other_grants => true) AS a;
:reload
SELECT count(*) AS left FROM expected WHERE account_id = :'by_admins' AND site = 'acme' AND product LIKE 'jira-%';

-- Giving it: the default role, or a chosen one; the site by name, URL or
-- cloud id.
SELECT action, params, outcome FROM atl_grant_access(:'by_group', 'jira-software', 'https://acme.atlassian.net');
SELECT action, params ->> 'role' AS role, outcome
  FROM atl_grant_access(:'by_group', 'jira-servicedesk', 'acme-labs', role => 'atlassian/admin');
:reload
SELECT product, site, role, direct, via_groups FROM expected WHERE account_id = :'by_group' ORDER BY 1, 2;
-- Granting what the account has is 'succeeded' again (Atlassian answers 204).
SELECT outcome FROM atl_grant_access(:'by_group', 'jira-software', 'acme');

-- Many accounts at once; an account with no access there has nothing to
-- remove (a NOTICE counts them).
SELECT action, outcome, count(*)
  FROM atl_remove_access(ARRAY[:'by_group', :'both'], 'jira-servicedesk', 'acme-labs', dry_run => true)
 GROUP BY 1, 2;

-- Bad input: a clear error, and nothing sent.
SELECT * FROM atl_remove_access(NULL::text, 'jira-software', 'acme');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM atl_remove_access(:'by_group', NULL, 'acme');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM atl_remove_access(:'by_group', 'jira-software', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM atl_remove_access(ARRAY[:'by_group', NULL], 'jira-software', 'acme');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_remove_access(NULL::text[], 'jira-software', 'acme');
SELECT * FROM atl_remove_access(:'by_group', 'jira-software', 'nowhere');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM atl_remove_access(:'by_group', 'Jira Software', 'acme');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM atl_remove_access('../../users', 'jira-software', 'acme');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM atl_grant_access(:'by_group', 'jira-software', 'acme', role => 'atlassian/org-admin');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM atl_grant_access(:'by_group', 'jira-software', 'acme', role => NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS sent FROM atl_audit
 WHERE backend_pid = pg_backend_pid() AND account_id IN ('../../users') ;

-- The Deactivate Users app's job with the functions (the README's
-- recipes): previewed from the API, and from an export file, which finds
-- the accounts the org says are idle by day.
SELECT r.action, r.outcome, count(*) FROM (
SELECT r.account_id, r.action, r.outcome, r.error_detail
  FROM atl_remove_access(ARRAY(SELECT account_id FROM atl_product_access()
                                WHERE product = 'jira-software' AND site = 'acme-labs'
                                  AND atl_inactive(last_active, '90 days')),
                         'jira-software', 'acme-labs', dry_run => true) AS r
) r GROUP BY 1, 2 ORDER BY 1, 2;
-- (the file exported when the org was as it is now)
\! test/fakectl.py export-users > "$CSV_DIR/export-users.csv"
SELECT array_agg(DISTINCT r.outcome ORDER BY r.outcome) AS outcomes,
       array_agg(DISTINCT r.account_id ORDER BY r.account_id)
     = (SELECT array_agg(account_id ORDER BY account_id) FROM expected
         WHERE product = 'jira-software' AND site = 'acme-labs'
           AND NOT atl_active_within(last_active, 90)) AS the_org_s_idle_accounts
  FROM (
SELECT * FROM atl_remove_access(
  ARRAY(SELECT account_id FROM atl_csv_product_access(pg_read_binary_file(:'export_file'))
         WHERE product = 'jira-software' AND site = 'acme-labs' AND NOT atl_active_within(last_active, 90)),
  'jira-software', 'acme-labs', dry_run => true)
) r;

-- Protected accounts are skipped (recorded so), unless forced; a dry run
-- says so too.
INSERT INTO atl_protected_accounts VALUES (:'two_sites', 'break-glass admin');
SELECT action, outcome, error_detail
  FROM atl_remove_access(:'two_sites', 'jira-software', 'acme-labs', dry_run => true);
DELETE FROM atl_protected_accounts WHERE account_id = :'two_sites';

-- The Deactivate Users app's job, as statements on the mirror: preview,
-- then remove Jira Software on acme-labs from everyone idle there for 90
-- days.  Their access to acme, and their accounts, stay.
SELECT atl_sync() IS NOT NULL AS synced;
SET atlorg.dry_run = on;
DELETE FROM atl_directory_access
 WHERE product = 'jira-software' AND site = 'acme-labs' AND atl_inactive(last_active, '90 days');
\echo removed :ROW_COUNT
RESET atlorg.dry_run;
SELECT actions, requests, dry_run, skipped FROM atl_runs ORDER BY run_id DESC LIMIT 1;
SELECT count(*) AS still_in_mirror FROM atl_directory_access
 WHERE product = 'jira-software' AND site = 'acme-labs' AND atl_inactive(last_active, '90 days');
CREATE TEMP TABLE acme_before AS
  SELECT account_id, product, site FROM expected WHERE site = 'acme';
DELETE FROM atl_directory_access
 WHERE product = 'jira-software' AND site = 'acme-labs' AND atl_inactive(last_active, '90 days')
   AND account_id <> :'two_sites';
\echo removed :ROW_COUNT
DELETE FROM atl_directory_access
 WHERE product = 'jira-software' AND site = 'acme-labs' AND atl_inactive(last_active, '90 days')
   AND account_id = :'two_sites'
RETURNING account_id = :'two_sites' AS two_sites, product, site;
:reload
SELECT count(*) AS idle_left FROM expected
 WHERE product = 'jira-software' AND site = 'acme-labs' AND atl_inactive(last_active, '90 days');
SELECT (SELECT count(*) FROM (SELECT * FROM acme_before EXCEPT SELECT account_id, product, site FROM expected WHERE site = 'acme') x) AS acme_lost,
       (SELECT count(*) FROM atl_users(status => '{active}')) = (SELECT count(*) FROM atl_mirror_users WHERE status = 'active') AS accounts_untouched;
SELECT count(*) AS mirror_matches FROM atl_directory_access
 WHERE product = 'jira-software' AND site = 'acme-labs' AND atl_inactive(last_active, '90 days');

-- The same job from an export file finds the accounts the API finds.  The
-- file knows days, not times: "not used on any of the last 90 days" asks
-- both the same question.
SELECT (SELECT array_agg(account_id ORDER BY account_id) FROM from_csv
         WHERE product = 'jira-software' AND site = 'acme-labs' AND NOT atl_active_within(last_active, 90))
     = (SELECT array_agg(account_id ORDER BY account_id) FROM live
         WHERE product = 'jira-software' AND site = 'acme-labs' AND NOT atl_active_within(last_active, 90)) AS same_accounts;

-- INSERT grants.  Only server, account_id, product, site (or site_id) and
-- role may be given; the account must be in the mirror.
INSERT INTO atl_directory_access (account_id, product, site, role)
VALUES (:'two_sites', 'jira-software', 'acme-labs', 'atlassian/user')
RETURNING account_id = :'two_sites' AS same, product, site, role, direct, last_active IS NOT NULL AS used;
INSERT INTO atl_directory_access (account_id, product, site, last_active)
VALUES (:'two_sites', 'jira-software', 'acme-labs', now());
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO atl_directory_access (account_id, product, site)
VALUES ('5b10ac8d82e05b22cc7d4e00', 'jira-software', 'acme-labs');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE atl_directory_access SET role = 'atlassian/admin' WHERE account_id = :'two_sites';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT role FROM atl_directory_access
 WHERE account_id = :'two_sites' AND product = 'jira-software' AND site = 'acme-labs';

-- Moving everyone from one site's Jira to the other's: grant acme to the
-- active accounts that lack it, then remove acme-labs from those who have
-- acme now.  (A deactivated account cannot be granted anything: Atlassian
-- refuses, and the account keeps acme-labs.)
INSERT INTO atl_directory_access (account_id, product, site)
SELECT a.account_id, 'jira-software', 'acme'
  FROM atl_directory_access a JOIN atl_mirror_users u USING (server, account_id)
 WHERE a.product = 'jira-software' AND a.site = 'acme-labs' AND u.status = 'active'
   AND NOT EXISTS (SELECT FROM atl_directory_access b
                    WHERE b.account_id = a.account_id AND b.product = 'jira-software' AND b.site = 'acme');
\echo granted :ROW_COUNT
DELETE FROM atl_directory_access
 WHERE product = 'jira-software' AND site = 'acme-labs'
   AND account_id IN (SELECT account_id FROM atl_directory_access
                       WHERE product = 'jira-software' AND site = 'acme');
\echo removed :ROW_COUNT
:reload
SELECT site, count(*) FROM expected WHERE product = 'jira-software' GROUP BY 1 ORDER BY 1;
SELECT site, count(*) FROM atl_directory_access WHERE product = 'jira-software' GROUP BY 1 ORDER BY 1;

-- Who may do what: a reader reads, an actor acts.
CREATE ROLE atl_access_reader IN ROLE atlorg_reader;
CREATE ROLE atl_access_actor IN ROLE atlorg_actor;
CREATE ROLE atl_access_stranger;
GRANT USAGE ON FOREIGN SERVER acme TO atl_access_reader, atl_access_actor, atl_access_stranger;
\getenv fake_key FAKE_KEY
CREATE USER MAPPING FOR atl_access_reader SERVER acme OPTIONS (api_key :'fake_key');
CREATE USER MAPPING FOR atl_access_actor SERVER acme OPTIONS (api_key :'fake_key');
CREATE USER MAPPING FOR atl_access_stranger SERVER acme OPTIONS (api_key :'fake_key');
SET ROLE atl_access_stranger;
SELECT count(*) FROM atl_seats;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_product_access();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET ROLE atl_access_reader;
SELECT count(*) > 0 AS reads FROM atl_seats;
SELECT * FROM atl_remove_access(:'by_group', 'jira-software', 'acme');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM atl_directory_access WHERE account_id = :'by_group';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT atl_access_remove_plan(ARRAY[:'by_group'], 'jira-software', 'acme', true, NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- An actor, with objects of the same names planted in public ahead of
-- atlorg on its search_path: the planner reads Atlassian, not them.
RESET ROLE;
CREATE FUNCTION public.atl_group_grants(server name DEFAULT NULL) RETURNS SETOF atlorg.atl_group_grant
  LANGUAGE sql AS $$ SELECT NULL::atlorg.atl_group_grant WHERE false $$;
CREATE FUNCTION public.atl_sites(server name DEFAULT NULL) RETURNS SETOF atlorg.atl_site
  LANGUAGE sql AS $$ SELECT ROW('x', 'ari:cloud:jira::site/x', 'jira-software', 'acme', 'https://evil.example')::atlorg.atl_site $$;
GRANT EXECUTE ON FUNCTION public.atl_group_grants(name), public.atl_sites(name) TO PUBLIC;
SET ROLE atl_access_actor;
SET search_path = public, atlorg;
SELECT action, g.name AS group_name, outcome
  FROM atl_remove_access(:'by_group', 'jira-software', 'acme', dry_run => true) AS a
  LEFT JOIN atl_mirror_groups g ON g.group_id = a.target ORDER BY 1;
DELETE FROM atl_directory_access WHERE account_id = :'by_group' AND product = 'jira-servicedesk'
RETURNING product, site;
RESET search_path;
RESET ROLE;
DROP FUNCTION public.atl_group_grants(name), public.atl_sites(name);
SELECT acted_by, action, outcome FROM atl_audit
 WHERE acted_by IN ('atl_access_reader', 'atl_access_actor', 'atl_access_stranger') ORDER BY id;
DROP USER MAPPING FOR atl_access_reader SERVER acme;
DROP USER MAPPING FOR atl_access_actor SERVER acme;
DROP USER MAPPING FOR atl_access_stranger SERVER acme;
DROP OWNED BY atl_access_reader, atl_access_actor, atl_access_stranger;
DROP ROLE atl_access_reader, atl_access_actor, atl_access_stranger;
\! test/fakectl.py reset
