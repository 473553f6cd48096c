/*
 * csv_functions.c: the SQL functions over admin-console export files.
 *
 * Every one is a C function whose result type its declaration fixes, and
 * trusts nothing about how it is called: it checks its declared arguments
 * and result row against what it reads and builds (so no declaration, of
 * atlorg's or anyone's, can make it read an argument as another type or
 * fill a row of another shape), and every argument for NULL: a NULL
 * argument is an error (22004), never an empty result that could pass for
 * an empty file.  The work itself is csv_import.c's.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

#include "csv_import.h"
#include "csv_tables.h"

/* where an entry point's first argument has the export */
typedef enum CsvSource
{
	FROM_DATA,					/* its contents: bytea, or text (per the declaration) */
	FROM_FILE					/* a path on the server */
} CsvSource;

/* what atl_csv_import() returns */
static const AtlCsvOutputColumn import_columns[] = {
	{"format", TEXTOID}, {"users", INT8OID}, {"products", INT8OID}, {"groups", INT8OID},
	{"rejected", INT8OID}
};
static const AtlCsvShape import_shape = {"import", lengthof(import_columns), import_columns};

static void
bad_declaration(FunctionCallInfo fcinfo, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
			 errmsg("%s is not declared as atlorg's C code reads it: %s",
					fcinfo->flinfo ? format_procedure(fcinfo->flinfo->fn_oid) : "a function", what)));
}

/*
 * The declared arguments must be types[] (the first: bytea or text for
 * data, text for a path), and none of them NULL.  Returns the first
 * argument's declared type.
 */
static Oid
check_arguments(FunctionCallInfo fcinfo, CsvSource source, int nargs, const Oid *types,
				const char *const *names)
{
	Oid		   *declared;
	int			ndeclared;

	if (fcinfo->flinfo == NULL || !OidIsValid(fcinfo->flinfo->fn_oid))
		bad_declaration(fcinfo, "called without its declaration");
	(void) get_func_signature(fcinfo->flinfo->fn_oid, &declared, &ndeclared);
	if (ndeclared != nargs || PG_NARGS() != nargs)
		bad_declaration(fcinfo, psprintf("it takes %d arguments", nargs));
	if (declared[0] != TEXTOID && (source == FROM_FILE || declared[0] != BYTEAOID))
		bad_declaration(fcinfo, source == FROM_FILE ? "the path is text" : "the data is bytea or text");
	for (int i = 1; i < nargs; i++)
		if (declared[i] != types[i])
			bad_declaration(fcinfo, psprintf("argument %s is %s", names[i], format_type_be(types[i])));
	for (int i = 0; i < nargs; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %s of %s() must not be null",
							i > 0 ? names[i] : source == FROM_FILE ? "path" : "data",
							get_func_name(fcinfo->flinfo->fn_oid))));
	return declared[0];
}

static void
check_result(FunctionCallInfo fcinfo, TupleDesc desc, const AtlCsvShape *shape)
{
	if (!atl_csv_desc_matches(desc, shape))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s must return rows of exactly the %d columns atlorg builds",
						format_procedure(fcinfo->flinfo->fn_oid), shape->ncolumns),
				 errdetail("Its result type is not the one atlorg's C code fills.")));
}

/* the export, as the first argument gives it */
static void
get_input(FunctionCallInfo fcinfo, CsvSource source, Oid argtype, AtlCsvInput *in)
{
	memset(in, 0, sizeof(*in));
	if (source == FROM_FILE)
		in->path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	else if (argtype == TEXTOID)
	{
		text	   *t = PG_GETARG_TEXT_PP(0);
		char	   *s = VARDATA_ANY(t);
		int			len = VARSIZE_ANY_EXHDR(t);

		/* an export's bytes are UTF-8: as convert_to(data, 'UTF8') */
		in->data = pg_server_to_any(s, len, PG_UTF8);
		in->len = in->data == s ? (size_t) len : strlen(in->data);
	}
	else
	{
		bytea	   *b = PG_GETARG_BYTEA_PP(0);

		in->data = VARDATA_ANY(b);
		in->len = VARSIZE_ANY_EXHDR(b);
	}
}

