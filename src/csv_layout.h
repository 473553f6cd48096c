/*
 * csv_layout.h: which admin-console export a CSV file is, and what each of
 * its columns holds, from the header row alone (by name, never position).
 *
 * Free of PostgreSQL, like csv_reader.h, for the fuzz target.
 */
#ifndef ATLORG_CSV_LAYOUT_H
#define ATLORG_CSV_LAYOUT_H

#include "csv_reader.h"

typedef enum AtlCsvFormat
{
	ATL_CSV_USERS,				/* "Export users", since September 2021 */
	ATL_CSV_USERS_2019,			/* "Export users", 2019 to 2021 */
	ATL_CSV_USERS_2018,			/* "Export users", about 2018 */
	ATL_CSV_ACCOUNTS			/* "Export accounts" (managed accounts) */
} AtlCsvFormat;

typedef enum AtlCsvRole
{
	ROLE_IGNORED,
	ROLE_ID,					/* account id (or username in 2018 files) */
	ROLE_NAME,
	ROLE_EMAIL,
	ROLE_STATUS,				/* Active, Suspended, Deactivated, ... */
	ROLE_ACTIVE,				/* Yes / No */
	ROLE_ADDED,					/* added to org, or created */
	ROLE_ORG_ROLE,
	ROLE_GROUP_ID,				/* pivoted: one group a row */
	ROLE_GROUP_NAME,			/* pivoted: one group a row */
	ROLE_GROUP_LIST,			/* a comma-separated list of group names */
	ROLE_ACCESS,				/* product access: a role, or Yes / No */
	ROLE_LAST_SEEN,				/* last seen in a product */
	ROLE_LAST_ACTIVE,			/* last active anywhere (Export accounts) */
	ROLE_PRODUCT_SITES			/* sites with access to a product (Export accounts) */
} AtlCsvRole;

typedef struct AtlCsvColumn
{
	AtlCsvRole	role;
	const char *product;		/* for access, last-seen and site columns; "" else */
	const char *site;			/* "" when the header names none */
} AtlCsvColumn;

typedef struct AtlCsvLayout
{
	AtlCsvFormat format;
	int			ncolumns;
	AtlCsvColumn *columns;		/* malloc'd */
	char	   *text;			/* malloc'd: the products' and sites' bytes */
	int			column_of[ROLE_PRODUCT_SITES + 1];	/* -1: absent; first of a role */
} AtlCsvLayout;

/*
 * Called once per header column by every loop over them, so that the
 * extension can honour a cancel (it may not return); NULL for none.
 */
typedef void (*AtlCsvTick) (void);

/*
 * 0, or -1 with a message in err: an unknown format, a missing column.
 * Linear in the header's bytes.  On -1 the layout holds nothing; otherwise
 * (and also when tick does not return) atl_csv_layout_free frees it.
 */
extern int	atl_csv_layout(const AtlCsvRecord *header, AtlCsvLayout *layout,
						   AtlCsvTick tick, char *err, size_t errlen);
extern void atl_csv_layout_free(AtlCsvLayout *layout);
extern const char *atl_csv_format_name(AtlCsvFormat format);

#endif
