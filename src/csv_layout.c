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
has_header(const AtlCsvRecord *header, const char *name, AtlCsvTick tick)
{
	char		buf[256];

	for (int i = 0; i < header->nfields; i++)
	{
		if (tick)
			tick();
		if (strcmp(normalize(header->fields[i], buf, sizeof(buf)), name) == 0)
			return true;
	}
	return false;
}

/*
 * Copies of the products' and sites' names, one after another in a buffer
 * sized for the whole header up front: a product and its site are disjoint
 * parts of one header, so a header of n bytes needs at most n + 2.  (Whole
 * names, never truncated: a cut could fall inside a UTF-8 character.)
 */
typedef struct TextArena
{
	char	   *buf;
	size_t		used;
} TextArena;

static const char *
arena_copy(TextArena *a, const char *s, size_t len)
{
	char	   *out = a->buf + a->used;

	memcpy(out, s, len);
	out[len] = '\0';
	a->used += len + 1;
	return out;
}

/* "<App> - <site>" into product and site; the site is after the last " - " */
static void
split_product(const char *text, AtlCsvColumn *col, TextArena *a)
{
	const char *dash = NULL;

	for (const char *p = strstr(text, " - "); p; p = strstr(p + 1, " - "))
		dash = p;
	if (dash)
	{
		col->product = arena_copy(a, text, (size_t) (dash - text));
		col->site = arena_copy(a, dash + 3, strlen(dash + 3));
	}
	else
		col->product = arena_copy(a, text, strlen(text));
}

static void
classify(const FormatSpec *spec, const char *raw, AtlCsvColumn *col, TextArena *a)
{
	char		buf[256];
	const char *h = normalize(raw, buf, sizeof(buf));
	size_t		plen = spec->last_seen_prefix ? strlen(spec->last_seen_prefix) : 0;

	col->role = ROLE_IGNORED;
	col->product = "";
	col->site = "";
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
		split_product(raw + plen, col, a);
		return;
	}
	col->role = h[0] ? spec->other : ROLE_IGNORED;
	if (col->role != ROLE_IGNORED)
		split_product(raw, col, a);
}

/* at most max bytes of s, ending on a UTF-8 character boundary */
static size_t
clip_utf8(const char *s, size_t max)
{
	size_t		len = strnlen(s, max);

	if (s[len] != '\0')
		while (len > 0 && ((unsigned char) s[len] & 0xC0) == 0x80)
			len--;
	return len;
}

/*
 * The headers, quoted, for an error message: each at most 200 bytes, and
 * as many as fit; cut only between characters, so the message stays valid
 * UTF-8 (the header was checked to be before the layout is asked).
 */
static void
list_headers(const AtlCsvRecord *header, char *out, size_t size)
{
	size_t		used = 0;

	out[0] = '\0';
	for (int i = 0; i < header->nfields; i++)
	{
		size_t		len = clip_utf8(header->fields[i], 200);

		if (used + len + 12 >= size)
		{
			snprintf(out + used, size - used, "%s...", i ? ", " : "");
			return;
		}
		used += snprintf(out + used, size - used, "%s\"%.*s\"", i ? ", " : "",
						 (int) len, header->fields[i]);
	}
}

/* the first format whose marker is a header, and whose required columns are there */
static const FormatSpec *
find_format(const AtlCsvRecord *header, AtlCsvTick tick, char *err, size_t errlen)
{
	const FormatSpec *spec = NULL;
	char		found[1800];

	for (size_t i = 0; i < NFORMATS && !spec; i++)
		if (has_header(header, formats[i].marker, tick))
			spec = &formats[i];
	if (!spec)
	{
		list_headers(header, found, sizeof(found));
		snprintf(err, errlen, "unknown export format|The known formats are Export users "
				 "(since 2021, 2019 to 2021, and 2018) and Export accounts. Headers found: %s.",
				 found);
		return NULL;
	}
	for (int r = 0; r < 4 && spec->required[r]; r++)
		if (!has_header(header, spec->required[r], tick))
		{
			list_headers(header, found, sizeof(found));
			snprintf(err, errlen, "the %s file has no \"%s\" column|Headers found: %s.",
					 spec->name, spec->required[r], found);
			return NULL;
		}
	return spec;
}

/*
 * "Group name" with "Group id" beside it is the pivot: one group a row.
 * Alone in a current file it is the option's default, "multiple groups
 * ... formatted as a comma-separated list" (REFERENCE.md §9.1, which
 * names "Group name" or "Groups" as its likely header).  A 2018 file's
 * group_name is one group a row.
 */
static void
group_name_as_list(AtlCsvLayout *layout)
{
	if (layout->format != ATL_CSV_USERS || layout->column_of[ROLE_GROUP_ID] >= 0 ||
		layout->column_of[ROLE_GROUP_NAME] < 0)
		return;
	for (int i = 0; i < layout->ncolumns; i++)
		if (layout->columns[i].role == ROLE_GROUP_NAME)
			layout->columns[i].role = ROLE_GROUP_LIST;
	if (layout->column_of[ROLE_GROUP_LIST] < 0 ||
		layout->column_of[ROLE_GROUP_NAME] < layout->column_of[ROLE_GROUP_LIST])
		layout->column_of[ROLE_GROUP_LIST] = layout->column_of[ROLE_GROUP_NAME];
	layout->column_of[ROLE_GROUP_NAME] = -1;
}

int
atl_csv_layout(const AtlCsvRecord *header, AtlCsvLayout *layout, AtlCsvTick tick,
			   char *err, size_t errlen)
{
	const FormatSpec *spec;
	TextArena	arena = {NULL, 0};
	size_t		text_size = 1;

	memset(layout, 0, sizeof(*layout));
	if ((spec = find_format(header, tick, err, errlen)) == NULL)
		return -1;
	for (int i = 0; i < header->nfields; i++)
		text_size += header->lens[i] + 2;
	layout->columns = calloc(header->nfields, sizeof(AtlCsvColumn));
	layout->text = arena.buf = malloc(text_size);
	if (layout->columns == NULL || layout->text == NULL)
	{
		atl_csv_layout_free(layout);
		snprintf(err, errlen, "out of memory|");
		return -1;
	}
	layout->format = spec->format;
	layout->ncolumns = header->nfields;
	for (int r = 0; r <= ROLE_PRODUCT_SITES; r++)
		layout->column_of[r] = -1;
	for (int i = 0; i < header->nfields; i++)
	{
		if (tick)
			tick();
		classify(spec, header->fields[i], &layout->columns[i], &arena);
		if (layout->column_of[layout->columns[i].role] < 0)
			layout->column_of[layout->columns[i].role] = i;
	}
	group_name_as_list(layout);
	return 0;
}

void
atl_csv_layout_free(AtlCsvLayout *layout)
{
	free(layout->columns);
	free(layout->text);
	layout->columns = NULL;
	layout->text = NULL;
	layout->ncolumns = 0;
}
