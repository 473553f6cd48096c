/*
 * view_directory.c: atl_directory_apply, the statement trigger behind UPDATE
 * atl_directory (sql/43_directory.sql says what the UPDATE means).
 *
 * It sees the statement's whole change set at once, checks it
 * (atl_directory_check), plans its requests per server
 * (atl_directory_requests), confirms with Atlassian that each group named
 * is the group the mirror says it is, sends every request through the
 * action engine (act.h), and writes back what came of it
 * (atl_directory_record).  Those helpers are granted to nobody: this
 * trigger calls them directly, and it refuses to run as anything but
 * atlorg.atl_directory_changes's statement trigger.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "act_catalogue.h"
#include "act.h"
#include "guc.h"
#include "guard_internal.h"
#include "view_outcomes.h"
#include "guard_pinned.h"

#define GROUP_IDS_PER_SEARCH 10 /* the groups search takes at most 10 ids */

/* one server's part of the change set */
typedef struct ServerPlan
{
	char	   *server;
	ActionItem *items;
	char	  **group_names;	/* per item: the group's name, or NULL */
	int			n;
} ServerPlan;


/* the single value of a query over the transition table, copied out of SPI */
static Datum
query_value(const char *sql, Oid *type)
{
	bool		isnull;
	Datum		d;

	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "atlorg: could not read the change set");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	*type = SPI_gettypeid(SPI_tuptable->tupdesc, 1);
	return SPI_datumTransfer(d, false, -1);
}

static char *
text_field(HeapTupleHeader row, int attnum)
{
	bool		isnull;
	Datum		d = GetAttributeByNum(row, attnum, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* a server's requests, from atl_directory_requests() */
static void
plan_server(ServerPlan *plan, Datum changes, Oid changes_type)
{
	Datum		args[2] = {changes, DirectFunctionCall1(namein, CStringGetDatum(plan->server))};
	Oid			types[2] = {changes_type, NAMEOID};
	ArrayType  *reqs = DatumGetArrayTypeP(atl_call_internal("atl_directory_requests", 2, args, types));
	Datum	   *elems;
	bool	   *nulls;

	deconstruct_array(reqs, ARR_ELEMTYPE(reqs), -1, false, TYPALIGN_DOUBLE, &elems, &nulls, &plan->n);
	plan->items = palloc0(sizeof(ActionItem) * Max(plan->n, 1));
	plan->group_names = palloc0(sizeof(char *) * Max(plan->n, 1));
	for (int i = 0; i < plan->n; i++)
	{
		HeapTupleHeader row = DatumGetHeapTupleHeader(elems[i]);
		ActionItem *item = &plan->items[i];

		item->account_id = text_field(row, 1);
		item->op = atl_action_op(text_field(row, 2));
		item->target = text_field(row, 3);
		plan->group_names[i] = text_field(row, 4);
		item->values[0] = text_field(row, 5);	/* the e-mail */
		if (atl_action_op_shape(item->op) == SHAPE_PROFILE)
			for (int f = 0; f < 7; f++)
				item->values[f] = text_field(row, 6 + f);
		/* a status change the account's status makes meaningless: skipped */
		item->skip_reason = text_field(row, 13);
		atl_action_item_check(item);
	}
}

/* a group a plan names, with the name the mirror gives it */
typedef struct NamedGroup
{
	const char *id;
	const char *name;
} NamedGroup;

/* the distinct groups of a plan, into groups[]; how many */
static int
distinct_groups(const ServerPlan *plan, NamedGroup *groups)
{
	int			n = 0;

	for (int i = 0; i < plan->n; i++)
	{
		const char *id = plan->items[i].target;
		int			k;

		if (id == NULL)
			continue;
		for (k = 0; k < n && strcmp(groups[k].id, id) != 0; k++)
			;
		if (k == n)
			groups[n++] = (NamedGroup) {id, plan->group_names[i]};
	}
	return n;
}

/* the names Atlassian gives groups[0..n), by one live search; NULL: none */
static void
live_names(const char *server, const NamedGroup *groups, int n, char **live)
{
	Oid			types[2] = {TEXTARRAYOID, NAMEOID};
	Datum	   *ids = palloc(sizeof(Datum) * n);
	Datum		values[2];

	for (int k = 0; k < n; k++)
		ids[k] = CStringGetTextDatum(groups[k].id);
	values[0] = PointerGetDatum(construct_array(ids, n, TEXTOID, -1, false, TYPALIGN_INT));
	values[1] = DirectFunctionCall1(namein, CStringGetDatum(server));
	if (SPI_execute_with_args("SELECT g.group_id, g.name "
							  "FROM atlorg.atl_groups(group_ids => $1, server => $2) AS g",
							  2, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "atlorg: could not search the groups");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		char	   *id = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);

		for (int k = 0; k < n; k++)
			if (id && strcmp(id, groups[k].id) == 0)
				live[k] = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);
	}
}

