/*
 * csv_reader.h: CSV records from a byte stream, through libcsv.
 *
 * Free of PostgreSQL (it uses malloc), so that the fuzz target in
 * test/fuzz can drive exactly the code the extension runs.  Input is fed
 * in pieces of any size; the reader strips a UTF-8 byte order mark, hands
 * each record to a callback with the physical line it starts on (quoted
 * fields may span lines), and stops with an error on a malformed quote, a
 * field longer than max_field or a record of more than max_fields fields.
 * Blank lines are not records.
 *
 * Work is linear in the input: a record's fields are kept in arrays that
 * grow by doubling, and the field cap bounds what one record can make the
 * caller do per row (the header's columns are every row's columns).
 */
#ifndef ATLORG_CSV_READER_H
#define ATLORG_CSV_READER_H

#include <stdbool.h>
#include <stddef.h>

#include <csv.h>

typedef struct AtlCsvRecord
{
	long		line;			/* physical line the record starts on, 1-based */
	int			nfields;
	char	  **fields;			/* NUL-terminated copies */
	size_t	   *lens;
} AtlCsvRecord;

/* returns 0 to go on, non-zero to stop the reader */
typedef int (*AtlCsvRecordFn) (void *arg, const AtlCsvRecord *record);

typedef struct AtlCsvReader
{
	struct csv_parser parser;
	size_t		max_field;		/* bytes in one field */
	int			max_fields;		/* fields in one record */
	AtlCsvRecordFn on_record;
	void	   *arg;
	AtlCsvRecord rec;			/* the record being assembled */
	int			cap;			/* of rec.fields */
	char	   *arena;			/* the record's field bytes, one after another */
	size_t		arena_len;
	size_t		arena_cap;
	size_t	   *offsets;		/* where each field starts in the arena */
	long		line;			/* physical line being fed */
	long		records;		/* records handed over */
	bool		at_start;		/* nothing fed yet: a BOM may come */
	bool		stopped;		/* the callback asked to stop */
	bool		too_long;		/* the error is max_field */
	bool		too_many;		/* the error is max_fields */
	char		error[256];		/* "" while all is well */
	long		error_line;
} AtlCsvReader;

extern int	atl_csv_init(AtlCsvReader *r, size_t max_field, int max_fields,
						 AtlCsvRecordFn fn, void *arg);
/* 0 on success; otherwise r->error and r->error_line say what and where */
extern int	atl_csv_feed(AtlCsvReader *r, const char *data, size_t len);
extern int	atl_csv_finish(AtlCsvReader *r);
extern void atl_csv_free(AtlCsvReader *r);

#endif
