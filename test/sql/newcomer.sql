--
-- The README's examples as a newcomer runs them: a status change the
-- account's status makes meaningless is skipped with its reason (the
-- statement goes on); the mirror's lifecycle columns follow an UPDATE at
-- once, as Atlassian has them; Jira's "already a member" is 'already' in
-- either place Jira may put it; a long atl_last_active() says how far it is.
--
\! test/fakectl.py reset
TRUNCATE atl_audit;
SELECT users_added + users_changed >= 0 AS synced FROM atl_sync(access => false);
CREATE TEMP TABLE contractors AS
  SELECT account_id, status AS was FROM atl_directory WHERE 'contractors' = ANY (groups);
SELECT was, count(*) FROM contractors GROUP BY 1 ORDER BY 1;

-- The README's "suspend a contractor group", as written.  The deactivated
-- contractors are skipped (a deactivated account has no access to
-- suspend), the others sent; Atlassian refuses the accounts it does not
-- let the org manage, and the org admin is protected.
-- (Unpaced: the fake sets no rate limit, and 1,189 requests at the default
-- 100 a second would take 12 s.)
SET atlorg.max_statement_actions = 2000;
SET atlorg.action_rate = 0;
UPDATE atl_directory SET status = 'suspended' WHERE 'contractors' = ANY (groups);
RESET atlorg.action_rate;
RESET atlorg.max_statement_actions;
SELECT action, outcome, error_detail, count(*) FROM atl_audit
 WHERE outcome IN ('skipped', 'succeeded', 'already')
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SELECT count(*) = (SELECT count(*) FROM contractors WHERE was = 'deactivated')
         AS every_deactivated_one_skipped
  FROM atl_audit WHERE outcome = 'skipped' AND error_detail LIKE 'the account is deactivated%';
-- nothing was sent for them: Atlassian still has them deactivated, as the mirror does
SELECT count(*) AS skipped_but_sent FROM atl_audit a
 WHERE a.outcome = 'skipped' AND a.http_status IS NOT NULL;

-- The mirror, with no sync: the suspended accounts' membership_status is
-- suspended too, and status, account_status and membership_status are
-- what Atlassian answers for every contractor.
SELECT d.was, m.status, m.account_status, m.membership_status, count(*)
  FROM contractors d JOIN atl_mirror_users m USING (account_id)
 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;
CREATE TEMP TABLE live AS
  SELECT account_id, status, account_status, membership_status
    FROM (SELECT * FROM atl_users(status => '{active,suspended,deactivated,for_deletion}')
          UNION ALL SELECT * FROM atl_users(status => '{not_invited}')) u
   WHERE account_id IN (SELECT account_id FROM contractors);
SELECT count(*) = (SELECT count(*) FROM contractors) AS all_read FROM live;
SELECT count(*) AS mirror_differs_from_atlassian
  FROM contractors c JOIN atl_mirror_users m USING (account_id) JOIN live l USING (account_id)
 WHERE (m.status, m.account_status, m.membership_status)
       IS DISTINCT FROM (l.status, l.account_status, l.membership_status);

-- Enable two deactivated contractors and deactivate two suspended ones:
-- account_status follows at once, and status is the one the membership
-- makes (enabling an account whose membership is suspended leaves it
-- suspended, as Atlassian has it).
CREATE TEMP TABLE moved AS
  (SELECT c.account_id, 'active' AS asked FROM contractors c JOIN atl_mirror_users m USING (account_id)
    WHERE m.status = 'deactivated' AND m.claim_status = 'managed'
      AND m.management_source = 'invited' ORDER BY 1 LIMIT 2)
  UNION ALL
  (SELECT c.account_id, 'deactivated' FROM contractors c JOIN atl_mirror_users m USING (account_id)
    WHERE m.status = 'suspended' ORDER BY 1 LIMIT 2);
-- (what RETURNING gives is tested in directory.sql; here the rows are
-- read back in order, since an UPDATE's RETURNING has none)
UPDATE atl_directory d SET status = mv.asked FROM moved mv WHERE mv.account_id = d.account_id;
SELECT mv.asked, d.status, d.account_status, d.membership_status
  FROM moved mv JOIN atl_directory d USING (account_id) ORDER BY 1, 2, 3, 4;
SELECT count(*) AS mirror_differs_from_atlassian
  FROM moved mv JOIN atl_mirror_users m USING (account_id)
  JOIN atl_users(status => '{active,suspended,deactivated}') l USING (account_id)
 WHERE (m.status, m.account_status, m.membership_status)
       IS DISTINCT FROM (l.status, l.account_status, l.membership_status);
-- a status no action leads to is still an error, and nothing is sent
TRUNCATE atl_audit;
UPDATE atl_directory SET status = 'for_deletion' WHERE account_id IN (SELECT account_id FROM moved);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS audited FROM atl_audit;
-- the reason of each skip, as a read
SELECT o AS old_status, n AS new_status, atl_directory_status_action(o, n) AS action,
       atl_directory_status_skip(o, n) IS NOT NULL AS skipped
  FROM unnest('{active,suspended,deactivated,for_deletion,not_invited}'::text[]) o,
       unnest('{active,suspended,deactivated}'::text[]) n
 WHERE o <> n ORDER BY 1, 2;

-- Jira (the site configured in jira.sql): adding a member again is
-- 'already', whether Jira says so in errorMessages or in its errors map.
\set john '712020:978521a6-2367-4092-a7f6-7cc1b9043bdd'
SELECT group_id AS jira_sales FROM atl_jira_groups() WHERE name = 'sales' \gset
SELECT outcome, http_status FROM atl_jira_add_to_group(:'john', :'jira_sales');
SELECT outcome, http_status, error_detail FROM atl_jira_add_to_group(:'john', :'jira_sales');
\! test/fakectl.py config '{"jira_already_shape": "fields"}'
SELECT outcome, http_status, error_detail FROM atl_jira_add_to_group(:'john', :'jira_sales');
\! test/fakectl.py config '{"jira_already_shape": "messages"}'
-- a refusal of another kind is still refused
SELECT outcome, http_status FROM atl_jira_add_to_group('557057:00000000-0000-0000-0000-000000000000', :'jira_sales');

-- A long atl_last_active() says how far it is every few seconds (5): 15
-- accounts at 120 requests a minute take about 7 s.  (The numbers vary
-- from run to run: they are masked.)
\setenv PGDATABASE :DBNAME
\! psql -X -At -c "SET atlorg.last_active_rate = 120" -c "SELECT count(DISTINCT account_id) FROM atl_last_active(ARRAY(SELECT account_id FROM atlorg.atl_mirror_users WHERE status = 'active' ORDER BY account_id LIMIT 15))" 2>&1 | sed -E 's/: [0-9]+ of /: N of /; s/\([0-9.]+ a second, about [0-9]+ (s|min) left\)/(R a second, about T left)/' | sort -u

-- leave the org and the mirror as they were
\! test/fakectl.py reset
SELECT users_added + users_changed >= 0 AS synced FROM atl_sync(access => false);
DROP TABLE contractors, live, moved;
