/*
 * csv_list.c: the items of a comma-separated list held in one field (see
 * csv_list.h for the grammar).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "csv_list.h"

typedef struct Items
{
	char	   *buf;			/* the items, one after another */
	size_t		used;
	size_t	   *lens;			/* of each item */
	size_t		n;
	size_t		cap;			/* of lens; buf never needs more than the list */
	bool		oom;
} Items;

static bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
add_item(Items *items, const char *s, size_t len)
{
	if (items->oom)
		return;
	if (items->n == items->cap)
	{
		size_t		cap = items->cap ? items->cap * 2 : 16;
		size_t	   *lens = realloc(items->lens, cap * sizeof(*lens));

		if (lens == NULL)
		{
			items->oom = true;
			return;
		}
		items->lens = lens;
		items->cap = cap;
	}
	memcpy(items->buf + items->used, s, len);
	items->used += len;
	items->lens[items->n++] = len;
}

/* libcsv's field callback: a quoted item comes without its quotes */
static void
on_field(void *data, size_t len, void *arg)
{
	add_item(arg, data ? data : "", len);
}

/* the list as CSV; false if it is not valid CSV (or memory ran out) */
static bool
parse_quoted(const char *text, size_t len, Items *items)
{
	struct csv_parser p;
	bool		ok;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
	{
		items->oom = true;
		return false;
	}
	ok = csv_parse(&p, text, len, on_field, NULL, items) == len &&
		csv_fini(&p, on_field, NULL, items) == 0;
	if (!ok && csv_error(&p) != CSV_EPARSE)
		items->oom = true;
	csv_free(&p);
	return ok && !items->oom;
}

/* the text between commas, trimmed */
static void
split_plain(const char *text, size_t len, Items *items)
{
	size_t		start = 0;

	for (size_t i = 0; i <= len; i++)
		if (i == len || text[i] == ',')
		{
			size_t		b = start,
						e = i;

			while (b < e && is_blank((unsigned char) text[b]))
				b++;
			while (e > b && is_blank((unsigned char) text[e - 1]))
				e--;
			add_item(items, text + b, e - b);
			start = i + 1;
		}
}

int
atl_csv_list(const char *text, size_t len, AtlCsvItemFn fn, void *arg)
{
	Items		items = {0};
	size_t		at = 0;

	if (len == 0)
		return 0;
	/* items are never longer than the list they come from */
	if ((items.buf = malloc(len)) == NULL)
		return -1;
	if (!parse_quoted(text, len, &items) && !items.oom)
	{
		items.used = items.n = 0;
		split_plain(text, len, &items);
	}
	if (!items.oom)
		for (size_t i = 0; i < items.n; at += items.lens[i++])
			if (items.lens[i] > 0)
				fn(arg, items.buf + at, items.lens[i]);
	free(items.buf);
	free(items.lens);
	return items.oom ? -1 : 0;
}
