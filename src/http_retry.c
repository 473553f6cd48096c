/*
 * http_retry.c: retry policy, backoff, and the headers that say how long to
 * wait (see http_retry.h).
 */
#include "postgres.h"

#include <time.h>

#include "common/pg_prng.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "http_retry.h"

#define BACKOFF_BASE_MS 500
#define BACKOFF_CAP_MS	30000
#define SECONDS_FROM_NOW_BELOW 1000000000L	/* smaller "epochs" are durations */

bool
atl_retry_status(long status)
{
	return status == 429 || (status >= 500 && status <= 599);
}

bool
atl_retry_transport(CURLcode code, bool sent, bool idempotent)
{
	switch (code)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
			return true;
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
			/* a request that may have been acted on is not sent twice */
			return !sent || idempotent;
		default:
			return false;
	}
}

static const char *
skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/*
 * value as a whole decimal number (surrounding blanks allowed), saturated at
 * ceiling; -1 when it is anything else (a sign, a fraction, garbage, empty).
 */
static long
decimal_value(const char *value, long ceiling)
{
	const char *p = skip_spaces(value);
	long		n = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		n = Min(n * 10 + (*p - '0'), ceiling);
	return *skip_spaces(p) == '\0' ? n : -1;
}

/* a positive wait, at most the ceiling; anything else is unusable */
static long
usable_wait(int64 ms)
{
	if (ms <= 0)
		return -1;
	return (long) Min(ms, ATL_RETRY_WAIT_CEILING_MS);
}

long
atl_retry_count(const char *value)
{
	return value ? decimal_value(value, PG_INT32_MAX) : -1;
}

long
atl_retry_after_ms(const char *value)
{
	long		seconds;
	time_t		date;

	if (value == NULL)
		return -1;
	seconds = decimal_value(value, ATL_RETRY_WAIT_CEILING_MS / 1000);
	if (seconds >= 0)
		return usable_wait((int64) seconds * 1000);
	/* an HTTP-date, read by libcurl's own date parser (which never throws) */
	date = curl_getdate(value, NULL);
	if (date == -1)
		return -1;
	return usable_wait(((int64) date - (int64) time(NULL)) * 1000);
}

/*
 * The wait until a rate limit's reset: 0 once it has passed (the answer
 * travelled for a while; the limit has reset), not "unreadable".
 */
static long
reset_wait(int64 ms)
{
	return ms <= 0 ? 0 : usable_wait(ms);
}

/*
 * An ISO 8601 time, read by PostgreSQL's date parser.  That parser throws
 * on some input (an unknown time zone name), so only the characters such a
 * time is written with are let through to it.
 */
static long
iso_ms_until(const char *value)
{
	char		workbuf[MAXDATELEN + 1];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf,
				dtype,
				tz = 0;
	struct pg_tm tm;
	fsec_t		fsec;
	TimestampTz reset;

	if (value[strspn(value, "0123456789-+:.TZtz ")] != '\0')
		return -1;
	if (ParseDateTime(value, workbuf, sizeof(workbuf), field, ftype,
					  MAXDATEFIELDS, &nf) != 0 ||
		DecodeDateTime(field, ftype, nf, &dtype, &tm, &fsec, &tz) != 0 ||
		dtype != DTK_DATE || tm2timestamp(&tm, fsec, &tz, &reset) != 0)
		return -1;
	/* rounded up: a reset a fraction of a millisecond away is still ahead */
	return reset_wait((reset - GetCurrentTimestamp() + 999) / 1000);
}

long
atl_retry_ms_until(const char *value)
{
	long		number;

	if (value == NULL)
		return -1;
	number = decimal_value(value, LONG_MAX / 1000);
	if (number < 0)
		return iso_ms_until(value);
	if (number < SECONDS_FROM_NOW_BELOW)
		return reset_wait((int64) number * 1000);	/* seconds from now */
	/* epoch seconds */
	return reset_wait((int64) number * 1000 -
					   (GetCurrentTimestamp() / 1000 +
						(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000));
}

long
atl_retry_backoff_ms(int next_attempt)
{
	/* "full jitter" between half and all of the exponential ceiling */
	long		ceiling = Min((long) BACKOFF_BASE_MS << Min(Max(next_attempt - 2, 0), 16),
							  BACKOFF_CAP_MS);

	return ceiling / 2 + (long) (pg_prng_double(&pg_global_prng_state) * (ceiling / 2));
}
