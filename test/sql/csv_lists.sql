--
-- Group lists: an "Export users" file that is not pivoted has one group
-- column holding a comma-separated list; each group is a membership row.
-- Also atl_csv_rejects_file(), and product rows per site.
--
\! test/fakectl.py reset
\getenv dir CSV_DIR
\set examples `pwd`/examples

-- One file, every shape of list: under "Group name" (no "Group id": not the
-- pivot), ", " and "," between names, spaces and tabs around them, empty
-- items, a quoted name with a comma, quotes doubled inside one, a single
-- group, none, many, and a list whose quotes follow no rule (its names are
-- the text between the commas).
CREATE TEMP TABLE shapes AS SELECT convert_to(
$$User id,User name,email,User status,Group name
u-spaces,Spaces,s@x.example,Active,"jira-users, confluence-users,  site-admins	"
u-tight,Tight,t@x.example,Active,"jira-users,confluence-users"
u-single,Single,o@x.example,Active,jira-users
u-none,None,n@x.example,Active,
u-blank,Blank,b@x.example,Active,"  ,  , "
u-empties,Empties,e@x.example,Active,",jira-users,,confluence-users,"
u-quoted,Quoted,q@x.example,Active,"""R&D, Berlin"", jira-users, """"""ops"""" team"""
u-loose,Loose,l@x.example,Active,"my ""best"" team, ""odd"" one,qa"
u-many,Many,m@x.example,Active,"g01, g02, g03, g04, g05, g06, g07, g08, g09, g10, g11, g12"
$$, 'UTF8') AS data;
SELECT account_id, group_id, '[' || group_name || ']' AS group_name
  FROM atl_csv_groups((SELECT data FROM shapes)) ORDER BY line, group_name;
-- every user is still one user, whatever its groups
SELECT count(*) AS users, count(DISTINCT account_id) AS distinct_ids FROM atl_csv_users((SELECT data FROM shapes));
-- the import's groups table gets the same rows
SELECT format, users, groups FROM atl_csv_import((SELECT data FROM shapes), 'shapes');
SELECT count(*) AS differ FROM (
  (SELECT line, account_id, group_id, group_name FROM atl_csv_groups((SELECT data FROM shapes))
   EXCEPT ALL SELECT line, account_id, group_id, group_name FROM shapes_groups)
  UNION ALL
  (SELECT line, account_id, group_id, group_name FROM shapes_groups
   EXCEPT ALL SELECT line, account_id, group_id, group_name FROM atl_csv_groups((SELECT data FROM shapes)))) d;
DROP TABLE shapes_users, shapes_products, shapes_groups, shapes_rejects;

-- "Groups" is read the same way.
SELECT account_id, group_name FROM atl_csv_groups(replace(convert_from((SELECT data FROM shapes), 'UTF8'),
                                                          ',Group name', ',Groups'))
 WHERE account_id IN ('u-quoted', 'u-many') ORDER BY line, group_name;

-- A pivoted file (Group id beside Group name) has one group a row: a name
-- with a comma stays whole.  So does a 2018 file's group_name.
SELECT account_id, group_id, group_name FROM atl_csv_groups(
$$Group id,Group name,User id,email
g-1,"R&D, Berlin",u-1,a@x.example
g-2,jira-users,u-1,a@x.example
,,u-2,b@x.example
$$) ORDER BY line;
SELECT account_id, group_name FROM atl_csv_groups(
$$group_name,username,full_name,email,active,created
"R&D, Berlin",ann,Ann,ann@x.example,Yes,3 Jan 2024
$$);