/*
 * Every group the plan names must have that name at Atlassian: a mirror
 * that was changed by hand (or is stale) must not turn "add to contractors"
 * into "add to admins".  One search per GROUP_IDS_PER_SEARCH groups.
 */
static void
confirm_groups(const ServerPlan *plan)
{
	NamedGroup *groups = palloc(sizeof(NamedGroup) * Max(plan->n, 1));
	int			n = distinct_groups(plan, groups);
	char	  **live = palloc0(sizeof(char *) * Max(n, 1));

	for (int from = 0; from < n; from += GROUP_IDS_PER_SEARCH)
		live_names(plan->server, groups + from, Min(n - from, GROUP_IDS_PER_SEARCH), live + from);
	for (int k = 0; k < n; k++)
		if (live[k] == NULL || strcmp(live[k], groups[k].name) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("the mirror's group \"%s\" is not group %s at Atlassian",
							groups[k].name, groups[k].id),
					 live[k] ? errdetail("Atlassian names that group \"%s\".", live[k]) :
					 errdetail("Atlassian has no such group."),
					 errhint("Run atl_sync() to refresh the mirror; nothing was sent.")));
}

/* run one server's requests and write back what came of them */
static void
run_server(const ServerPlan *plan, Datum changes, Oid changes_type, AtlOutcomes *sum)
{
	TupleDesc	desc = atl_audit_desc();
	List	   *rows = NIL;
	Datum		args[3];
	Oid			types[3] = {changes_type, NAMEOID, get_array_type(desc->tdtypeid)};

	if (plan->n > 0)
		atl_actions_run(plan->items, plan->n, plan->server, atl_dry_run, false, desc,
						atl_collect_row, &rows);
	args[0] = changes;
	args[1] = DirectFunctionCall1(namein, CStringGetDatum(plan->server));
	args[2] = atl_audit_array(rows, desc, sum);
	atl_call_internal("atl_directory_record", 3, args, types);
}

PG_FUNCTION_INFO_V1(atl_directory_apply);

Datum
atl_directory_apply(PG_FUNCTION_ARGS)
{
	TriggerData *td = atl_statement_trigger(fcinfo, "atl_directory_changes",
											  "atl_directory_apply");
	int			pinned = atl_pin_search_path();
	Oid			changes_type;
	Datum		changes;
	ServerPlan *plans;
	int			nservers;
	AtlOutcomes sum = {0};

	if (SPI_connect() != SPI_OK_CONNECT || SPI_register_trigger_data(td) != SPI_OK_TD_REGISTER)
		elog(ERROR, "atlorg: could not read the change set");
	changes = query_value("SELECT coalesce(array_agg(c::atlorg.atl_directory_changes ORDER BY c.change_id), '{}') FROM captured c",
						  &changes_type);
	/* what an earlier statement of this session left behind */
	if (SPI_execute("DELETE FROM atlorg.atl_directory_changes d "
					"WHERE d.backend_pid = pg_backend_pid() "
					"AND d.change_id < (SELECT min(c.change_id) FROM captured c)", false, 0) < 0)
		elog(ERROR, "atlorg: could not clear an earlier change set");
	atl_call_internal("atl_directory_check", 1, &changes, &changes_type);

	if (SPI_execute("SELECT DISTINCT c.server::text FROM captured c ORDER BY 1", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "atlorg: could not read the change set");
	nservers = (int) SPI_processed;
	plans = palloc0(sizeof(ServerPlan) * Max(nservers, 1));
	for (int s = 0; s < nservers; s++)
		plans[s].server = SPI_getvalue(SPI_tuptable->vals[s], SPI_tuptable->tupdesc, 1);
	/* everything planned and confirmed before anything is sent */
	for (int s = 0; s < nservers; s++)
	{
		plan_server(&plans[s], changes, changes_type);
		confirm_groups(&plans[s]);
	}
	for (int s = 0; s < nservers; s++)
		run_server(&plans[s], changes, changes_type, &sum);
	atl_outcomes_report(&sum, "atl_directory", NULL);
	SPI_finish();
	atl_unpin_search_path(pinned);
	return PointerGetDatum(NULL);
}
