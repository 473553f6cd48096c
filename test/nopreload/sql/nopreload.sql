--
-- Without shared_preload_libraries = 'atlorg' (this cluster has none):
-- reads work; actions, which need the executor, say what to do.
--
CREATE EXTENSION atlorg;
\getenv fake_url FAKE_URL
\getenv fake_key FAKE_KEY
CREATE SERVER acme FOREIGN DATA WRAPPER atlorg
  OPTIONS (org_id 'acme-org', api_base :'fake_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (api_key :'fake_key');
SELECT count(*) FROM atl_users();
SELECT outcome FROM atl_disable('5e6f7a8b9c0d1e2f3a4b5c6d');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS audit_rows FROM atl_audit;
