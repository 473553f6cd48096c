-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION atlorg" to load this file. \quit

-- Credentials, the PostgreSQL way: one foreign server per Atlassian
-- organization, the org API key in a user mapping (pg_user_mappings hides it
-- from everyone but its owner and superusers).
CREATE FUNCTION atl_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME', 'atl_fdw_validator'
LANGUAGE C STRICT;

-- No handler: atlorg has no foreign tables, only servers and user mappings.
CREATE FOREIGN DATA WRAPPER atlorg VALIDATOR atl_fdw_validator;
