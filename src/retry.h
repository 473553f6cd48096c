/*
 * retry.h: which answers are worth another attempt, and how long to wait.
 */
#ifndef ATLORG_RETRY_H
#define ATLORG_RETRY_H

#include <curl/curl.h>

/* 429 and 5xx: the API did not do the work and asks to come back later */
extern bool atl_retry_status(long status);

/* a transport failure that may be tried again (given whether it was sent) */
extern bool atl_retry_transport(CURLcode code, bool sent, bool idempotent);

/* jittered exponential backoff before attempt number next_attempt (2, 3, ...) */
extern long atl_retry_backoff_ms(int next_attempt);

/*
 * Milliseconds from now until an X-RateLimit-Reset value (ISO 8601 UTC as
 * the admin APIs send it, or epoch seconds); -1 when it is unusable.
 */
extern long atl_retry_ms_until(const char *ratelimit_reset);

#endif
