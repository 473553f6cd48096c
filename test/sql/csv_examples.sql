--
-- The README's CSV examples, as written, against the sample files in
-- examples/ (psql runs from the repository's top directory, as the README
-- says).  Its tables go into a schema of their own, dropped at the end.
--
\! test/fakectl.py reset
\set readme `f=$(mktemp /tmp/atlorg-readme.XXXXXX) && /usr/bin/python3 test/readme_sql.py "CSV exports from the admin console" > "$f" && echo "$f"`
CREATE SCHEMA csv_examples;
SELECT current_setting('search_path') AS saved_path \gset
SET search_path = csv_examples, atlorg;
\i :readme
-- what the import made, and the large object the example left
SELECT format, users, products, groups, rejected FROM atl_csv_import(:'content', 'again');
SELECT (SELECT count(*) FROM export_users) AS users, (SELECT count(*) FROM export_groups) AS groups;
SELECT count(lo_unlink(oid)) AS large_objects FROM pg_largeobject_metadata;
\set removed `rm -f :'readme' && echo removed`
\echo :removed
-- every sample file reads, each in its format, and none has a bad row
\set top `pwd`
SELECT f, (SELECT format FROM atl_csv_import(pg_read_binary_file(:'top' || '/examples/' || f), 'sample' || i)) AS format,
       (SELECT count(*) FROM atl_csv_users_file(:'top' || '/examples/' || f)) AS users,
       (SELECT count(*) FROM atl_csv_groups_file(:'top' || '/examples/' || f)) AS groups,
       (SELECT count(*) FROM atl_csv_rejects_file(:'top' || '/examples/' || f)) AS rejected
  FROM unnest(ARRAY['export-users.csv', 'export-users-group-name.csv', 'export-users-pivoted.csv',
                    'export-users-2019.csv', 'export-users-2018.csv', 'export-accounts.csv'])
       WITH ORDINALITY AS e(f, i)
 ORDER BY i;
SET search_path = :'saved_path';
SET client_min_messages = warning;
DROP SCHEMA csv_examples CASCADE;
RESET client_min_messages;
