-- Actions.  Each call returns its audit row; an API refusal is an outcome
-- (recorded and returned), not an error, so one bad row cannot abort a bulk
-- SELECT atl_disable(account_id) FROM ...
CREATE FUNCTION atl_disable(account_id text, server name DEFAULT NULL)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_disable'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION atl_disable(text, name) IS
  'atlorg: deactivate an Atlassian account (POST /users/{id}/manage/lifecycle/disable), audited';
