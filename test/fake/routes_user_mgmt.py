"""User management API: POST /users/{account_id}/manage/lifecycle/{action}.

Rules (REFERENCE.md §6, user-management.json):
- account_id must match [a-zA-Z0-9_|:-]{1,128} after URL-decoding, else the
  router finds no resource: 404 {"key": "notFound"};
- unknown account: 404 {"key": "accountNotFound"};
- unmanaged account: 403 forbidden.action, reason managedAccount;
- SCIM-synced account: 403 forbidden.action, reason externalDirectory.scim;
- enable on an account scheduled for deletion: 409 (the spec says the
  deletion must be cancelled first);
- action already in effect: success again, or 409 conflict.lifecycleErrors
  when the control API sets already_state "409".  cancel-delete has no 409
  in the spec, so it always succeeds.
Every call that changes an account's state appends an event to the org's
audit log (events.py); a call that changes nothing appends none.
"""

import re
from urllib.parse import unquote

import errors
from http_types import JSON_TYPE, Response

ACCOUNT_ID = re.compile(r"[a-zA-Z0-9_|:-]{1,128}")
CONFLICT_LINK = "https://confluence.atlassian.com/x/pTgoPQ"


def handle(app, req, match):
    account_id, action = unquote(match.group(1)), match.group(2)
    if action not in ACTIONS:
        return errors.um(404, "notFound")
    if req.method != "POST":
        return errors.gateway(405)
    if not ACCOUNT_ID.fullmatch(account_id):
        return errors.um(404, "notFound")
    problem = check_body(req, action)
    if problem:
        return problem
    index = app.org.index_of_account(account_id)
    if index is None:
        return errors.um(404, "accountNotFound")
    user = app.org.user(index)
    denied = forbidden(user)
    if denied:
        return denied
    with app.org.lock:  # check-then-set must not interleave with another request
        return ACTIONS[action](app, user)


def check_body(req, action):
    """disable takes an optional {"message": str}; the others take no body,
    and whatever a client sends along is ignored."""
    if action != "disable" or not req.body.strip():
        return None
    ok, body = req.parsed_body()
    if req.media_type() != JSON_TYPE or not ok or not isinstance(body, dict):
        return errors.um(400, "bodyParseFailure")
    if "message" in body and not isinstance(body["message"], str):
        return errors.um(400, "fieldConstraintsViolated",
                         {"fieldViolations": [{"field": "message",
                                               "violations": [{"key": "type"}]}]})
    return None


def find_account(app, match):
    """(user, None) for the path's account_id, else (None, 404): the rules
    above, shared by every /users/{account_id}/manage/... operation."""
    account_id = unquote(match.group(1))
    if not ACCOUNT_ID.fullmatch(account_id):
        return None, errors.um(404, "notFound")
    index = app.org.index_of_account(account_id)
    if index is None:
        return None, errors.um(404, "accountNotFound")
    return app.org.user(index), None


def forbidden(user):
    if user.claim != "managed":
        return forbidden_action("managedAccount")
    if user.source == "synced":
        return forbidden_action("externalDirectory.scim")
    return None


def forbidden_action(reason):
    return errors.um(403, "forbidden.action", {"allowed": False, "reason": {"key": reason}})


def conflict(user, code, message):
    return errors.um(409, "conflict.lifecycleErrors", {
        "message": message, "accountId": user.account_id,
        "errorCodes": [{"code": code, "message": message, "link": CONFLICT_LINK}]})


def already(app, user, success, code, message):
    if app.config["already_state"] == "409":
        return conflict(user, code, message)
    return success()


def ok_message():
    return Response.json(200, {"message": "Success"})


def disable(app, user):
    acc, _, _ = app.org.state(user)
    if acc == "inactive":
        return already(app, user, Response.empty, "ACCOUNT_ALREADY_DEACTIVATED",
                       "The account is already deactivated")
    app.org.set_account_status(user, active=False)
    app.audit.append_lifecycle("disable", user)
    return Response.empty(204)


def enable(app, user):
    acc, _, status = app.org.state(user)
    if status == "for_deletion":
        return conflict(user, "ACCOUNT_SCHEDULED_FOR_DELETION",
                        "Cancel the deletion of this account before activating it")
    if acc == "active":
        return already(app, user, Response.empty, "ACCOUNT_ALREADY_ACTIVE",
                       "The account is already active")
    app.org.set_account_status(user, active=True)
    app.audit.append_lifecycle("enable", user)
    return Response.empty(204)


def delete(app, user):
    _, _, status = app.org.state(user)
    if status == "for_deletion":
        return already(app, user, ok_message, "ACCOUNT_ALREADY_SCHEDULED_FOR_DELETION",
                       "The account is already scheduled for deletion")
    app.org.set_account_status(user, active=False, for_deletion=True)
    app.audit.append_lifecycle("delete", user)
    return ok_message()


def cancel_delete(app, user):
    _, _, status = app.org.state(user)
    if status == "for_deletion":
        app.org.set_account_status(user, active=True)
        app.audit.append_lifecycle("cancel-delete", user)
    return ok_message()


ACTIONS = {"disable": disable, "enable": enable, "delete": delete, "cancel-delete": cancel_delete}
