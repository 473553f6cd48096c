--
-- Which kind of key an endpoint needs.  Organization API keys come with
-- scopes or without; some endpoints take only keys without scopes, and the
-- user management API refuses scoped keys.  The error says which is needed.
--
\! test/fakectl.py reset
\getenv fake_url FAKE_URL
CREATE SERVER scoped FOREIGN DATA WRAPPER atlorg
  OPTIONS (org_id 'acme-org', api_base :'fake_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER scoped OPTIONS (api_key 'scoped-key');

-- A scoped key reads what its scopes cover...
SELECT count(*) > 0 AS ok FROM atl_domains(server => 'scoped');
-- ...but not the endpoints that take only unscoped keys.
SELECT count(*) FROM atl_users(server => 'scoped');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM atl_groups(server => 'scoped');
-- and the user management API refuses it: a refusal, recorded.
SELECT outcome, http_status, error_key FROM atl_disable('5e6f7a8b9c0d1e2f3a4b5c6d', 'scoped');
DROP SERVER scoped CASCADE;
