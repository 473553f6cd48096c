-- Actions.  Each call returns its audit row; an API refusal is an outcome
-- (recorded and returned), not an error, so one bad row cannot abort a bulk
-- SELECT atl_disable(account_id) FROM ...
--
-- dry_run (default: atlorg.dry_run) records what would be done and sends
-- nothing; a protected account (atl_protected_accounts, or an org admin in
-- the mirror) is skipped, and recorded so, unless force is true.
--
-- Every action goes through atl_act(), which sends only the operations of
-- atlorg's action catalogue (src/action_ops.c).
--
-- Each action also has a set-based form taking an array of accounts, e.g.
-- atl_disable(ARRAY(SELECT ...)): the requests run concurrently (up to
-- atlorg.executor_in_flight, paced by atlorg.action_rate), it returns one
-- audit row per account as each ends, and an action listed twice is done
-- once.  Everything is checked before anything is sent.
CREATE FUNCTION atl_act(op text, account_id text, group_id text, body jsonb,
                        server name, dry_run boolean, force boolean)
RETURNS atl_audit
AS 'MODULE_PATHNAME', 'atl_act'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

-- The set-based engine: ops, group_ids and bodies are one for all
-- accounts, or one for each (group_ids and bodies may be null).
CREATE FUNCTION atl_act_many(ops text[], account_ids text[], group_ids text[], bodies jsonb[],
                             server name, dry_run boolean, force boolean)
RETURNS SETOF atl_audit
AS 'MODULE_PATHNAME', 'atl_act_many'
LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 1000;

CREATE FUNCTION atl_disable(account_id text, server name DEFAULT NULL,
                            dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('disable', account_id, NULL, '{}', server, dry_run, force) $$;

COMMENT ON FUNCTION atl_disable IS
  'atlorg: deactivate an Atlassian account (POST /users/{id}/manage/lifecycle/disable), audited';

CREATE FUNCTION atl_enable(account_id text, server name DEFAULT NULL,
                           dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('enable', account_id, NULL, '{}', server, dry_run, force) $$;

COMMENT ON FUNCTION atl_enable IS
  'atlorg: reactivate an Atlassian account (POST /users/{id}/manage/lifecycle/enable), audited';

CREATE FUNCTION atl_delete(account_id text, server name DEFAULT NULL,
                           dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('delete', account_id, NULL, '{}', server, dry_run, force) $$;

COMMENT ON FUNCTION atl_delete IS
  'atlorg: delete an Atlassian account after its 14-day grace period (POST /users/{id}/manage/lifecycle/delete), audited';

CREATE FUNCTION atl_cancel_delete(account_id text, server name DEFAULT NULL,
                                  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS atl_audit LANGUAGE sql VOLATILE
AS $$ SELECT atl_act('cancel-delete', account_id, NULL, '{}', server, dry_run, force) $$;

COMMENT ON FUNCTION atl_cancel_delete IS
  'atlorg: cancel an account''s deletion during its grace period (POST /users/{id}/manage/lifecycle/cancel-delete), audited';

-- The set-based forms.
CREATE FUNCTION atl_disable(account_ids text[], server name DEFAULT NULL,
                            dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['disable'], account_ids, NULL, NULL, server, dry_run, force) $$;
CREATE FUNCTION atl_enable(account_ids text[], server name DEFAULT NULL,
                           dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['enable'], account_ids, NULL, NULL, server, dry_run, force) $$;
CREATE FUNCTION atl_delete(account_ids text[], server name DEFAULT NULL,
                           dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['delete'], account_ids, NULL, NULL, server, dry_run, force) $$;
CREATE FUNCTION atl_cancel_delete(account_ids text[], server name DEFAULT NULL,
                                  dry_run boolean DEFAULT NULL, force boolean DEFAULT false)
RETURNS SETOF atl_audit LANGUAGE sql VOLATILE ROWS 1000
AS $$ SELECT * FROM atl_act_many(ARRAY['cancel-delete'], account_ids, NULL, NULL, server, dry_run, force) $$;
