/*
 * csv_import.c: one pass over an admin-console export file, its rows typed
 * and sent to a tuplestore (atl_csv_users() and friends) or to the four
 * tables of atl_csv_import().
 *
 * csv_reader.c splits records, csv_layout.c names the columns from the
 * header, csv_list.c splits a group list, and each data row becomes a user
 * row, a row per product and a row per group, typed here.  Tables are
 * filled with multi-insert batches, as COPY does.  Memory stays flat: a
 * row's values live in a context reset after each row, and input is fed in
 * 64 kB chunks.
 *
 * Work is linear in the input, and every loop over rows or columns checks
 * for interrupts, so that cancel and statement_timeout stop it at once; a
 * record may have at most MAX_FIELDS fields, which bounds the per-row work
 * the header can ask for.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "csv_import.h"
#include "csv_layout.h"
#include "csv_list.h"
#include "csv_reader.h"
#include "csv_values.h"

#define MAX_FIELD (1024 * 1024)	/* longest field accepted */
#define MAX_FIELDS 10000		/* most fields in a record, so columns in a file */
#define CHUNK 65536
#define MAX_WARNINGS 20			/* skipped rows reported one by one */
#define BATCH 1000				/* rows a table gets at once, as COPY does */

/* ---- what each kind of row holds --------------------------------------- */

#define USER_COLUMNS 8
#define PRODUCT_COLUMNS 9
#define GROUP_COLUMNS 4
#define REJECT_COLUMNS 2

static const AtlCsvOutputColumn user_columns[] = {
	{"line", INT8OID}, {"account_id", TEXTOID}, {"name", TEXTOID}, {"email", TEXTOID},
	{"status", TEXTOID}, {"org_role", TEXTOID}, {"added_to_org", DATEOID},
	{"last_seen", DATEOID}
};
static const AtlCsvOutputColumn product_columns[] = {
	{"line", INT8OID}, {"account_id", TEXTOID}, {"product", TEXTOID}, {"app", TEXTOID},
	{"site", TEXTOID}, {"access", TEXTOID}, {"last_seen", DATEOID},
	{"never_used", BOOLOID}, {"last_seen_text", TEXTOID}
};
static const AtlCsvOutputColumn group_columns[] = {
	{"line", INT8OID}, {"account_id", TEXTOID}, {"group_id", TEXTOID}, {"group_name", TEXTOID}
};
static const AtlCsvOutputColumn reject_columns[] = {
	{"line", INT8OID}, {"reason", TEXTOID}
};

StaticAssertDecl(lengthof(user_columns) == USER_COLUMNS, "user columns");
StaticAssertDecl(lengthof(product_columns) == PRODUCT_COLUMNS, "product columns");
StaticAssertDecl(lengthof(group_columns) == GROUP_COLUMNS, "group columns");
StaticAssertDecl(lengthof(reject_columns) == REJECT_COLUMNS, "reject columns");

const AtlCsvShape atl_csv_shapes[ATL_CSV_N_OUTPUTS] = {
	[ATL_CSV_USERS_OUT] = {"users", USER_COLUMNS, user_columns},
	[ATL_CSV_PRODUCTS_OUT] = {"products", PRODUCT_COLUMNS, product_columns},
	[ATL_CSV_GROUPS_OUT] = {"groups", GROUP_COLUMNS, group_columns},
	[ATL_CSV_REJECTS_OUT] = {"rejects", REJECT_COLUMNS, reject_columns},
};

bool
atl_csv_desc_matches(TupleDesc desc, const AtlCsvShape *shape)
{
	if (desc == NULL || desc->natts != shape->ncolumns)
		return false;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->atttypid != shape->columns[i].type)
			return false;
	}
	return true;
}

/* ---- the run ----------------------------------------------------------- */

