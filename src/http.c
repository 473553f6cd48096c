/*
 * http.c: one request at a time, with retries, for a backend or the
 * executor.
 *
 * Each process keeps one multi handle and one easy handle: the multi
 * interface lets us wait in short slices and check for interrupts between
 * them (so a cancel or statement_timeout stops a hanging request within
 * ~100 ms), and the kept handles keep their connections alive for the next
 * request.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "guc.h"
#include "http.h"
#include "http_transfer.h"

#define POLL_SLICE_MS 100

static CURLM *multi_handle = NULL;
static CURL *easy_handle = NULL;

void
atl_http_limits_from_gucs(AtlHttpLimits *limits)
{
	limits->connect_timeout_ms = atl_connect_timeout_ms;
	limits->request_timeout_ms = atl_request_timeout_ms;
	limits->max_retries = atl_max_retries;
	limits->retry_max_wait_ms = atl_retry_max_wait_ms;
	limits->max_pause_ms = atl_max_pause_ms;
	limits->max_response_bytes = (size_t) atl_max_response_kb * 1024;
}

/* the part of a URL after the host, for messages (without its query) */
static char *
url_path(const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? strchr(p + 3, '/') : NULL;
	p = p ? p : url;
	return pnstrdup(p, strcspn(p, "?"));
}

long
atl_http_retry_limit_ms(const AtlHttpLimits *limits)
{
	return Min(limits->retry_max_wait_ms, limits->max_pause_ms);
}

const char *
atl_http_retry_limit_name(const AtlHttpLimits *limits)
{
	return limits->max_pause_ms < limits->retry_max_wait_ms ?
		"atlorg.max_pause" : "atlorg.retry_max_wait";
}

long
atl_http_capped_pause_ms(const AtlHttpLimits *limits, long ms)
{
	return Max(Min(ms, (long) limits->max_pause_ms), 0);
}

bool
atl_http_notice_due(long wait_ms)
{
	static TimestampTz noticed_statement = 0;
	TimestampTz statement;

	/* only a client can hear it: not the executor */
	if (wait_ms <= ATL_WAIT_NOTICE_MS || MyBackendType != B_BACKEND)
		return false;
	statement = GetCurrentStatementStartTimestamp();
	if (statement == noticed_statement)
		return false;
	noticed_statement = statement;
	return true;
}

bool
atl_http_backend_abort_check(void *arg, bool in_transfer)
{
	CHECK_FOR_INTERRUPTS();
	return false;
}

static void
ensure_handles(void)
{
	if (multi_handle == NULL)
		multi_handle = curl_multi_init();
	if (easy_handle == NULL)
		easy_handle = curl_easy_init();
	if (multi_handle == NULL || easy_handle == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("atlorg: could not initialize libcurl")));
}

