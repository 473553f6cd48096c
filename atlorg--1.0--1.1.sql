-- atlorg 1.0 -> 1.1.  Every schema change after 1.0 goes here as well as
-- into sql/ (which builds a fresh 1.1); test/upgrade.sh checks that an
-- upgraded installation keeps its rows and has a fresh install's catalog.

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION atlorg UPDATE TO '1.1'" to load this file. \quit

-- 1.1: DELETE and INSERT on atl_directory are errors, not mirror changes.
-- DELETE and INSERT on the view are errors (0A000), not changes of the
-- mirror: a view over one table would otherwise take them as its own, and
-- an owner's "DELETE FROM atl_directory WHERE ..." would silently empty
-- mirror rows while nothing happened at Atlassian.
CREATE FUNCTION atl_directory_refuse(command text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION 'cannot % view "atl_directory"', lower(command)
    USING ERRCODE = 'feature_not_supported',
          DETAIL = 'Its rows are the mirror of Atlassian''s directory; only UPDATE acts on them.',
          HINT = 'To remove accounts, UPDATE their status or call atl_delete(); atl_sync() adds new ones.';
END
$$;
COMMENT ON FUNCTION atl_directory_refuse(text) IS
  'read: the error a DELETE or INSERT on atl_directory raises';

CREATE RULE atl_directory_delete AS ON DELETE TO atl_directory
  DO INSTEAD SELECT atl_directory_refuse('DELETE FROM');
CREATE RULE atl_directory_insert AS ON INSERT TO atl_directory
  DO INSTEAD SELECT atl_directory_refuse('INSERT INTO');

-- new functions get their grants the way the install derives them
REVOKE ALL ON FUNCTION atl_directory_refuse(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atl_directory_refuse(text) TO atlorg_reader;