/* where one kind of row goes: a tuplestore, or a table */
typedef struct CsvTarget
{
	bool		wanted;
	int			ncolumns;		/* the shape's: as many values as emit() is given */
	Tuplestorestate *store;
	TupleDesc	desc;
	Relation	rel;
	BulkInsertState bis;
	int			options;		/* table_multi_insert's */
	CommandId	cid;
	TupleTableSlot **slots;		/* BATCH of them, filled then inserted together */
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
	int			next;			/* another slot whose names hash alike, or -1 */
	bool		have_texts;		/* key, app and site as the rows' text, made once */
	Datum		key_text;
	Datum		app_text;
	Datum		site_text;		/* (Datum) 0 when the header names no site */
} ProductSlot;

typedef struct CsvRun
{
	AtlCsvLayout layout;
	bool		have_layout;
	const char *format;
	ProductSlot *products;
	int			nproducts;
	char	  **headers;		/* as the file names its columns */
	HTAB	   *seen_users;		/* files with a row per group: users already emitted */
	bool		skip_bad;
	bool		convert;		/* the database encoding is neither UTF-8 nor SQL_ASCII */
	CsvTarget	out[ATL_CSV_N_OUTPUTS];
	StringInfoData last_user;	/* pivoted files repeat a user, a row per group */
	bool		have_last_user;
	MemoryContext row_cxt;
	AtlCsvDateCache *dates;
	int64		rejected;
	bool		in_bad_chunk;	/* feeding input that is not all valid UTF-8 */
	bool		check_next;		/* the next record may hold bytes of such input */
	bool		split_char;		/* the last chunk ended inside a character */
} CsvRun;

static void
check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * Whether rows of a kind go anywhere.  A row nobody asked for is never
 * built: atl_csv_users() must not pay for the products and groups it
 * drops (a file has more of them than users).  Every check that can
 * reject a row still runs, so the rows kept and rejected are the same
 * whatever is asked for.
 */
static inline bool
wanted(const CsvRun *run, AtlCsvOutput kind)
{
	return run->out[kind].wanted;
}

/* ---- emitting rows ----------------------------------------------------- */

/* insert the buffered rows with one multi-insert, as COPY does */
static void
flush_target(CsvTarget *t)
{
	if (t->buffered == 0)
		return;
	table_multi_insert(t->rel, t->slots, t->buffered, t->cid, t->options, t->bis);
	for (int i = 0; i < t->buffered; i++)
		ExecClearTuple(t->slots[i]);
	t->buffered = 0;
}

/*
 * One row of values[nvalues]: nvalues is what the caller filled, and must
 * be the shape's number of columns, which is what the target's descriptor
 * was checked to have; so no more is ever read than was written.
 */
static void
emit(CsvRun *run, AtlCsvOutput kind, Datum *values, bool *nulls, int nvalues)
{
	CsvTarget  *t = &run->out[kind];
	TupleTableSlot *slot;
	MemoryContext old;

	CHECK_FOR_INTERRUPTS();
	if (!t->wanted)
		return;
	if (nvalues != t->ncolumns)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg_internal("atlorg: %d values for a %s row of %d columns",
								 nvalues, atl_csv_shapes[kind].kind, t->ncolumns)));
	t->rows++;
	if (t->store)
	{
		tuplestore_putvalues(t->store, t->desc, values, nulls);
		return;
	}
	/*
	 * Formed once, in the slot's context (the values are in the row's, reset
	 * before the batch is full), and owned by the slot: nothing copies it
	 * again before it is on its page.
	 */
	slot = t->slots[t->buffered++];
	old = MemoryContextSwitchTo(slot->tts_mcxt);
	ExecStoreHeapTuple(heap_form_tuple(t->desc, values, nulls), slot, true);
	MemoryContextSwitchTo(old);
	if (t->buffered == BATCH)
		flush_target(t);
}

/* text from the file (UTF-8), in the database's encoding */
static Datum
file_text(const CsvRun *run, const char *s)
{
	if (run->convert)
		s = pg_any_to_server(s, (int) strlen(s), PG_UTF8);
	return CStringGetTextDatum(s);
}

static Datum
text_or_null(const CsvRun *run, const char *s, bool *isnull)
{
	*isnull = s == NULL || s[0] == '\0';
	return *isnull ? (Datum) 0 : file_text(run, s);
}

