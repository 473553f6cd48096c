--
-- Attack: privilege escalation through planted objects.
--
-- A database owner (who owns public and may create schemas) plants
-- functions and an operator wherever another role's SQL could resolve
-- them: in public, which is on everyone's search_path, and in schemas named
-- after the superuser and the executor's role ("$user" comes first).  Then
-- a superuser uses atlorg, with a search_path as hostile as it gets
-- (public before pg_catalog), and the executor acts.  Every trap logs who
-- ran it and tries to make its planter a superuser.  None may ever run:
-- atlorg's SQL functions bind their names when they are created, its
-- PL/pgSQL functions and C code pin search_path, and the executor connects
-- as atlorg_executor with search_path pinned too.
--
\getenv fake_key FAKE_KEY
SELECT pg_postmaster_start_time() AS started_at \gset
SELECT coalesce(max(id), 0) AS audit_before FROM atl_audit \gset
\! test/fakectl.py reset

CREATE ROLE atl_owner;
SELECT format('ALTER DATABASE %I OWNER TO atl_owner', current_database()) \gexec
CREATE TABLE public.atl_trap_log (what text, ran_as name);
GRANT INSERT ON public.atl_trap_log TO PUBLIC;

SET ROLE atl_owner;
CREATE FUNCTION public.atl_trap(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.atl_trap_log VALUES (what, current_user);
  BEGIN
    EXECUTE 'ALTER ROLE atl_owner SUPERUSER';
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  RETURN true;
END
$$;
-- Better matches than pg_catalog's for the calls atlorg's code makes, and
-- exact copies of the ones it could reach first on a hostile path.
CREATE FUNCTION public.format(text, name) RETURNS text LANGUAGE sql
  AS $$ SELECT CASE WHEN public.atl_trap('format(text, name)') THEN $1 END $$;
CREATE FUNCTION public.format(text, text) RETURNS text LANGUAGE sql
  AS $$ SELECT CASE WHEN public.atl_trap('format(text, text)') THEN $1 END $$;
CREATE FUNCTION public.unnest(text[]) RETURNS SETOF text LANGUAGE sql
  AS $$ SELECT x FROM pg_catalog.unnest($1) x WHERE public.atl_trap('unnest(text[])') $$;
CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE sql
  AS $$ SELECT CASE WHEN public.atl_trap('lower(text)') THEN pg_catalog.lower($1) END $$;
CREATE FUNCTION public.jsonb_build_object(text, text) RETURNS jsonb LANGUAGE sql
  AS $$ SELECT CASE WHEN public.atl_trap('jsonb_build_object(text, text)') THEN '{}'::jsonb END $$;
CREATE FUNCTION public.coalesce_trap(text, text) RETURNS boolean LANGUAGE sql
  AS $$ SELECT public.atl_trap('text = text') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.coalesce_trap);
CREATE FUNCTION public.pg_backend_pid() RETURNS integer LANGUAGE sql
  AS $$ SELECT CASE WHEN public.atl_trap('pg_backend_pid()') THEN 0 END $$;
-- Copies of atlorg's own names, for atlorg's internals to trip over.
CREATE FUNCTION public.atl_read(text, jsonb, bigint, name) RETURNS SETOF jsonb LANGUAGE sql
  AS $$ SELECT '{}'::jsonb WHERE public.atl_trap('atl_read') $$;
CREATE FUNCTION public.atl_server(name) RETURNS name LANGUAGE sql
  AS $$ SELECT CASE WHEN public.atl_trap('atl_server') THEN $1 END $$;
CREATE FUNCTION public.atl_protections(text[], name, text) RETURNS TABLE (ord bigint, reason text)
  LANGUAGE sql AS $$ SELECT 1::bigint, NULL::text WHERE public.atl_trap('atl_protections') $$;
CREATE FUNCTION public.atl_users(server name) RETURNS SETOF atlorg.atl_user LANGUAGE sql
  AS $$ SELECT NULL::atlorg.atl_user WHERE public.atl_trap('atl_users') $$;
