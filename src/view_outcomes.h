/*
 * view_outcomes.h: what a statement on a writable view (atl_directory,
 * atl_directory_access) says about the requests that did not succeed: a
 * NOTICE counting them, and where the audit shows each.
 */
#ifndef ATLORG_VIEW_OUTCOMES_H
#define ATLORG_VIEW_OUTCOMES_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "nodes/pg_list.h"

/* one reason the requests were refused or failed for, and how often */
typedef struct AtlReasonCount
{
	const char *outcome;		/* refused or failed */
	const char *reason;			/* as atl_audit_reason() gives it */
	const char *error_key;		/* the first such row's, for atl_error_words() */
	const char *error_reason;
	int			http_status;
	int			count;
} AtlReasonCount;

typedef struct AtlOutcomes
{
	int			requests;
	const char *names[8];		/* outcomes other than succeeded and already */
	int			counts[8];
	int			kinds;
	AtlReasonCount reasons[8];	/* the first 8 reasons; more are counted in other_reasons */
	int			nreasons;
	int			other_reasons;
} AtlOutcomes;

extern void atl_outcomes_count(AtlOutcomes *sum, const char *outcome);
/* the outcome of an audit row (desc: atl_audit's) */
extern void atl_outcomes_count_row(AtlOutcomes *sum, HeapTuple row, TupleDesc desc);
/*
 * NOTICE "<view>: of N requests, ..." when any did not succeed, its DETAIL
 * each reason in words (atl_error_reasons); extra: a sentence more
 */
extern void atl_outcomes_report(const AtlOutcomes *sum, const char *view, const char *extra);

/* atl_audit's row type, blessed */
extern TupleDesc atl_audit_desc(void);
/* an ActionRowSink that appends a copy of each row to the List * at arg */
extern void atl_collect_row(HeapTuple row, void *arg);
/* the rows as an atl_audit[] datum, each counted into sum */
extern Datum atl_audit_array(List *rows, TupleDesc desc, AtlOutcomes *sum);

#endif
