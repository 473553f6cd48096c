--
-- atl_users() filters: passed to the API with the request, so that only
-- the matching users are downloaded; max_rows stops paging early.
--
\! test/fakectl.py reset

SELECT count(*) AS active_managed
  FROM atl_users(status => '{active}', claim_status => 'managed');
SELECT (SELECT count(*) FROM atl_users(status => '{active}', claim_status => 'managed'))
     = (SELECT count(*) FROM atl_users() WHERE status = 'active' AND claim_status = 'managed')
       AS same_as_filtering_afterwards;
SELECT DISTINCT status, membership_status FROM atl_users(status => '{suspended}');
SELECT count(*) > 0 AS some, bool_and(account_status = 'inactive') AS all_inactive
  FROM atl_users(account_status => '{inactive}');
SELECT DISTINCT split_part(email, '@', 2) AS domain
  FROM atl_users(email_domains => '{acme-labs.example}');
SELECT account_id, name FROM atl_users(emails => '{john.doe@acme.example,mia.krystof@acme.example}')
 ORDER BY 1;
SELECT name FROM atl_users(search => 'john.doe');
SELECT count(*) > 0 AS some, bool_and('atlassian/org-admin' = ANY (platform_roles)) AS all_admins
  FROM atl_users(role_ids => '{atlassian/org-admin}');

-- Only the matching pages were fetched: the filter went to the API.
\! test/fakectl.py reset
SELECT count(*) FROM atl_users(email_domains => '{acme-labs.example}');
\! test/fakectl.py sent users/search

-- max_rows: LIMIT alone would still read the whole org first.
\! test/fakectl.py reset
SELECT count(*) FROM atl_users(max_rows => 10);
\! test/fakectl.py sent users/search
\! test/fakectl.py reset
SELECT count(*) FROM atl_users(max_rows => 250);
\! test/fakectl.py sent users/search

-- A filter the API refuses is an error with Atlassian's words.
SELECT count(*) FROM atl_users(search => 'x', emails => '{a@b.example}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
