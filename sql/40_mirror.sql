-- A local mirror of the directory: users, their per-product activity,
-- groups and memberships, refreshed by atl_sync() in the caller's
-- transaction.  Queries, joins and indexes on it cost no API calls.
-- The columns of atl_users() (the atl_user type), and where and when.
CREATE TABLE atl_mirror_users (
  server    name NOT NULL,
  LIKE atl_user,
  synced_at timestamptz NOT NULL,
  PRIMARY KEY (server, account_id)
);
CREATE INDEX atl_mirror_users_email_idx ON atl_mirror_users (lower(email));

-- One row per user and product they can access; last_active null: never used.
CREATE TABLE atl_mirror_user_products (
  server      name NOT NULL,
  account_id  text NOT NULL,
  product     text NOT NULL,
  last_active timestamptz,
  PRIMARY KEY (server, account_id, product),
  FOREIGN KEY (server, account_id) REFERENCES atl_mirror_users ON DELETE CASCADE
);
CREATE INDEX atl_mirror_user_products_product_idx
  ON atl_mirror_user_products (server, product, last_active);

-- One row per user, product and site (atl_access's columns): who may use
-- what where, how it was granted, and when it was last used there.
CREATE TABLE atl_mirror_access (
  server    name NOT NULL,
  LIKE atl_access,
  synced_at timestamptz NOT NULL,
  PRIMARY KEY (server, account_id, product, site_id),
  FOREIGN KEY (server, account_id) REFERENCES atl_mirror_users ON DELETE CASCADE
);
CREATE INDEX atl_mirror_access_site_idx
  ON atl_mirror_access (server, product, site, last_active);

CREATE TABLE atl_mirror_groups (
  server          name NOT NULL,
  group_id        text NOT NULL,
  name            text NOT NULL,
  description     text,
  managed_by      text,
  external_synced boolean,
  user_count      bigint,
  resource_count  bigint,
  synced_at       timestamptz NOT NULL,
  PRIMARY KEY (server, group_id)
);

CREATE TABLE atl_mirror_group_members (
  server     name NOT NULL,
  group_id   text NOT NULL,
  account_id text NOT NULL,
  PRIMARY KEY (server, group_id, account_id),
  FOREIGN KEY (server, account_id) REFERENCES atl_mirror_users ON DELETE CASCADE
);
CREATE INDEX atl_mirror_group_members_account_idx
  ON atl_mirror_group_members (server, account_id);

-- Every completed sync: when, and what changed.
CREATE TABLE atl_mirror_syncs (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  server            name NOT NULL,
  started_at        timestamptz NOT NULL,
  finished_at       timestamptz NOT NULL,
  synced_by         name NOT NULL DEFAULT current_user,
  users_added       integer NOT NULL,
  users_changed     integer NOT NULL,
  users_gone        integer NOT NULL,
  groups_added      integer NOT NULL,
  groups_changed    integer NOT NULL,
  groups_gone       integer NOT NULL,
  memberships_added integer NOT NULL,
  memberships_gone  integer NOT NULL,
  access_added      integer,   -- null: per-site access was not synced
  access_changed    integer,
  access_gone       integer
);

-- When each server's mirror was last synced.
CREATE VIEW atl_mirror_status AS
  SELECT DISTINCT ON (server) server, finished_at AS last_synced,
         finished_at - started_at AS took, synced_by
    FROM atl_mirror_syncs ORDER BY server, id DESC;

SELECT pg_catalog.pg_extension_config_dump('atl_mirror_users', '');
SELECT pg_catalog.pg_extension_config_dump('atl_mirror_user_products', '');
SELECT pg_catalog.pg_extension_config_dump('atl_mirror_access', '');
SELECT pg_catalog.pg_extension_config_dump('atl_mirror_groups', '');
SELECT pg_catalog.pg_extension_config_dump('atl_mirror_group_members', '');
SELECT pg_catalog.pg_extension_config_dump('atl_mirror_syncs', '');
