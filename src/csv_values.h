/*
 * csv_values.h: the values of export files, in the API's vocabulary.
 */
#ifndef ATLORG_CSV_VALUES_H
#define ATLORG_CSV_VALUES_H

#include "utils/date.h"

typedef enum AtlCsvDateKind
{
	CSV_DATE_VALUE,				/* a date */
	CSV_DATE_EMPTY,				/* nothing: unknown, or no access */
	CSV_DATE_NEVER,				/* "Never accessed", "Never logged in" */
	CSV_DATE_VAGUE,				/* "Not active in the last 180 days", "Before 11 Feb 2017" */
	CSV_DATE_BAD				/* not a date at all */
} AtlCsvDateKind;

/*
 * Dates already parsed, by their text: exports repeat the same few thousand
 * dates a million times.  One per call, in its memory context (the parse
 * depends on DateStyle, which may change between calls).
 */
typedef struct AtlCsvDateCache AtlCsvDateCache;

extern AtlCsvDateCache *atl_csv_date_cache(void);

/* "3 Jan 2024", "2024-05-12", ... through PostgreSQL's own date parser */
extern AtlCsvDateKind atl_csv_date(AtlCsvDateCache *cache, const char *text, DateADT *out);

/* Active, Suspended, Deactivated, Inactive, Yes/No -> the API's status words */
extern const char *atl_csv_status(const char *text);
extern const char *atl_csv_active(const char *text);

/* an app's name in a header -> the API's product key */
extern const char *atl_csv_product_key(const char *app);

#endif