-- The fixtures: the list under either header and the pivot give the same
-- memberships, a user of many groups gets a row each, and the sample files
-- too (examples/).
SELECT f, count(*) AS memberships, count(DISTINCT account_id) AS users,
       max(n) AS most_groups_of_one_user, bool_and(group_name NOT LIKE '%,%') AS no_name_has_a_comma
  FROM (SELECT f, account_id, group_name, count(*) OVER (PARTITION BY f, account_id) AS n
          FROM (SELECT 'current_list' AS f, * FROM atl_csv_groups_file(:'dir' || '/current_list.csv')
                UNION ALL SELECT 'current_group_name', * FROM atl_csv_groups_file(:'dir' || '/current_group_name.csv')
                UNION ALL SELECT 'current_pivot', * FROM atl_csv_groups_file(:'dir' || '/current_pivot.csv')
                UNION ALL SELECT 'examples/export-users', * FROM atl_csv_groups_file(:'examples' || '/export-users.csv')
                UNION ALL SELECT 'examples/export-users-group-name', * FROM atl_csv_groups_file(:'examples' || '/export-users-group-name.csv')
                UNION ALL SELECT 'examples/export-users-pivoted', * FROM atl_csv_groups_file(:'examples' || '/export-users-pivoted.csv')) g) m
 GROUP BY f ORDER BY f;
SELECT count(*) AS differ FROM (
  (SELECT account_id, group_name FROM atl_csv_groups_file(:'dir' || '/current_group_name.csv')
   EXCEPT SELECT account_id, group_name FROM atl_csv_groups_file(:'dir' || '/current_pivot.csv'))
  UNION ALL
  (SELECT account_id, group_name FROM atl_csv_groups_file(:'dir' || '/current_pivot.csv')
   EXCEPT SELECT account_id, group_name FROM atl_csv_groups_file(:'dir' || '/current_group_name.csv'))) d;
-- ... and match the fake's directory, group by group (its first 5 users)
WITH file AS (SELECT g.account_id, g.group_name
                FROM atl_csv_groups_file(:'dir' || '/current_group_name.csv') AS g
               WHERE g.account_id IN (SELECT account_id FROM atl_csv_users_file(:'dir' || '/current_group_name.csv')
                                       ORDER BY line LIMIT 5)),
     live AS (SELECT u.account_id, g AS group_name
                FROM atl_users(emails => ARRAY(SELECT email FROM atl_csv_users_file(:'dir' || '/current_group_name.csv')
                                                ORDER BY line LIMIT 5)) AS u, unnest(u.groups) AS g)
SELECT (SELECT count(*) FROM file) AS in_the_file, (SELECT count(*) FROM live) AS in_the_directory,
       (SELECT count(*) FROM (SELECT * FROM file EXCEPT SELECT * FROM live) d) AS file_only,
       (SELECT count(*) FROM (SELECT * FROM live EXCEPT SELECT * FROM file) d) AS directory_only;

--
-- atl_csv_rejects_file(path): atl_csv_rejects() of a file on the server,
-- for those COPY FROM a file is for, as its siblings.
--
SELECT * FROM atl_csv_rejects_file(:'dir' || '/bad_rows.csv');
SELECT count(*) AS differ FROM (
  (SELECT * FROM atl_csv_rejects_file(:'dir' || '/bad_rows.csv')
   EXCEPT SELECT * FROM atl_csv_rejects(pg_read_binary_file(:'dir' || '/bad_rows.csv')))
  UNION ALL
  (SELECT * FROM atl_csv_rejects(pg_read_binary_file(:'dir' || '/bad_rows.csv'))
   EXCEPT SELECT * FROM atl_csv_rejects_file(:'dir' || '/bad_rows.csv'))) d;
