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

/* "3 Jan 2024", "2024-05-12", ... through PostgreSQL's own date parser */
extern AtlCsvDateKind atl_csv_date(const char *text, DateADT *out);
/* forget the dates parsed so far (they depend on DateStyle) */
extern void atl_csv_date_reset(void);

/* Active, Suspended, Deactivated, Inactive, Yes/No -> the API's status words */
extern const char *atl_csv_status(const char *text);
extern const char *atl_csv_active(const char *text);

/* an app's name in a header -> the API's product key */
extern const char *atl_csv_product_key(const char *app);

#endif
