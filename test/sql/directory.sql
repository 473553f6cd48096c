--
-- atl_directory: UPDATE the mirror to act at Atlassian.  The row count and
-- RETURNING are what Atlassian did; the mirror changes only there.
--
-- Protection by role as before 1.2 (org admins only): this file's accounts
-- were picked before site and product admins were protected (guards.sql).
SET atlorg.protected_roles = 'atlassian/org-admin';
\! test/fakectl.py reset
TRUNCATE atl_audit;
SELECT users_added + users_changed >= 0 AS synced FROM atl_sync(access => false);
CREATE TEMP TABLE picked AS
  SELECT account_id, row_number() OVER (ORDER BY account_id) AS n FROM atl_directory
   WHERE status = 'active' AND claim_status = 'managed' AND management_source = 'invited'
     AND NOT 'atlassian/org-admin' = ANY (platform_roles);
-- accounts Atlassian refuses to deactivate (synced from an identity provider)
CREATE TEMP TABLE refusing AS
  SELECT account_id, row_number() OVER (ORDER BY account_id) AS n FROM atl_directory
   WHERE status = 'active' AND management_source = 'synced'
     AND NOT 'atlassian/org-admin' = ANY (platform_roles);

-- Deactivate 6 accounts, 2 of which Atlassian refuses: UPDATE 4, and the
-- RETURNING rows are the 4, deactivated.
UPDATE atl_directory SET status = 'deactivated'
 WHERE account_id IN (SELECT account_id FROM picked WHERE n <= 4
                      UNION ALL SELECT account_id FROM refusing WHERE n <= 2)
RETURNING (SELECT n FROM picked p WHERE p.account_id = atl_directory.account_id) AS picked_n, status;
-- the mirror kept the refused ones active; Atlassian agrees with it
SELECT d.status, count(*) FROM atl_directory d
 WHERE account_id IN (SELECT account_id FROM picked WHERE n <= 4
                      UNION ALL SELECT account_id FROM refusing WHERE n <= 2)
 GROUP BY 1 ORDER BY 1;
SELECT u.status, count(*) FROM atl_users(status => '{active,deactivated}') u
 WHERE account_id IN (SELECT account_id FROM picked WHERE n <= 4
                      UNION ALL SELECT account_id FROM refusing WHERE n <= 2)
 GROUP BY 1 ORDER BY 1;
SELECT action, outcome, error_key, error_reason, count(*) FROM atl_audit
 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2;

-- Back to active: enable; suspend and restore.
UPDATE atl_directory SET status = 'active' WHERE account_id IN (SELECT account_id FROM picked WHERE n <= 2);
UPDATE atl_directory SET status = 'suspended' WHERE account_id IN (SELECT account_id FROM picked WHERE n <= 2)
RETURNING status;
UPDATE atl_directory SET status = 'active' WHERE account_id IN (SELECT account_id FROM picked WHERE n <= 2)
RETURNING status;
SELECT action, count(*) FROM atl_audit GROUP BY 1 ORDER BY 1;

-- An account already in the requested state needs no request, and counts.
UPDATE atl_directory SET status = 'active' WHERE account_id IN (SELECT account_id FROM picked WHERE n <= 2);

-- E-mail and profile in one statement: one request each per account.
UPDATE atl_directory
   SET email = 'moved.' || (SELECT n FROM picked p WHERE p.account_id = atl_directory.account_id)
               || '@acme-labs.example',
       department = 'Platform', job_title = 'Engineer'
 WHERE account_id IN (SELECT account_id FROM picked WHERE n IN (5, 6))
RETURNING email, department, job_title;
SELECT action, params FROM atl_audit WHERE action IN ('set_email', 'update_profile') ORDER BY id;
SELECT email, job_title, department FROM atl_users(emails => '{moved.5@acme-labs.example,moved.6@acme-labs.example}')
 ORDER BY 1;