/* a row that cannot be read: an error, or (skip_bad) skipped and reported */
static void
reject(CsvRun *run, long line, const char *reason)
{
	Datum		values[REJECT_COLUMNS];
	bool		nulls[REJECT_COLUMNS] = {false, false};

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
	values[1] = file_text(run, reason);
	emit(run, ATL_CSV_REJECTS_OUT, values, nulls, REJECT_COLUMNS);
}

/* ---- the header -------------------------------------------------------- */

/* a product and site's hash, ASCII letters folded (as same_name() compares) */
static uint64
product_hash(const char *app, const char *site)
{
	uint64		h = UINT64CONST(14695981039346656037);	/* FNV-1a */

	for (const char *p = app; *p; p++)
		h = (h ^ (unsigned char) pg_ascii_tolower(*p)) * UINT64CONST(1099511628211);
	h = (h ^ 0xFF) * UINT64CONST(1099511628211);	/* not in UTF-8: a separator */
	for (const char *p = site; *p; p++)
		h = (h ^ (unsigned char) pg_ascii_tolower(*p)) * UINT64CONST(1099511628211);
	return h;
}

static bool
same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (pg_ascii_tolower(*a) != pg_ascii_tolower(*b))
			return false;
	return *a == *b;
}

typedef struct SlotsByName
{
	uint64		hash;			/* the key */
	int			first;			/* the latest slot of that hash */
} SlotsByName;

/*
 * The slot of a column's product and site, new if none yet: found through
 * a hash table, so that planning stays linear in the number of columns.
 */
static int
find_slot(CsvRun *run, HTAB *by_name, const AtlCsvColumn *col)
{
	uint64		hash = product_hash(col->product, col->site);
	bool		found;
	SlotsByName *entry = hash_search(by_name, &hash, HASH_ENTER, &found);
	int			n = run->nproducts;

	if (found)
		for (int i = entry->first; i >= 0; i = run->products[i].next)
			if (same_name(run->products[i].app, col->product) &&
				same_name(run->products[i].site, col->site))
				return i;
	run->products[n] = (ProductSlot) {
		atl_csv_product_key(col->product), pstrdup(col->product), pstrdup(col->site), -1, -1,
		col->role == ROLE_PRODUCT_SITES, found ? entry->first : -1
	};
	entry->first = n;
	return run->nproducts++;
}

