/*
 * libFuzzer target: the walk that reads a page's cursor off its tokens
 * before the page is checked (api_json_peek.c), so it meets whatever a
 * server sends.  Built against the frontend libpgcommon, whose json_lex is
 * the server's own.  Whatever the input, the walk must end (it keeps no
 * stack, so nesting is free), and what it finds must be a string.
 */
#include "postgres.h"

#include <stdint.h>

#include "mb/pg_wchar.h"

#include "api_json_peek.h"

/* the server's, which libpgcommon leaves out: a UTF-8 database */
int
GetDatabaseEncoding(void)
{
	return PG_UTF8;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text = malloc(size + 1);
	char	   *found;

	memcpy(text, data, size);
	text[size] = '\0';
	found = atl_json_peek(text, (int) size, "links", "next");
	if (found && strlen(found) > size)
		abort();				/* a cursor cannot be longer than the page */
	free(found);
	free(text);
	return 0;
}
