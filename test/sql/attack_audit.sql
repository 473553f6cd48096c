--
-- Attack: making the record lie.
--
-- The audit is written only by the executor, which connects as
-- atlorg_executor (no superuser) and may write nothing else.  It names
-- both the role in effect and the role that logged in.  A session's
-- UPDATE atl_directory change set is its own: no other session can make
-- it report (or mirror) changes Atlassian never made.  And the mirror is
-- no authority on which group a name means: a renamed mirror group cannot
-- turn a colleague's "add to contractors" into "add to admins".
--
\getenv fake_key FAKE_KEY
\! test/fakectl.py reset
SELECT coalesce(max(id), 0) AS audit_before FROM atl_audit \gset
SELECT users_added + users_changed >= 0 AS synced FROM atl_sync(access => false);

-- The executor is not a superuser, and may write only the audit.
SELECT outcome FROM atl_disable('712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', dry_run => true);
SELECT DISTINCT a.usename, r.rolsuper, r.rolcreaterole, r.rolbypassrls
  FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid
 WHERE a.backend_type = 'atlorg executor';
SELECT c.relname, has_table_privilege('atlorg_executor', c.oid, 'INSERT') AS may_insert
  FROM pg_class c WHERE c.relnamespace = 'atlorg'::regnamespace AND c.relkind IN ('r', 'v')
 ORDER BY 1;

CREATE ROLE atl_alice IN ROLE atlorg_actor;
CREATE ROLE atl_bob IN ROLE atlorg_actor;
GRANT atl_bob TO atl_alice;
GRANT USAGE ON FOREIGN SERVER acme TO atl_alice, atl_bob;
CREATE USER MAPPING FOR atl_alice SERVER acme OPTIONS (api_key :'fake_key');
CREATE USER MAPPING FOR atl_bob SERVER acme OPTIONS (api_key :'fake_key');

