--
-- Servers and user mappings: where atlorg keeps an organization's
-- credentials, the way postgres_fdw and dblink do.
--
CREATE EXTENSION atlorg;

-- Before any server exists, functions say how to make one.
SELECT count(*) FROM atl_users();

-- A server is one Atlassian organization.  org_id is required.
CREATE SERVER broken FOREIGN DATA WRAPPER atlorg;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- Unknown options are refused, and the hint lists the valid ones.
CREATE SERVER broken FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', region 'eu');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- The API key belongs in a user mapping, never on the server.
CREATE SERVER broken FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', api_key 'k');
-- The wrapper itself takes no options.
ALTER FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org');
-- Ids go into URL paths, so they are held to a safe alphabet.
CREATE SERVER broken FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme/../other');
CREATE SERVER broken FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', directory_id 'a b');
CREATE SERVER broken FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', api_base 'ftp://example.com');

-- Only a superuser may send the key anywhere but Atlassian's own host.
CREATE ROLE atl_admin;
GRANT USAGE ON FOREIGN DATA WRAPPER atlorg TO atl_admin;
SET ROLE atl_admin;
CREATE SERVER elsewhere FOREIGN DATA WRAPPER atlorg
  OPTIONS (org_id 'acme-org', api_base 'https://api.example.com');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER official FOREIGN DATA WRAPPER atlorg
  OPTIONS (org_id 'acme-org', api_base 'https://api.atlassian.com/');
ALTER SERVER official OPTIONS (SET api_base 'http://api.atlassian.com');
-- User mappings take exactly one option, api_key, a non-empty single line.
CREATE USER MAPPING FOR atl_admin SERVER official OPTIONS (api_key 'k', token 't');
CREATE USER MAPPING FOR atl_admin SERVER official OPTIONS (api_key '');
CREATE USER MAPPING FOR atl_admin SERVER official OPTIONS (api_key E'k\r\nX-Evil: 1');
RESET ROLE;
DROP SERVER official;

-- The organization these tests use: the fake org the harness started.
\getenv fake_url FAKE_URL
\getenv fake_key FAKE_KEY
CREATE SERVER acme FOREIGN DATA WRAPPER atlorg
  OPTIONS (org_id 'acme-org', api_base :'fake_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (api_key :'fake_key');
-- Other roles cannot read the key.
GRANT USAGE ON FOREIGN SERVER acme TO atl_admin;
SET ROLE atl_admin;
SELECT srvname, usename, umoptions FROM pg_user_mappings WHERE srvname = 'acme';
RESET ROLE;

-- With exactly one atlorg server, functions need no server argument.
SELECT count(*) > 0 AS has_users FROM atl_users();
-- With two, the call must say which, or atlorg.server must.
CREATE SERVER other FOREIGN DATA WRAPPER atlorg
  OPTIONS (org_id 'other-org', api_base :'fake_url');
SELECT count(*) FROM atl_users();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET atlorg.server = 'acme';
SELECT atl_server() AS used;
SELECT count(*) > 0 AS has_users FROM atl_users();
RESET atlorg.server;
SELECT count(*) > 0 AS has_users FROM atl_users(server => 'acme');
-- A server the caller has no user mapping for.
SELECT count(*) FROM atl_users(server => 'other');
-- A server whose organization the key cannot see: Atlassian's 404, with a hint.
CREATE USER MAPPING FOR CURRENT_USER SERVER other OPTIONS (api_key :'fake_key');
SELECT count(*) FROM atl_users(server => 'other');
-- Servers that do not exist or are not atlorg's.
SELECT count(*) FROM atl_users(server => 'nope');
CREATE FOREIGN DATA WRAPPER not_atlorg;
CREATE SERVER not_ours FOREIGN DATA WRAPPER not_atlorg;
SELECT count(*) FROM atl_users(server => 'not_ours');
-- Nothing of atlorg is granted to PUBLIC: a role needs atlorg_reader (or
-- atlorg_actor, atlorg_manager) to call it at all...
CREATE ROLE atl_nobody;
SET ROLE atl_nobody;
SELECT count(*) FROM atl_users(server => 'acme');
RESET ROLE;
-- ...and USAGE on the server too.
GRANT atlorg_reader TO atl_nobody, atl_admin;
SET ROLE atl_nobody;
SELECT count(*) FROM atl_users(server => 'acme');
RESET ROLE;
-- A role with USAGE but no user mapping of its own.
SET ROLE atl_admin;
SELECT count(*) FROM atl_users(server => 'acme');
RESET ROLE;

DROP SERVER other CASCADE;
DROP SERVER not_ours;
DROP FOREIGN DATA WRAPPER not_atlorg;
DROP ROLE atl_nobody;
DROP OWNED BY atl_admin;
DROP ROLE atl_admin;
