/*
 * transfer.c: setting up one attempt on an easy handle, and reading what
 * came back.
 */
#include "postgres.h"

#include "guc.h"
#include "remote_text.h"
#include "retry.h"
#include "transfer.h"

static size_t
write_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	AtlTransfer *t = userdata;
	size_t		len = size * nmemb;

	if (t->body->len + len > t->cap)
	{
		t->too_large = true;
		return 0;				/* makes curl fail with CURLE_WRITE_ERROR */
	}
	appendBinaryStringInfo(t->body, data, (int) len);
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
set_credentials(CURL *h, const AtlHttpRequest *req)
{
	if (req->auth == ATL_AUTH_BASIC)
	{
		CHECK_SETOPT(h, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
		CHECK_SETOPT(h, CURLOPT_USERNAME, req->username);
		CHECK_SETOPT(h, CURLOPT_PASSWORD, req->secret);
	}
	else
	{
		CHECK_SETOPT(h, CURLOPT_HTTPAUTH, (long) CURLAUTH_BEARER);
		CHECK_SETOPT(h, CURLOPT_XOAUTH2_BEARER, req->secret);
	}
}

void
atl_transfer_setup(AtlTransfer *t, const AtlHttpRequest *req,
				   const AtlHttpLimits *limits, AtlHttpResult *result)
{
	CURL	   *h = t->easy;

	resetStringInfo(&result->body);
	result->status = 0;
	result->error[0] = '\0';
	result->ratelimit_remaining = -1;
	result->ratelimit_reset_ms = -1;
	result->certificate_failed = false;
	t->body = &result->body;
	t->cap = limits->max_response_bytes;
	t->too_large = false;
	t->errbuf[0] = '\0';
	t->headers = request_headers(req);

	curl_easy_reset(h);
	CHECK_SETOPT(h, CURLOPT_URL, req->url);
	CHECK_SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
	CHECK_SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	CHECK_SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	CHECK_SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	/* atlorg.ca_file replaces the default trust store; verification stays on */
	if (atl_ca_file != NULL && atl_ca_file[0] != '\0')
	{
		CHECK_SETOPT(h, CURLOPT_CAINFO, atl_ca_file);
		CHECK_SETOPT(h, CURLOPT_CAPATH, NULL);
	}
	CHECK_SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	CHECK_SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, (long) limits->connect_timeout_ms);
	CHECK_SETOPT(h, CURLOPT_TIMEOUT_MS, (long) limits->request_timeout_ms);
	CHECK_SETOPT(h, CURLOPT_USERAGENT, "atlorg/1.0");
	set_credentials(h, req);
	CHECK_SETOPT(h, CURLOPT_HTTPHEADER, t->headers);

	/*
	 * libcurl silently re-sends a request whose reused connection closes
	 * before any answer, though the server may have acted on it; on a fresh
	 * connection it does not.  An action is sent once or not at all.
	 */
	if (!req->idempotent)
		CHECK_SETOPT(h, CURLOPT_FRESH_CONNECT, 1L);
	CHECK_SETOPT(h, CURLOPT_ERRORBUFFER, t->errbuf);
	CHECK_SETOPT(h, CURLOPT_WRITEFUNCTION, write_body);
	CHECK_SETOPT(h, CURLOPT_WRITEDATA, t);
	CHECK_SETOPT(h, CURLOPT_PRIVATE, t);
	if (strcmp(req->method, "GET") != 0)
	{
		CHECK_SETOPT(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		CHECK_SETOPT(h, CURLOPT_POSTFIELDSIZE, (long) (req->body ? strlen(req->body) : 0));
		if (strcmp(req->method, "POST") != 0)
			CHECK_SETOPT(h, CURLOPT_CUSTOMREQUEST, req->method);
	}
}

void
atl_transfer_abandon(AtlTransfer *t)
{
	curl_slist_free_all(t->headers);
	t->headers = NULL;
	/* the handle outlives this transfer: no pointers into it may remain */
	curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, NULL);
}

/* a response header's value, or NULL */
static const char *
header_value(CURL *h, const char *name)
{
	struct curl_header *hdr;

	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hdr) != CURLHE_OK)
		return NULL;
	return hdr->value;
}

static void
read_rate_limit_headers(CURL *h, AtlHttpResult *result)
{
	result->ratelimit_remaining = atl_retry_count(header_value(h, "X-RateLimit-Remaining"));
	result->ratelimit_reset_ms = atl_retry_ms_until(header_value(h, "X-RateLimit-Reset"));
}

/*
 * The wait before another attempt at a 429 or 5xx: what Retry-After asks,
 * else what X-RateLimit-Reset says, else our own backoff.  A header that
 * cannot be read (garbage, negative, zero, in the past) is as if absent:
 * a retry is never sent without a pause.  The caller caps the wait.
 *
 * Retry-After counts whole seconds, so a limiter whose window frees a slot
 * in a few milliseconds still says "1".  When X-RateLimit-Reset names a
 * moment within that rounding (sooner, by less than a second), it is the
 * same instruction told precisely, and a 429 then costs milliseconds, not a
 * second of the organization's budget.
 */
static long
answer_wait_ms(CURL *h, AtlHttpResult *result)
{
	long		retry_after = atl_retry_after_ms(header_value(h, "Retry-After"));
	long		reset = result->ratelimit_reset_ms;

	if (retry_after > 0 && reset > 0 && reset < retry_after &&
		retry_after - reset < 1000)
		return reset;
	if (retry_after > 0)
		return retry_after;
	if (reset > 0)
		return reset;
	return atl_retry_backoff_ms(result->attempts + 1);
}

/*
 * A certificate that could not be verified: say what it was checked
 * against, so that the message names the setting that decides it.
 */
static void
note_certificate_failure(AtlHttpResult *result)
{
	size_t		len = strlen(result->error);

	result->certificate_failed = true;
	if (atl_ca_file != NULL && atl_ca_file[0] != '\0')
		snprintf(result->error + len, sizeof(result->error) - len,
				 " (the server's certificate was checked against atlorg.ca_file \"%s\")",
				 atl_ca_file);
	else
		snprintf(result->error + len, sizeof(result->error) - len,
				 " (the server's certificate was checked against the default trust store: atlorg.ca_file is not set)");
}

long
atl_transfer_finish(AtlTransfer *t, CURLcode code, const AtlHttpRequest *req,
					const AtlHttpLimits *limits, AtlHttpResult *result)
{
	CURL	   *h = t->easy;
	curl_off_t	request_size = 0;

	atl_transfer_abandon(t);
	curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_size);
	result->sent = request_size > 0;
	if (code == CURLE_OK)
	{
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &result->status);
		read_rate_limit_headers(h, result);
		if (!atl_retry_status(result->status))
			return -1;
		return answer_wait_ms(h, result);
	}
	if (t->too_large)
		snprintf(result->error, sizeof(result->error),
				 "the response exceeded atlorg.max_response_size (%zu kB)",
				 limits->max_response_bytes / 1024);
	else
		/* libcurl's words may quote what the server sent */
		atl_remote_text_copy(result->error, sizeof(result->error),
							 t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
	if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE)
		note_certificate_failure(result);
	if (!atl_retry_transport(code, result->sent, req->idempotent))
		return -1;
	return atl_retry_backoff_ms(result->attempts + 1);
}
