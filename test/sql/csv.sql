--
-- The admin console's export files.  The fixtures are made from the fake
-- org by test/csv/make_exports.py, so they join with atl_users().
--
\getenv dir CSV_DIR
\set current `cat "$CSV_DIR/current_list.csv"`

-- Rows of users, products and groups, typed; columns found by header name.
SELECT line, account_id, name, email, status, added_to_org IS NOT NULL AS has_added, last_seen IS NOT NULL AS has_seen
  FROM atl_csv_users(:'current') ORDER BY line LIMIT 4;
SELECT product, app, site, count(*), count(last_seen) AS dated,
       count(*) FILTER (WHERE never_used) AS never_used, count(*) FILTER (WHERE never_used IS NULL) AS unknown
  FROM atl_csv_products(:'current') GROUP BY 1, 2, 3 ORDER BY 1, 3;
SELECT group_name, count(*) FROM atl_csv_groups(:'current') GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3;

-- "Never used Confluence, or not in 90 days" joins with the live directory.
SELECT count(*) > 0 AS some, count(*) = count(u.account_id) AS all_in_the_directory
  FROM atl_csv_products(:'current') AS p
  LEFT JOIN atl_users() AS u USING (account_id)
 WHERE p.product = 'confluence' AND (p.never_used OR p.last_seen < current_date - 90);

-- Every format: the same people, whichever export they came from.
SELECT f, count(*) AS users, count(DISTINCT account_id) AS distinct_ids,
       string_agg(DISTINCT status, ',' ORDER BY status) AS statuses
  FROM (SELECT 'current_list' AS f, * FROM atl_csv_users_file(:'dir' || '/current_list.csv')
        UNION ALL SELECT 'current_pivot', * FROM atl_csv_users_file(:'dir' || '/current_pivot.csv')
        UNION ALL SELECT 'v2019', * FROM atl_csv_users_file(:'dir' || '/v2019.csv')
        UNION ALL SELECT 'v2018', * FROM atl_csv_users_file(:'dir' || '/v2018.csv')
        UNION ALL SELECT 'accounts', * FROM atl_csv_users_file(:'dir' || '/accounts.csv')) AS all_formats
 GROUP BY f ORDER BY f;
-- pivoted groups and group lists give the same memberships
SELECT count(*) AS differing FROM (
  (SELECT account_id, group_name FROM atl_csv_groups_file(:'dir' || '/current_list.csv')
   EXCEPT SELECT account_id, group_name FROM atl_csv_groups_file(:'dir' || '/current_pivot.csv'))
  UNION ALL
  (SELECT account_id, group_name FROM atl_csv_groups_file(:'dir' || '/current_pivot.csv')
   EXCEPT SELECT account_id, group_name FROM atl_csv_groups_file(:'dir' || '/current_list.csv'))) d;
-- the 2018 export's words for dates
SELECT last_seen_text, count(*) > 0 AS present
  FROM atl_csv_products_file(:'dir' || '/v2018.csv')
 WHERE last_seen IS NULL GROUP BY 1 ORDER BY 1;
-- Export accounts: one product row per site with access
SELECT product, site, count(*) > 0 AS present
  FROM atl_csv_products_file(:'dir' || '/accounts.csv') GROUP BY 1, 2 ORDER BY 1, 2;

-- Into tables, in one call, for repeated queries.
SELECT * FROM atl_csv_import_file(:'dir' || '/current_pivot.csv', 'export');
SELECT count(*) FROM export_users;
CREATE INDEX ON export_products (product, last_seen);
SELECT * FROM atl_csv_import_file(:'dir' || '/current_pivot.csv', 'export');
SELECT format, users FROM atl_csv_import_file(:'dir' || '/current_pivot.csv', 'export', replace => true);

-- From a file on your own machine, with psql alone.
\set file :dir '/v2019.csv'
\lo_import :file
SELECT count(*) FROM atl_csv_users(lo_get(:LASTOID));
SELECT lo_unlink(:LASTOID) = 1 AS unlinked;

-- Awkward but valid: a byte order mark, CRLF, quoted commas and newlines,
-- quotes, non-ASCII names, blank trailing lines.
SELECT count(*) FROM atl_csv_users_file(:'dir' || '/awkward_ok.csv');
SELECT name FROM atl_csv_users_file(:'dir' || '/awkward_ok.csv')
 WHERE name ~ '[^[:ascii:]]' OR name ~ E'\n' OR name ~ '"' ORDER BY line;

