/*
 * sync_users.c: atl_users_sliced(), the directory's users as atl_users()
 * returns them, read in disjoint slices at once: what atl_sync() reads.
 *
 * One cursor chain takes pages x round trip however fast the organization
 * lets us go (1,000 pages at 150 ms: two and a half minutes for 100,000
 * users).  Slices of the directory by the API's own filters (sync_slices.h)
 * are paged side by side, each its own chain, at the organization's pace.
 * The result must be the directory, each user once, as one chain would
 * read it:
 *
 *   - the slices' counts add up to the directory's, in one round of counts
 *     (sync_slices.c), so together they cover it;
 *   - each slice paged holds exactly its count, and no user is read in two
 *     slices (sync_slice_pages.c).
 *
 * A user who changes while the slices are read (moves from one to another,
 * comes or goes) breaks one of those: everything is counted again, and the
 * slices that do not match their new count (or that share a user) are read
 * again, up to MAX_REREADS times; if the counts still disagree, or never
 * added up, the directory is read through the one chain after all, and a
 * NOTICE says so.  The result is never silently incomplete.
 */
#include "postgres.h"

#include "executor/tuptable.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "guc.h"
#include "api_pager.h"
#include "sync_slice_pages.h"
#include "sync_slices.h"
#include "fdw_source.h"
#include "read_users.h"

/* rounds of reading slices again before falling back to the one chain */
#define MAX_REREADS 2

/* a directory of at most this many users is read in one chain: counts would cost more */
#define SMALL_DIRECTORY (2 * ATL_USERS_PAGE_SIZE)

/* the whole directory through one cursor chain, as atl_users() reads it */
static void
put_all_item(JsonbValue *item, void *arg)
{
	ReturnSetInfo *rsinfo = arg;

	atl_users_put_item(rsinfo->setResult, rsinfo->setDesc, item);
}

static void
read_one_chain(const AtlSource *src, ReturnSetInfo *rsinfo)
{
	AtlPager	pager;

	atl_pager_init(&pager, src, atl_catalogue_find("users.search"), NULL);
	pager.body_fields = ATL_USERS_EXPAND;
	atl_pager_each(&pager, put_all_item, rsinfo);
}

/* mark the slices that do not hold what their count says; how many */
static int
mismatched(const AtlSlicePlan *plan, bool *bad)
{
	int			n = 0;

	for (int i = 0; i < plan->nslices; i++)
	{
		const AtlSlice *s = &plan->slices[i];

		bad[i] = s->duplicate || s->paged != s->count;
		n += bad[i];
	}
	return n;
}

/* a NOTICE naming the first slice that disagrees */
static void
say_mismatch(const AtlSlicePlan *plan, const bool *bad, int nbad)
{
	const AtlSlice *s = plan->slices;

	while (!bad[s - plan->slices])
		s++;
	ereport(NOTICE,
			(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
			 errmsg_plural("atlorg: %d slice of the directory changed while it was read; reading it again",
						   "atlorg: %d slices of the directory changed while they were read; reading them again",
						   nbad, nbad),
			 errdetail("Slice %s: " INT64_FORMAT " users read, " INT64_FORMAT " counted%s.",
					   atl_slice_name(s), s->paged, s->count,
					   s->duplicate ? ", some of them also read in another slice" : "")));
}

/*
 * Read the plan's slices until each holds its count and none shares a
 * user, counting again before each new read.  False if that never came
 * (*detail says why).
 */
static bool
read_slices(const AtlSource *src, AtlSlicePlan *plan, TupleDesc desc, char **detail)
{
	bool	   *bad = palloc(sizeof(bool) * plan->nslices);
	int			nbad;

	/* a slice counted empty is not paged: if someone joins it meanwhile, its new count says so */
	for (int i = 0; i < plan->nslices; i++)
		bad[i] = plan->slices[i].count != 0;
	atl_slices_page(src, plan, bad, desc);
	for (int round = 1; (nbad = mismatched(plan, bad)) > 0; round++)
	{
		if (round > MAX_REREADS)
		{
			*detail = psprintf("After %d readings, %d of the %d slices still do not hold what their counts say.",
							   round, nbad, plan->nslices);
			return false;
		}
		say_mismatch(plan, bad, nbad);
		if (!atl_slices_recount(src, plan))
		{
			*detail = psprintf("Counted again, the slices add up to " INT64_FORMAT ", the directory's count is " INT64_FORMAT ".",
							   plan->counted, plan->total);
			return false;
		}
		/* a slice whose count moved since it was read is read again too */
		for (int i = 0; i < plan->nslices; i++)
			bad[i] |= plan->slices[i].paged != plan->slices[i].count;
		atl_slices_page(src, plan, bad, desc);
	}
	return true;
}

/* every slice's rows into the result */
static void
put_slices(AtlSlicePlan *plan, ReturnSetInfo *rsinfo)
{
	TupleTableSlot *slot = MakeSingleTupleTableSlot(rsinfo->setDesc, &TTSOpsMinimalTuple);

	for (int i = 0; i < plan->nslices; i++)
	{
		Tuplestorestate *rows = plan->slices[i].rows;

		while (tuplestore_gettupleslot(rows, true, false, slot))
			tuplestore_puttupleslot(rsinfo->setResult, slot);
	}
	ExecDropSingleTupleTableSlot(slot);
	atl_slices_free(plan);
}

static void
fall_back(const char *why, const char *detail)
{
	ereport(NOTICE,
			(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
			 errmsg("atlorg: %s; reading the directory through one cursor chain instead", why),
			 detail ? errdetail("%s", detail) : 0));
}

/* atl_users_sliced(server name) */
PG_FUNCTION_INFO_V1(atl_users_sliced);

Datum
atl_users_sliced(PG_FUNCTION_ARGS)
{
	static const Oid args[] = {NAMEOID};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AtlSource  *src;
	AtlSlicePlan plan;
	char	   *detail = NULL;

	atl_users_check_declaration(fcinfo, args, lengthof(args));
	src = atl_source_lookup(PG_ARGISNULL(0) ? NULL : NameStr(*PG_GETARG_NAME(0)));
	atl_source_require_org(src);
	InitMaterializedSRF(fcinfo, 0);
	if (!atl_sync_slices)
		read_one_chain(src, rsinfo);
	else if (!atl_slices_plan(src, &plan, SMALL_DIRECTORY, &detail))
	{
		if (detail)
			fall_back("the directory's counts do not add up", detail);
		read_one_chain(src, rsinfo);
	}
	else if (!read_slices(src, &plan, rsinfo->setDesc, &detail))
	{
		atl_slices_free(&plan);
		fall_back("the directory kept changing while its slices were read", detail);
		read_one_chain(src, rsinfo);
	}
	else
		put_slices(&plan, rsinfo);
	return (Datum) 0;
}
