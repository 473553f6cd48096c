/*
 * csv_import.c: admin-console export files as rows (atl_csv_users() and
 * friends) and as tables (atl_csv_import()).
 *
 * One pass over the input: csv_reader.c splits records, csv_layout.c names
 * the columns from the header, and each data row becomes a user row, a row
 * per product and a row per group, typed here.  Rows go to tuplestores
 * (the set-returning functions) or straight into tables with a bulk-insert
 * state (the import).  Memory stays flat: a row's values live in a context
 * reset after each row, and files are read in 64 kB chunks.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "common/hashfn.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "csv_layout.h"
#include "csv_reader.h"
#include "csv_values.h"

#define MAX_FIELD (1024 * 1024)	/* longest field accepted */
#define CHUNK 65536
#define MAX_WARNINGS 20			/* skipped rows reported one by one */
#define BATCH 1000				/* rows a table gets at once, as COPY does */

typedef enum CsvOutput
{
	OUT_USERS, OUT_PRODUCTS, OUT_GROUPS, OUT_REJECTS, N_OUTPUTS
} CsvOutput;

/* where one kind of row goes: a tuplestore, or a table */
typedef struct CsvTarget
{
	bool		wanted;
	TupleDesc	desc;
	Tuplestorestate *store;
	Relation	rel;
	BulkInsertState bis;
	TupleTableSlot **slots;		/* BATCH of them, filled then inserted together */
	MemoryContext cxt;			/* the slots' (rows are built in a shorter one) */
	int			buffered;
	int64		rows;
} CsvTarget;

/* a product column pair: access and last seen, for one product and site */
typedef struct ProductSlot
{
	const char *key;
	char	   *app;
	char	   *site;
	int			access_col;		/* -1 if none */
	int			seen_col;		/* -1 if none */
	bool		site_list;		/* Export accounts: the value lists sites */
} ProductSlot;

typedef struct CsvRun
{
	AtlCsvLayout layout;
	bool		have_layout;
	ProductSlot *products;
	int			nproducts;
	char	  **headers;		/* as the file names its columns */
	HTAB	   *seen_users;		/* files with a row per group: users already emitted */
	bool		skip_bad;
	CsvTarget	out[N_OUTPUTS];
	char	   *last_user;		/* pivoted files repeat a user, a row per group */
	MemoryContext row_cxt;
	int64		rejected;
} CsvRun;

/* ---- emitting rows ----------------------------------------------------- */

/* insert the buffered rows with one multi-insert, as COPY does */
static void
flush_target(CsvTarget *t)
{
	if (t->buffered == 0)
		return;
	table_multi_insert(t->rel, t->slots, t->buffered, GetCurrentCommandId(true), 0, t->bis);
	for (int i = 0; i < t->buffered; i++)
		ExecClearTuple(t->slots[i]);
	t->buffered = 0;
}

static void
emit(CsvRun *run, CsvOutput kind, Datum *values, bool *nulls)
{
	CsvTarget  *t = &run->out[kind];
	TupleTableSlot *slot;

	if (!t->wanted)
		return;
	t->rows++;
	if (t->store)
	{
		tuplestore_putvalues(t->store, t->desc, values, nulls);
		return;
	}
	if (t->slots[t->buffered] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(t->cxt);

		t->slots[t->buffered] = table_slot_create(t->rel, NULL);
		MemoryContextSwitchTo(old);
	}
	slot = t->slots[t->buffered++];
	ExecClearTuple(slot);
	memcpy(slot->tts_values, values, sizeof(Datum) * t->desc->natts);
	memcpy(slot->tts_isnull, nulls, sizeof(bool) * t->desc->natts);
	ExecStoreVirtualTuple(slot);
	/* the values live in the row's context, reset before the batch is full */
	ExecMaterializeSlot(slot);
	if (t->buffered == BATCH)
		flush_target(t);
}

static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = s == NULL || s[0] == '\0';
	return *isnull ? (Datum) 0 : CStringGetTextDatum(s);
}

/* a row that cannot be read: an error, or (skip_bad) skipped and reported */
static void
reject(CsvRun *run, long line, const char *reason)
{
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (!run->skip_bad)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("line %ld of the export file: %s", line, reason),
				 errhint("Pass skip_bad => true to skip such rows and report them.")));
	if (run->rejected++ < MAX_WARNINGS)
		ereport(WARNING,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("skipped line %ld of the export file: %s", line, reason)));
	values[0] = Int64GetDatum(line);
	values[1] = CStringGetTextDatum(reason);
	emit(run, OUT_REJECTS, values, nulls);
}

