/*
 * view_access.c: atl_access_apply, the statement trigger behind DELETE and
 * INSERT on atl_directory_access (sql/45_directory_access.sql says what
 * they mean).
 *
 * It sees the statement's whole change set at once, checks it
 * (atl_access_check), and runs it in parts of one kind, server, product,
 * site and role, each planned and run as atl_remove_access() or
 * atl_grant_access() would (act_access.h), writing back what came of each
 * (atl_access_record).  Those helpers are granted to nobody; this trigger
 * refuses to run as anything but atlorg.atl_access_changes's.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "act_access.h"
#include "guc.h"
#include "guard_internal.h"
#include "view_outcomes.h"
#include "guard_pinned.h"

/* one part of the change set: its change, and the change rows it is */
typedef struct AccessPart
{
	AccessChange change;
	Datum		change_ids;		/* bigint[] */
} AccessPart;

static char *
value(HeapTuple tup, TupleDesc desc, int col)
{
	return SPI_getvalue(tup, desc, col);
}

/* the parts, in the order the statement named them */
static AccessPart *
read_parts(int *n)
{
	AccessPart *parts;

	if (SPI_execute("SELECT c.kind, c.server::text, c.product, c.site, c.role, "
					"       array_agg(c.account_id ORDER BY c.change_id), "
					"       array_agg(c.change_id ORDER BY c.change_id) "
					"  FROM captured c GROUP BY 1, 2, 3, 4, 5 ORDER BY min(c.change_id)",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "atlorg: could not read the change set");
	*n = (int) SPI_processed;
	parts = palloc0(sizeof(AccessPart) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		AccessChange *c = &parts[i].change;
		bool		isnull;
		Datum		ids = SPI_getbinval(tup, desc, 6, &isnull);
		Datum	   *elems;

		c->grant = strcmp(value(tup, desc, 1), "grant") == 0;
		c->server = value(tup, desc, 2);
		c->product = value(tup, desc, 3);
		c->site = value(tup, desc, 4);
		c->role = value(tup, desc, 5);
		c->also_other_grants = atl_also_remove_other_grants;
		c->dry_run = atl_dry_run;
		deconstruct_array(DatumGetArrayTypePCopy(ids), TEXTOID, -1, false, TYPALIGN_INT,
						  &elems, NULL, &c->n);
		c->account_ids = palloc(sizeof(char *) * Max(c->n, 1));
		for (int k = 0; k < c->n; k++)
			c->account_ids[k] = TextDatumGetCString(elems[k]);
		parts[i].change_ids = SPI_datumTransfer(SPI_getbinval(tup, desc, 7, &isnull), false, -1);
	}
	return parts;
}

static void
check_all(void)
{
	Oid			type;
	bool		isnull;
	Datum		changes;

	if (SPI_execute("SELECT coalesce(array_agg(c::atlorg.atl_access_changes ORDER BY c.change_id), '{}') "
					"FROM captured c", true, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "atlorg: could not read the change set");
	changes = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	type = SPI_gettypeid(SPI_tuptable->tupdesc, 1);
	atl_call_internal("atl_access_check", 1, &changes, &type);
}

static int
run_part(AccessPart *part, TupleDesc desc, AtlOutcomes *sum)
{
	List	   *rows = NIL;
	int			none = atl_access_run(&part->change, desc, atl_collect_row, &rows);
	Datum		args[2] = {part->change_ids, atl_audit_array(rows, desc, sum)};
	Oid			types[2] = {INT8ARRAYOID, get_array_type(desc->tdtypeid)};

	atl_call_internal("atl_access_record", 2, args, types);
	return none;
}

PG_FUNCTION_INFO_V1(atl_access_apply);

Datum
atl_access_apply(PG_FUNCTION_ARGS)
{
	TriggerData *td = atl_statement_trigger(fcinfo, "atl_access_changes", "atl_access_apply");
	int			pinned = atl_pin_search_path();
	AccessPart *parts;
	int			nparts;
	int			none = 0;
	AtlOutcomes sum = {0};
	TupleDesc	desc;

	if (SPI_connect() != SPI_OK_CONNECT || SPI_register_trigger_data(td) != SPI_OK_TD_REGISTER)
		elog(ERROR, "atlorg: could not read the change set");
	/* what an earlier statement of this session left behind */
	if (SPI_execute("DELETE FROM atlorg.atl_access_changes c "
					"WHERE c.backend_pid = pg_backend_pid() "
					"AND c.change_id < (SELECT min(x.change_id) FROM captured x)", false, 0) < 0)
		elog(ERROR, "atlorg: could not clear an earlier change set");
	check_all();
	parts = read_parts(&nparts);
	desc = atl_audit_desc();
	for (int i = 0; i < nparts; i++)
		none += run_part(&parts[i], desc, &sum);
	atl_outcomes_report(&sum, "atl_directory_access",
						none > 0 ? psprintf("%d of the accounts had no such access at Atlassian "
											"(their rows go from the mirror)", none) : NULL);
	SPI_finish();
	atl_unpin_search_path(pinned);
	return PointerGetDatum(NULL);
}
