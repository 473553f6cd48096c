/*
 * libFuzzer target: the CSV-to-row path of atlorg's export import, exactly
 * as the extension runs it (csv_reader.c, csv_layout.c and csv_list.c are free of
 * PostgreSQL for this reason).  The input is fed in two pieces split at a
 * point the input chooses, so incremental feeding is exercised too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv_layout.h"
#include "csv_list.h"
#include "csv_reader.h"

typedef struct FuzzRun
{
	AtlCsvLayout layout;
	int			have_layout;
	size_t		touched;
} FuzzRun;

/* every item must lie within its list */
static void
on_item(void *arg, const char *item, size_t len)
{
	FuzzRun    *run = arg;

	for (size_t i = 0; i < len; i++)
		run->touched += (unsigned char) item[i];
}

static int
on_record(void *arg, const AtlCsvRecord *rec)
{
	FuzzRun    *run = arg;
	char		err[600];

	if (!run->have_layout)
	{
		/* an unknown header stops the import, as in the extension */
		if (atl_csv_layout(rec, &run->layout, NULL, err, sizeof(err)) != 0)
			return 1;
		run->have_layout = 1;
		/* every column's product and site are strings of their own */
		for (int i = 0; i < run->layout.ncolumns; i++)
			run->touched += strlen(run->layout.columns[i].product) +
				strlen(run->layout.columns[i].site);
		return 0;
	}
	for (int i = 0; i < rec->nfields; i++)
		run->touched += rec->lens[i] + (rec->fields[i][rec->lens[i]] == '\0');
	/* every column the layout names must exist in a row of the right width */
	if (rec->nfields == run->layout.ncolumns)
		for (int r = 0; r <= ROLE_PRODUCT_SITES; r++)
			if (run->layout.column_of[r] >= 0)
				run->touched += strlen(rec->fields[run->layout.column_of[r]]);
	/* a group list, as the extension reads one (any field will do) */
	if (rec->nfields > 0)
		(void) atl_csv_list(rec->fields[0], rec->lens[0], on_item, run);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	AtlCsvReader reader;
	FuzzRun		run = {0};
	size_t		split = size ? data[0] % (size + 1) : 0;

	/* small limits, so that inputs reach them */
	if (atl_csv_init(&reader, 4096, 256, on_record, &run) != 0)
		return 0;
	if (atl_csv_feed(&reader, (const char *) data, split) == 0 &&
		atl_csv_feed(&reader, (const char *) data + split, size - split) == 0)
		(void) atl_csv_finish(&reader);
	atl_csv_free(&reader);
	if (run.have_layout)
		atl_csv_layout_free(&run.layout);
	return 0;
}
