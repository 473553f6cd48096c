--
-- atl_users(): every user of the organization's directory, paged live from
-- POST /admin/v2/orgs/{orgId}/directories/-/users/search, 100 at a time.
--
\! test/fakectl.py reset

-- The fake org has 10,000 users: 100 pages, all on one kept-alive connection.
SELECT count(*) FROM atl_users();
\! test/fakectl.py sent users/search
\! test/fakectl.py connections users/search

-- One user, every column.  Dates are shown as days ago: the fake's
-- activity is relative to when it started.
\x on
SELECT account_id, name, nickname, email, email_verified, status,
       account_status, membership_status, claim_status, management_source,
       round(extract(epoch FROM now() - added_to_org) / 86400) AS added_days_ago,
       mfa_enabled, job_title, department, organization, location, time_zone,
       platform_roles, groups, products,
       round(extract(epoch FROM now() - last_active) / 86400) AS last_active_days_ago,
       (SELECT jsonb_object_agg(k, round(extract(epoch FROM now() - (v #>> '{}')::timestamptz) / 86400))
          FROM jsonb_each(product_last_active) AS e(k, v)) AS product_days_ago
  FROM atl_users() WHERE email = 'john.doe@acme.example';
\x off

-- Inactive in Jira Software for 90 days is one WHERE: the user has Jira
-- Software and has not used it in 90 days, or never has.
SELECT email, products,
       round(extract(epoch FROM now() - (product_last_active ->> 'jira-software')::timestamptz) / 86400) AS jira_days
  FROM atl_users()
 WHERE atl_inactive(product_last_active, 'jira-software', '90 days')
   AND email IN ('mia.krystof@acme.example', 'john.doe@acme.example',
                 'nora.never@acme-labs.example', 'jess.servicedesk@acme.example',
                 'tom.twosites@acme.example', 'bob.boundary@acme.example',
                 'amy.almost@acme.example', 'sam.scim@acme.example')
 ORDER BY email;

-- The same question answered by the fake itself, independently: the two
-- sets are equal, and not small.
CREATE TEMP TABLE fake_inactive (account_id text);
\copy fake_inactive FROM PROGRAM 'test/fakectl.py inactive jira-software 90'
SELECT count(*) > 1000 AS many FROM fake_inactive;
SELECT count(*) AS only_in_atlorg FROM (
  SELECT account_id FROM atl_users() WHERE atl_inactive(product_last_active, 'jira-software', '90 days')
  EXCEPT SELECT account_id FROM fake_inactive) d;
SELECT count(*) AS only_in_fake FROM (
  SELECT account_id FROM fake_inactive
  EXCEPT SELECT account_id FROM atl_users() WHERE atl_inactive(product_last_active, 'jira-software', '90 days')) d;

-- Every user and every per-product date equals the fake's own data.
CREATE TEMP TABLE fake_users (doc jsonb);
\copy fake_users (doc) FROM PROGRAM 'test/fakectl.py users' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT count(*) FROM fake_users;
CREATE TEMP VIEW fake_product_activity AS
  SELECT doc ->> 'accountId' AS account_id, p ->> 'key' AS product,
         max((p ->> 'lastActiveTimestamp')::timestamptz) AS last_active
    FROM fake_users, jsonb_array_elements(doc -> 'productAccess') AS p
   GROUP BY 1, 2;
CREATE TEMP TABLE atlorg_users AS SELECT * FROM atl_users();
SELECT count(*) AS product_dates_differing FROM (
  (SELECT account_id, product, last_active FROM fake_product_activity
   EXCEPT
   SELECT account_id, k, (v #>> '{}')::timestamptz
     FROM atlorg_users, jsonb_each(product_last_active) AS e(k, v))
  UNION ALL
  (SELECT account_id, k, (v #>> '{}')::timestamptz
     FROM atlorg_users, jsonb_each(product_last_active) AS e(k, v)
   EXCEPT
   SELECT account_id, product, last_active FROM fake_product_activity)) d;
SELECT count(*) AS users_differing FROM (
  SELECT doc ->> 'accountId', doc ->> 'name', doc ->> 'email', doc ->> 'status',
         doc ->> 'accountStatus', doc ->> 'membershipStatus', doc ->> 'claimStatus',
         (doc ->> 'addedToOrg')::timestamptz, (doc ->> 'mfaEnabled')::boolean,
         doc ->> 'jobTitle', doc ->> 'timeZone',
         ARRAY(SELECT jsonb_array_elements_text(doc -> 'platformRoles')),
         ARRAY(SELECT g ->> 'name' FROM jsonb_array_elements(doc -> 'groups') g)
    FROM fake_users
  EXCEPT
  SELECT account_id, name, email, status, account_status, membership_status,
         claim_status, added_to_org, mfa_enabled, job_title, time_zone,
         platform_roles, groups
    FROM atlorg_users) d;
-- last_active is the latest of the per-product dates.
SELECT count(*) AS wrong_last_active FROM atlorg_users
 WHERE last_active IS DISTINCT FROM
       (SELECT max((v #>> '{}')::timestamptz) FROM jsonb_each(product_last_active) AS e(k, v));

-- Statuses and claim status are the API's vocabulary.
SELECT status, account_status, membership_status, count(*) > 0 AS present
  FROM atlorg_users GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SELECT claim_status, management_source, count(*) > 0 AS present
  FROM atlorg_users GROUP BY 1, 2 ORDER BY 1, 2;

-- Rows go to a tuplestore that spills to disk past work_mem: a tiny
-- work_mem still returns every row.
SET work_mem = '64kB';
SELECT count(*), count(DISTINCT account_id) FROM atl_users();
RESET work_mem;
