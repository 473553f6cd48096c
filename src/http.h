/*
 * http.h: requests to the Atlassian APIs.  Only http.c, http_transfer.c
 * and http_batch.c make transfers with libcurl; elsewhere atlorg uses only
 * its global set-up (atlorg.c), date parser (http_retry.c), URL parser and
 * escaping.
 *
 * atl_http_perform() sends one request and retries 429 and 5xx answers (and
 * failures to connect) a bounded number of times, waiting as Retry-After or
 * X-RateLimit-Reset say, else with jittered exponential backoff.  The
 * process keeps its curl handles, so connections are reused.  TLS
 * verification is always on; credentials travel only as libcurl's bearer
 * or basic-auth credential and are never logged.
 */
#ifndef ATLORG_HTTP_H
#define ATLORG_HTTP_H

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"

/* bounds of one request, copied from the caller's session settings */
typedef struct AtlHttpLimits
{
	int			connect_timeout_ms;
	int			request_timeout_ms;
	int			max_retries;
	int			retry_max_wait_ms;
	int			max_pause_ms;	/* atlorg.max_pause: caps every wait and pause */
	size_t		max_response_bytes;
} AtlHttpLimits;

/* the longest wait before a retry: the lower of the two settings */
extern long atl_http_retry_limit_ms(const AtlHttpLimits *limits);
extern const char *atl_http_retry_limit_name(const AtlHttpLimits *limits);

/* a pause asked for (ms), cut to atlorg.max_pause */
extern long atl_http_capped_pause_ms(const AtlHttpLimits *limits, long ms);

/*
 * Whether a backend about to wait wait_ms should say so with a NOTICE: a
 * wait longer than ATL_WAIT_NOTICE_MS, the first in its statement.
 */
#define ATL_WAIT_NOTICE_MS 2000
extern bool atl_http_notice_due(long wait_ms);

typedef enum AtlAuthKind
{
	ATL_AUTH_BEARER,			/* organization API key */
	ATL_AUTH_BASIC				/* site e-mail and API token (Jira) */
} AtlAuthKind;

typedef struct AtlHttpRequest
{
	const char *method;			/* GET, POST, PUT, PATCH, DELETE */
	const char *url;
	AtlAuthKind auth;
	const char *username;		/* basic auth only */
	const char *secret;			/* the key or token: never logged */
	const char *body;			/* JSON, or NULL for none */
	bool		idempotent;		/* may be re-sent after a lost answer */
} AtlHttpRequest;

typedef struct AtlHttpResult
{
	long		status;			/* HTTP status, 0 when none was received */
	StringInfoData body;
	int			attempts;
	double		elapsed_ms;
	bool		sent;			/* the last attempt's request left this host */
	bool		cancelled;		/* stopped by the abort check between attempts */
	char		error[512];		/* transport failure, "" when HTTP answered */
	bool		certificate_failed; /* the server's TLS certificate was not trusted */
	long		ratelimit_remaining;	/* X-RateLimit-Remaining, -1 if absent */
	long		ratelimit_reset_ms; /* ms until X-RateLimit-Reset, -1 if absent */
	long		limit_pause_ms; /* a 429's pause of the organization, -1: none */
	TimestampTz started_at;
} AtlHttpResult;

/*
 * Called while waiting: during a transfer (in_transfer) and between attempts.
 * It may throw (a backend's CHECK_FOR_INTERRUPTS); returning true stops the
 * request.
 */
typedef bool (*AtlHttpAbortCheck) (void *arg, bool in_transfer);

extern void atl_http_limits_from_gucs(AtlHttpLimits *limits);
extern void atl_http_perform(const AtlHttpRequest *req, const AtlHttpLimits *limits,
							 AtlHttpResult *result,
							 AtlHttpAbortCheck abort_check, void *arg);

/*
 * The same in two steps, so that the caller can work while the request is
 * on its way (a prefetched page).  req, limits and result must stay valid
 * in between; a later start abandons a request never finished.
 */
extern void atl_http_start(const AtlHttpRequest *req, const AtlHttpLimits *limits,
						   AtlHttpResult *result);
extern void atl_http_finish(const AtlHttpRequest *req, const AtlHttpLimits *limits,
							AtlHttpResult *result,
							AtlHttpAbortCheck abort_check, void *arg);
extern void atl_http_abandon(void);

/* the abort check of an ordinary backend: CHECK_FOR_INTERRUPTS() */
extern bool atl_http_backend_abort_check(void *arg, bool in_transfer);

/* sleep up to ms, waking every slice to run the abort check; false if aborted */
extern bool atl_http_wait(long ms, AtlHttpAbortCheck abort_check, void *arg);

#endif
