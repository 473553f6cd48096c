/*
 * http_transfer.c: setting up one attempt on an easy handle, and reading
 * what came back (see http_transfer.h).
 */
#include "postgres.h"

#include "utils/timestamp.h"

#include "guc.h"
#include "http_text.h"
#include "http_retry.h"
#include "http_transfer.h"

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

/*
 * libcurl calls this each time it is about to send the request on a
 * connection.  A second time means it is re-sending on its own: a reused
 * connection closed before any answer, and the server may well have acted
 * on the first copy (libcurl cannot tell).  An action is sent once or not
 * at all, so that re-send is refused and the outcome stays unknown; a
 * connection that fails before sending never gets here, and is retried.  A
 * read may be sent again.
 */
static int
before_send(void *clientp, char *conn_primary_ip, char *conn_local_ip,
			int conn_primary_port, int conn_local_port)
{
	AtlTransfer *t = clientp;

	if (t->sends++ == 0)
		t->sent_at = GetCurrentTimestamp();
	if (t->sends == 1 || !t->once)
		return CURL_PREREQFUNC_OK;
	t->resend_refused = true;
	return CURL_PREREQFUNC_ABORT;
}

/*
 * Connections are kept and reused (over HTTP/2, many requests share one):
 * over TLS a new connection costs two more round trips and a handshake.
 * A connection idle this long is not reused, so that one a server has
 * quietly closed is rarely tried at all.
 */
#define IDLE_CONNECTION_MAX_AGE_S 20L

static void
set_connection_reuse(CURL *h, AtlTransfer *t, const AtlHttpRequest *req)
{
	CHECK_SETOPT(h, CURLOPT_MAXAGE_CONN, IDLE_CONNECTION_MAX_AGE_S);
	CHECK_SETOPT(h, CURLOPT_PIPEWAIT, t->wait_to_share ? 1L : 0L);
	/* every send is counted (http_batch.c: is it still connecting?) */
	t->once = !req->idempotent;
	CHECK_SETOPT(h, CURLOPT_PREREQFUNCTION, before_send);
	CHECK_SETOPT(h, CURLOPT_PREREQDATA, t);
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
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
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
	result->limit_pause_ms = -1;
	result->certificate_failed = false;
	t->body = &result->body;
	t->cap = limits->max_response_bytes;
	t->too_large = false;
	t->sends = 0;
	t->sent_at = 0;
	t->resend_refused = false;
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
	/*
	 * Compressed answers where the server offers them (every encoding this
	 * libcurl decodes): a page of users is a tenth of its size gzipped, and
	 * over a long round trip its size is round trips.  The size limit
	 * counts the decoded bytes (write_body).
	 */
	CHECK_SETOPT(h, CURLOPT_ACCEPT_ENCODING, "");
	set_credentials(h, req);
	CHECK_SETOPT(h, CURLOPT_HTTPHEADER, t->headers);
	set_connection_reuse(h, t, req);
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
	curl_easy_setopt(t->easy, CURLOPT_PREREQDATA, NULL);
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
 * moment within that rounding (sooner, by a second at most), it is the
 * same instruction told precisely, and a 429 then costs milliseconds, not a
 * second of the organization's budget.  A reset that has passed while the
 * answer travelled means the limit has reset: a short pause, then.  Only
 * the first 429 of a request is trusted so: a second (a server whose clock
 * is behind ours, say) waits all that Retry-After says.
 */
#define PRECISE_RESET_FLOOR_MS 20

static long
answer_wait_ms(CURL *h, AtlHttpResult *result)
{
	long		retry_after = atl_retry_after_ms(header_value(h, "Retry-After"));
	long		reset = result->ratelimit_reset_ms;

	if (retry_after > 0 && reset >= 0 && reset < retry_after &&
		retry_after - reset <= 1000 && result->attempts <= 1)
	{
		/* the organization waits for the reset, which may have come */
		result->limit_pause_ms = reset;
		return Max(reset, PRECISE_RESET_FLOOR_MS);
	}
	if (retry_after > 0)
		return result->limit_pause_ms = retry_after;
	if (reset > 0)
		return result->limit_pause_ms = reset;
	return result->limit_pause_ms = atl_retry_backoff_ms(result->attempts + 1);
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
	result->sent = request_size > 0 || t->sends > 0;
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
	else if (t->resend_refused)
		snprintf(result->error, sizeof(result->error),
				 "the connection closed before Atlassian answered, and an action is never sent twice");
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