SELECT count(*) FROM atl_csv_rejects_file(:'dir' || '/current_list.csv');
SELECT count(*) FROM atl_csv_rejects_file(:'dir' || '/empty.csv');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_csv_rejects_file('/nonexistent/export.csv');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_csv_rejects_file('/');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_csv_rejects_file(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT p.oid::regprocedure, format_type(p.prorettype, NULL) AS returns,
       has_function_privilege('atlorg_reader', p.oid, 'EXECUTE') AS reader,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public
  FROM pg_proc p WHERE p.proname = 'atl_csv_rejects_file';
-- a reader may call it, and is refused the file as by the siblings; with
-- pg_read_server_files the same role reads it
CREATE ROLE atl_csv_low IN ROLE atlorg_reader;
SET ROLE atl_csv_low;
SELECT count(*) FROM atl_csv_rejects_file(:'dir' || '/bad_rows.csv');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_csv_users_file(:'dir' || '/bad_rows.csv');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_csv_rejects_file(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT pg_read_server_files TO atl_csv_low;
SET ROLE atl_csv_low;
SELECT count(*) FROM atl_csv_rejects_file(:'dir' || '/bad_rows.csv');
RESET ROLE;
-- nobody else may call it at all
CREATE ROLE atl_csv_stranger;
SET ROLE atl_csv_stranger;
SELECT count(*) FROM atl_csv_rejects_file(:'dir' || '/bad_rows.csv');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE atl_csv_low, atl_csv_stranger;

--
-- Product rows are per site: "never used Confluence" asks of all of an
-- account's Confluence rows (the README's example, on a file with two
-- sites).  One account used Confluence on the second site only, one on
-- neither, one on the first only, long ago; one holds Jira only.
--
SELECT format($f$User id,User name,email,User status,Confluence - acme,Confluence - acme-labs,Jira Software - acme,Last seen in Confluence - acme,Last seen in Confluence - acme-labs,Last seen in Jira Software - acme
u-b-only,B only,b@x.example,Active,User,User,,Never accessed,%1$s,
u-neither,Neither,n@x.example,Active,User,User,,Never accessed,Never accessed,
u-old,Old,o@x.example,Active,User,,,%2$s,,
u-jira,Jira,j@x.example,Active,,,User,,,%1$s
$f$, to_char(current_date - 3, 'FMDD Mon YYYY'), to_char(current_date - 200, 'FMDD Mon YYYY')) AS sites \gset
-- per row, u-b-only would be "never used" on acme
SELECT account_id, site, never_used, last_seen = current_date - 3 AS recent
  FROM atl_csv_products(:'sites') WHERE product = 'confluence' ORDER BY account_id, site;
-- the README's query, over the file's accounts rather than the directory's
SELECT p.account_id, max(p.last_seen) = current_date - 200 AS seen_200_days_ago
  FROM atl_csv_products(:'sites') AS p
 WHERE p.product = 'confluence'
 GROUP BY p.account_id
HAVING every(p.never_used IS TRUE) OR max(p.last_seen) < current_date - 90
 ORDER BY p.account_id;
-- and as written, joined with the directory, over the fixture (its
-- accounts active in the fake): nobody listed used Confluence in the last
-- 90 days on any site, where the query per row lists some who did
SELECT count(*) > 0 AS some_listed,
       count(*) FILTER (WHERE a.used_somewhere_lately) AS wrongly_listed,
       (SELECT count(DISTINCT p.account_id) > 0
          FROM atl_csv_products_file(:'dir' || '/current_list.csv') AS p
          JOIN atl_users(status => '{active}') AS u USING (account_id)
          JOIN (SELECT account_id, bool_or(last_seen >= current_date - 90) AS used_somewhere_lately
                  FROM atl_csv_products_file(:'dir' || '/current_list.csv')
                 WHERE product = 'confluence' GROUP BY 1) AS a2 USING (account_id)
         WHERE p.product = 'confluence' AND (p.never_used OR p.last_seen < current_date - 90)
           AND a2.used_somewhere_lately) AS per_row_query_lists_users_of_confluence
  FROM (SELECT u.account_id, u.email, max(p.last_seen) AS last_seen
          FROM atl_csv_products_file(:'dir' || '/current_list.csv') AS p
          JOIN atl_users(status => '{active}') AS u USING (account_id)
         WHERE p.product = 'confluence'
         GROUP BY u.account_id, u.email
        HAVING every(p.never_used IS TRUE) OR max(p.last_seen) < current_date - 90) AS l
  JOIN (SELECT account_id, bool_or(last_seen >= current_date - 90) AS used_somewhere_lately
          FROM atl_csv_products_file(:'dir' || '/current_list.csv')
         WHERE product = 'confluence' GROUP BY 1) AS a USING (account_id);
DROP TABLE shapes;
