/*
 * http.c: requests to the Atlassian APIs through libcurl.
 *
 * Each process keeps one multi handle and one easy handle: the multi
 * interface lets us wait in short slices and check for interrupts between
 * them (so a cancel or statement_timeout stops a hanging request within
 * ~100 ms), and the kept handles keep their connections alive for the next
 * request.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "guc.h"
#include "http.h"
#include "retry.h"

#define POLL_SLICE_MS 100

static CURLM *multi_handle = NULL;
static CURL *easy_handle = NULL;

/* where the write callback puts the body, and the cap it enforces */
typedef struct BodySink
{
	StringInfo	buf;
	size_t		cap;
	bool		too_large;
} BodySink;

#define CHECK_SETOPT(h, opt, val) \
	do { \
		if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK) \
			elog(ERROR, "atlorg: could not set libcurl option %s", #opt); \
	} while (0)

void
atl_http_limits_from_gucs(AtlHttpLimits *limits)
{
	limits->connect_timeout_ms = atl_connect_timeout_ms;
	limits->request_timeout_ms = atl_request_timeout_ms;
	limits->max_retries = atl_max_retries;
	limits->retry_max_wait_ms = atl_retry_max_wait_ms;
	limits->max_response_bytes = (size_t) atl_max_response_kb * 1024;
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

static size_t
write_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	BodySink   *sink = userdata;
	size_t		len = size * nmemb;

	if (sink->buf->len + len > sink->cap)
	{
		sink->too_large = true;
		return 0;				/* makes curl fail with CURLE_WRITE_ERROR */
	}
	appendBinaryStringInfo(sink->buf, data, (int) len);
	return len;
}

static struct curl_slist *
request_headers(const AtlHttpRequest *req)
{
	struct curl_slist *headers = NULL;

	headers = curl_slist_append(headers, "Accept: application/json");
	if (req->body)
		headers = curl_slist_append(headers, "Content-Type: application/json");
	/* no "Expect: 100-continue" round trip for small JSON bodies */
	headers = curl_slist_append(headers, "Expect:");
	if (headers == NULL)
		elog(ERROR, "out of memory");
	return headers;
}

static void
configure(CURL *h, const AtlHttpRequest *req, const AtlHttpLimits *limits,
		  struct curl_slist *headers, BodySink *sink, char *errbuf)
{
	curl_easy_reset(h);
	CHECK_SETOPT(h, CURLOPT_URL, req->url);
	CHECK_SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
	CHECK_SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	CHECK_SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	CHECK_SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	CHECK_SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	CHECK_SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, (long) limits->connect_timeout_ms);
	CHECK_SETOPT(h, CURLOPT_TIMEOUT_MS, (long) limits->request_timeout_ms);
	CHECK_SETOPT(h, CURLOPT_USERAGENT, "atlorg/1.0");
	CHECK_SETOPT(h, CURLOPT_HTTPAUTH, (long) CURLAUTH_BEARER);
	CHECK_SETOPT(h, CURLOPT_XOAUTH2_BEARER, req->bearer);
	CHECK_SETOPT(h, CURLOPT_HTTPHEADER, headers);

	/*
	 * libcurl silently re-sends a request whose reused connection closes
	 * before any answer, though the server may have acted on it; on a fresh
	 * connection it does not.  An action is sent once or not at all.
	 */
	if (!req->idempotent)
		CHECK_SETOPT(h, CURLOPT_FRESH_CONNECT, 1L);
	CHECK_SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
	CHECK_SETOPT(h, CURLOPT_WRITEFUNCTION, write_body);
	CHECK_SETOPT(h, CURLOPT_WRITEDATA, sink);
	if (strcmp(req->method, "GET") != 0)
	{
		CHECK_SETOPT(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		CHECK_SETOPT(h, CURLOPT_POSTFIELDSIZE, (long) (req->body ? strlen(req->body) : 0));
		if (strcmp(req->method, "POST") != 0)
			CHECK_SETOPT(h, CURLOPT_CUSTOMREQUEST, req->method);
	}
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

/* what a response header says, or NULL */
static char *
header_value(CURL *h, const char *name)
{
	struct curl_header *hdr;

	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hdr) != CURLHE_OK)
		return NULL;
	return pstrdup(hdr->value);
}

