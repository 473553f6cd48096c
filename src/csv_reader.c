/*
 * csv_reader.c: libcsv driven a line at a time, so that every record knows
 * the physical line it starts on.  (libcsv itself keeps no positions.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_reader.h"

#define PIECE 65536				/* a long line is fed in pieces this size */

static void
set_error(AtlCsvReader *r, long line, const char *msg)
{
	if (r->error[0] == '\0')
	{
		snprintf(r->error, sizeof(r->error), "%s", msg);
		r->error_line = line;
	}
}

static void
clear_record(AtlCsvReader *r)
{
	r->rec.nfields = 0;
	r->rec.line = 0;
	r->arena_len = 0;
}

/* room for one more field in the record's arrays */
static bool
ensure_field_slot(AtlCsvReader *r)
{
	int			cap = r->cap ? r->cap * 2 : 32;
	char	  **f;
	size_t	   *l;
	size_t	   *o;

	if (r->rec.nfields < r->cap)
		return true;
	if ((f = realloc(r->rec.fields, sizeof(*f) * cap)) == NULL)
		return false;
	r->rec.fields = f;
	if ((l = realloc(r->rec.lens, sizeof(*l) * cap)) == NULL)
		return false;
	r->rec.lens = l;
	if ((o = realloc(r->offsets, sizeof(*o) * cap)) == NULL)
		return false;
	r->offsets = o;
	r->cap = cap;
	return true;
}

/* room for need more bytes in the arena */
static bool
ensure_arena(AtlCsvReader *r, size_t need)
{
	size_t		cap = r->arena_cap ? r->arena_cap : 4096;
	char	   *a;

	while (cap < r->arena_len + need)
		cap *= 2;
	if (cap == r->arena_cap)
		return true;
	if ((a = realloc(r->arena, cap)) == NULL)
		return false;
	r->arena = a;
	r->arena_cap = cap;
	return true;
}

/*
 * A field's bytes go into the record's arena (one allocation reused for
 * every record, rather than one per field); the pointers are set when the
 * record is complete, since the arena may move as it grows.
 */
static void
on_field(void *data, size_t len, void *arg)
{
	AtlCsvReader *r = arg;
	if (r->error[0] || r->stopped)
		return;
	if (r->rec.nfields == 0)
		r->rec.line = r->line;
	if (len > r->max_field)
	{
		r->too_long = true;
		set_error(r, r->rec.line, "a field is longer than the limit");
		return;
	}
	if (r->rec.nfields >= r->max_fields)
	{
		r->too_many = true;
		set_error(r, r->rec.line, "a record has more fields than the limit");
		return;
	}
	if (!ensure_field_slot(r) || !ensure_arena(r, len + 1))
	{
		set_error(r, r->rec.line, "out of memory");
		return;
	}
	memcpy(r->arena + r->arena_len, data ? data : "", len);
	r->arena[r->arena_len + len] = '\0';
	r->offsets[r->rec.nfields] = r->arena_len;
	r->rec.lens[r->rec.nfields++] = len;
	r->arena_len += len + 1;
}

static void
on_row(int terminator, void *arg)
{
	AtlCsvReader *r = arg;

	if (!r->error[0] && !r->stopped && r->rec.nfields > 0)
	{
		for (int i = 0; i < r->rec.nfields; i++)
			r->rec.fields[i] = r->arena + r->offsets[i];
		r->records++;
		if (r->on_record(r->arg, &r->rec) != 0)
			r->stopped = true;
	}
	clear_record(r);
}

int
atl_csv_init(AtlCsvReader *r, size_t max_field, int max_fields, AtlCsvRecordFn fn, void *arg)
{
	memset(r, 0, sizeof(*r));
	r->max_field = max_field;
	r->max_fields = max_fields;
	r->on_record = fn;
	r->arg = arg;
	r->line = 1;
	r->at_start = true;
	return csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI) == 0 ? 0 : -1;
}

/* feed one piece that holds at most one line ending, at its end */
static int
feed_piece(AtlCsvReader *r, const char *data, size_t len)
{
	if (csv_parse(&r->parser, data, len, on_field, on_row, r) != len)
		set_error(r, r->rec.nfields ? r->rec.line : r->line,
				  csv_error(&r->parser) == CSV_EPARSE ?
				  "malformed quoting: a quote inside an unquoted field, or a quoted field that never closes" :
				  csv_strerror(csv_error(&r->parser)));
	/* libcsv buffers a field until it ends: do not let it grow unbounded */
	if (!r->error[0] && csv_get_buffer_size(&r->parser) > r->max_field + PIECE)
	{
		r->too_long = true;
		set_error(r, r->rec.nfields ? r->rec.line : r->line, "a field is longer than the limit");
	}
	return r->error[0] ? -1 : 0;
}

int
atl_csv_feed(AtlCsvReader *r, const char *data, size_t len)
{
	if (r->at_start && len > 0)
	{
		if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		{
			data += 3;
			len -= 3;
		}
		r->at_start = false;
	}
	while (len > 0 && !r->error[0] && !r->stopped)
	{
		const char *nl = memchr(data, '\n', len < PIECE ? len : PIECE);
		size_t		n = nl ? (size_t) (nl - data) + 1 : (len < PIECE ? len : PIECE);

		if (feed_piece(r, data, n) != 0)
			return -1;
		if (nl)
			r->line++;
		data += n;
		len -= n;
	}
	return r->error[0] ? -1 : 0;
}

int
atl_csv_finish(AtlCsvReader *r)
{
	if (!r->error[0] && !r->stopped &&
		csv_fini(&r->parser, on_field, on_row, r) != 0)
		set_error(r, r->rec.nfields ? r->rec.line : r->line,
				  "the file ends inside a quoted field");
	return r->error[0] ? -1 : 0;
}

void
atl_csv_free(AtlCsvReader *r)
{
	clear_record(r);
	free(r->rec.fields);
	free(r->rec.lens);
	free(r->offsets);
	free(r->arena);
	r->rec.fields = NULL;
	r->rec.lens = NULL;
	r->offsets = NULL;
	r->arena = NULL;
	r->cap = 0;
	r->arena_cap = 0;
	csv_free(&r->parser);
}
