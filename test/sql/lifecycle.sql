--
-- The other lifecycle actions: enable, delete (the account is deactivated
-- for a 14-day grace period, then deleted) and cancel-delete.  Each shows
-- in the directory at once.
--
\! test/fakectl.py reset
SELECT action, outcome, http_status FROM atl_disable('5e6f7a8b9c0d1e2f3a4b5c6d');
SELECT status FROM atl_users(emails => '{tom.twosites@acme.example}');
SELECT action, outcome, http_status FROM atl_enable('5e6f7a8b9c0d1e2f3a4b5c6d');
SELECT status FROM atl_users(emails => '{tom.twosites@acme.example}');
SELECT action, outcome, http_status FROM atl_delete('5e6f7a8b9c0d1e2f3a4b5c6d');
SELECT status FROM atl_users(emails => '{tom.twosites@acme.example}');
SELECT action, outcome, http_status FROM atl_cancel_delete('5e6f7a8b9c0d1e2f3a4b5c6d');
SELECT status FROM atl_users(emails => '{tom.twosites@acme.example}');

-- An account already in the target state is not a failure: where the API
-- says so with a conflict, the outcome is 'already'.
\! test/fakectl.py config '{"already_state": "409"}'
SELECT action, outcome, http_status, error_reason FROM atl_disable('5c2e9a1b7d3f4e0a8b6c1d2e');
\! test/fakectl.py config '{"already_state": "204"}'
SELECT action, outcome, http_status FROM atl_disable('5c2e9a1b7d3f4e0a8b6c1d2e');

-- The same checks as atl_disable(): a malformed id is an error.
SELECT atl_enable('not an id');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