/*
 * One attempt.  Returns the wait in ms that the answer asks for before the
 * next attempt, or -1 when no further attempt should be made.
 */
static long
attempt_once(const AtlHttpRequest *req, const AtlHttpLimits *limits,
			 AtlHttpResult *result, AtlHttpAbortCheck abort_check, void *arg)
{
	CURL	   *h = easy_handle;
	struct curl_slist *headers = request_headers(req);
	char		errbuf[CURL_ERROR_SIZE] = "";
	BodySink	sink = {&result->body, limits->max_response_bytes, false};
	CURLcode	code = CURLE_OK;
	curl_off_t	retry_after = -1;
	curl_off_t	request_size = 0;
	char	   *reset = NULL;

	resetStringInfo(&result->body);
	result->status = 0;
	result->error[0] = '\0';
	configure(h, req, limits, headers, &sink, errbuf);
	if (curl_multi_add_handle(multi_handle, h) != CURLM_OK)
		elog(ERROR, "atlorg: could not start a libcurl transfer");
	PG_TRY();
	{
		code = drive_transfer(h, abort_check, arg);
	}
	PG_FINALLY();
	{
		/* an interrupted transfer's connection is closed, not reused */
		curl_multi_remove_handle(multi_handle, h);
		curl_slist_free_all(headers);
		/* the handle outlives this frame: no pointers into it may remain */
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
	}
	PG_END_TRY();

	curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_size);
	result->sent = request_size > 0;
	if (code == CURLE_OK)
	{
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &result->status);
		curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after);
		reset = header_value(h, "X-RateLimit-Reset");
		if (!atl_retry_status(result->status))
			return -1;
		return atl_retry_delay_ms(result->attempts + 1, (long) retry_after, reset);
	}
	if (sink.too_large)
		snprintf(result->error, sizeof(result->error),
				 "the response exceeded atlorg.max_response_size (%zu kB)",
				 limits->max_response_bytes / 1024);
	else
		snprintf(result->error, sizeof(result->error), "%s",
				 errbuf[0] ? errbuf : curl_easy_strerror(code));
	if (!atl_retry_transport(code, result->sent, req->idempotent))
		return -1;
	return atl_retry_delay_ms(result->attempts + 1, -1, NULL);
}

/* sleep, waking every slice to check for interrupts; false if aborted */
static bool
wait_before_retry(long ms, AtlHttpAbortCheck abort_check, void *arg)
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
atl_http_perform(const AtlHttpRequest *req, const AtlHttpLimits *limits,
				 AtlHttpResult *result, AtlHttpAbortCheck abort_check, void *arg)
{
	TimestampTz start = GetCurrentTimestamp();

	ensure_handles();
	initStringInfo(&result->body);
	result->attempts = 0;
	result->cancelled = false;
	for (;;)
	{
		long		wait_ms;

		result->attempts++;
		wait_ms = attempt_once(req, limits, result, abort_check, arg);
		if (wait_ms < 0 || result->attempts > limits->max_retries)
			break;
		if (wait_ms > limits->retry_max_wait_ms)
		{
			/* the API asks for a longer pause than the caller allows */
			snprintf(result->error, sizeof(result->error),
					 "The API asked to wait %ld s before retrying, longer than atlorg.retry_max_wait allows.",
					 (wait_ms + 999) / 1000);
			break;
		}
		elog(DEBUG1, "atlorg: %s %s answered %ld, attempt %d, retrying in %ld ms",
			 req->method, req->url, result->status, result->attempts, wait_ms);
		if (!wait_before_retry(wait_ms, abort_check, arg))
		{
			result->cancelled = true;
			break;
		}
	}
	result->elapsed_ms = (double) (GetCurrentTimestamp() - start) / 1000.0;
}
