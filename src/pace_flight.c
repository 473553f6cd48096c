/*
 * pace_flight.c: the number of requests in flight (see pace_flight.h).
 */
#include "postgres.h"

#include <math.h>

#include "pace_flight.h"

#define HEADROOM 1.5			/* over rate x time: jitter, slow answers */
#define SPARE 4					/* and a few more, for a pace that catches up */
#define FIRST_GUESS_S 1.0		/* before any answer: a slow, new connection */
#define MEAN_WEIGHT 0.1			/* of the latest attempt in the moving mean */
#define READY_FOR USECS_PER_SEC /* how long a ready organization counts */

void
atl_flight_init(AtlFlight *f, int ceiling)
{
	memset(f, 0, sizeof(*f));
	f->ceiling = Max(ceiling, 1);
}

void
atl_flight_ready(AtlFlight *f, uint64 org, double per_second, TimestampTz now)
{
	int			oldest = 0;

	for (int i = 0; i < ATL_FLIGHT_ORGS; i++)
	{
		if (f->paced[i].org == org && f->paced[i].seen != 0)
		{
			f->paced[i].per_second = per_second;
			f->paced[i].seen = now;
			return;
		}
		if (f->paced[i].seen < f->paced[oldest].seen)
			oldest = i;
	}
	f->paced[oldest].org = org;
	f->paced[oldest].per_second = per_second;
	f->paced[oldest].seen = now;
}

/* the window the pace needs, before any 429 backoff */
static double
needed(const AtlFlight *f, TimestampTz now)
{
	double		rate = 0;
	double		seconds = f->mean_s > 0 ? f->mean_s : FIRST_GUESS_S;

	for (int i = 0; i < ATL_FLIGHT_ORGS; i++)
	{
		if (f->paced[i].seen == 0 || now - f->paced[i].seen > READY_FOR)
			continue;
		if (f->paced[i].per_second <= 0)
			return f->ceiling;	/* an unpaced organization: the cap */
		rate += f->paced[i].per_second;
	}
	return ceil(rate * seconds * HEADROOM) + SPARE;
}

int
atl_flight_window(const AtlFlight *f, TimestampTz now)
{
	double		window = needed(f, now);

	if (f->backoff > 0)
		window = Min(window, f->backoff);
	return (int) Max(Min(window, (double) f->ceiling), 1);
}

void
atl_flight_ended(AtlFlight *f, double seconds, bool limited, TimestampTz now)
{
	if (limited)
	{
		double		round_trip_us = (f->mean_s > 0 ? f->mean_s : FIRST_GUESS_S) * USECS_PER_SEC;

		if (now - f->backed_off_at > round_trip_us)
		{
			f->backoff = Max(atl_flight_window(f, now) / 2.0, 1);
			f->backed_off_at = now;
		}
		return;
	}
	if (seconds > 0)
		f->mean_s = f->mean_s > 0 ?
			(1 - MEAN_WEIGHT) * f->mean_s + MEAN_WEIGHT * seconds : seconds;
	if (f->backoff > 0 && ++f->backoff >= needed(f, now))
		f->backoff = 0;
}
