--
-- The rest of the directory: groups, memberships, roles, directories,
-- sites, counts and stats, domains, managed accounts and the org's own
-- audit log.  Each is a typed set-returning function over atl_read(),
-- which pages through any operation of atlorg's catalogue.
--
\! test/fakectl.py reset

-- Groups, with counts that agree with the memberships.
SELECT name, description IS NOT NULL AS described, managed_by, user_count > 0 AS has_users
  FROM atl_groups() ORDER BY name LIMIT 5;
SELECT count(*) > 20 AS many FROM atl_groups();
SELECT g.name, g.user_count, count(m.account_id) AS members
  FROM atl_groups(group_names => '{contractors,site-admins}') AS g
  LEFT JOIN atl_group_members(ARRAY[g.group_id]) AS m ON true
 GROUP BY 1, 2 ORDER BY 1;

-- Memberships agree with the fake's own.
CREATE TEMP TABLE fake_groups (doc jsonb);
\copy fake_groups FROM PROGRAM 'test/fakectl.py groups' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT count(*) AS memberships_differing FROM (
  (SELECT doc ->> 'id', m FROM fake_groups, jsonb_array_elements_text(doc -> 'members') AS m
   EXCEPT SELECT group_id, account_id FROM atl_group_members())
  UNION ALL
  (SELECT group_id, account_id FROM atl_group_members()
   EXCEPT SELECT doc ->> 'id', m FROM fake_groups, jsonb_array_elements_text(doc -> 'members') AS m)) d;

-- What a user can do, and through which group.
SELECT resource_owner, role, assigned_via
  FROM atl_user_roles('712020:978521a6-2367-4092-a7f6-7cc1b9043bdd') ORDER BY 1, 2;
SELECT resource_owner, role
  FROM atl_group_roles((SELECT group_id FROM atl_groups(group_names => '{jira-software-users}')))
 ORDER BY 1, 2;

-- The directory, its sites and products, its domains.
SELECT name FROM atl_directories();
SELECT type, name, type_key, status FROM atl_workspaces() ORDER BY type_key, name;
SELECT name, claim_type, claim_status FROM atl_domains() ORDER BY name;

-- Counts and stats, computed by the API.
SELECT atl_user_count() = (SELECT count(*) FROM atl_users()) AS counts_agree;
SELECT atl_user_count(status => '{active}', claim_status => 'managed')
     = (SELECT count(*) FROM atl_users(status => '{active}', claim_status => 'managed')) AS filtered_counts_agree;
SELECT dimension, value, count > 0 AS some FROM atl_user_stats() ORDER BY 1, 2;
SELECT atl_group_count() = (SELECT count(*) FROM atl_groups()) AS group_counts_agree;
SELECT dimension, value FROM atl_group_stats() ORDER BY 1, 2;

-- Managed accounts (the v1 API, with a next-page URL to follow).
SELECT count(*) AS managed_accounts FROM atl_accounts();
SELECT count(*) AS differing FROM (
  SELECT account_id FROM atl_accounts()
  EXCEPT SELECT account_id FROM atl_users() WHERE claim_status = 'managed') d;
SELECT account_id, account_type, account_status, name, products
  FROM atl_accounts() WHERE email = 'john.doe@acme.example';
-- the v1 APIs' product keys, in the directory's words
SELECT atl_product_key('jira-service-desk') AS v1, atl_product_key('confluence') AS same;

-- The org's own audit log, filtered by the API: an action atlorg takes
-- shows up there too.
SELECT count(*) > 0 AS has_events FROM atl_events(max_rows => 50);
SELECT outcome FROM atl_disable('5e6f7a8b9c0d1e2f3a4b5c6d');
SELECT action, actor_name IS NOT NULL AS has_actor
  FROM atl_events(since => now() - interval '1 minute', max_rows => 5);
-- the action filter goes to the API too
SELECT count(*) AS deactivations_this_minute
  FROM atl_events(since => now() - interval '1 minute', action => 'user_deactivated');
SELECT count(*) AS none_in_the_future
  FROM atl_events(since => now() + interval '1 day');
SELECT count(*) > 0 AS has_actions FROM atl_event_actions();

-- The escape hatch: any catalogue operation, raw.
SELECT jsonb_typeof(x) FROM atl_read('directories') AS x;
SELECT * FROM atl_read('no.such.operation');