-- Groups: two accounts join 'contractors', and the mirror's memberships follow.
SELECT group_id AS team FROM atl_mirror_groups WHERE name = 'contractors' \gset
CREATE TEMP TABLE joiners AS
  SELECT account_id FROM atl_directory JOIN picked USING (account_id)
   WHERE n >= 7 AND NOT 'contractors' = ANY (groups) ORDER BY n LIMIT 2;
UPDATE atl_directory SET groups = array_append(groups, 'contractors')
 WHERE account_id IN (SELECT account_id FROM joiners)
RETURNING 'contractors' = ANY (groups) AS member, :'team' = ANY (group_ids) AS member_by_id;
SELECT count(*) AS mirror_members FROM atl_mirror_group_members
 WHERE group_id = :'team' AND account_id IN (SELECT account_id FROM joiners);
SELECT count(*) AS members_at_atlassian FROM atl_group_members(ARRAY[:'team'])
 WHERE account_id IN (SELECT account_id FROM joiners);
SELECT action, target = :'team' AS the_group, outcome FROM atl_audit WHERE action = 'add_to_group';
-- and leave it
UPDATE atl_directory SET groups = array_remove(groups, 'contractors')
 WHERE account_id IN (SELECT account_id FROM joiners)
RETURNING 'contractors' = ANY (groups) AS member, :'team' = ANY (group_ids) AS member_by_id;
SELECT count(*) AS members_at_atlassian FROM atl_group_members(ARRAY[:'team'])
 WHERE account_id IN (SELECT account_id FROM joiners);
SELECT count(*) AS mirror_members FROM atl_mirror_group_members
 WHERE group_id = :'team' AND account_id IN (SELECT account_id FROM joiners);

-- A dry run: recorded, nothing sent, nothing changed.
\! test/fakectl.py reset-log
SET atlorg.dry_run = on;
UPDATE atl_directory SET status = 'deactivated' WHERE account_id IN (SELECT account_id FROM picked WHERE n IN (9, 10));
RESET atlorg.dry_run;
SELECT outcome, count(*) FROM atl_audit WHERE outcome = 'dry_run' GROUP BY 1;
\! test/fakectl.py sent '.'
SELECT status FROM atl_directory WHERE account_id IN (SELECT account_id FROM picked WHERE n IN (9, 10));

-- Protected: an org admin is skipped; the row is not updated.
UPDATE atl_directory SET status = 'deactivated' WHERE account_id = '5b10ac8d82e05b22cc7d4ef5';

-- Errors, before anything is sent: a read-only column, a status change
-- with no action, a bad e-mail, a cleared profile field, an unknown group.
UPDATE atl_directory SET products = '{}' WHERE account_id IN (SELECT account_id FROM picked WHERE n = 11);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE atl_directory SET group_ids = '{}' WHERE account_id IN (SELECT account_id FROM picked WHERE n = 11);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE atl_directory SET status = 'for_deletion' WHERE account_id IN (SELECT account_id FROM picked WHERE n = 11);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE atl_directory SET email = 'nobody' WHERE account_id IN (SELECT account_id FROM picked WHERE n = 11);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE atl_directory SET department = NULL WHERE account_id IN (SELECT account_id FROM picked WHERE n = 5);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE atl_directory SET groups = groups || 'no-such-group'::text
 WHERE account_id IN (SELECT account_id FROM picked WHERE n = 11);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! test/fakectl.py sent '.'

-- DELETE and INSERT are errors, not changes of the mirror: nothing is
-- deleted, nothing added.
DELETE FROM atl_directory WHERE account_id IN (SELECT account_id FROM picked WHERE n = 11);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO atl_directory (server, account_id) VALUES ('acme', 'no-such-account');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS still_there FROM atl_mirror_users
 WHERE account_id IN (SELECT account_id FROM picked WHERE n = 11);

-- Nothing matched: nothing sent, UPDATE 0; the change set is always emptied.
UPDATE atl_directory SET status = 'deactivated' WHERE account_id = 'no-such-account';
SELECT count(*) AS change_rows FROM atl_directory_changes;

