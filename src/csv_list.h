/*
 * csv_list.h: a list of names inside one field of an export, such as the
 * group column of an "Export users" file that is not pivoted ("By default,
 * multiple groups are formatted as a comma-separated list", REFERENCE.md
 * §9.1).
 *
 * Free of PostgreSQL, like csv_reader.h, for the fuzz target.
 */
#ifndef ATLORG_CSV_LIST_H
#define ATLORG_CSV_LIST_H

#include <stddef.h>

/*
 * One item, len bytes (not NUL-terminated).  It is called once libcsv is
 * done; should it longjmp (an out-of-memory error), only the list's copy,
 * at most the list's length, is lost.
 */
typedef void (*AtlCsvItemFn) (void *arg, const char *item, size_t len);

/*
 * Calls fn for each non-empty item of the list in text[0..len), in order.
 * The list is read as one CSV record (libcsv, strict): items are separated
 * by commas, spaces and tabs around an item are not part of it, and a name
 * holding a comma or a quote is in double quotes, a quote in it doubled
 * ("a, b", "say ""hi"""); line breaks outside quotes separate items too.
 * A list that is not valid so (a quote inside a name that is not quoted, a
 * quote never closed) has no quoted names: its items are then the text
 * between commas, trimmed, quotes and all.  Empty items are dropped.
 * Returns 0, or -1 when out of memory (fn may have been called already).
 */
extern int	atl_csv_list(const char *text, size_t len, AtlCsvItemFn fn, void *arg);

#endif
