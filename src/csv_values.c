/*
 * csv_values.c: dates, statuses and product names of export files.
 */
#include "postgres.h"

#include "utils/datetime.h"

#include "csv_values.h"

/*
 * An open-addressing table of the dates parsed so far, keyed by their text
 * (up to KEY_BYTES bytes, zero-padded, compared as words).  Files hold a
 * few thousand distinct dates, so the used slots stay few and close
 * together, where the processor's caches keep them: a date is looked up
 * four times a row, and a slot that is not in cache costs more than the
 * comparison.  When a probe finds no room, the table starts over, so it
 * stays this size whatever the file.
 */
#define DATE_SLOTS 4096			/* a power of two */
#define MAX_PROBES 8
#define KEY_WORDS 3
#define KEY_BYTES (KEY_WORDS * sizeof(uint64))

typedef struct CachedDate
{
	uint64		key[KEY_WORDS];	/* all zero: an empty slot */
	AtlCsvDateKind kind;
	DateADT		value;
} CachedDate;

struct AtlCsvDateCache
{
	CachedDate	slots[DATE_SLOTS];
};

static AtlCsvDateKind parse_date(const char *text, DateADT *out);

AtlCsvDateCache *
atl_csv_date_cache(void)
{
	return palloc0(sizeof(AtlCsvDateCache));
}

static uint32
key_hash(const uint64 *key)
{
	uint64		h = key[0] * UINT64CONST(0x9E3779B97F4A7C15);

	for (int i = 1; i < KEY_WORDS; i++)
		h = (h ^ key[i]) * UINT64CONST(0x9E3779B97F4A7C15);
	return (uint32) (h >> 32);
}

AtlCsvDateKind
atl_csv_date(AtlCsvDateCache *cache, const char *text, DateADT *out)
{
	uint64		key[KEY_WORDS] = {0};
	size_t		len = strlen(text);
	uint32		i;

	/* a text that fills the key would not be told from a longer one; "" is empty */
	if (len >= KEY_BYTES || len == 0)
		return parse_date(text, out);
	memcpy(key, text, len);
	i = key_hash(key);
	for (int probe = 0; probe < MAX_PROBES; probe++, i++)
	{
		CachedDate *c = &cache->slots[i % DATE_SLOTS];

		if (c->key[0] == 0)		/* not seen: parse it, keep it here */
		{
			c->kind = parse_date(text, &c->value);
			memcpy(c->key, key, sizeof(key));
		}
		else if (memcmp(c->key, key, sizeof(key)) != 0)
			continue;
		*out = c->value;
		return c->kind;
	}
	/* no room near its place: start over rather than grow */
	memset(cache, 0, sizeof(*cache));
	return atl_csv_date(cache, text, out);
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