/* ---- the header -------------------------------------------------------- */

static int
find_slot(CsvRun *run, const AtlCsvColumn *col)
{
	for (int i = 0; i < run->nproducts; i++)
		if (pg_strcasecmp(run->products[i].app, col->product) == 0 &&
			pg_strcasecmp(run->products[i].site, col->site) == 0)
			return i;
	run->products[run->nproducts] = (ProductSlot) {
		atl_csv_product_key(col->product), pstrdup(col->product), pstrdup(col->site), -1, -1,
		col->role == ROLE_PRODUCT_SITES
	};
	return run->nproducts++;
}

/* pair each product's access and last-seen columns */
static void
plan_products(CsvRun *run)
{
	run->products = palloc0(sizeof(ProductSlot) * Max(run->layout.ncolumns, 1));
	for (int i = 0; i < run->layout.ncolumns; i++)
	{
		const AtlCsvColumn *col = &run->layout.columns[i];
		ProductSlot *slot;

		if (col->role != ROLE_ACCESS && col->role != ROLE_LAST_SEEN &&
			col->role != ROLE_PRODUCT_SITES)
			continue;
		slot = &run->products[find_slot(run, col)];
		if (col->role == ROLE_LAST_SEEN)
			slot->seen_col = i;
		else
			slot->access_col = i;
	}
}

