/*
 * retry.c: retry policy and backoff.
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "retry.h"

#define BACKOFF_BASE_MS 500
#define BACKOFF_CAP_MS	30000

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

/*
 * X-RateLimit-Reset is an ISO 8601 UTC time in the admin APIs; some APIs
 * send epoch seconds.  PostgreSQL's own date parser reads the former
 * without throwing.  Returns -1 when the value is unusable.
 */
long
atl_retry_ms_until(const char *value)
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
	char	   *end;
	long		epoch = strtol(value, &end, 10);

	if (end != value && *end == '\0' && epoch < 1000000000L)
		return Max(epoch * 1000, 0);	/* seconds from now */
	if (end != value && *end == '\0')
		return Max(epoch * 1000 - (long) ((GetCurrentTimestamp() / 1000) +
										   (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000L), 0);
	if (ParseDateTime(value, workbuf, sizeof(workbuf), field, ftype,
					  MAXDATEFIELDS, &nf) != 0 ||
		DecodeDateTime(field, ftype, nf, &dtype, &tm, &fsec, &tz) != 0 ||
		dtype != DTK_DATE || tm2timestamp(&tm, fsec, &tz, &reset) != 0)
		return -1;
	return Max((reset - GetCurrentTimestamp()) / 1000, 0);
}

long
atl_retry_backoff_ms(int next_attempt)
{
	/* "full jitter" between half and all of the exponential ceiling */
	long		ceiling = Min((long) BACKOFF_BASE_MS << Min(Max(next_attempt - 2, 0), 16),
							  BACKOFF_CAP_MS);

	return ceiling / 2 + (long) (pg_prng_double(&pg_global_prng_state) * (ceiling / 2));
}