/* pair each product's access and last-seen columns */
static void
plan_products(CsvRun *run)
{
	HASHCTL		ctl = {.keysize = sizeof(uint64), .entrysize = sizeof(SlotsByName),
	.hcxt = CurrentMemoryContext};
	HTAB	   *by_name = hash_create("atlorg csv products", 64, &ctl,
									  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	run->products = palloc0(sizeof(ProductSlot) * Max(run->layout.ncolumns, 1));
	for (int i = 0; i < run->layout.ncolumns; i++)
	{
		const AtlCsvColumn *col = &run->layout.columns[i];
		ProductSlot *slot;

		CHECK_FOR_INTERRUPTS();
		if (col->role != ROLE_ACCESS && col->role != ROLE_LAST_SEEN &&
			col->role != ROLE_PRODUCT_SITES)
			continue;
		slot = &run->products[find_slot(run, by_name, col)];
		if (col->role == ROLE_LAST_SEEN)
			slot->seen_col = i;
		else
			slot->access_col = i;
	}
	hash_destroy(by_name);
}

/* err is "message|detail", as csv_layout.c writes it */
static void
layout_error(char *err)
{
	char	   *bar = strchr(err, '|');

	if (bar)
		*bar++ = '\0';
	ereport(ERROR,
			(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
			 errmsg("%s", err),
			 bar && *bar ? errdetail("%s", bar) : 0));
}

static void
read_header(CsvRun *run, const AtlCsvRecord *header)
{
	char		err[2400];

	if (atl_csv_layout(header, &run->layout, check_interrupts, err, sizeof(err)) != 0)
		layout_error(err);
	run->have_layout = true;
	run->format = atl_csv_format_name(run->layout.format);
	plan_products(run);
	run->headers = palloc(sizeof(char *) * header->nfields);
	for (int i = 0; i < header->nfields; i++)
	{
		CHECK_FOR_INTERRUPTS();
		run->headers[i] = pstrdup(header->fields[i]);
	}
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

/* a row's field of a role; only for rows as wide as the header */
static const char *
field(const AtlCsvRecord *rec, const CsvRun *run, AtlCsvRole role)
{
	int			col = run->layout.column_of[role];

	Assert(rec->nfields == run->layout.ncolumns);
	return col < 0 ? NULL : rec->fields[col];
}

/* a date field; false (after rejecting the row) if it is not one */
static bool
date_field(CsvRun *run, const AtlCsvRecord *rec, int col, AtlCsvDateKind *kind, DateADT *d)
{
	*kind = col < 0 ? CSV_DATE_EMPTY : atl_csv_date(run->dates, rec->fields[col], d);
	if (*kind != CSV_DATE_BAD)
		return true;
	reject(run, rec->line, psprintf("\"%s\" in column \"%s\" is not a date",
									rec->fields[col], run->headers[col]));
	return false;
}

/*
 * Every product row of a slot has its key and app, and most its site: as
 * text made once, at its first row, in the run's context (the slots'),
 * rather than once a row.
 */
static void
slot_texts(const CsvRun *run, ProductSlot *slot)
{
	MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(run->products));
	bool		no_site;

	slot->key_text = file_text(run, slot->key);	/* the app's own name when unknown */
	slot->app_text = file_text(run, slot->app);
	slot->site_text = text_or_null(run, slot->site, &no_site);
	slot->have_texts = true;
	MemoryContextSwitchTo(old);
}

/* site NULL: the slot's own (or none); otherwise one of the sites it lists */
static void
emit_product(CsvRun *run, long line, const char *id, ProductSlot *p, const char *site,
			 const char *access, AtlCsvDateKind kind, DateADT seen, const char *raw)
{
	Datum		v[PRODUCT_COLUMNS];
	bool		n[PRODUCT_COLUMNS] = {false};

	if (!wanted(run, ATL_CSV_PRODUCTS_OUT))
		return;
	if (!p->have_texts)
		slot_texts(run, p);
	v[0] = Int64GetDatum(line);
	v[1] = text_or_null(run, id, &n[1]);
	v[2] = p->key_text;
	v[3] = p->app_text;
	if (site == NULL)			/* the slot's own */
	{
		v[4] = p->site_text;
		n[4] = p->site_text == (Datum) 0;
	}
	else
		v[4] = text_or_null(run, site, &n[4]);
	v[5] = text_or_null(run, access, &n[5]);
	v[6] = DateADTGetDatum(seen);
	n[6] = kind != CSV_DATE_VALUE;
	v[7] = BoolGetDatum(kind == CSV_DATE_NEVER);
	n[7] = kind == CSV_DATE_EMPTY;
	v[8] = text_or_null(run, kind == CSV_DATE_VALUE ? NULL : raw, &n[8]);
	emit(run, ATL_CSV_PRODUCTS_OUT, v, n, PRODUCT_COLUMNS);
}

/* "a.atlassian.net, b.atlassian.net": one product row per site */
static void
emit_site_list(CsvRun *run, long line, const char *id, ProductSlot *p, const char *list)
{
	char	   *copy;
	char	   *save = NULL;

	if (!wanted(run, ATL_CSV_PRODUCTS_OUT))
		return;
	copy = pstrdup(list);
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
		ProductSlot *p = &run->products[i];
		const char *access = p->access_col >= 0 ? rec->fields[p->access_col] : "";
		AtlCsvDateKind kind;
		DateADT		seen = 0;

		CHECK_FOR_INTERRUPTS();
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
		emit_product(run, rec->line, id, p, NULL, access, kind, seen,
					 p->seen_col >= 0 ? rec->fields[p->seen_col] : NULL);
	}
	return true;
}

