-- The org directory, one row per user, paged live from
-- POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/search.
CREATE FUNCTION atl_users(
  server              name DEFAULT NULL,
  OUT account_id      text,
  OUT name            text,
  OUT nickname        text,
  OUT email           text,
  OUT email_verified  boolean,
  OUT status          text,
  OUT account_status  text,
  OUT membership_status text,
  OUT claim_status    text,
  OUT management_source text,
  OUT added_to_org    timestamptz,
  OUT mfa_enabled     boolean,
  OUT job_title       text,
  OUT department      text,
  OUT organization    text,
  OUT location        text,
  OUT time_zone       text,
  OUT platform_roles  text[],
  OUT groups          text[],
  OUT products        text[],
  OUT last_active     timestamptz,
  OUT product_last_active jsonb)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'atl_users'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION atl_users(name) IS
  'atlorg: every user of the organization''s directory, with per-product last-active times';

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
