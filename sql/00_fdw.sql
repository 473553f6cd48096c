-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION atlorg" to load this file. \quit

-- The schema must be the installer's own: a schema that another role
-- created (or may create in) could hold objects planted before the install,
-- which this script's names would bind to.  CREATE EXTENSION creates it
-- when it does not exist; a schema of that name made by someone else is
-- refused.
DO $$
DECLARE
  owner_is_super boolean;
  writers text;
BEGIN
  SELECT r.rolsuper INTO owner_is_super
    FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid = n.nspowner
   WHERE n.nspname = 'atlorg';
  SELECT pg_catalog.string_agg(r.rolname, ', ') INTO writers
    FROM pg_catalog.pg_roles r
   WHERE NOT r.rolsuper
     AND pg_catalog.has_schema_privilege(r.oid, 'atlorg', 'CREATE');
  IF NOT owner_is_super OR writers IS NOT NULL THEN
    RAISE EXCEPTION 'schema "atlorg" is not safe to install atlorg into'
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = pg_catalog.format('It must belong to a superuser and no other role may create in it%s.',
                                       coalesce('; these can: ' || writers, '')),
            HINT = 'Drop the schema (or fix its owner and privileges) and run CREATE EXTENSION again.';
  END IF;
END
$$;

-- Credentials, the PostgreSQL way: one foreign server per Atlassian
-- organization, the org API key in a user mapping (pg_user_mappings hides it
-- from everyone but its owner and superusers).
CREATE FUNCTION atl_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME', 'atl_fdw_validator'
LANGUAGE C STRICT;
COMMENT ON FUNCTION atl_fdw_validator(text[], oid) IS
  'internal: checks the options of atlorg servers and user mappings (called by PostgreSQL)';

-- No handler: atlorg has no foreign tables, only servers and user mappings.
CREATE FOREIGN DATA WRAPPER atlorg VALIDATOR atl_fdw_validator;
