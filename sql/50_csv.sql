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

CREATE FUNCTION atl_csv_rows(data bytea, path text, what text, skip_bad boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'atl_csv_rows'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_csv_rows(bytea, text, text, boolean) IS 'read: CSV export';

-- The rows of one kind from a file's contents (bytea or text), or from a
-- file on the server (atl_csv_*_file; as COPY FROM a file allows it).
CREATE FUNCTION atl_csv_users(data bytea, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_user LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_rows(data, NULL, 'users', skip_bad) AS r(line bigint, account_id text, name text, email text, status text, org_role text, added_to_org date, last_seen date) $$;
COMMENT ON FUNCTION atl_csv_users(bytea, boolean) IS 'read: CSV export';
CREATE FUNCTION atl_csv_users(data text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_user LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_users(convert_to(data, 'UTF8'), skip_bad) $$;
COMMENT ON FUNCTION atl_csv_users(text, boolean) IS 'read: CSV export';
CREATE FUNCTION atl_csv_users_file(path text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_user LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_rows(NULL, path, 'users', skip_bad) AS r(line bigint, account_id text, name text, email text, status text, org_role text, added_to_org date, last_seen date) $$;
COMMENT ON FUNCTION atl_csv_users_file(text, boolean) IS 'read: CSV export';

CREATE FUNCTION atl_csv_products(data bytea, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_product LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_rows(data, NULL, 'products', skip_bad) AS r(line bigint, account_id text, product text, app text, site text, access text, last_seen date, never_used boolean, last_seen_text text) $$;
COMMENT ON FUNCTION atl_csv_products(bytea, boolean) IS 'read: CSV export';
CREATE FUNCTION atl_csv_products(data text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_product LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_products(convert_to(data, 'UTF8'), skip_bad) $$;
COMMENT ON FUNCTION atl_csv_products(text, boolean) IS 'read: CSV export';
CREATE FUNCTION atl_csv_products_file(path text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_product LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_rows(NULL, path, 'products', skip_bad) AS r(line bigint, account_id text, product text, app text, site text, access text, last_seen date, never_used boolean, last_seen_text text) $$;
COMMENT ON FUNCTION atl_csv_products_file(text, boolean) IS 'read: CSV export';

CREATE FUNCTION atl_csv_groups(data bytea, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_group LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_rows(data, NULL, 'groups', skip_bad) AS r(line bigint, account_id text, group_id text, group_name text) $$;
COMMENT ON FUNCTION atl_csv_groups(bytea, boolean) IS 'read: CSV export';
CREATE FUNCTION atl_csv_groups(data text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_group LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_groups(convert_to(data, 'UTF8'), skip_bad) $$;
COMMENT ON FUNCTION atl_csv_groups(text, boolean) IS 'read: CSV export';
CREATE FUNCTION atl_csv_groups_file(path text, skip_bad boolean DEFAULT false)
RETURNS SETOF atl_csv_group LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_rows(NULL, path, 'groups', skip_bad) AS r(line bigint, account_id text, group_id text, group_name text) $$;
COMMENT ON FUNCTION atl_csv_groups_file(text, boolean) IS 'read: CSV export';

-- The rows a file cannot give, and why (nothing disappears silently).
CREATE FUNCTION atl_csv_rejects(data bytea)
RETURNS SETOF atl_csv_reject LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_rows(data, NULL, 'rejects', true) AS r(line bigint, reason text) $$;
COMMENT ON FUNCTION atl_csv_rejects(bytea) IS 'read: CSV export';
CREATE FUNCTION atl_csv_rejects(data text)
RETURNS SETOF atl_csv_reject LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_rejects(convert_to(data, 'UTF8')) $$;
COMMENT ON FUNCTION atl_csv_rejects(text) IS 'read: CSV export';

CREATE FUNCTION atl_csv_load(data bytea, path text, users regclass, products regclass,
                             groups regclass, rejects regclass, skip_bad boolean,
                             OUT format text, OUT users bigint, OUT products bigint,
                             OUT groups bigint, OUT rejected bigint)
AS 'MODULE_PATHNAME', 'atl_csv_load'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_csv_load(bytea, text, regclass, regclass, regclass, regclass, boolean) IS 'read: CSV export';

-- Load a file into four new tables named <prefix>_users, _products, _groups
-- and _rejects, in one pass; replace => true drops them first.
CREATE FUNCTION atl_csv_import_rows(data bytea, path text, prefix text, skip_bad boolean,
                                    replace boolean,
                                    OUT format text, OUT users bigint, OUT products bigint,
                                    OUT groups bigint, OUT rejected bigint)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  kinds text[] := ARRAY['users', 'products', 'groups', 'rejects'];
  types text[] := ARRAY['atl_csv_user', 'atl_csv_product', 'atl_csv_group', 'atl_csv_reject'];
  ext   name := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                  WHERE e.extname = 'atlorg');
BEGIN
  FOR i IN 1..4 LOOP
    IF replace AND to_regclass(quote_ident(prefix || '_' || kinds[i])) IS NOT NULL THEN
      EXECUTE format('DROP TABLE %I', prefix || '_' || kinds[i]);
    END IF;
    BEGIN
      EXECUTE format('CREATE TABLE %I (LIKE %I.%I)', prefix || '_' || kinds[i], ext, types[i]);
    EXCEPTION WHEN duplicate_table THEN
      RAISE EXCEPTION 'table "%" already exists', prefix || '_' || kinds[i]
        USING ERRCODE = 'duplicate_table',
              HINT = 'Pass replace => true to drop and load it again, or choose another prefix.';
    END;
  END LOOP;
  SELECT * INTO format, users, products, groups, rejected
    FROM atl_csv_load(data, path, (prefix || '_users')::regclass, (prefix || '_products')::regclass,
                      (prefix || '_groups')::regclass, (prefix || '_rejects')::regclass, skip_bad);
  RETURN;
END
$$;
COMMENT ON FUNCTION atl_csv_import_rows(bytea, text, text, boolean, boolean) IS 'read: CSV export';

CREATE FUNCTION atl_csv_import(data bytea, prefix text, skip_bad boolean DEFAULT false,
                               replace boolean DEFAULT false,
                               OUT format text, OUT users bigint, OUT products bigint,
                               OUT groups bigint, OUT rejected bigint)
LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_import_rows(data, NULL, prefix, skip_bad, replace) $$;
COMMENT ON FUNCTION atl_csv_import(bytea, text, boolean, boolean) IS 'read: CSV export';
CREATE FUNCTION atl_csv_import(data text, prefix text, skip_bad boolean DEFAULT false,
                               replace boolean DEFAULT false,
                               OUT format text, OUT users bigint, OUT products bigint,
                               OUT groups bigint, OUT rejected bigint)
LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_import_rows(convert_to(data, 'UTF8'), NULL, prefix, skip_bad, replace) $$;
COMMENT ON FUNCTION atl_csv_import(text, text, boolean, boolean) IS 'read: CSV export';
CREATE FUNCTION atl_csv_import_file(path text, prefix text, skip_bad boolean DEFAULT false,
                                    replace boolean DEFAULT false,
                                    OUT format text, OUT users bigint, OUT products bigint,
                                    OUT groups bigint, OUT rejected bigint)
LANGUAGE sql VOLATILE
AS $$ SELECT * FROM atl_csv_import_rows(NULL, path, prefix, skip_bad, replace) $$;
COMMENT ON FUNCTION atl_csv_import_file(text, text, boolean, boolean) IS 'read: CSV export';
