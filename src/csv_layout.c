/*
 * csv_layout.c: the export formats, recognised by their header names
 * (REFERENCE.md §9 in the design notes has the sources).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv_layout.h"

typedef struct Named
{
	const char *header;			/* lower case */
	AtlCsvRole	role;
} Named;

typedef struct FormatSpec
{
	AtlCsvFormat format;
	const char *name;
	const char *marker;			/* the header that says it is this format */
	const char *required[4];	/* and what it cannot do without */
	const Named *named;
	const char *last_seen_prefix;	/* "last seen in " etc. */
	AtlCsvRole	other;			/* a header not recognised otherwise */
} FormatSpec;

static const Named users_2021[] = {
	{"user id", ROLE_ID}, {"user name", ROLE_NAME}, {"email", ROLE_EMAIL},
	{"user status", ROLE_STATUS}, {"added to org", ROLE_ADDED}, {"org role", ROLE_ORG_ROLE},
	{"group id", ROLE_GROUP_ID}, {"group name", ROLE_GROUP_NAME}, {"groups", ROLE_GROUP_LIST},
	{NULL}
};
static const Named users_2019[] = {
	{"id", ROLE_ID}, {"name", ROLE_NAME}, {"full name", ROLE_NAME}, {"display name", ROLE_NAME},
	{"email", ROLE_EMAIL}, {"created", ROLE_ADDED}, {"active", ROLE_ACTIVE}, {NULL}
};
static const Named users_2018[] = {
	{"username", ROLE_ID}, {"full_name", ROLE_NAME}, {"email", ROLE_EMAIL},
	{"active", ROLE_ACTIVE}, {"created", ROLE_ADDED}, {"group_name", ROLE_GROUP_NAME},
	{"last_login", ROLE_IGNORED}, {"last_session", ROLE_IGNORED}, {NULL}
};
static const Named accounts[] = {
	{"name", ROLE_NAME}, {"email", ROLE_EMAIL}, {"atlassian id", ROLE_ID},
	{"status", ROLE_STATUS}, {"last active date [utc]", ROLE_LAST_ACTIVE},
	{"last active", ROLE_LAST_ACTIVE}, {"claimed", ROLE_IGNORED}, {"billable", ROLE_IGNORED},
	{"policy type", ROLE_IGNORED}, {"saml single sign-on", ROLE_IGNORED},
	{"two-step verification", ROLE_IGNORED}, {"verified email", ROLE_IGNORED}, {NULL}
};

/* checked in this order: the most specific marker first */
static const FormatSpec formats[] = {
	{ATL_CSV_ACCOUNTS, "Export accounts", "atlassian id", {"atlassian id", "email"},
	accounts, NULL, ROLE_PRODUCT_SITES},
	{ATL_CSV_USERS, "Export users (since 2021)", "user id", {"user id", "email"},
	users_2021, "last seen in ", ROLE_ACCESS},
	{ATL_CSV_USERS_2018, "Export users (2018)", "username", {"username", "email", "active"},
	users_2018, "last active in ", ROLE_ACCESS},
	{ATL_CSV_USERS_2019, "Export users (2019 to 2021)", "id", {"id", "email", "active"},
	users_2019, "last seen in ", ROLE_IGNORED},
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

const char *
atl_csv_format_name(AtlCsvFormat format)
{
	for (size_t i = 0; i < NFORMATS; i++)
		if (formats[i].format == format)
			return formats[i].name;
	return "?";
}

/* a header, trimmed and lower-cased, into buf */
static const char *
normalize(const char *h, char *buf, size_t size)
{
	size_t		n = 0;

	while (isspace((unsigned char) *h))
		h++;
	while (*h && n + 1 < size)
		buf[n++] = (char) tolower((unsigned char) *h++);
	while (n > 0 && isspace((unsigned char) buf[n - 1]))
		n--;
	buf[n] = '\0';
	return buf;
}

static bool
has_header(const AtlCsvRecord *header, const char *name)
{
	char		buf[256];

	for (int i = 0; i < header->nfields; i++)
		if (strcmp(normalize(header->fields[i], buf, sizeof(buf)), name) == 0)
			return true;
	return false;
}

/* "<App> - <site>" into product and site; the site is after the last " - " */
static void
split_product(const char *text, AtlCsvColumn *col)
{
	const char *dash = NULL;

	for (const char *p = strstr(text, " - "); p; p = strstr(p + 1, " - "))
		dash = p;
	if (dash)
	{
		snprintf(col->product, sizeof(col->product), "%.*s", (int) (dash - text), text);
		snprintf(col->site, sizeof(col->site), "%s", dash + 3);
	}
	else
		snprintf(col->product, sizeof(col->product), "%s", text);
}

static void
classify(const FormatSpec *spec, const char *raw, AtlCsvColumn *col)
{
	char		buf[256];
	const char *h = normalize(raw, buf, sizeof(buf));
	size_t		plen = spec->last_seen_prefix ? strlen(spec->last_seen_prefix) : 0;

	memset(col, 0, sizeof(*col));
	for (const Named *n = spec->named; n->header; n++)
		if (strcmp(h, n->header) == 0)
		{
			col->role = n->role;
			return;
		}
	/* the original spelling of the product, not the lower-cased one */
	while (isspace((unsigned char) *raw))
		raw++;
	if (plen && strncmp(h, spec->last_seen_prefix, plen) == 0)
	{
		col->role = ROLE_LAST_SEEN;
		split_product(raw + plen, col);
		return;
	}
	col->role = h[0] ? spec->other : ROLE_IGNORED;
	if (col->role != ROLE_IGNORED)
		split_product(raw, col);
}

static void
list_headers(const AtlCsvRecord *header, char *out, size_t len)
{
	size_t		used = 0;

	out[0] = '\0';
	for (int i = 0; i < header->nfields && used + 1 < len; i++)
		used += snprintf(out + used, len - used, "%s\"%s\"", i ? ", " : "", header->fields[i]);
}

int
atl_csv_layout(const AtlCsvRecord *header, AtlCsvLayout *layout, char *err, size_t errlen)
{
	const FormatSpec *spec = NULL;
	char		found[1800];

	memset(layout, 0, sizeof(*layout));
	list_headers(header, found, sizeof(found));
	for (size_t i = 0; i < NFORMATS && !spec; i++)
		if (has_header(header, formats[i].marker))
			spec = &formats[i];
	if (!spec)
	{
		snprintf(err, errlen, "unknown export format|The known formats are Export users "
				 "(since 2021, 2019 to 2021, and 2018) and Export accounts. Headers found: %s.",
				 found);
		return -1;
	}
	for (int r = 0; r < 4 && spec->required[r]; r++)
		if (!has_header(header, spec->required[r]))
		{
			snprintf(err, errlen, "the %s file has no \"%s\" column|Headers found: %s.",
					 spec->name, spec->required[r], found);
			return -1;
		}
	layout->format = spec->format;
	layout->ncolumns = header->nfields;
	layout->columns = calloc(header->nfields, sizeof(AtlCsvColumn));
	if (layout->columns == NULL)
	{
		snprintf(err, errlen, "out of memory|");
		return -1;
	}
	for (int r = 0; r <= ROLE_PRODUCT_SITES; r++)
		layout->column_of[r] = -1;
	for (int i = 0; i < header->nfields; i++)
	{
		classify(spec, header->fields[i], &layout->columns[i]);
		if (layout->column_of[layout->columns[i].role] < 0)
			layout->column_of[layout->columns[i].role] = i;
	}
	return 0;
}

void
atl_csv_layout_free(AtlCsvLayout *layout)
{
	free(layout->columns);
	layout->columns = NULL;
}