-- An actor cannot write the audit, nor call the internals that do.
SET ROLE atl_alice;
INSERT INTO atl_audit (acted_by, server, action, account_id, backend_pid, statement_at)
VALUES ('someone', 'acme', 'disable', 'x', 1, now());
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE atl_audit SET outcome = 'succeeded';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM atl_audit;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT atl_audit_prune('1 day');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT atl_directory_record('{}', 'acme', '{}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- nor take the organization's whole rate, or stretch its pauses, for everyone
SET atlorg.action_rate = 100000;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET atlorg.max_pause = '1h';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- nor choose whom TLS trusts: their own CA could read every request, key included
SET atlorg.ca_file = '/tmp/mine.pem';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER ROLE atl_alice SET atlorg.ca_file = '/tmp/mine.pem';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;

-- SET ROLE cannot hide who logged in: acted_by is the role in effect,
-- session_role the one that logged in.
SET SESSION AUTHORIZATION atl_alice;
SET ROLE atl_bob;
SELECT acted_by, session_role, outcome
  FROM atl_disable('712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', dry_run => true);
RESET SESSION AUTHORIZATION;

-- Another session's change set is out of reach: it can be neither seen,
-- nor written, nor added to.
INSERT INTO atl_directory_changes (backend_pid, server, account_id, applied, status)
VALUES (1, 'acme', '712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', true, 'deactivated');
SET ROLE atl_alice;
SELECT count(*) AS visible FROM atl_directory_changes;
UPDATE atl_directory_changes SET backend_pid = pg_backend_pid();
INSERT INTO atl_directory_changes (server, account_id) VALUES ('acme', 'x');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT backend_pid FROM atl_directory_changes;
DELETE FROM atl_directory_changes;

-- Alice swaps the names of two groups in the mirror ...
SELECT group_id AS admins_id FROM atl_mirror_groups WHERE name = 'site-admins' \gset
SELECT group_id AS contractors_id FROM atl_mirror_groups WHERE name = 'contractors' \gset
SET ROLE atl_alice;
UPDATE atl_mirror_groups SET name = CASE name WHEN 'site-admins' THEN 'contractors' ELSE 'site-admins' END
 WHERE name IN ('site-admins', 'contractors');
RESET ROLE;
\! test/fakectl.py reset-log
-- ... so that Bob's "add to contractors" would add to the site admins: refused,
-- nothing sent, the mirror untouched.
SET ROLE atl_bob;
UPDATE atl_directory SET groups = groups || 'contractors'::text
 WHERE account_id = '712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
\! test/fakectl.py sent 'memberships'
SELECT 'contractors' = ANY (groups) AS joined FROM atl_mirror_users
 WHERE account_id = '712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
-- A sync puts the names back, and the same UPDATE goes through.
SELECT groups_changed FROM atl_sync(access => false);
SET ROLE atl_bob;
UPDATE atl_directory SET groups = groups || 'contractors'::text
 WHERE account_id = '712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'
RETURNING 'contractors' = ANY (groups) AS joined;
RESET ROLE;
SELECT action, target = :'contractors_id' AS to_contractors, outcome, acted_by, session_role
  FROM atl_audit WHERE action = 'add_to_group' AND id > :audit_before;

-- There is no generic entry point that sends (or audits) what a caller
-- chooses: each action builds its own body.  atl_add_to_group's is always
-- the account it adds.
SELECT count(*) AS generic_entry_points FROM pg_proc
 WHERE proname IN ('atl_act', 'atl_act_many') OR prosrc IN ('atl_act', 'atl_act_many');
SELECT params FROM atl_add_to_group('712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
                                    :'contractors_id', dry_run => true);
-- Even a superuser cannot bind atlorg's C entry points to a declaration
-- that would make them read arguments they were not given.
CREATE FUNCTION public.atl_evil(integer) RETURNS atlorg.atl_audit
  AS '$libdir/atlorg', 'atl_action' LANGUAGE C;
SELECT public.atl_evil(1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FUNCTION public.atl_disable(integer) RETURNS atlorg.atl_audit
  AS '$libdir/atlorg', 'atl_action' LANGUAGE C;
SELECT public.atl_disable(1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FUNCTION public.atl_disable(text[], name, boolean, boolean) RETURNS atlorg.atl_audit
  AS '$libdir/atlorg', 'atl_action' LANGUAGE C;
SELECT public.atl_disable(ARRAY['x'], NULL, true, false);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- The reads check theirs too.
CREATE FUNCTION public.atl_evil_users(integer) RETURNS SETOF atlorg.atl_user
  AS '$libdir/atlorg', 'atl_users' LANGUAGE C;
SELECT count(*) FROM public.atl_evil_users(1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FUNCTION public.atl_evil_read(text, jsonb, bigint, name) RETURNS SETOF record
  AS '$libdir/atlorg', 'atl_read' LANGUAGE C;
SELECT count(*) FROM public.atl_evil_read('groups', NULL, NULL, NULL) AS r(a int, b int);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FUNCTION public.atl_evil_pages(text[], name, OUT a int, OUT b int) RETURNS SETOF record
  AS '$libdir/atlorg', 'atl_last_active_pages' LANGUAGE C;
SELECT count(*) FROM public.atl_evil_pages(ARRAY['x'], NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FUNCTION public.atl_evil_server(integer) RETURNS name
  AS '$libdir/atlorg', 'atl_server' LANGUAGE C;
SELECT public.atl_evil_server(1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP FUNCTION public.atl_evil_users(integer), public.atl_evil_read(text, jsonb, bigint, name),
              public.atl_evil_pages(text[], name), public.atl_evil_server(integer);
CREATE FUNCTION public.atl_not_a_trigger() RETURNS trigger
  AS '$libdir/atlorg', 'atl_directory_apply' LANGUAGE C;
CREATE TABLE public.atl_bait (x int);
CREATE TRIGGER atl_bait AFTER INSERT ON public.atl_bait
  FOR EACH STATEMENT EXECUTE FUNCTION public.atl_not_a_trigger();
INSERT INTO public.atl_bait VALUES (1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT atl_directory_apply();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TABLE public.atl_bait;
DROP FUNCTION public.atl_evil(integer), public.atl_disable(integer),
              public.atl_disable(text[], name, boolean, boolean), public.atl_not_a_trigger();

-- Every request of this file is in the audit, with an outcome.
SELECT action, outcome, acted_by, session_role FROM atl_audit WHERE id > :audit_before ORDER BY id;

DROP USER MAPPING FOR atl_alice SERVER acme;
DROP USER MAPPING FOR atl_bob SERVER acme;
DROP OWNED BY atl_alice, atl_bob;
DROP ROLE atl_alice, atl_bob;
