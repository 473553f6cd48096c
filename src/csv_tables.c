/*
 * csv_tables.c: the four tables atl_csv_import() loads.
 *
 * The call makes them itself and loads exactly those, by OID: names come
 * from the caller's prefix as written, the schema is decided once (the
 * creation namespace of the caller's search_path), and every statement run
 * through SPI names them quoted and schema-qualified, under a search_path
 * pinned to pg_catalog, pg_temp, so that nothing in the caller's schemas
 * can stand in for anything these statements use.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "csv_tables.h"
#include "guard_pinned.h"

void
atl_csv_tables_name(AtlCsvTables *t, const char *prefix)
{
	memset(t, 0, sizeof(*t));
	if (prefix[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the prefix of the tables' names must not be empty")));
	for (int k = 0; k < ATL_CSV_N_OUTPUTS; k++)
	{
		t->names[k] = psprintf("%s_%s", prefix, atl_csv_shapes[k].kind);
		/* longer would be truncated, and name another table than asked */
		if (strlen(t->names[k]) >= NAMEDATALEN)
			ereport(ERROR,
					(errcode(ERRCODE_NAME_TOO_LONG),
					 errmsg("the prefix \"%s\" is too long", prefix),
					 errdetail("The table \"%s\" would have a name longer than %d bytes.",
							   t->names[k], NAMEDATALEN - 1)));
	}
	t->nspid = RangeVarGetCreationNamespace(makeRangeVar(NULL, t->names[0], -1));
	t->nspname = get_namespace_name(t->nspid);
}

static const char *
qualified(const AtlCsvTables *t, int k)
{
	return quote_qualified_identifier(t->nspname, t->names[k]);
}

static void
run_sql(const char *sql)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc != SPI_OK_UTILITY)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("atlorg: \"%s\" failed: %s", sql, SPI_result_code_string(rc))));
}

/*
 * Before the table to replace is locked, as DROP TABLE itself checks: it
 * must be a table (not a view, a foreign or a partitioned table, ...) and
 * the caller its owner, so that nobody can lock another's table by naming
 * it.  Called again if the name comes to mean another relation meanwhile.
 */
static void
check_droppable(const RangeVar *rv, Oid relid, Oid oldrelid, void *arg)
{
	HeapTuple	tuple;
	char		relkind;

	if (!OidIsValid(relid))
		return;
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return;					/* dropped concurrently */
	relkind = ((Form_pg_class) GETSTRUCT(tuple))->relkind;
	ReleaseSysCache(tuple);
	if (relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s is not a table", quote_qualified_identifier(rv->schemaname, rv->relname)),
				 errhint("replace => true drops only a table of that name; choose another prefix.")));
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, rv->relname);
}

/* no relation of the table's name: drop a table of it (replace), or refuse */
static void
make_room(const AtlCsvTables *t, int k, bool replace)
{
	RangeVar   *rv = makeRangeVar(t->nspname, t->names[k], -1);

	if (!replace)
	{
		if (OidIsValid(get_relname_relid(t->names[k], t->nspid)))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("relation %s already exists", qualified(t, k)),
					 errhint("Pass replace => true to drop and load it again, or choose another prefix.")));
		return;
	}
	/* locked, so that the name still means this table when DROP looks it up */
	if (OidIsValid(RangeVarGetRelidExtended(rv, AccessExclusiveLock, RVR_MISSING_OK,
											check_droppable, NULL)))
		run_sql(psprintf("DROP TABLE %s", qualified(t, k)));
}

/* CREATE TABLE of the shape's columns, with their types schema-qualified */
static Oid
create_table(const AtlCsvTables *t, int k)
{
	const AtlCsvShape *shape = &atl_csv_shapes[k];
	StringInfoData sql;
	Oid			relid;

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s (", qualified(t, k));
	for (int i = 0; i < shape->ncolumns; i++)
		appendStringInfo(&sql, "%s%s %s", i ? ", " : "", quote_identifier(shape->columns[i].name),
						 format_type_extended(shape->columns[i].type, -1,
											  FORMAT_TYPE_FORCE_QUALIFY));
	appendStringInfoChar(&sql, ')');
	run_sql(sql.data);
	CommandCounterIncrement();
	relid = get_relname_relid(t->names[k], t->nspid);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("atlorg: the table %s just created is not there", qualified(t, k))));
	return relid;
}

void
atl_csv_tables_create(AtlCsvTables *t, bool replace)
{
	int			nest_level;

	/* as CREATE TABLE would, but before anything is dropped */
	if (!isTempNamespace(t->nspid) &&
		pg_namespace_aclcheck(t->nspid, GetUserId(), ACL_CREATE) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_SCHEMA, t->nspname);
	nest_level = atl_pin_search_path();
	if (SPI_connect() != SPI_OK_CONNECT)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("atlorg: could not connect to SPI")));
	for (int k = 0; k < ATL_CSV_N_OUTPUTS; k++)
	{
		make_room(t, k, replace);
		t->oids[k] = create_table(t, k);
	}
	SPI_finish();
	/* an error before this restores search_path as the transaction aborts */
	atl_unpin_search_path(nest_level);
}

/*
 * Rows are written into the tables as heap tuples with table_multi_insert,
 * as COPY does, which is what keeps the import as fast as COPY; but that
 * skips everything an INSERT would do: constraints, defaults, indexes,
 * triggers, rules, row security.  So this writes only into a table proven
 * to have none of them: one created in this very (sub)transaction, an
 * ordinary table, with exactly the shape's columns and nothing else
 * defined on it.  atl_csv_tables_create() made it a moment ago under this
 * OID; only something run by that CREATE TABLE (an event trigger, which
 * takes a superuser to define) could have added anything since, and no
 * other session can: the new table is invisible to them and locked
 * ACCESS EXCLUSIVE until commit.
 */
static bool
is_bare_new_table(Relation rel, AtlCsvOutput kind)
{
	Form_pg_class form = rel->rd_rel;
	TupleConstr *constr = RelationGetDescr(rel)->constr;

	return form->relkind == RELKIND_RELATION &&
		rel->rd_createSubid == GetCurrentSubTransactionId() &&
		!form->relispartition && !form->relhassubclass &&
		!form->relhasindex && RelationGetIndexList(rel) == NIL &&
		!form->relhastriggers && rel->trigdesc == NULL &&
		!form->relhasrules && rel->rd_rules == NULL &&
		!form->relrowsecurity && !form->relforcerowsecurity && rel->rd_rsdesc == NULL &&
		form->relchecks == 0 &&
		(constr == NULL ||
		 (!constr->has_not_null && !constr->has_generated_stored &&
		  constr->num_defval == 0 && constr->num_check == 0)) &&
		atl_csv_desc_matches(RelationGetDescr(rel), &atl_csv_shapes[kind]);
}

Relation
atl_csv_table_open(const AtlCsvTables *t, AtlCsvOutput kind)
{
	Relation	rel = table_open(t->oids[kind], RowExclusiveLock);

	if (!is_bare_new_table(rel, kind))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the table %s is no longer as atl_csv_import() created it", qualified(t, kind)),
				 errdetail("Rows are written into it as COPY does, so it must have no indexes, triggers, rules, constraints, defaults or row security, and only the columns it was created with."),
				 errhint("An event trigger may have changed it. Load into tables of your own with INSERT ... SELECT * FROM atl_csv_users(...) and its siblings instead.")));
	if (pg_class_aclcheck(t->oids[kind], GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, t->names[kind]);
	return rel;
}
