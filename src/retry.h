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

/*
 * Milliseconds to wait before attempt number `next_attempt` (2, 3, ...):
 * Retry-After seconds when given (retry_after_s >= 0), else the time until
 * an X-RateLimit-Reset value (NULL if absent), else jittered exponential
 * backoff.
 */
extern long atl_retry_delay_ms(int next_attempt, long retry_after_s,
							   const char *ratelimit_reset);

#endif
