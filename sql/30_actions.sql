-- Actions.  Each call returns its audit row; an API refusal is an outcome
-- (recorded and returned), not an error, so one bad row cannot abort a bulk
-- SELECT atl_disable(account_id) FROM ...
--
-- dry_run (default: atlorg.dry_run) records what would be done and sends
-- nothing; a protected account (atl_protected_accounts, an org admin in
-- the mirror, or the acting admin's own account) is skipped, and recorded
-- so, unless force is true -- in a dry run too, so that a preview says what
-- the real run will do.
--
-- Every action is a C function of its own name (symbol atl_action): the C
-- code finds the action from the function's name in its catalogue
-- (src/act_catalogue.c), checks that its declaration is the one the catalogue
-- expects, builds the request's body itself, and checks every element
-- before anything is sent.  There is no generic entry point that could send
-- (or audit) anything else.
--
-- Each action also has a set-based form taking an array of accounts, e.g.
-- atl_disable(ARRAY(SELECT ...)): the requests run concurrently (up to
-- atlorg.executor_in_flight, paced by atlorg.action_rate), it returns one
-- audit row per account as each ends, and an action listed twice is done
-- once.

CREATE FUNCTION atl_disable(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_disable(text, name, boolean, boolean) IS
  'action: deactivate an Atlassian account (POST /users/{id}/manage/lifecycle/disable), audited';

CREATE FUNCTION atl_enable(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_enable(text, name, boolean, boolean) IS
  'action: reactivate an Atlassian account (POST /users/{id}/manage/lifecycle/enable), audited';

CREATE FUNCTION atl_delete(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_delete(text, name, boolean, boolean) IS
  'action: delete an Atlassian account after its 14-day grace period (POST /users/{id}/manage/lifecycle/delete), audited';

CREATE FUNCTION atl_cancel_delete(account_id text, server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION atl_cancel_delete(text, name, boolean, boolean) IS
  'action: cancel an account''s deletion during its grace period (POST /users/{id}/manage/lifecycle/cancel-delete), audited';

-- The set-based forms.
CREATE FUNCTION atl_disable(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_disable(text[], name, boolean, boolean) IS
  'action: deactivate many accounts (POST /users/{id}/manage/lifecycle/disable), audited';

CREATE FUNCTION atl_enable(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_enable(text[], name, boolean, boolean) IS
  'action: reactivate many accounts (POST /users/{id}/manage/lifecycle/enable), audited';

CREATE FUNCTION atl_delete(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_delete(text[], name, boolean, boolean) IS
  'action: delete many accounts after its 14-day grace period (POST /users/{id}/manage/lifecycle/delete), audited';

CREATE FUNCTION atl_cancel_delete(account_ids text[], server name DEFAULT NULL,
  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_action' LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;
COMMENT ON FUNCTION atl_cancel_delete(text[], name, boolean, boolean) IS
  'action: cancel many accounts'' deletion during its grace period (POST /users/{id}/manage/lifecycle/cancel-delete), audited';