static void
read_header(CsvRun *run, const AtlCsvRecord *header)
{
	char		err[2400];
	char	   *bar;

	if (atl_csv_layout(header, &run->layout, err, sizeof(err)) != 0)
	{
		bar = strchr(err, '|');
		*bar = '\0';
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("%s", err), errdetail("%s", bar + 1)));
	}
	run->have_layout = true;
	plan_products(run);
	run->headers = palloc(sizeof(char *) * header->nfields);
	for (int i = 0; i < header->nfields; i++)
		run->headers[i] = pstrdup(header->fields[i]);
	/* a row per user and group: remember who was seen (by a 64-bit hash) */
	if (run->layout.column_of[ROLE_GROUP_NAME] >= 0 || run->layout.column_of[ROLE_GROUP_ID] >= 0)
	{
		HASHCTL		ctl = {.keysize = sizeof(uint64), .entrysize = sizeof(uint64),
		.hcxt = CurrentMemoryContext};

		run->seen_users = hash_create("atlorg csv users", 1024, &ctl,
									  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
}

/* true if this user was emitted before (a later row of the same user) */
static bool
seen_before(CsvRun *run, const char *id)
{
	uint64		key;
	bool		found;

	if (run->seen_users == NULL || id == NULL)
		return false;
	key = DatumGetUInt64(hash_bytes_extended((const unsigned char *) id, (int) strlen(id), 0));
	hash_search(run->seen_users, &key, HASH_ENTER, &found);
	return found;
}

/* ---- a data row -------------------------------------------------------- */

static const char *
field(const AtlCsvRecord *rec, const CsvRun *run, AtlCsvRole role)
{
	int			col = run->layout.column_of[role];

	return col < 0 ? NULL : rec->fields[col];
}

/* a date field; false (after rejecting the row) if it is not one */
static bool
date_field(CsvRun *run, const AtlCsvRecord *rec, int col, AtlCsvDateKind *kind, DateADT *d)
{
	*kind = col < 0 ? CSV_DATE_EMPTY : atl_csv_date(rec->fields[col], d);
	if (*kind != CSV_DATE_BAD)
		return true;
	reject(run, rec->line, psprintf("\"%s\" in column \"%s\" is not a date",
									rec->fields[col], run->headers[col]));
	return false;
}

static void
emit_product(CsvRun *run, long line, const char *id, const ProductSlot *p, const char *site,
			 const char *access, AtlCsvDateKind kind, DateADT seen, const char *raw)
{
	Datum		v[9];
	bool		n[9] = {false};

	v[0] = Int64GetDatum(line);
	v[1] = text_or_null(id, &n[1]);
	v[2] = CStringGetTextDatum(p->key);
	v[3] = CStringGetTextDatum(p->app);
	v[4] = text_or_null(site, &n[4]);
	v[5] = text_or_null(access, &n[5]);
	v[6] = DateADTGetDatum(seen);
	n[6] = kind != CSV_DATE_VALUE;
	v[7] = BoolGetDatum(kind == CSV_DATE_NEVER);
	n[7] = kind == CSV_DATE_EMPTY;
	v[8] = text_or_null(kind == CSV_DATE_VALUE ? NULL : raw, &n[8]);
	emit(run, OUT_PRODUCTS, v, n);
}

/* "a.atlassian.net, b.atlassian.net": one product row per site */
static void
emit_site_list(CsvRun *run, long line, const char *id, const ProductSlot *p, const char *list)
{
	char	   *copy = pstrdup(list);
	char	   *save = NULL;

	for (char *site = strtok_r(copy, ",", &save); site; site = strtok_r(NULL, ",", &save))
	{
		while (*site == ' ')
			site++;
		if (*site)
			emit_product(run, line, id, p, site, "yes", CSV_DATE_EMPTY, 0, NULL);
	}
}

/* every product of the row; the latest date seen, for the user row */
static bool
emit_products(CsvRun *run, const AtlCsvRecord *rec, const char *id, DateADT *latest)
{
	for (int i = 0; i < run->nproducts; i++)
	{
		const ProductSlot *p = &run->products[i];
		const char *access = p->access_col >= 0 ? rec->fields[p->access_col] : "";
		AtlCsvDateKind kind;
		DateADT		seen = 0;

		if (p->site_list)
		{
			emit_site_list(run, rec->line, id, p, access);
			continue;
		}
		if (!date_field(run, rec, p->seen_col, &kind, &seen))
			return false;
		if (access[0] == '\0' && kind == CSV_DATE_EMPTY)
			continue;			/* no access to this product */
		if (pg_strcasecmp(access, "no") == 0 && kind == CSV_DATE_EMPTY)
			continue;
		if (kind == CSV_DATE_VALUE && (*latest == DATEVAL_NOBEGIN || seen > *latest))
			*latest = seen;
		emit_product(run, rec->line, id, p, p->site, access, kind, seen,
					 p->seen_col >= 0 ? rec->fields[p->seen_col] : NULL);
	}
	return true;
}

static void
emit_group(CsvRun *run, long line, const char *id, const char *group_id, const char *name)
{
	Datum		v[4];
	bool		n[4] = {false};

	if ((group_id == NULL || !group_id[0]) && (name == NULL || !name[0]))
		return;
	v[0] = Int64GetDatum(line);
	v[1] = text_or_null(id, &n[1]);
	v[2] = text_or_null(group_id, &n[2]);
	v[3] = text_or_null(name, &n[3]);
	emit(run, OUT_GROUPS, v, n);
}

/* callbacks of the nested parse of a "Groups" list */
typedef struct GroupList
{
	CsvRun	   *run;
	long		line;
	const char *id;
} GroupList;

static void
group_list_field(void *data, size_t len, void *arg)
{
	GroupList  *g = arg;
	char	   *name = pnstrdup(data ? data : "", len);

	emit_group(g->run, g->line, g->id, NULL, name);
}

/* the list is itself comma-separated, with quotes where a name has a comma */
static void
emit_group_list(CsvRun *run, long line, const char *id, const char *list)
{
	struct csv_parser p;
	GroupList	g = {run, line, id};

	if (list == NULL || list[0] == '\0' || csv_init(&p, 0) != 0)
		return;
	csv_parse(&p, list, strlen(list), group_list_field, NULL, &g);
	csv_fini(&p, group_list_field, NULL, &g);
	csv_free(&p);
}

static void
emit_user(CsvRun *run, const AtlCsvRecord *rec, const char *id, DateADT latest)
{
	Datum		v[8];
	bool		n[8] = {false};
	const char *status = field(rec, run, ROLE_STATUS);
	const char *active = field(rec, run, ROLE_ACTIVE);
	AtlCsvDateKind kind;
	DateADT		added = 0;

	if (!date_field(run, rec, run->layout.column_of[ROLE_ADDED], &kind, &added))
		return;
	v[0] = Int64GetDatum(rec->line);
	v[1] = text_or_null(id, &n[1]);
	v[2] = text_or_null(field(rec, run, ROLE_NAME), &n[2]);
	v[3] = text_or_null(field(rec, run, ROLE_EMAIL), &n[3]);
	v[4] = text_or_null(status ? atl_csv_status(status) : active ? atl_csv_active(active) : NULL,
						&n[4]);
	v[5] = text_or_null(field(rec, run, ROLE_ORG_ROLE), &n[5]);
	v[6] = DateADTGetDatum(added);
	n[6] = kind != CSV_DATE_VALUE;
	v[7] = DateADTGetDatum(latest);
	n[7] = latest == DATEVAL_NOBEGIN;
	emit(run, OUT_USERS, v, n);
}

static void
check_encoding(const AtlCsvRecord *rec)
{
	for (int i = 0; i < rec->nfields; i++)
		if (!pg_verify_mbstr(PG_UTF8, rec->fields[i], (int) rec->lens[i], true))
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("line %ld of the export file is not valid UTF-8", rec->line),
					 errhint("Admin-console exports are UTF-8; convert the file, e.g. with iconv -f latin1 -t utf-8.")));
}