-- Broken files: clear errors, with line numbers.
SELECT count(*) FROM atl_csv_users_file(:'dir' || '/missing_column.csv');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_csv_users_file(:'dir' || '/unknown_format.csv');
SELECT count(*) FROM atl_csv_users_file(:'dir' || '/bad_rows.csv');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_csv_users_file(:'dir' || '/unterminated_quote.csv');
SELECT count(*) FROM atl_csv_users_file(:'dir' || '/latin1.csv');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_csv_users_file(:'dir' || '/long_field.csv');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_csv_users_file(:'dir' || '/empty.csv');
SELECT count(*) FROM atl_csv_users_file(:'dir' || '/header_only.csv');
SELECT count(*) FROM atl_csv_users(E'User id,email\nabc,"abc@example.com');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_csv_users_file('/nonexistent/export.csv');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_csv_users_file('/');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- skip_bad: the rest is read, and every skipped row is reported.
SELECT count(*) FROM atl_csv_users_file(:'dir' || '/bad_rows.csv', skip_bad => true);
SELECT * FROM atl_csv_rejects(pg_read_binary_file(:'dir' || '/bad_rows.csv'));
SELECT users, rejected FROM atl_csv_import_file(:'dir' || '/bad_rows.csv', 'bad', skip_bad => true);
SELECT * FROM bad_rejects ORDER BY line;

-- Reading a file on the server is for those COPY FROM a file is for.
CREATE ROLE atl_reader IN ROLE atlorg_reader;
SET ROLE atl_reader;
SELECT count(*) FROM atl_csv_users_file(:'dir' || '/current_list.csv');
RESET ROLE;
DROP ROLE atl_reader;

--
-- Safe to call with anything: every CSV function is C, with the result type
-- its declaration fixes, and nothing internal is callable.
--
SELECT p.oid::regprocedure AS function, l.lanname AS language,
       format_type(p.prorettype, NULL) AS returns,
       obj_description(p.oid, 'pg_proc') LIKE 'read: %' AS for_readers
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.proname LIKE 'atl\_csv\_%' ORDER BY 1::text;

