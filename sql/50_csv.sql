-- The admin console's export files ("Export users" in every known format,
-- "Export accounts"): as rows, and loaded into tables.  Columns are found
-- by header name; dates become dates, statuses the API's words, and each
-- "<App> - <site>" column a row of its own.
CREATE TYPE atl_csv_user AS (
  line         bigint,          -- where the user's row starts in the file
  account_id   text,            -- the username in 2018 files
  name         text,
  email        text,
  status       text,            -- active, suspended, deactivated
  org_role     text,
  added_to_org date,
  last_seen    date);           -- the latest date seen in any product

CREATE TYPE atl_csv_product AS (
  line           bigint,
  account_id     text,
  product        text,          -- the API's product key, e.g. jira-software
  app            text,          -- as the file names it
  site           text,
  access         text,          -- the file's value: a role, Yes, or empty
  last_seen      date,
  never_used     boolean,       -- true: "Never accessed"; null: the file does not say
  last_seen_text text);         -- the file's words when they are not a date

CREATE TYPE atl_csv_group AS (
  line       bigint,
  account_id text,
  group_id   text,
  group_name text);

CREATE TYPE atl_csv_reject AS (
  line   bigint,
  reason text);

-- Every function here is C, and its result type is the one declared here:
-- the C code checks its declaration (arguments and result row) and refuses
-- to run under any other.  A NULL argument is an error (22004).