static void
emit_group(CsvRun *run, long line, const char *id, const char *group_id, const char *name)
{
	Datum		v[GROUP_COLUMNS];
	bool		n[GROUP_COLUMNS] = {false};

	if (!wanted(run, ATL_CSV_GROUPS_OUT) ||
		((group_id == NULL || !group_id[0]) && (name == NULL || !name[0])))
		return;
	v[0] = Int64GetDatum(line);
	v[1] = text_or_null(run, id, &n[1]);
	v[2] = text_or_null(run, group_id, &n[2]);
	v[3] = text_or_null(run, name, &n[3]);
	emit(run, ATL_CSV_GROUPS_OUT, v, n, GROUP_COLUMNS);
}

/* one name of a group list, into a List */
static void
group_list_item(void *arg, const char *item, size_t len)
{
	List	  **names = arg;

	*names = lappend(*names, pnstrdup(item, len));
}

/*
 * A group column that is not pivoted: the names of a comma-separated list
 * (csv_list.h says how it is read).  Names first, rows after the list is
 * freed: emitting may throw (a cancel).
 */
static void
emit_group_list(CsvRun *run, long line, const char *id, const char *list)
{
	List	   *names = NIL;
	ListCell   *lc;

	if (!wanted(run, ATL_CSV_GROUPS_OUT) || list == NULL || list[0] == '\0')
		return;
	if (atl_csv_list(list, strlen(list), group_list_item, &names) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory reading the group list on line %ld of the export file", line)));
	foreach(lc, names)
		emit_group(run, line, id, NULL, lfirst(lc));
}

static void
emit_user(CsvRun *run, const AtlCsvRecord *rec, const char *id, DateADT latest)
{
	Datum		v[USER_COLUMNS];
	bool		n[USER_COLUMNS] = {false};
	const char *status = field(rec, run, ROLE_STATUS);
	const char *active = field(rec, run, ROLE_ACTIVE);
	AtlCsvDateKind kind;
	DateADT		added = 0;

	if (!date_field(run, rec, run->layout.column_of[ROLE_ADDED], &kind, &added) ||
		!wanted(run, ATL_CSV_USERS_OUT))
		return;
	v[0] = Int64GetDatum(rec->line);
	v[1] = text_or_null(run, id, &n[1]);
	v[2] = text_or_null(run, field(rec, run, ROLE_NAME), &n[2]);
	v[3] = text_or_null(run, field(rec, run, ROLE_EMAIL), &n[3]);
	v[4] = text_or_null(run, status ? atl_csv_status(status) : active ? atl_csv_active(active) : NULL,
						&n[4]);
	v[5] = text_or_null(run, field(rec, run, ROLE_ORG_ROLE), &n[5]);
	v[6] = DateADTGetDatum(added);
	n[6] = kind != CSV_DATE_VALUE;
	v[7] = DateADTGetDatum(latest);
	n[7] = latest == DATEVAL_NOBEGIN;
	emit(run, ATL_CSV_USERS_OUT, v, n, USER_COLUMNS);
}

static void
check_encoding(const AtlCsvRecord *rec)
{
	for (int i = 0; i < rec->nfields; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!pg_verify_mbstr(PG_UTF8, rec->fields[i], (int) rec->lens[i], true))
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("line %ld of the export file is not valid UTF-8", rec->line),
					 errhint("Admin-console exports are UTF-8; convert the file, e.g. with iconv -f latin1 -t utf-8.")));
	}
}

/* the user of this row, kept for the next (in the run's context, not the row's) */
static void
remember_user(CsvRun *run, const char *id)
{
	run->have_last_user = id != NULL;
	resetStringInfo(&run->last_user);
	if (id)
		appendStringInfoString(&run->last_user, id);
}

