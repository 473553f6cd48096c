/*
 * http_retry.h: which answers are worth another attempt, and how long to wait.
 *
 * The waits an answer asks for (Retry-After, X-RateLimit-Reset) are read
 * strictly: a value that is garbage, negative, zero or in the past is
 * unusable (-1), and the caller falls back to its own backoff, never to a
 * retry without delay.  None of these functions throws, since the executor
 * reads every answer's headers.
 */
#ifndef ATLORG_HTTP_RETRY_H
#define ATLORG_HTTP_RETRY_H

#include <curl/curl.h>

/* the longest wait any header is taken to ask for (ms); longer is this */
#define ATL_RETRY_WAIT_CEILING_MS (366L * 24 * 3600 * 1000)

/* 429 and 5xx: the API did not do the work and asks to come back later */
extern bool atl_retry_status(long status);

/* a transport failure that may be tried again (given whether it was sent) */
extern bool atl_retry_transport(CURLcode code, bool sent, bool idempotent);

/* jittered exponential backoff before attempt number next_attempt (2, 3, ...) */
extern long atl_retry_backoff_ms(int next_attempt);

/* ms a Retry-After value (delay-seconds or an HTTP-date) asks for; -1 if unusable */
extern long atl_retry_after_ms(const char *retry_after);

/*
 * Milliseconds from now until an X-RateLimit-Reset value (ISO 8601 UTC as
 * the admin APIs send it, or epoch seconds, or seconds from now): 0 when
 * it has passed, -1 when it is unusable.
 */
extern long atl_retry_ms_until(const char *ratelimit_reset);

/* a non-negative decimal count (X-RateLimit-Remaining); -1 if it is not one */
extern long atl_retry_count(const char *value);

#endif