/* drive the transfer in short slices, checking for interrupts in between */
static CURLcode
drive_transfer(CURL *h, AtlHttpAbortCheck abort_check, void *arg)
{
	int			running = 1;
	CURLMsg    *msg;
	int			queued;

	while (running)
	{
		if (curl_multi_perform(multi_handle, &running) != CURLM_OK)
			return CURLE_FAILED_INIT;
		if (!running)
			break;
		if (curl_multi_poll(multi_handle, NULL, 0, POLL_SLICE_MS, NULL) != CURLM_OK)
			return CURLE_FAILED_INIT;
		if (abort_check(arg, true))
			return CURLE_ABORTED_BY_CALLBACK;
	}
	while ((msg = curl_multi_info_read(multi_handle, &queued)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == h)
			return msg->data.result;
	return CURLE_FAILED_INIT;
}

/*
 * The process's one transfer.  It may be left running between
 * atl_http_start() and atl_http_finish() (a prefetched page), and an error
 * in between leaves it behind: the next start removes it first.
 */
static AtlTransfer transfer;
static bool transfer_running = false;

void
atl_http_abandon(void)
{
	if (!transfer_running)
		return;
	/* an interrupted transfer's connection is closed, not reused */
	curl_multi_remove_handle(multi_handle, transfer.easy);
	atl_transfer_abandon(&transfer);
	transfer_running = false;
}

/* set up an attempt and put it on the wire, without waiting for it */
static void
begin_attempt(const AtlHttpRequest *req, const AtlHttpLimits *limits,
			  AtlHttpResult *result)
{
	int			running;

	atl_http_abandon();
	transfer.easy = easy_handle;
	atl_transfer_setup(&transfer, req, limits, result);
	if (curl_multi_add_handle(multi_handle, transfer.easy) != CURLM_OK)
	{
		atl_transfer_abandon(&transfer);
		elog(ERROR, "atlorg: could not start a libcurl transfer");
	}
	transfer_running = true;
	result->attempts++;
	(void) curl_multi_perform(multi_handle, &running);
}

/* wait for the attempt; returns the wait before another, or -1 for none */
static long
end_attempt(const AtlHttpRequest *req, const AtlHttpLimits *limits,
			AtlHttpResult *result, AtlHttpAbortCheck abort_check, void *arg)
{
	CURLcode	code = CURLE_OK;

	PG_TRY();
	{
		code = drive_transfer(transfer.easy, abort_check, arg);
	}
	PG_CATCH();
	{
		atl_http_abandon();
		PG_RE_THROW();
	}
	PG_END_TRY();
	curl_multi_remove_handle(multi_handle, transfer.easy);
	transfer_running = false;
	return atl_transfer_finish(&transfer, code, req, limits, result);
}

bool
atl_http_wait(long ms, AtlHttpAbortCheck abort_check, void *arg)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);

		if (abort_check(arg, false))
			return false;
		if (left <= 0)
			return true;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(left, POLL_SLICE_MS), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

void
atl_http_start(const AtlHttpRequest *req, const AtlHttpLimits *limits,
			   AtlHttpResult *result)
{
	ensure_handles();
	initStringInfo(&result->body);
	result->attempts = 0;
	result->cancelled = false;
	result->started_at = GetCurrentTimestamp();
	begin_attempt(req, limits, result);
}

void
atl_http_finish(const AtlHttpRequest *req, const AtlHttpLimits *limits,
				AtlHttpResult *result, AtlHttpAbortCheck abort_check, void *arg)
{
	for (;;)
	{
		long		wait_ms = end_attempt(req, limits, result, abort_check, arg);

		if (wait_ms < 0 || result->attempts > limits->max_retries)
			break;
		if (wait_ms > atl_http_retry_limit_ms(limits))
		{
			/* the API asks for a longer pause than the caller allows */
			snprintf(result->error, sizeof(result->error),
					 "The API asked to wait %ld s before retrying, longer than %s allows.",
					 (wait_ms + 999) / 1000, atl_http_retry_limit_name(limits));
			break;
		}
		elog(DEBUG1, "atlorg: %s %s answered %ld, attempt %d, retrying in %ld ms",
			 req->method, req->url, result->status, result->attempts, wait_ms);
		if (atl_http_notice_due(wait_ms))
			ereport(NOTICE,
					(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
					 errmsg("atlorg: waiting %ld s before retrying %s %s, which answered %ld",
							(wait_ms + 999) / 1000, req->method, url_path(req->url),
							result->status),
					 errdetail("No wait is longer than %s; a cancel stops it.",
							   atl_http_retry_limit_name(limits))));
		if (!atl_http_wait(wait_ms, abort_check, arg))
		{
			result->cancelled = true;
			break;
		}
		begin_attempt(req, limits, result);
	}
	result->elapsed_ms = (double) (GetCurrentTimestamp() - result->started_at) / 1000.0;
}

void
atl_http_perform(const AtlHttpRequest *req, const AtlHttpLimits *limits,
				 AtlHttpResult *result, AtlHttpAbortCheck abort_check, void *arg)
{
	atl_http_start(req, limits, result);
	atl_http_finish(req, limits, result, abort_check, arg);
}
