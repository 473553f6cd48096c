/*
 * csv_tables.h: the four tables atl_csv_import() loads, made by the call
 * itself.
 */
#ifndef ATLORG_CSV_TABLES_H
#define ATLORG_CSV_TABLES_H

#include "csv_import.h"

typedef struct AtlCsvTables
{
	Oid			nspid;			/* where they go */
	char	   *nspname;
	char	   *names[ATL_CSV_N_OUTPUTS];	/* "<prefix>_users", ... as given */
	Oid			oids[ATL_CSV_N_OUTPUTS];	/* once created */
} AtlCsvTables;

/*
 * The tables' names from the prefix (taken as written, never folded to
 * lower case), and their schema: the one the caller's search_path creates
 * in, decided now, once.
 */
extern void atl_csv_tables_name(AtlCsvTables *t, const char *prefix);

/*
 * Creates the four tables (first dropping tables of the same names, if
 * replace), through SPI with every name quoted and schema-qualified and
 * search_path pinned to pg_catalog, pg_temp; fills t->oids.
 */
extern void atl_csv_tables_create(AtlCsvTables *t, bool replace);

/*
 * Opens a table atl_csv_tables_create() made, after proving that rows may
 * be written into it directly (see csv_tables.c); close with table_close.
 */
extern Relation atl_csv_table_open(const AtlCsvTables *t, AtlCsvOutput kind);

#endif