static void
read_row(CsvRun *run, const AtlCsvRecord *rec)
{
	const char *id;
	bool		repeat;
	DateADT		latest = DATEVAL_NOBEGIN;
	AtlCsvDateKind kind;

	/* before anything reads a field by the header's columns */
	if (rec->nfields != run->layout.ncolumns)
	{
		reject(run, rec->line, psprintf("%d fields where the header has %d",
										rec->nfields, run->layout.ncolumns));
		return;
	}
	id = field(rec, run, ROLE_ID);
	/* pivoted and 2018 files repeat the user, a row per group */
	repeat = (run->have_last_user && id && strcmp(run->last_user.data, id) == 0) ||
		seen_before(run, id);
	remember_user(run, id);
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

	CHECK_FOR_INTERRUPTS();
	if (run->in_bad_chunk || run->check_next)
		check_encoding(rec);
	run->check_next = false;
	if (!run->have_layout)
	{
		read_header(run, rec);	/* kept for the whole run */
		return 0;
	}
	old = MemoryContextSwitchTo(run->row_cxt);
	read_row(run, rec);
	MemoryContextSwitchTo(old);
	MemoryContextReset(run->row_cxt);
	return 0;
}

/* ---- input ------------------------------------------------------------- */

static void
reader_error(AtlCsvReader *r)
{
	if (r->too_many)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("line %ld of the export file: %s", r->error_line, r->error),
				 errdetail("At most %d columns are accepted.", MAX_FIELDS)));
	ereport(ERROR,
			(errcode(r->too_long ? ERRCODE_PROGRAM_LIMIT_EXCEEDED : ERRCODE_BAD_COPY_FILE_FORMAT),
			 errmsg("line %ld of the export file: %s", r->error_line, r->error),
			 r->too_long ? errdetail("The longest field accepted is %d bytes.", MAX_FIELD) : 0));
}

/* continuation bytes at the start of a chunk, of a character the last one split */
static int
split_char_tail(const char *data, int len)
{
	int			n = 0;

	while (n < len && n < MAX_MULTIBYTE_CHAR_LEN - 1 && (data[n] & 0xC0) == 0x80)
		n++;
	return n;
}

/* the bytes after the chunk's last whole character begin one, and no more */
static bool
ends_in_split_char(const char *data, int valid, int len)
{
	const unsigned char *s = (const unsigned char *) data + valid;

	if ((s[0] & 0xC0) != 0xC0 || len - valid >= pg_utf_mblen(s))
		return false;
	for (int i = 1; i < len - valid; i++)
		if ((s[i] & 0xC0) != 0x80)
			return false;
	return true;
}

/*
 * A chunk at a time, so that a cancel is seen between chunks.
 *
 * The chunk is checked as UTF-8 whole, which is fast (PostgreSQL's check
 * takes plain ASCII many bytes at a time), rather than each field of each
 * record.  Fields split at ASCII bytes, so every field of a valid chunk is
 * valid.  Records that may hold bytes of a chunk that is not (a bad byte,
 * a NUL) are checked field by field, so that the error names their line;
 * so is the record holding a character split by a chunk's end, whose bytes
 * on either side are left out of the chunks' checks.  Of the records
 * completed after a chunk, only the first can have begun in it.
 */
static void
feed_or_fail(CsvRun *run, AtlCsvReader *r, const char *data, size_t len)
{
	int			skip = run->split_char ? split_char_tail(data, (int) len) : 0;
	int			valid = skip + pg_encoding_verifymbstr(PG_UTF8, data + skip, (int) len - skip);

	CHECK_FOR_INTERRUPTS();
	run->split_char = valid < (int) len && ends_in_split_char(data, valid, (int) len);
	run->in_bad_chunk = valid < (int) len && !run->split_char;
	if (atl_csv_feed(r, data, len) != 0)
		reader_error(r);
	if (run->in_bad_chunk || run->split_char)
		run->check_next = true;
	run->in_bad_chunk = false;
}

static void
feed_data(CsvRun *run, AtlCsvReader *r, const char *data, size_t len)
{
	for (size_t done = 0; done < len; done += CHUNK)
		feed_or_fail(run, r, data + done, Min(CHUNK, len - done));
}

/* a file on the server: read as COPY FROM would be allowed to */
static void
feed_file(CsvRun *run, AtlCsvReader *r, const char *path)
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
		feed_or_fail(run, r, buf, n);
	if (ferror(f))
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not read file \"%s\": %m", path)));
	FreeFile(f);
}