CREATE FUNCTION public.atl_groups(group_ids text[], server name)
  RETURNS TABLE (group_id text, name text) LANGUAGE sql
  AS $$ SELECT NULL::text, NULL::text WHERE public.atl_trap('atl_groups') $$;
-- Schemas that "$user" names: the superuser's, the executor's.
CREATE SCHEMA postgres;
CREATE SCHEMA atlorg_executor;
CREATE FUNCTION postgres.format(text, name) RETURNS text LANGUAGE sql
  AS $$ SELECT CASE WHEN public.atl_trap('postgres.format') THEN $1 END $$;
CREATE FUNCTION atlorg_executor.format(text, name) RETURNS text LANGUAGE sql
  AS $$ SELECT CASE WHEN public.atl_trap('atlorg_executor.format') THEN $1 END $$;
CREATE FUNCTION atlorg_executor.now() RETURNS timestamptz LANGUAGE sql
  AS $$ SELECT CASE WHEN public.atl_trap('atlorg_executor.now') THEN pg_catalog.now() END $$;
CREATE TABLE atlorg_executor.atl_audit (LIKE atlorg.atl_audit);
GRANT ALL ON atlorg_executor.atl_audit TO PUBLIC;
GRANT USAGE ON SCHEMA postgres, atlorg_executor TO PUBLIC;
RESET ROLE;

-- The victim: a superuser whose search_path puts public before pg_catalog.
SET search_path = public, pg_catalog, atlorg;
SELECT (atlorg.atl_disable('5e6f7a8b9c0d1e2f3a4b5c6d', dry_run => true)).outcome;
SELECT (atlorg.atl_suspend('712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d')).outcome;
SELECT count(*) AS restored FROM atlorg.atl_restore(ARRAY['712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d']);
SELECT (atlorg.atl_update_profile('712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', job_title => 'Mark')).outcome;
SELECT count(*) AS groups FROM atlorg.atl_groups();
SELECT count(*) AS members FROM atlorg.atl_group_members(ARRAY['no-such-group']);
SELECT count(*) AS events FROM atlorg.atl_events(max_rows => 5);
SELECT users_added IS NOT NULL AS synced FROM atlorg.atl_sync(access => false);
SELECT atlorg.atl_protection('5b10ac8d82e05b22cc7d4ef5', 'acme');
UPDATE atlorg.atl_directory SET department = 'Trapped'
 WHERE server OPERATOR(pg_catalog.=) 'acme'
   AND account_id OPERATOR(pg_catalog.=) '712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
SELECT atlorg.atl_audit_prune('400 days') AS pruned;
RESET search_path;

-- Nothing planted ran, nobody was made a superuser, the server did not
-- restart, and every request is in the audit with its outcome.
SELECT count(*) AS traps_sprung FROM public.atl_trap_log;
SELECT rolsuper FROM pg_roles WHERE rolname = 'atl_owner';
SELECT pg_postmaster_start_time() = :'started_at' AS same_server;
SELECT action, outcome, acted_by, session_role FROM atl_audit WHERE id > :audit_before ORDER BY id;
SELECT usename, backend_type FROM pg_stat_activity WHERE backend_type = 'atlorg executor';

-- The traps are live: a role that calls lower() through the same path
-- springs one (and, not being a superuser, escalates nobody).
CREATE ROLE atl_victim;
SET ROLE atl_victim;
SET search_path = public, pg_catalog;
SELECT lower('X');
RESET search_path;
RESET ROLE;
SELECT what, ran_as FROM public.atl_trap_log;
SELECT rolsuper FROM pg_roles WHERE rolname = 'atl_owner';
DROP ROLE atl_victim;

-- Clean up: the database goes back to its owner.
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), current_user) \gexec
DROP SCHEMA postgres CASCADE;
DROP SCHEMA atlorg_executor CASCADE;
DROP OWNED BY atl_owner;
DROP ROLE atl_owner;
DROP TABLE public.atl_trap_log;