/* atl_csv_users(data, skip_bad) and its siblings: the rows of one kind */
static Datum
csv_rows(FunctionCallInfo fcinfo, AtlCsvOutput kind, CsvSource source)
{
	static const Oid types[] = {InvalidOid, BOOLOID};
	static const char *const names[] = {NULL, "skip_bad"};
	const AtlCsvShape *shape = &atl_csv_shapes[kind];
	int			nargs = kind == ATL_CSV_REJECTS_OUT ? 1 : 2;
	Oid			argtype = check_arguments(fcinfo, source, nargs, types, names);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AtlCsvInput in;

	InitMaterializedSRF(fcinfo, 0);
	check_result(fcinfo, rsinfo->setDesc, shape);
	if (rsinfo->expectedDesc)
		check_result(fcinfo, rsinfo->expectedDesc, shape);
	get_input(fcinfo, source, argtype, &in);
	atl_csv_read_to_store(&in, kind, nargs > 1 && PG_GETARG_BOOL(1),
						  rsinfo->setResult, rsinfo->setDesc);
	return (Datum) 0;
}

/* atl_csv_import(data, prefix, skip_bad, replace): four new tables, loaded */
static Datum
csv_import(FunctionCallInfo fcinfo, CsvSource source)
{
	static const Oid types[] = {InvalidOid, TEXTOID, BOOLOID, BOOLOID};
	static const char *const names[] = {NULL, "prefix", "skip_bad", "replace"};
	Oid			argtype = check_arguments(fcinfo, source, 4, types, names);
	TupleDesc	desc;
	AtlCsvTables tables;
	AtlCsvInput in;
	Relation	rels[ATL_CSV_N_OUTPUTS];
	int64		rows[ATL_CSV_N_OUTPUTS];
	Datum		values[lengthof(import_columns)];
	bool		nulls[lengthof(import_columns)] = {false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		desc = NULL;
	check_result(fcinfo, desc, &import_shape);
	atl_csv_tables_name(&tables, text_to_cstring(PG_GETARG_TEXT_PP(1)));
	get_input(fcinfo, source, argtype, &in);
	atl_csv_tables_create(&tables, PG_GETARG_BOOL(3));
	for (int k = 0; k < ATL_CSV_N_OUTPUTS; k++)
		rels[k] = atl_csv_table_open(&tables, (AtlCsvOutput) k);
	values[0] = CStringGetTextDatum(atl_csv_read_to_tables(&in, rels, PG_GETARG_BOOL(2), rows));
	for (int k = 0; k < ATL_CSV_N_OUTPUTS; k++)
	{
		table_close(rels[k], NoLock);
		values[k + 1] = Int64GetDatum(rows[k]);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/* ---- the entry points -------------------------------------------------- */

#define CSV_FUNCTION(symbol, call) \
	PG_FUNCTION_INFO_V1(symbol); \
	Datum symbol(PG_FUNCTION_ARGS) { return call; }

CSV_FUNCTION(atl_csv_users, csv_rows(fcinfo, ATL_CSV_USERS_OUT, FROM_DATA))
CSV_FUNCTION(atl_csv_users_file, csv_rows(fcinfo, ATL_CSV_USERS_OUT, FROM_FILE))
CSV_FUNCTION(atl_csv_products, csv_rows(fcinfo, ATL_CSV_PRODUCTS_OUT, FROM_DATA))
CSV_FUNCTION(atl_csv_products_file, csv_rows(fcinfo, ATL_CSV_PRODUCTS_OUT, FROM_FILE))
CSV_FUNCTION(atl_csv_groups, csv_rows(fcinfo, ATL_CSV_GROUPS_OUT, FROM_DATA))
CSV_FUNCTION(atl_csv_groups_file, csv_rows(fcinfo, ATL_CSV_GROUPS_OUT, FROM_FILE))
CSV_FUNCTION(atl_csv_rejects, csv_rows(fcinfo, ATL_CSV_REJECTS_OUT, FROM_DATA))
CSV_FUNCTION(atl_csv_rejects_file, csv_rows(fcinfo, ATL_CSV_REJECTS_OUT, FROM_FILE))
CSV_FUNCTION(atl_csv_import, csv_import(fcinfo, FROM_DATA))
CSV_FUNCTION(atl_csv_import_file, csv_import(fcinfo, FROM_FILE))