static void
read_row(CsvRun *run, const AtlCsvRecord *rec)
{
	const char *id = field(rec, run, ROLE_ID);
	bool		repeat;
	DateADT		latest = DATEVAL_NOBEGIN;
	AtlCsvDateKind kind;

	if (rec->nfields != run->layout.ncolumns)
	{
		reject(run, rec->line, psprintf("%d fields where the header has %d",
										rec->nfields, run->layout.ncolumns));
		return;
	}
	/* pivoted and 2018 files repeat the user, a row per group */
	repeat = (run->last_user && id && strcmp(run->last_user, id) == 0) || seen_before(run, id);
	if (!repeat)
	{
		if (!date_field(run, rec, run->layout.column_of[ROLE_LAST_ACTIVE], &kind, &latest))
			return;
		if (kind != CSV_DATE_VALUE)
			latest = DATEVAL_NOBEGIN;
		if (!emit_products(run, rec, id, &latest))
			return;
		emit_user(run, rec, id, latest);
	}
	emit_group(run, rec->line, id, field(rec, run, ROLE_GROUP_ID), field(rec, run, ROLE_GROUP_NAME));
	emit_group_list(run, rec->line, id, field(rec, run, ROLE_GROUP_LIST));
}

static int
on_record(void *arg, const AtlCsvRecord *rec)
{
	CsvRun	   *run = arg;
	MemoryContext old;
	const char *id;

	CHECK_FOR_INTERRUPTS();
	check_encoding(rec);
	if (!run->have_layout)
	{
		read_header(run, rec);	/* kept for the whole run */
		return 0;
	}
	old = MemoryContextSwitchTo(run->row_cxt);
	read_row(run, rec);
	MemoryContextSwitchTo(old);
	MemoryContextReset(run->row_cxt);
	id = field(rec, run, ROLE_ID);
	if (run->last_user)
		pfree(run->last_user);
	run->last_user = id ? pstrdup(id) : NULL;
	return 0;
}

/* ---- input ------------------------------------------------------------- */

static void
reader_error(AtlCsvReader *r)
{
	ereport(ERROR,
			(errcode(r->too_long ? ERRCODE_PROGRAM_LIMIT_EXCEEDED : ERRCODE_BAD_COPY_FILE_FORMAT),
			 errmsg("line %ld of the export file: %s", r->error_line, r->error),
			 r->too_long ? errdetail("The longest field accepted is %d bytes.", MAX_FIELD) : 0));
}

static void
feed_or_fail(AtlCsvReader *r, const char *data, size_t len)
{
	if (atl_csv_feed(r, data, len) != 0)
		reader_error(r);
}

/* a file on the server: read as COPY FROM would be allowed to */
static void
feed_file(AtlCsvReader *r, const char *path)
{
	FILE	   *f;
	char	   *buf = palloc(CHUNK);
	size_t		n;

	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read an export file on the server"),
				 errhint("Only roles with privileges of the \"pg_read_server_files\" role may, as with COPY FROM a file. Pass the file's contents instead.")));
	if ((f = AllocateFile(path, "rb")) == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path)));
	while ((n = fread(buf, 1, CHUNK, f)) > 0)
		feed_or_fail(r, buf, n);
	if (ferror(f))
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not read file \"%s\": %m", path)));
	FreeFile(f);
}

