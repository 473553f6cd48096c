/*
 * pace_flight.h: how many requests a batch keeps in flight.
 *
 * Not a fixed number: as many as the pace needs over the time requests
 * actually take (Little's law: starts a second x seconds in flight, with
 * headroom for jitter), so that an API 150 ms away is kept as busy as one
 * on loopback, and no more.  The first attempts, which open connections,
 * take longest and size it generously; it shrinks as connections are
 * reused.  A 429 halves it (once a round trip: the other 429s of the same
 * moment are already on their way), and each answer after that gives one
 * back.  The atlorg.*_in_flight setting caps it; an unpaced batch uses the
 * cap.
 *
 * The pace is the sum of the paces of the organizations whose requests
 * were ready to start in the last second (the executor serves several).
 */
#ifndef ATLORG_PACE_FLIGHT_H
#define ATLORG_PACE_FLIGHT_H

#include "datatype/timestamp.h"

#define ATL_FLIGHT_ORGS 8

typedef struct AtlFlight
{
	int			ceiling;		/* never more: the atlorg.*_in_flight setting */
	double		mean_s;			/* moving mean of an attempt's time; 0: none yet */
	double		backoff;		/* the cap a 429 set, growing back; 0: none */
	TimestampTz backed_off_at;	/* when; the answers to what was in flight then
								 * do not halve it again */
	struct
	{
		uint64		org;
		double		per_second;
		TimestampTz seen;
	}			paced[ATL_FLIGHT_ORGS];	/* organizations recently ready */
} AtlFlight;

extern void atl_flight_init(AtlFlight *f, int ceiling);

/* a request of org, paced at per_second (0: unpaced), is ready to start */
extern void atl_flight_ready(AtlFlight *f, uint64 org, double per_second, TimestampTz now);

/* how many may be in flight now */
extern int	atl_flight_window(const AtlFlight *f, TimestampTz now);

/* an attempt ended after seconds; limited: it was answered 429 */
extern void atl_flight_ended(AtlFlight *f, double seconds, bool limited, TimestampTz now);

#endif
