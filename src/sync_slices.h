/*
 * sync_slices.h: the directory cut into disjoint slices by the API's own
 * filters, so that many cursor chains can page it at once (sync_users.c).
 *
 * Three filters of users/search and users/count give every user exactly
 * one of their values, as Atlassian's OpenAPI documents them: status (the
 * composite of account and membership status: active, suspended,
 * not_invited, deactivated, for_deletion), claimStatus (managed or
 * unmanaged; both by default) and mfaEnabled (true or false; all accounts
 * by default).  None of that is taken on trust: a filter is used only when
 * the counts of its values add up to the directory's count, and the plan
 * holds only when the counts of its slices (the crossings of those
 * filters) add up to the total counted in the same round.  Paging then
 * proves each slice against its count, and that no user is in two.
 */
#ifndef ATLORG_SYNC_SLICES_H
#define ATLORG_SYNC_SLICES_H

#include "access/tupdesc.h"
#include "utils/hsearch.h"
#include "utils/tuplestore.h"

#include "fdw_source.h"

#define ATL_SLICE_FILTERS 3

typedef struct AtlSlice
{
	int8		value[ATL_SLICE_FILTERS];	/* each filter's value (index); -1: any */
	int64		count;			/* the API's count, latest round; -1: none */
	Tuplestorestate *rows;		/* its users, as atl_users() rows */
	int64		paged;			/* users read into rows */
	bool		duplicate;		/* a user it holds was read in a slice before */
} AtlSlice;

typedef struct AtlSlicePlan
{
	int			nslices;
	AtlSlice   *slices;
	int64		total;			/* the directory's count, latest round */
	int64		counted;		/* the slices' counts added up, same round */
	HTAB	   *ids;			/* account ids read -> the slice they are in */
} AtlSlicePlan;

/*
 * Count and choose the slices.  False when no filter splits the directory
 * (detail says why, for a message), or the directory fits in small_total
 * users (not worth the counts).
 */
extern bool atl_slices_plan(const AtlSource *src, AtlSlicePlan *plan, int64 small_total,
							char **detail);

/* count every slice and the total again, in one round: do they add up? */
extern bool atl_slices_recount(const AtlSource *src, AtlSlicePlan *plan);

/* a slice's filters as users/search body members ("status":["active"],...) */
extern char *atl_slice_body(const AtlSlice *slice);

/* a slice's filters for messages: status=active claimStatus=managed */
extern char *atl_slice_name(const AtlSlice *slice);

#endif
