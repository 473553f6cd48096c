/*
 * worker.c: the executor, a background worker per database that sends the
 * actions queued by backends and audits each in its own transactions.
 *
 * Started on demand by a backend (executor.c) and gone after
 * atlorg.worker_idle_timeout without work, so that it never holds a database
 * open for long (DROP DATABASE waits for it).
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "api_error.h"
#include "audit.h"
#include "executor.h"
#include "guc.h"
#include "http.h"

PGDLLEXPORT void atl_worker_main(Datum main_arg);

/*
 * Once a request is on the wire it is let finish (within the request
 * timeout) so that its outcome is known; a cancel stops only what has not
 * been sent: the first attempt, or a retry.
 */
static bool
worker_abort_check(void *arg, bool in_transfer)
{
	CHECK_FOR_INTERRUPTS();
	return !in_transfer && atl_executor_cancel_requested((AtlSlot *) arg);
}

static void
copy_text(char *dst, size_t size, const char *src)
{
	strlcpy(dst, src ? src : "", size);
}

/*
 * A refusal that says the account is already as asked: a member already in
 * the group (ADMIN-UAM-409-2), or a lifecycle conflict whose code says
 * "already".  Not a failure.
 */
static bool
already_done(long status, const AtlApiError *e)
{
	if (status != 409)
		return false;
	if (e->key && strcmp(e->key, "ADMIN-UAM-409-2") == 0)
		return true;
	return e->reason && (strstr(e->reason, "ALREADY") || strstr(e->reason, "already"));
}

/* the outcome vocabulary of atl_audit.outcome */
static void
classify(const AtlHttpResult *http, AtlActionResult *res)
{
	AtlApiError e = atl_api_error_parse(http->body.data, http->body.len);
	const char *outcome;

	res->http_status = (int) http->status;
	if (http->status >= 200 && http->status <= 299)
		outcome = "succeeded";
	else if (already_done(http->status, &e))
		outcome = "already";
	else if (http->status >= 400 && http->status <= 499 && http->status != 429)
		outcome = "refused";
	else if (http->cancelled)
		outcome = "cancelled";	/* while waiting to retry a 429 or 5xx */
	else if (http->status != 0)
		outcome = "failed";		/* 429 or 5xx, retries exhausted */
	else
		outcome = http->sent ? "unknown" : "failed";
	copy_text(res->outcome, sizeof(res->outcome), outcome);
	if (http->status >= 200 && http->status <= 299)
		return;
	copy_text(res->error_key, sizeof(res->error_key), e.key);
	copy_text(res->error_reason, sizeof(res->error_reason), e.reason);
	if (strcmp(outcome, "unknown") == 0)
		snprintf(res->error_detail, sizeof(res->error_detail),
				 "%s; the request was sent, so whether Atlassian acted on it is unknown",
				 http->error);
	else
		copy_text(res->error_detail, sizeof(res->error_detail),
				  http->error[0] ? http->error : e.detail);
}

static void
run_action(AtlSlot *slot, AtlActionRequest *req)
{
	AtlActionResult res;
	AtlHttpRequest hreq = {req->method, req->url, req->auth,
		req->auth == ATL_AUTH_BASIC ? req->username : NULL, req->api_key,
	req->body[0] ? req->body : NULL, false};
	AtlHttpResult http;

	memset(&res, 0, sizeof(res));
	res.audit_id = atl_audit_record_intent(req, &res.requested_at);
	atl_executor_publish_audit_id(slot, res.audit_id, res.requested_at);

	if (req->dry_run || req->skip_reason[0])
	{
		copy_text(res.outcome, sizeof(res.outcome), req->dry_run ? "dry_run" : "skipped");
		snprintf(res.error_detail, sizeof(res.error_detail), "%s",
				 req->dry_run ? "dry run: nothing was sent" : req->skip_reason);
	}
	else if (atl_executor_cancel_requested(slot))
	{
		copy_text(res.outcome, sizeof(res.outcome), "cancelled");
		copy_text(res.error_detail, sizeof(res.error_detail),
				  "the caller stopped waiting before the request was sent; nothing was sent");
	}
	else
	{
		elog(DEBUG1, "atlorg: %s %s for %s", req->method, req->url, req->acted_by);
		atl_http_perform(&hreq, &req->limits, &http, worker_abort_check, slot);
		classify(&http, &res);
		res.attempts = http.attempts;
		res.elapsed_ms = http.elapsed_ms;
	}
	explicit_bzero(req->api_key, sizeof(req->api_key));
	res.finished_at = GetCurrentTimestamp();
	atl_audit_record_outcome(&res);
	atl_executor_finish(slot, &res);
}

void
atl_worker_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	MemoryContext action_cxt;
	TimestampTz idle_since;

	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	if (!atl_executor_register_worker(dboid))
		proc_exit(0);
	/* what a dead predecessor left in flight: first the audit, then callers */
	atl_audit_resolve_pending();
	atl_executor_resolve_orphans(dboid);

	action_cxt = AllocSetContextCreate(TopMemoryContext, "atlorg action",
									   ALLOCSET_DEFAULT_SIZES);
	idle_since = GetCurrentTimestamp();
	for (;;)
	{
		AtlActionRequest req;
		AtlSlot    *slot;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if ((slot = atl_executor_take(dboid, &req)) != NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(action_cxt);

			run_action(slot, &req);
			MemoryContextSwitchTo(old);
			MemoryContextReset(action_cxt);
			idle_since = GetCurrentTimestamp();
			continue;
		}
		if (TimestampDifferenceExceeds(idle_since, GetCurrentTimestamp(), atl_worker_idle_ms) &&
			atl_executor_retire_worker(dboid))
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	proc_exit(0);
}
