--
-- Set-based actions: many accounts in one call, sent concurrently, each
-- audited; everything checked before anything is sent.
--
-- Protection by role as before 1.2 (org admins only): this file's accounts
-- were picked before site and product admins were protected (guards.sql).
SET atlorg.protected_roles = 'atlassian/org-admin';
\! test/fakectl.py reset
TRUNCATE atl_audit;
SELECT users_added + users_changed >= 0 AS synced FROM atl_sync(access => false);
CREATE TEMP TABLE picked AS
  SELECT account_id, row_number() OVER (ORDER BY account_id) AS n FROM atl_mirror_users
   WHERE status = 'active' AND claim_status = 'managed' AND management_source = 'invited'
     AND NOT 'atlassian/org-admin' = ANY (platform_roles);

-- 40 disables at 100 ms each: they overlap at the fake, and all succeed.
\! test/fakectl.py config '{"latency_ms": 100}'
SELECT outcome, count(*), count(DISTINCT account_id) AS accounts,
       count(DISTINCT statement_at) AS runs
  FROM atl_disable(ARRAY(SELECT account_id FROM picked WHERE n <= 40)) GROUP BY 1;
\! test/fakectl.py config '{"latency_ms": 0}'
\! test/fakectl.py sent 'lifecycle/disable$'
\! python3 -c "import sys; n = int(sys.argv[1]); print('overlapping at the fake:', 'more than one' if n > 1 else n)" $(test/fakectl.py overlap 'lifecycle/disable$')
-- the fake agrees
SELECT count(*) AS deactivated_at_atlassian
  FROM atl_users(status => '{deactivated}') u JOIN picked p USING (account_id) WHERE p.n <= 40;
-- one run
SELECT actions, requests, succeeded, failed FROM atl_runs;

-- How many may be in flight adapts to the pace and the round trip, up to
-- atlorg.executor_in_flight: a database's own setting (read when its
-- executor starts), here 3.
-- the executor ends (it starts again, reading its settings, on demand)
CREATE FUNCTION pg_temp.end_executor() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  ended bigint;
BEGIN
  SELECT count(pg_terminate_backend(pid)) INTO ended FROM pg_stat_activity
   WHERE backend_type = 'atlorg executor' AND datname = current_database();
  FOR i IN 1..200 LOOP  -- until it has gone
    PERFORM pg_stat_clear_snapshot();
    EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'atlorg executor'
                                                          AND datname = current_database());
    PERFORM pg_sleep(0.05);
  END LOOP;
  RETURN ended;
END$$;
SELECT current_database() AS db \gset
ALTER DATABASE :"db" SET atlorg.executor_in_flight = 3;
SELECT pg_temp.end_executor();
\! test/fakectl.py config '{"latency_ms": 100}'
\! test/fakectl.py reset-log
SELECT outcome, count(*) FROM atl_enable(ARRAY(SELECT account_id FROM picked WHERE n <= 20)) GROUP BY 1;
\! test/fakectl.py config '{"latency_ms": 0}'
\! test/fakectl.py overlap 'lifecycle/enable$'
ALTER DATABASE :"db" RESET atlorg.executor_in_flight;
SELECT pg_temp.end_executor();
-- it is a superuser's: no one else may set it
CREATE ROLE atl_bulk_nobody;
SET ROLE atl_bulk_nobody;
SET atlorg.executor_in_flight = 50;
RESET ROLE;
DROP ROLE atl_bulk_nobody;

-- An account listed twice is acted on once; an empty list does nothing.
SELECT account_id, outcome FROM atl_enable(ARRAY(SELECT account_id FROM picked WHERE n = 1)
                                           || ARRAY(SELECT account_id FROM picked WHERE n = 1));
SELECT count(*) FROM atl_enable('{}'::text[]);

