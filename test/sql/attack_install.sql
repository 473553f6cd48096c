--
-- Attack: preparing the ground before a superuser installs atlorg.
--
-- Whoever may create schemas in a database (its owner, or any role with
-- CREATE on it) could make a schema named atlorg first and fill it with
-- objects that the install script's names would bind to; and a role with
-- CREATEROLE could make atlorg's roles first, with rights of its choosing.
-- CREATE EXTENSION refuses both.
--
CREATE ROLE atl_squatter;
CREATE DATABASE atl_attack_install OWNER atl_squatter;
\c atl_attack_install
SET client_min_messages = warning;

-- The database owner's own schema called atlorg: refused.
SET ROLE atl_squatter;
CREATE SCHEMA atlorg;
CREATE FUNCTION atlorg.atl_read(text, jsonb, bigint, name) RETURNS SETOF jsonb
  LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
RESET ROLE;
CREATE EXTENSION atlorg;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP SCHEMA atlorg CASCADE;

-- A superuser's schema that others may create in: refused too.
CREATE SCHEMA atlorg;
GRANT CREATE ON SCHEMA atlorg TO atl_squatter;
CREATE EXTENSION atlorg;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP SCHEMA atlorg;

-- One of atlorg's roles, given rights atlorg never gives it: refused.
ALTER ROLE atlorg_reader CREATEDB;
CREATE EXTENSION atlorg;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER ROLE atlorg_reader NOCREATEDB;
ALTER ROLE atlorg_executor PASSWORD 'known-to-the-attacker';
CREATE EXTENSION atlorg;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER ROLE atlorg_executor PASSWORD NULL;

-- On clean ground the install goes through, into a schema of the
-- installer's that nobody else may create in.
CREATE EXTENSION atlorg;
SELECT n.nspname, r.rolsuper AS owner_is_superuser,
       has_schema_privilege('atl_squatter', n.oid, 'CREATE') AS squatter_may_create,
       has_schema_privilege('atl_squatter', n.oid, 'USAGE') AS squatter_may_look
  FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE n.nspname = 'atlorg';
-- and every function in it binds or pins its names
SELECT count(*) FILTER (WHERE p.prosqlbody IS NOT NULL) AS bound_at_creation,
       count(*) FILTER (WHERE p.proconfig::text LIKE '%search_path=pg_catalog, atlorg, pg_temp%') AS pinned,
       count(*) FILTER (WHERE l.lanname = 'c') AS c_functions,
       count(*) FILTER (WHERE p.prosqlbody IS NULL AND p.proconfig IS NULL AND l.lanname <> 'c') AS neither,
       count(*) FILTER (WHERE p.prosecdef) AS security_definer
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'atlorg'::regnamespace;

\c contrib_regression
DROP DATABASE atl_attack_install;
DROP ROLE atl_squatter;
