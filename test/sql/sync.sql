--
-- atl_sync(): a local mirror of the directory.  Queries, joins and indexes
-- on the mirror cost no API calls; each sync reports what changed.
--
\! test/fakectl.py reset
SELECT users_added, users_changed, users_gone, groups_added, groups_changed, groups_gone,
       memberships_added > 0 AS memberships, memberships_gone
  FROM atl_sync();
SELECT count(*) FROM atl_mirror_users;
SELECT count(*) = (SELECT count(*) FROM atl_groups()) AS all_groups FROM atl_mirror_groups;

-- A second sync with nothing changed changes nothing.
SELECT users_added, users_changed, users_gone, groups_added, groups_changed, groups_gone,
       memberships_added, memberships_gone
  FROM atl_sync(access => false);

-- Changes at Atlassian between syncs show up as changes.
SELECT outcome FROM atl_disable('712020:978521a6-2367-4092-a7f6-7cc1b9043bdd');
SELECT users_added, users_changed, users_gone FROM atl_sync(access => false);
SELECT status FROM atl_mirror_users WHERE account_id = '712020:978521a6-2367-4092-a7f6-7cc1b9043bdd';

-- A mirror row that differs from Atlassian's in any column is written
-- again by the next sync, every column as Atlassian has it.
WITH tampered AS (
  UPDATE atl_mirror_users
     SET nickname = 'not theirs', job_title = 'not theirs', product_access = NULL,
         mfa_enabled = NOT coalesce(mfa_enabled, false)
   WHERE account_id IN ('5b10ac8d82e05b22cc7d4ef5', '557057:4f9acfd2-6155-419b-8de5-5b5cf27a59a0')
  RETURNING 1)
SELECT count(*) AS tampered FROM tampered;

-- The mirror answers the same questions as the live reads, for free.
\! test/fakectl.py reset
SELECT users_changed > 0 AS reverted FROM atl_sync(access => false);
SELECT count(*) AS differs
  FROM atl_mirror_users m FULL JOIN atl_users() u USING (account_id)
 WHERE ROW(m.*) IS DISTINCT FROM ROW(m.server, u.*, m.synced_at);
\! test/fakectl.py reset
SELECT count(*) FROM atl_mirror_users
 WHERE atl_inactive(product_last_active, 'jira-software', '90 days');
SELECT count(*) FROM atl_mirror_user_products
 WHERE product = 'jira-software' AND (last_active IS NULL OR last_active < now() - interval '90 days');
\! test/fakectl.py sent users/search
SELECT count(*) = (SELECT count(*) FROM atl_users()
                    WHERE atl_inactive(product_last_active, 'jira-software', '90 days')) AS same
  FROM atl_mirror_users WHERE atl_inactive(product_last_active, 'jira-software', '90 days');
SELECT g.name, count(*) AS members
  FROM atl_mirror_groups g JOIN atl_mirror_group_members m USING (server, group_id)
 WHERE g.name IN ('contractors', 'site-admins') GROUP BY 1 ORDER BY 1;

-- A sync that fails leaves the previous mirror as it was.
SELECT count(*) AS before FROM atl_mirror_users;
\! test/fakectl.py fault '{"path": "users/search", "kind": "status", "status": 500}'
SET atlorg.max_retries = 0;
SELECT * FROM atl_sync();
RESET atlorg.max_retries;
\! test/fakectl.py clear-faults
SELECT count(*) AS after FROM atl_mirror_users;

-- When it was last synced, and by whom.
SELECT server, last_synced <= now() AS synced, synced_by FROM atl_mirror_status;
SELECT count(*) AS syncs FROM atl_mirror_syncs;
