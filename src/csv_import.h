/*
 * csv_import.h: one pass over an admin-console export file, its rows going
 * to a tuplestore (atl_csv_users() and friends) or to the four tables of
 * atl_csv_import().
 *
 * What each kind of row holds is said once, here (AtlCsvShape): the C code
 * fills exactly these columns, the SQL functions refuse a result type that
 * is not exactly this, and the import creates its tables from it.
 */
#ifndef ATLORG_CSV_IMPORT_H
#define ATLORG_CSV_IMPORT_H

#include "access/tupdesc.h"
#include "utils/relcache.h"
#include "utils/tuplestore.h"

typedef enum AtlCsvOutput
{
	ATL_CSV_USERS_OUT,
	ATL_CSV_PRODUCTS_OUT,
	ATL_CSV_GROUPS_OUT,
	ATL_CSV_REJECTS_OUT,
	ATL_CSV_N_OUTPUTS
} AtlCsvOutput;

typedef struct AtlCsvOutputColumn
{
	const char *name;
	Oid			type;
} AtlCsvOutputColumn;

typedef struct AtlCsvShape
{
	const char *kind;			/* "users": also the suffix of the import's table */
	int			ncolumns;
	const AtlCsvOutputColumn *columns;
} AtlCsvShape;

extern const AtlCsvShape atl_csv_shapes[ATL_CSV_N_OUTPUTS];

/* desc has exactly the shape's columns: as many, of the same types, none dropped */
extern bool atl_csv_desc_matches(TupleDesc desc, const AtlCsvShape *shape);

/* the export: its bytes (UTF-8), or the path of a file on the server */
typedef struct AtlCsvInput
{
	const char *data;
	size_t		len;
	const char *path;			/* NULL: data */
} AtlCsvInput;

/* the rows of one kind into store, whose descriptor must match the shape */
extern void atl_csv_read_to_store(const AtlCsvInput *in, AtlCsvOutput kind, bool skip_bad,
								  Tuplestorestate *store, TupleDesc desc);

/*
 * Every row into four tables (by AtlCsvOutput), each of which the caller
 * has proven to be a bare table of the shape's columns, created by this
 * very call (csv_tables.c): rows are written as heap tuples, as COPY does.
 * Returns the format's name; rows[] gets how many rows each table got.
 */
extern const char *atl_csv_read_to_tables(const AtlCsvInput *in, Relation rels[ATL_CSV_N_OUTPUTS],
										  bool skip_bad, int64 rows[ATL_CSV_N_OUTPUTS]);

#endif