-- Checked first: one malformed id, and nothing is sent or recorded.
\! test/fakectl.py reset-log
SELECT count(*) FROM atl_audit \gset before_
SELECT * FROM atl_suspend(ARRAY['5e6f7a8b9c0d1e2f3a4b5c6d', 'not an id']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM atl_disable(ARRAY['5e6f7a8b9c0d1e2f3a4b5c6d', NULL]);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- one e-mail for two accounts, or none
SELECT * FROM atl_set_email(ARRAY['5e6f7a8b9c0d1e2f3a4b5c6d', '5c2e9a1b7d3f4e0a8b6c1d2e'],
                            ARRAY['tom@acme.example']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM atl_set_email(ARRAY['5e6f7a8b9c0d1e2f3a4b5c6d'], NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- twenty e-mails, the last too long for an address: none is sent
SELECT count(*) FROM atl_set_email(
  ARRAY(SELECT account_id FROM picked WHERE n <= 20 ORDER BY n),
  ARRAY(SELECT CASE WHEN n < 20 THEN 'moved' || n || '@acme-labs.example'
                    ELSE repeat('x', 300) || '@acme-labs.example' END
          FROM picked WHERE n <= 20 ORDER BY n));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a null where a role must be
SELECT * FROM atl_grant_role(ARRAY['5e6f7a8b9c0d1e2f3a4b5c6d'], NULL, 'ari:cloud:jira::site/x');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) - :before_count AS new_audit_rows FROM atl_audit;
\! test/fakectl.py sent '.'

-- Dry runs and protected accounts, in bulk: an org admin (from the
-- mirror) and the allowlist are skipped.
INSERT INTO atl_protected_accounts (account_id, reason)
SELECT account_id, 'break-glass' FROM picked WHERE n = 3;
SELECT outcome, error_detail, count(*)
  FROM atl_disable(ARRAY(SELECT account_id FROM picked WHERE n BETWEEN 2 AND 4)
                   || '5b10ac8d82e05b22cc7d4ef5'::text, dry_run => true)
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT outcome, error_detail, count(*)
  FROM atl_enable(ARRAY(SELECT account_id FROM picked WHERE n BETWEEN 2 AND 4)
                  || '5b10ac8d82e05b22cc7d4ef5'::text)
 GROUP BY 1, 2 ORDER BY 1, 2;
DELETE FROM atl_protected_accounts;
\! test/fakectl.py sent 'lifecycle/enable$'

-- The acting admin's own account, known when the server has a site e-mail
-- (the Jira site's basic-auth user), is protected too.
SELECT email AS own_email FROM atl_mirror_users JOIN picked USING (account_id) WHERE n = 60 \gset
SELECT option_value AS site_email FROM pg_user_mappings m, pg_options_to_table(m.umoptions)
 WHERE m.srvname = 'acme' AND m.usename = current_user AND option_name = 'site_email' \gset
ALTER USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (SET site_email :'own_email');
SELECT outcome, error_detail FROM atl_disable(ARRAY(SELECT account_id FROM picked WHERE n = 60));
SELECT outcome, error_detail FROM atl_disable((SELECT account_id FROM picked WHERE n = 60));
ALTER USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (SET site_email :'site_email');

-- Per-account values: e-mails, in the order of the accounts; the audit
-- keeps each request's body.
SELECT a.account_id = p.account_id AS same_account, a.outcome, a.params ->> 'email' AS email
  FROM atl_set_email(ARRAY(SELECT account_id FROM picked WHERE n IN (5, 6) ORDER BY n),
                     ARRAY['five@acme-labs.example', 'six@acme-labs.example']) a
  JOIN picked p ON p.account_id = a.account_id ORDER BY p.n;
SELECT email FROM atl_users(emails => '{five@acme-labs.example,six@acme-labs.example}') ORDER BY 1;

-- Groups: one group for all, recorded as the target.
SELECT group_id AS team FROM atl_mirror_groups WHERE name = 'jira-software-users' \gset
SELECT outcome, target = :'team' AS the_group, count(*)
  FROM atl_add_to_group(ARRAY(SELECT account_id FROM picked WHERE n BETWEEN 7 AND 9), :'team')
 GROUP BY 1, 2;
SELECT outcome, count(*)
  FROM atl_remove_from_group(ARRAY(SELECT account_id FROM picked WHERE n BETWEEN 7 AND 9), :'team')
 GROUP BY 1;

-- Every other set-based form, two accounts each, the fake's state checked.
\! test/fakectl.py reset
SELECT users_added + users_changed >= 0 AS synced FROM atl_sync(access => false);
SELECT account_id AS a1 FROM picked WHERE n = 61 \gset
SELECT account_id AS a2 FROM picked WHERE n = 62 \gset
SELECT outcome, count(*) FROM atl_suspend(ARRAY[:'a1', :'a2']) GROUP BY 1;
SELECT status, count(*) FROM atl_users(emails => ARRAY(SELECT email FROM atl_mirror_users
                                                         WHERE account_id IN (:'a1', :'a2'))) GROUP BY 1;
SELECT outcome, count(*) FROM atl_restore(ARRAY[:'a1', :'a2']) GROUP BY 1;
SELECT outcome, count(*) FROM atl_delete(ARRAY[:'a1', :'a2']) GROUP BY 1;
SELECT status, count(*) FROM atl_users(emails => ARRAY(SELECT email FROM atl_mirror_users
                                                         WHERE account_id IN (:'a1', :'a2'))) GROUP BY 1;
SELECT outcome, count(*) FROM atl_cancel_delete(ARRAY[:'a1', :'a2']) GROUP BY 1;
SELECT workspace_id AS labs_jira FROM atl_workspaces()
 WHERE type_key = 'jira-software' AND name = 'acme-labs' \gset
SELECT outcome, params ->> 'role' AS role, count(*)
  FROM atl_grant_role(ARRAY[:'a1', :'a2'], 'atlassian/user', :'labs_jira') GROUP BY 1, 2;
SELECT count(*) AS on_labs_jira FROM atl_user_roles(:'a1') WHERE resource_id = :'labs_jira';
SELECT outcome, count(*) FROM atl_revoke_role(ARRAY[:'a1', :'a2'], 'atlassian/user', :'labs_jira') GROUP BY 1;
SELECT count(*) AS on_labs_jira FROM atl_user_roles(:'a1') WHERE resource_id = :'labs_jira';
SELECT outcome, params, count(*)
  FROM atl_update_profile(ARRAY[:'a1', :'a2'], department => 'Sales', location => 'Lyon') GROUP BY 1, 2;
SELECT department, location, count(*) FROM atl_users(emails => ARRAY(SELECT email FROM atl_mirror_users
                                                         WHERE account_id IN (:'a1', :'a2'))) GROUP BY 1, 2;
SELECT (SELECT token_id FROM atl_api_tokens(:'a1') ORDER BY 1 LIMIT 1) AS t1,
       (SELECT token_id FROM atl_api_tokens(:'a2') ORDER BY 1 LIMIT 1) AS t2 \gset
SELECT outcome, count(*) FROM atl_revoke_api_token(ARRAY[:'a1', :'a2'], ARRAY[:'t1', :'t2']) GROUP BY 1;
SELECT count(*) AS revoked_tokens_left FROM atl_api_tokens(:'a1') WHERE token_id = :'t1';
SELECT group_id AS jira_contractors FROM atl_jira_groups() WHERE name = 'contractors' \gset
SELECT outcome, count(*) FROM atl_jira_add_to_group(ARRAY[:'a1', :'a2'], :'jira_contractors') GROUP BY 1;
SELECT outcome, count(*) FROM atl_jira_remove_from_group(ARRAY[:'a1', :'a2'], :'jira_contractors') GROUP BY 1;
SELECT outcome, count(*) FROM atl_jira_remove_user(ARRAY[:'a1', :'a2']) GROUP BY 1;
SELECT count(*) AS still_on_the_site FROM atl_jira_users() WHERE account_id IN (:'a1', :'a2');
SELECT outcome, count(*) FROM atl_remove_from_directory(ARRAY[:'a1', :'a2']) GROUP BY 1;
-- removed: no membership, no groups, no products
SELECT membership_status, groups, products, count(*)
  FROM atl_users(emails => ARRAY(SELECT email FROM atl_mirror_users WHERE account_id IN (:'a1', :'a2')))
 GROUP BY 1, 2, 3;

-- A 429 pauses the whole organization until its limit resets: unpaced,
-- against a limit of 5 a second, 20 requests all succeed, each sent once
-- more for each 429 it got, and no more.
\! test/fakectl.py reset-log
\! test/fakectl.py ratelimit '{"limit": 5, "window_s": 1}'
SET atlorg.action_rate = 0;
SELECT outcome, count(*) FROM atl_enable(ARRAY(SELECT account_id FROM picked WHERE n BETWEEN 10 AND 29))
 GROUP BY 1;
RESET atlorg.action_rate;
\! test/fakectl.py ratelimit '{"limit": null}'
\set sent `test/fakectl.py sent 'lifecycle/enable$'`
\set limited `test/fakectl.py answered 429`
SELECT :limited > 0 AS some_429s, :sent = 20 + :limited AS sent_once_more_per_429,
       sum(attempts) - count(*) = :limited AS retries_are_the_429s
  FROM atl_audit WHERE statement_at = (SELECT max(statement_at) FROM atl_audit);
-- The pace is the organization's, shared by every session and database:
-- two databases enabling 15 accounts each at atlorg.action_rate = 10 a
-- second together send no more than about 10 in any second (each alone
-- would send 10 a second, 20 together).
CREATE DATABASE atl_second;
\setenv ATL_DB :DBNAME
\getenv fake_url FAKE_URL
\getenv fake_key FAKE_KEY
SELECT format('CREATE EXTENSION atlorg; '
              'CREATE SERVER acme FOREIGN DATA WRAPPER atlorg OPTIONS (org_id %L, api_base %L); '
              'CREATE USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (api_key %L);',
              'acme-org', :'fake_url', :'fake_key') AS second_setup \gset
\setenv SECOND_SETUP :second_setup
\! psql -d atl_second -XqAt -c "$SECOND_SETUP"
SELECT string_agg(quote_literal(account_id), ',') AS first_15 FROM picked WHERE n BETWEEN 30 AND 44 \gset
SELECT string_agg(quote_literal(account_id), ',') AS second_15 FROM picked WHERE n BETWEEN 45 AND 59 \gset
\setenv FIRST_15 :first_15
\setenv SECOND_15 :second_15
\! test/fakectl.py reset-log
\! (psql -d atl_second -XqAt -c "SET atlorg.action_rate = 10; SET atlorg.protected_roles = 'atlassian/org-admin'; SELECT count(*) FROM atl_enable(ARRAY[$SECOND_15])" & psql -d "$ATL_DB" -XqAt -c "SET atlorg.action_rate = 10; SET atlorg.protected_roles = 'atlassian/org-admin'; SELECT count(*) FROM atl_enable(ARRAY[$FIRST_15])"; wait) >/dev/null
\set sent `test/fakectl.py sent 'lifecycle/enable$'`
\set peak `test/fakectl.py peak 'lifecycle/enable$' 1`
SELECT :sent AS sent, :peak <= 11 AS at_most_about_10_in_any_second;
DROP DATABASE atl_second WITH (FORCE);

SELECT count(*) AS pending FROM atl_audit WHERE outcome = 'pending';
DROP TABLE picked;
