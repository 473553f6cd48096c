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