-- A NULL argument is an error (22004), never an empty result; here for the
-- lowest role, as for any.
CREATE ROLE atl_caller IN ROLE atlorg_reader;
CREATE FUNCTION pg_temp.attempt(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE 'SELECT count(*) FROM ' || call INTO n;
  RETURN n || ' rows';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SET ROLE atl_caller;
SELECT call, pg_temp.attempt(call) AS outcome FROM unnest(ARRAY[
  'atl_csv_import(NULL::text, ''x'')',
  'atl_csv_import(NULL::bytea, ''x'')',
  'atl_csv_import_file(NULL, ''x'')',
  'atl_csv_import(''User id,email'', NULL)',
  'atl_csv_import(''User id,email'', ''x'', skip_bad => NULL)',
  'atl_csv_import(''User id,email'', ''x'', replace => NULL)',
  'atl_csv_users(NULL::bytea)',
  'atl_csv_users(NULL::text)',
  'atl_csv_users(''User id,email'', NULL)',
  'atl_csv_users_file(NULL)',
  'atl_csv_products(NULL::bytea)',
  'atl_csv_products_file(''/nonexistent'', NULL)',
  'atl_csv_groups(NULL::text)',
  'atl_csv_groups_file(NULL)',
  'atl_csv_rejects(NULL::bytea)',
  'atl_csv_rejects(NULL::text)']) AS call;

-- The caller cannot choose the columns; the C code refuses any result type
-- but its own, even under a declaration made for the purpose (superuser).
SELECT * FROM atl_csv_users(:'current') AS r(a int, b int);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE atl_caller;
SELECT probin FROM pg_proc WHERE oid = 'atl_csv_users(bytea, boolean)'::regprocedure \gset
CREATE SCHEMA csv_rogue;
CREATE FUNCTION csv_rogue.users(data bytea, skip_bad boolean) RETURNS SETOF record
  AS :'probin', 'atl_csv_users' LANGUAGE C;
SELECT * FROM csv_rogue.users('User id,email', false) AS r(a bigint, b bigint, c bigint);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FUNCTION csv_rogue.users_of(data int, skip_bad boolean) RETURNS SETOF atl_csv_user
  AS :'probin', 'atl_csv_users' LANGUAGE C;
SELECT count(*) FROM csv_rogue.users_of(42, false);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FUNCTION csv_rogue.import(data bytea, prefix text, skip_bad boolean, replace boolean)
  RETURNS int AS :'probin', 'atl_csv_import' LANGUAGE C;
SELECT csv_rogue.import('User id,email', 'rogue', false, false);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP SCHEMA csv_rogue CASCADE;
BEGIN;
ALTER TYPE atl_csv_group ADD ATTRIBUTE extra text;
SELECT count(*) FROM atl_csv_groups(:'current');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;

--
-- atl_csv_import() creates its tables itself, names them as given, in the
-- schema the caller's search_path creates in, and loads exactly those.
--
SELECT current_setting('search_path') AS saved_path \gset
SELECT users FROM atl_csv_import(:'current', 'Export');
SELECT (SELECT count(*) FROM "Export_users") AS "Export_users",
       (SELECT count(*) FROM export_users) AS export_users;
SELECT users FROM atl_csv_import(:'current', 'odd."name');
SELECT count(*) FROM "odd.""name_users";
CREATE SCHEMA csv_imports;
SELECT set_config('search_path', 'csv_imports, ' || :'saved_path', false) IS NOT NULL AS set;
SELECT users FROM atl_csv_import(:'current', 'export');
SELECT c.relnamespace::regnamespace AS schema, c.relname, c.relkind,
       (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) AS indexes
  FROM pg_class c WHERE c.relname LIKE 'export\_%' ORDER BY 1::text, 2;
-- a schema ahead of pg_catalog cannot stand in for the types of the columns
CREATE DOMAIN csv_imports.int8 AS pg_catalog.int8 CHECK (VALUE < 0);
SELECT set_config('search_path', 'csv_imports, pg_catalog, ' || :'saved_path', false) IS NOT NULL AS set;
SELECT users FROM atl_csv_import(:'current', 'typed');
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'csv_imports.typed_users'::regclass AND attname = 'line';
SELECT set_config('search_path', :'saved_path', false) IS NOT NULL AS set;
DROP SCHEMA csv_imports CASCADE;

-- No schema to create in, a name that would not fit, no name at all.
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'atlorg' \gset
SET search_path = '';
SELECT * FROM :ext.atl_csv_import('User id,email', 'nowhere');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT set_config('search_path', :'saved_path', false) IS NOT NULL AS set;
SELECT * FROM atl_csv_import('User id,email', repeat('x', 55));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM atl_csv_import('User id,email', '');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- replace => true drops only a table of that name, never a view.
CREATE VIEW shown_users AS SELECT 1 AS line;
SELECT * FROM atl_csv_import(:'current', 'shown', replace => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM atl_csv_import(:'current', 'shown');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM shown_users;
DROP VIEW shown_users;
-- nor a table something else depends on
CREATE VIEW export_view AS SELECT * FROM export_users;
SELECT * FROM atl_csv_import(:'current', 'export', replace => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP VIEW export_view;

-- Rows are written as COPY writes them, so only into the bare tables the
-- call has just created: a table an event trigger changed is refused.
CREATE FUNCTION pg_temp.index_new_tables() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' LOOP
    EXECUTE format('CREATE INDEX ON %s (line)', r.object_identity);
  END LOOP;
END $$;
CREATE EVENT TRIGGER csv_index_new_tables ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION pg_temp.index_new_tables();
SELECT * FROM atl_csv_import(:'current', 'indexed');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP EVENT TRIGGER csv_index_new_tables;
SELECT to_regclass('indexed_users') IS NULL AS rolled_back;

-- A reader imports into a schema of its own; it cannot create elsewhere,
-- nor replace another's tables.
CREATE ROLE atl_importer IN ROLE atlorg_reader;
CREATE SCHEMA importer_space AUTHORIZATION atl_importer;
SET ROLE atl_importer;
SELECT * FROM atl_csv_import(:'current', 'mine');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM atl_csv_import(:'current', 'export', replace => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT set_config('search_path', 'importer_space, ' || :'saved_path', false) IS NOT NULL AS set;
SELECT users, products, groups FROM atl_csv_import(:'current', 'mine');
SELECT count(*) FROM importer_space.mine_users;
RESET ROLE;
SELECT set_config('search_path', :'saved_path', false) IS NOT NULL AS set;
DROP SCHEMA importer_space CASCADE;
DROP ROLE atl_importer;

--
-- A wide header costs time linear in its width, and cancel and
-- statement_timeout stop any import at once.
--
SET statement_timeout = '5s';
SELECT count(*) FROM atl_csv_users('User id,email,' ||
  (SELECT string_agg('App ' || i || ' - site', ',') FROM generate_series(1, 50000) i));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- 10,000 columns are accepted: 9,998 products, each its own
SELECT count(*), count(DISTINCT app) FROM atl_csv_products(
  'User id,email,' || (SELECT string_agg('App ' || i, ',') FROM generate_series(1, 9998) i) || E'\n' ||
  'u1,e1,' || (SELECT string_agg('User', ',') FROM generate_series(1, 9998)));
RESET statement_timeout;
-- 1,000 such rows (10 million product rows, some seconds of work) are
-- stopped by statement_timeout as soon as it expires
CREATE TEMP TABLE wide AS SELECT
  (SELECT 'User id,email,' || string_agg('App ' || i, ',') FROM generate_series(1, 9998) i) ||
  (SELECT string_agg(E'\nu' || n || ',e' || n || ',' || r, '')
     FROM generate_series(1, 1000) n,
          (SELECT string_agg('User', ',') AS r FROM generate_series(1, 9998)) AS row_tail) AS data;
SET statement_timeout = '1s';
SELECT clock_timestamp() AS started \gset
SELECT count(*) FROM wide, atl_csv_products(wide.data);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT clock_timestamp() - :'started' < interval '3s' AS stopped_at_once;
RESET statement_timeout;
