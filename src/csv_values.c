/*
 * csv_values.c: dates, statuses and product names of export files.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/datetime.h"

#include "csv_values.h"

/*
 * A direct-mapped cache: the last date parsed in each of 8192 buckets, by
 * a hash of its text.  Big enough that a file's dates (a month of recent
 * ones, years of older ones) rarely evict each other.
 */
#define DATE_CACHE 8192

typedef struct CachedDate
{
	char		text[24];
	AtlCsvDateKind kind;
	DateADT		value;
} CachedDate;

struct AtlCsvDateCache
{
	CachedDate	dates[DATE_CACHE];
};

static AtlCsvDateKind parse_date(const char *text, DateADT *out);

AtlCsvDateCache *
atl_csv_date_cache(void)
{
	return palloc0(sizeof(AtlCsvDateCache));
}

AtlCsvDateKind
atl_csv_date(AtlCsvDateCache *cache, const char *text, DateADT *out)
{
	size_t		len = strlen(text);
	CachedDate *c;

	if (len >= sizeof(c->text))
		return parse_date(text, out);
	c = &cache->dates[hash_bytes((const unsigned char *) text, (int) len) % DATE_CACHE];
	if (strcmp(c->text, text) != 0 || c->text[0] == '\0')
	{
		c->kind = parse_date(text, &c->value);
		memcpy(c->text, text, len + 1);
	}
	*out = c->value;
	return c->kind;
}

static AtlCsvDateKind
parse_date(const char *text, DateADT *out)
{
	char		workbuf[MAXDATELEN + 1];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf,
				dtype,
				tz;
	struct pg_tm tm;
	fsec_t		fsec;

	while (*text == ' ')
		text++;
	if (*text == '\0')
		return CSV_DATE_EMPTY;
	if (pg_strncasecmp(text, "never", 5) == 0)
		return CSV_DATE_NEVER;
	if (pg_strncasecmp(text, "not active", 10) == 0 || pg_strncasecmp(text, "before ", 7) == 0)
		return CSV_DATE_VAGUE;
	/* the date parser reports, never throws; DMY reads "3/1/2024" as Europeans write it */
	if (strlen(text) > MAXDATELEN ||
		ParseDateTime(text, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf) != 0 ||
		DecodeDateTime(field, ftype, nf, &dtype, &tm, &fsec, &tz) != 0 ||
		dtype != DTK_DATE || !IS_VALID_JULIAN(tm.tm_year, tm.tm_mon, tm.tm_mday))
		return CSV_DATE_BAD;
	*out = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
	return CSV_DATE_VALUE;
}

const char *
atl_csv_status(const char *text)
{
	static const char *const words[][2] = {
		{"active", "active"}, {"suspended", "suspended"}, {"deactivated", "deactivated"},
		{"inactive", "deactivated"}, {"disabled", "deactivated"}, {"closed", "closed"},
		{"invited", "active"}, {NULL, NULL}
	};

	for (int i = 0; words[i][0]; i++)
		if (pg_strcasecmp(text, words[i][0]) == 0)
			return words[i][1];
	return text[0] ? text : NULL;
}

const char *
atl_csv_active(const char *text)
{
	if (pg_strcasecmp(text, "yes") == 0 || pg_strcasecmp(text, "true") == 0)
		return "active";
	if (pg_strcasecmp(text, "no") == 0 || pg_strcasecmp(text, "false") == 0)
		return "deactivated";
	return text[0] ? text : NULL;
}

const char *
atl_csv_product_key(const char *app)
{
	static const char *const names[][2] = {
		{"jira software", "jira-software"}, {"jira", "jira-software"},
		{"jira service management", "jira-servicedesk"}, {"jira service desk", "jira-servicedesk"},
		{"jira work management", "jira-core"}, {"jira core", "jira-core"},
		{"confluence", "confluence"}, {"confluence guest", "confluence"},
		{"bitbucket", "bitbucket"}, {"jira product discovery", "jira-product-discovery"},
		{"trello", "trello"}, {"opsgenie", "opsgenie"}, {"statuspage", "statuspage"},
		{"loom", "loom"}, {"atlas", "atlas"}, {"goals", "atlas"}, {"projects", "atlas"},
		{"stride", "stride"}, {"feedback", "feedback"}, {NULL, NULL}
	};

	for (int i = 0; names[i][0]; i++)
		if (pg_strcasecmp(app, names[i][0]) == 0)
			return names[i][1];
	return app;
}