/* parse the whole input, sending rows to the run's targets */
static void
run_input(CsvRun *run, const AtlCsvInput *in)
{
	AtlCsvReader reader;
	int			encoding = GetDatabaseEncoding();

	run->convert = encoding != PG_UTF8 && encoding != PG_SQL_ASCII;
	initStringInfo(&run->last_user);
	run->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "atlorg csv row",
										 ALLOCSET_DEFAULT_SIZES);
	run->dates = atl_csv_date_cache();
	if (atl_csv_init(&reader, MAX_FIELD, MAX_FIELDS, on_record, run) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("atlorg: could not initialize libcsv")));
	PG_TRY();
	{
		if (in->path)
			feed_file(run, &reader, in->path);
		else
			feed_data(run, &reader, in->data, in->len);
		/* the last record, if the input does not end with a line end */
		if (atl_csv_finish(&reader) != 0)
			reader_error(&reader);
		if (!run->have_layout)
			ereport(ERROR,
					(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
					 errmsg("the export file is empty")));
	}
	PG_FINALLY();
	{
		/* malloc'd, by code free of PostgreSQL */
		atl_csv_free(&reader);
		atl_csv_layout_free(&run->layout);
	}
	PG_END_TRY();
	if (run->rejected > MAX_WARNINGS)
		ereport(WARNING,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("skipped %ld rows of the export file in all", (long) run->rejected)));
}

/* ---- the two ways out -------------------------------------------------- */

static void
check_shape(TupleDesc desc, AtlCsvOutput kind)
{
	if (!atl_csv_desc_matches(desc, &atl_csv_shapes[kind]))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("atlorg: the %s rows' descriptor is not the one atlorg builds",
						atl_csv_shapes[kind].kind)));
}

void
atl_csv_read_to_store(const AtlCsvInput *in, AtlCsvOutput kind, bool skip_bad,
					  Tuplestorestate *store, TupleDesc desc)
{
	CsvRun		run;

	check_shape(desc, kind);
	memset(&run, 0, sizeof(run));
	/* rejects are also what skip_bad reports */
	run.skip_bad = skip_bad || kind == ATL_CSV_REJECTS_OUT;
	run.out[kind].wanted = true;
	run.out[kind].ncolumns = atl_csv_shapes[kind].ncolumns;
	run.out[kind].store = store;
	run.out[kind].desc = desc;
	run_input(&run, in);
}

static void
open_target(CsvTarget *t, Relation rel, AtlCsvOutput kind)
{
	check_shape(RelationGetDescr(rel), kind);
	t->wanted = true;
	t->ncolumns = atl_csv_shapes[kind].ncolumns;
	t->rel = rel;
	t->desc = RelationGetDescr(rel);
	t->slots = palloc(sizeof(TupleTableSlot *) * BATCH);
	for (int i = 0; i < BATCH; i++)
		t->slots[i] = MakeSingleTupleTableSlot(t->desc, &TTSOpsHeapTuple);
	t->bis = GetBulkInsertState();
	t->cid = GetCurrentCommandId(true);
	/* as COPY: a table new in this transaction has no free space to look for */
	t->options = rel->rd_createSubid != InvalidSubTransactionId ? TABLE_INSERT_SKIP_FSM : 0;
}

static void
close_target(CsvTarget *t)
{
	flush_target(t);
	FreeBulkInsertState(t->bis);
	table_finish_bulk_insert(t->rel, t->options);
	for (int i = 0; i < BATCH; i++)
		ExecDropSingleTupleTableSlot(t->slots[i]);
}

const char *
atl_csv_read_to_tables(const AtlCsvInput *in, Relation rels[ATL_CSV_N_OUTPUTS], bool skip_bad,
					   int64 rows[ATL_CSV_N_OUTPUTS])
{
	CsvRun		run;

	memset(&run, 0, sizeof(run));
	run.skip_bad = skip_bad;
	for (int k = 0; k < ATL_CSV_N_OUTPUTS; k++)
		open_target(&run.out[k], rels[k], (AtlCsvOutput) k);
	run_input(&run, in);
	for (int k = 0; k < ATL_CSV_N_OUTPUTS; k++)
	{
		close_target(&run.out[k]);
		rows[k] = run.out[k].rows;
	}
	return run.format;
}