-- The rows of one kind from a file's contents (bytea, or text: read as
-- UTF-8), or from a file on the server (atl_csv_*_file; as COPY FROM a
-- file allows it).
CREATE FUNCTION atl_csv_users(data bytea, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_user
AS 'MODULE_PATHNAME', 'atl_csv_users' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_users(bytea, boolean) IS 'read: the users of an export file';
CREATE FUNCTION atl_csv_users(data text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_user
AS 'MODULE_PATHNAME', 'atl_csv_users' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_users(text, boolean) IS 'read: the users of an export file';
CREATE FUNCTION atl_csv_users_file(path text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_user
AS 'MODULE_PATHNAME', 'atl_csv_users_file' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_users_file(text, boolean) IS 'read: the users of an export file on the server (needs pg_read_server_files)';

CREATE FUNCTION atl_csv_products(data bytea, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_product
AS 'MODULE_PATHNAME', 'atl_csv_products' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_products(bytea, boolean) IS 'read: the users'' products of an export file';
CREATE FUNCTION atl_csv_products(data text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_product
AS 'MODULE_PATHNAME', 'atl_csv_products' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_products(text, boolean) IS 'read: the users'' products of an export file';
CREATE FUNCTION atl_csv_products_file(path text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_product
AS 'MODULE_PATHNAME', 'atl_csv_products_file' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_products_file(text, boolean) IS 'read: the users'' products of an export file on the server (needs pg_read_server_files)';

CREATE FUNCTION atl_csv_groups(data bytea, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_group
AS 'MODULE_PATHNAME', 'atl_csv_groups' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_groups(bytea, boolean) IS 'read: the users'' groups of an export file';
CREATE FUNCTION atl_csv_groups(data text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_group
AS 'MODULE_PATHNAME', 'atl_csv_groups' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_groups(text, boolean) IS 'read: the users'' groups of an export file';
CREATE FUNCTION atl_csv_groups_file(path text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_group
AS 'MODULE_PATHNAME', 'atl_csv_groups_file' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_groups_file(text, boolean) IS 'read: the users'' groups of an export file on the server (needs pg_read_server_files)';

-- The role a file's access column names, in the API's words ("User" ->
-- atlassian/user); null where it names none ("Yes", or empty).
CREATE FUNCTION atl_csv_role(access text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE lower(btrim(access))
  WHEN 'user' THEN 'atlassian/user'
  WHEN 'admin' THEN 'atlassian/admin'
  WHEN 'product admin' THEN 'atlassian/admin'
  WHEN 'administrator' THEN 'atlassian/admin'
  WHEN 'guest' THEN 'atlassian/guest'
  WHEN 'customer' THEN 'atlassian/customer'
  WHEN 'basic' THEN 'atlassian/basic'
  WHEN 'stakeholder' THEN 'atlassian/stakeholder'
  WHEN 'contributor' THEN 'atlassian/contributor'
END;
COMMENT ON FUNCTION atl_csv_role(text) IS
  'read: the role an export file''s access column names, in the API''s words';

-- Per-site access from an export file, in atl_access's columns (the file
-- does not say how access was granted, nor the site's URL or ids: null).
-- A "Last seen" date is that day's start, UTC.
CREATE FUNCTION atl_csv_product_access(data bytea)
RETURNS SETOF atl_access
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  WITH u AS (SELECT DISTINCT ON (u.account_id) u.account_id, u.email
               FROM atl_csv_users(data) AS u ORDER BY u.account_id, u.line)
  SELECT DISTINCT ON (p.account_id, p.product, p.site)
         p.account_id, u.email, p.product, p.site, NULL::text, atl_csv_role(p.access),
         NULL::boolean, NULL::text[], NULL::text[],
         p.last_seen::timestamp AT TIME ZONE 'UTC', NULL::text, NULL::text
    FROM atl_csv_products(data) AS p LEFT JOIN u ON u.account_id = p.account_id
   ORDER BY p.account_id, p.product, p.site, p.last_seen DESC NULLS LAST;
END;
COMMENT ON FUNCTION atl_csv_product_access(bytea) IS
  'read: per-site access from an export file, in atl_access''s columns';
CREATE FUNCTION atl_csv_product_access(data text)
RETURNS SETOF atl_access
LANGUAGE sql VOLATILE
BEGIN ATOMIC
  SELECT * FROM atl_csv_product_access(convert_to(data, 'UTF8'));
END;
COMMENT ON FUNCTION atl_csv_product_access(text) IS
  'read: per-site access from an export file (its text as UTF-8), in atl_access''s columns';

-- The rows a file cannot give, and why (nothing disappears silently).
CREATE FUNCTION atl_csv_rejects(data bytea)
RETURNS SETOF atl_csv_reject
AS 'MODULE_PATHNAME', 'atl_csv_rejects' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_rejects(bytea) IS 'read: the rows of an export file that cannot be read, and why';
CREATE FUNCTION atl_csv_rejects(data text)
RETURNS SETOF atl_csv_reject
AS 'MODULE_PATHNAME', 'atl_csv_rejects' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_rejects(text) IS 'read: the rows of an export file that cannot be read, and why';
CREATE FUNCTION atl_csv_rejects_file(path text)
RETURNS SETOF atl_csv_reject
AS 'MODULE_PATHNAME', 'atl_csv_rejects_file' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_rejects_file(text) IS 'read: the rows of an export file on the server (needs pg_read_server_files) that cannot be read, and why';

-- Load a file into four new tables named <prefix>_users, _products, _groups
-- and _rejects (the prefix as written, not folded to lower case), in the
-- schema the caller's search_path creates in, in one pass; replace => true
-- first drops tables of those names (tables only).  The call creates the
-- tables itself and loads exactly those.
CREATE FUNCTION atl_csv_import(data bytea, prefix text, skip_bad boolean DEFAULT false,
                               replace boolean DEFAULT false,
                               OUT format text, OUT users bigint, OUT products bigint,
                               OUT groups bigint, OUT rejected bigint)
AS 'MODULE_PATHNAME', 'atl_csv_import' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_import(bytea, text, boolean, boolean) IS 'read: load an export file into four new tables of the caller''s';
CREATE FUNCTION atl_csv_import(data text, prefix text, skip_bad boolean DEFAULT false,
                               replace boolean DEFAULT false,
                               OUT format text, OUT users bigint, OUT products bigint,
                               OUT groups bigint, OUT rejected bigint)
AS 'MODULE_PATHNAME', 'atl_csv_import' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_import(text, text, boolean, boolean) IS 'read: load an export file into four new tables of the caller''s';
CREATE FUNCTION atl_csv_import_file(path text, prefix text, skip_bad boolean DEFAULT false,
                                    replace boolean DEFAULT false,
                                    OUT format text, OUT users bigint, OUT products bigint,
                                    OUT groups bigint, OUT rejected bigint)
AS 'MODULE_PATHNAME', 'atl_csv_import_file' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION atl_csv_import_file(text, text, boolean, boolean) IS 'read: load an export file on the server (needs pg_read_server_files) into four new tables of the caller''s';