-- How an UPDATE is read: the action a status change becomes, the profile.
SELECT o, n, atl_directory_status_action(o, n)
  FROM (VALUES ('deactivated', 'active'), ('suspended', 'active'), ('active', 'suspended'),
               ('active', 'active'), ('deactivated', 'suspended')) AS v(o, n);
SELECT atl_directory_profile('Ann', NULL, 'Engineer', 'Platform', NULL, NULL, 'Europe/Oslo');
-- and the statuses a lifecycle action leaves (the README's example first)
SELECT * FROM atl_status_after('enable', 'deactivated', 'inactive', 'suspended');
SELECT a, (atl_status_after(a, 'active', 'active', 'active')).*
  FROM unnest('{disable,suspend,enable,restore,set_email,NULL}'::text[]) a;

-- Roles: a reader may not update; an actor may, and is the one audited.
CREATE ROLE atl_dora IN ROLE atlorg_reader;
SET ROLE atl_dora;
UPDATE atl_directory SET status = 'deactivated' WHERE account_id = '5e6f7a8b9c0d1e2f3a4b5c6d';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE atl_dora;
CREATE ROLE atl_ed IN ROLE atlorg_actor;
GRANT USAGE ON FOREIGN SERVER acme TO atl_ed;
\getenv fake_key FAKE_KEY
CREATE USER MAPPING FOR atl_ed SERVER acme OPTIONS (api_key :'fake_key');
SET ROLE atl_ed;
UPDATE atl_directory SET job_title = 'Analyst'
 WHERE account_id = '5e6f7a8b9c0d1e2f3a4b5c6d' RETURNING job_title;
SELECT acted_by, action, outcome FROM atl_audit WHERE acted_by = 'atl_ed';
RESET ROLE;
DROP USER MAPPING FOR atl_ed SERVER acme;
DROP OWNED BY atl_ed;
DROP ROLE atl_ed;

-- A cancel in the middle of a bulk UPDATE: the requests on the wire finish,
-- the rest are never sent; every one is in the audit, the fake saw exactly
-- those that succeeded, and the mirror (the statement rolled back) is as
-- it was.
TRUNCATE atl_audit;
\! test/fakectl.py reset-log
\! test/fakectl.py config '{"latency_ms": 200}'
SET statement_timeout = '1s';
\set VERBOSITY terse
UPDATE atl_directory SET status = 'deactivated'
 WHERE account_id IN (SELECT account_id FROM picked WHERE n BETWEEN 20 AND 319);
\set VERBOSITY default
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET statement_timeout;
DO $$
BEGIN  -- the executor finishes what was on the wire
  FOR i IN 1..100 LOOP
    EXIT WHEN NOT EXISTS (SELECT FROM atl_audit WHERE outcome = 'pending');
    PERFORM pg_sleep(0.1);
  END LOOP;
END
$$;
\! test/fakectl.py config '{"latency_ms": 0}'
\set sent `test/fakectl.py sent 'lifecycle/disable$'`
SELECT count(*) FILTER (WHERE outcome = 'pending') AS pending,
       count(*) FILTER (WHERE outcome NOT IN ('succeeded', 'cancelled')) AS other,
       count(*) FILTER (WHERE outcome = 'succeeded') = :sent AS sent_are_succeeded,
       :sent BETWEEN 1 AND 299 AS some_sent_not_all,
       count(*) FILTER (WHERE outcome = 'cancelled' AND http_status IS NULL)
         = count(*) - :sent AS the_rest_cancelled_unsent
  FROM atl_audit;
SELECT count(*) AS deactivated_in_mirror FROM atl_directory
 WHERE status = 'deactivated' AND account_id IN (SELECT account_id FROM picked WHERE n BETWEEN 20 AND 319);
SELECT count(*) AS change_rows FROM atl_directory_changes;

SELECT count(*) AS pending FROM atl_audit WHERE outcome = 'pending';
DROP TABLE picked, refusing, joiners;