/* parse the whole input, sending rows to the run's targets */
static void
run_input(CsvRun *run, bytea *data, const char *path)
{
	AtlCsvReader reader;

	run->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "atlorg csv row",
										 ALLOCSET_DEFAULT_SIZES);
	if (atl_csv_init(&reader, MAX_FIELD, on_record, run) != 0)
		elog(ERROR, "atlorg: could not initialize libcsv");
	PG_TRY();
	{
		if (path)
			feed_file(&reader, path);
		else
			feed_or_fail(&reader, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data));
		if (atl_csv_finish(&reader) != 0)
			reader_error(&reader);
		if (!run->have_layout)
			ereport(ERROR,
					(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
					 errmsg("the export file is empty")));
	}
	PG_FINALLY();
	{
		atl_csv_free(&reader);
		atl_csv_layout_free(&run->layout);
	}
	PG_END_TRY();
	if (run->rejected > MAX_WARNINGS)
		ereport(WARNING,
				(errmsg("skipped %ld rows of the export file in all", (long) run->rejected)));
}

/* ---- SQL functions ----------------------------------------------------- */

/* atl_csv_rows(data bytea, path text, what text, skip_bad boolean) */
PG_FUNCTION_INFO_V1(atl_csv_rows);

Datum
atl_csv_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	static const char *const kinds[N_OUTPUTS] = {"users", "products", "groups", "rejects"};
	const char *what = text_to_cstring(PG_GETARG_TEXT_PP(2));
	CsvRun		run;

	memset(&run, 0, sizeof(run));
	run.skip_bad = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (int k = 0; k < N_OUTPUTS; k++)
		if (strcmp(what, kinds[k]) == 0)
		{
			run.out[k] = (CsvTarget) {true, rsinfo->setDesc, rsinfo->setResult};
			/* rejects are also what skip_bad reports */
			run.skip_bad |= k == OUT_REJECTS;
		}
	if (PG_ARGISNULL(0) == PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("give the export file's contents or its path, not both")));
	run_input(&run, PG_ARGISNULL(0) ? NULL : PG_GETARG_BYTEA_PP(0),
			  PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	return (Datum) 0;
}

static void
open_target(CsvTarget *t, Oid table)
{
	t->wanted = true;
	t->rel = table_open(table, RowExclusiveLock);
	if (pg_class_aclcheck(RelationGetRelid(t->rel), GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, RelationGetRelationName(t->rel));
	t->desc = RelationGetDescr(t->rel);
	t->slots = palloc0(sizeof(TupleTableSlot *) * BATCH);
	t->cxt = CurrentMemoryContext;
	t->bis = GetBulkInsertState();
}

static void
close_target(CsvTarget *t)
{
	flush_target(t);
	FreeBulkInsertState(t->bis);
	for (int i = 0; i < BATCH && t->slots[i]; i++)
		ExecDropSingleTupleTableSlot(t->slots[i]);
	table_close(t->rel, NoLock);
}

/*
 * atl_csv_load(data bytea, path text, users regclass, products regclass,
 * groups regclass, rejects regclass, skip_bad boolean): one pass into four tables
 * the SQL wrapper has just created (no indexes or triggers yet).
 */
PG_FUNCTION_INFO_V1(atl_csv_load);

Datum
atl_csv_load(PG_FUNCTION_ARGS)
{
	CsvRun		run;
	TupleDesc	desc;
	Datum		values[5];
	bool		nulls[5] = {false};

	memset(&run, 0, sizeof(run));
	run.skip_bad = !PG_ARGISNULL(6) && PG_GETARG_BOOL(6);
	for (int k = 0; k < N_OUTPUTS; k++)
		open_target(&run.out[k], PG_GETARG_OID(2 + k));
	run_input(&run, PG_ARGISNULL(0) ? NULL : PG_GETARG_BYTEA_PP(0),
			  PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	for (int k = 0; k < N_OUTPUTS; k++)
	{
		values[k + 1] = Int64GetDatum(run.out[k].rows);
		close_target(&run.out[k]);
	}
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "atlorg: atl_csv_load must return a record");
	values[0] = CStringGetTextDatum(atl_csv_format_name(run.layout.format));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
