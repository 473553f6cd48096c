-- The org directory, one row per user, paged live from
-- POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/search.
-- The filters are the API's own, sent with the request (not applied after
-- download); max_rows stops paging early (a LIMIT alone would not: a
-- set-returning function in FROM is read to the end first).
-- A user of the directory (the row type of atl_users(); a composite type
-- lets the filter arguments share the names of the columns they filter).
CREATE TYPE atl_user AS (
  account_id          text,
  name                text,
  nickname            text,
  email               text,
  email_verified      boolean,
  status              text,
  account_status      text,
  membership_status   text,
  claim_status        text,
  management_source   text,
  added_to_org        timestamptz,
  mfa_enabled         boolean,
  job_title           text,
  department          text,
  organization        text,
  location            text,
  time_zone           text,
  platform_roles      text[],
  groups              text[],
  group_ids           text[],
  products            text[],
  last_active         timestamptz,
  product_last_active jsonb,
  product_access      jsonb);   -- productAccess as given: one entry per product and site

CREATE FUNCTION atl_users(
  status              text[] DEFAULT NULL,
  account_status      text[] DEFAULT NULL,
  membership_status   text[] DEFAULT NULL,
  claim_status        text   DEFAULT NULL,
  email_domains       text[] DEFAULT NULL,
  emails              text[] DEFAULT NULL,
  group_ids           text[] DEFAULT NULL,
  role_ids            text[] DEFAULT NULL,
  search              text   DEFAULT NULL,
  max_rows            bigint DEFAULT NULL,
  server              name   DEFAULT NULL)
RETURNS SETOF atl_user
AS 'MODULE_PATHNAME', 'atl_users'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION atl_users IS
  'read: the users of the organization''s directory, with per-product last-active times';

-- True when the user has access to the product and has not used it for at
-- least the given interval (or never has).  product_last_active maps each
-- product key the user can access to its latest activity, null if none.
CREATE FUNCTION atl_inactive(product_last_active jsonb, product text,
                             for_at_least interval)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN product_last_active ? product
   AND coalesce((product_last_active ->> product)::timestamptz
                < now() - for_at_least, true);
COMMENT ON FUNCTION atl_inactive(jsonb, text, interval) IS
  'read: true when the user has access to the product and has not used it for at least the given interval (or never has)';

-- The server a call without one would use.
CREATE FUNCTION atl_server(server name DEFAULT NULL)
RETURNS name
AS 'MODULE_PATHNAME', 'atl_server'
LANGUAGE C CALLED ON NULL INPUT STABLE;
COMMENT ON FUNCTION atl_server(name) IS
  'read: the server a call without one would use';
