-- The atlorg demo, against a fake org of 3,000 users (test/demo.sh).
-- ECHO all shows each line as written, so the key below stays a variable.
\set ECHO all

CREATE EXTENSION atlorg;

-- 1. One server per Atlassian organization; the API key in a user mapping.
--    Against the real thing, leave out api_base (it defaults to
--    https://api.atlassian.com) and use your own org id and key.
\getenv fake_url FAKE_URL
\getenv fake_key FAKE_KEY
CREATE SERVER acme FOREIGN DATA WRAPPER atlorg
  OPTIONS (org_id 'acme-org', api_base :'fake_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (api_key :'fake_key');
--    The org's Jira site (the fake serves it at the same URL): its address
--    on the server, the site admin's e-mail and API token in the mapping.
--    Against the real thing: https://<your-site>.atlassian.net, your e-mail
--    and an API token from id.atlassian.com.
ALTER SERVER acme OPTIONS (ADD site_url :'fake_url');
ALTER USER MAPPING FOR CURRENT_USER SERVER acme
  OPTIONS (ADD site_email 'admin@acme.example', ADD site_api_token 'site-token');
SELECT count(*) AS jira_users FROM atl_jira_users();
--    pg_cron, for the scheduling examples (the demo's cluster preloads it).
CREATE EXTENSION pg_cron;

-- 2. The directory, live.
SELECT status, count(*) FROM atl_users() GROUP BY status ORDER BY count(*) DESC;

-- 3. Active, managed people who have not used Jira Software in 90 days.
SELECT account_id, name, email,
       (product_last_active ->> 'jira-software')::timestamptz::date AS last_in_jira
  FROM atl_users()
 WHERE atl_inactive(product_last_active, 'jira-software', '90 days')
   AND status = 'active' AND claim_status = 'managed'
 ORDER BY last_in_jira NULLS FIRST
 LIMIT 10;

-- 4. Deactivate one of them: the result is its audit row.
SELECT id, action, account_id, outcome, http_status, attempts, round(elapsed_ms) AS ms
  FROM atl_disable('712020:978521a6-2367-4092-a7f6-7cc1b9043bdd');

-- 5. A refusal is an outcome, not an error (this account is not managed).
SELECT account_id, outcome, http_status, error_key, error_reason
  FROM atl_disable('557057:4f9acfd2-6155-419b-8de5-5b5cf27a59a0');

-- 6. The audit keeps every request, whatever happens to the caller.
SELECT id, requested_at::time(0), acted_by, action, account_id, outcome, http_status
  FROM atl_audit ORDER BY id;

-- 7. A local mirror for repeated questions: no API calls once synced.
SELECT * FROM atl_sync();
SELECT g.name, count(*) AS members
  FROM atl_mirror_groups g JOIN atl_mirror_group_members m USING (server, group_id)
 GROUP BY 1 ORDER BY 2 DESC LIMIT 5;
-- Seats per product and site, for the licence renewal.
SELECT product, site, seats, active_90, never_used FROM atl_seats;

-- 8. Bulk, as an UPDATE of the mirror: preview first (a dry run records
--    what would happen and sends nothing), then do it.  Org admins are
--    protected; Atlassian refuses accounts it does not let you manage.
SET atlorg.dry_run = on;
UPDATE atl_directory SET status = 'deactivated'
 WHERE status = 'active' AND claim_status = 'managed'
   AND atl_inactive(product_last_active, 'jira-software', '90 days');
RESET atlorg.dry_run;
SELECT actions, requests, dry_run, skipped FROM atl_runs ORDER BY run_id DESC LIMIT 1;
UPDATE atl_directory SET status = 'deactivated'
 WHERE status = 'active' AND claim_status = 'managed'
   AND atl_inactive(product_last_active, 'jira-software', '90 days');

-- 9. Who did what, and what failed: one row per statement.
SELECT run_id, acted_by, actions, requests, succeeded, failed, skipped, dry_run, took
  FROM atl_runs ORDER BY run_id;
SELECT error_key, error_reason, count(*) FROM atl_audit
 WHERE outcome = 'refused' GROUP BY 1, 2 ORDER BY 3 DESC;
