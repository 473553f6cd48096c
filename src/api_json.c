/*
 * api_json.c: JSON answers parsed by PostgreSQL (common/jsonapi.h, jsonb).
 */
#include "postgres.h"

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "api_json.h"
#include "http_text.h"

/*
 * Whatever jsonb_in would throw on, found beforehand without throwing, so
 * that reading an answer can never end the executor (nor give a backend an
 * error without a meaningful SQLSTATE):
 *   - nesting deeper than ATL_JSON_MAX_DEPTH: both parsers recurse, and too
 *     deep a recursion is "stack depth limit exceeded";
 *   - \u0000 and unpaired surrogates, which text cannot hold, and escapes
 *     beyond ASCII where the database encoding is not UTF-8 (their
 *     conversion throws when it fails);
 *   - numbers that numeric cannot hold;
 *   - a document whose jsonb would pass jsonb's size limit.
 * Only the text outside strings and the escapes inside them are looked at;
 * the grammar is pg_parse_json's to check.
 */
#define ATL_JSON_MAX_DEPTH 100
#define ATL_JSON_WHY_MAX 200	/* bytes of a parser's complaint kept */
#define NUMERIC_DSCALE_LIMIT 16383	/* numeric.c's NUMERIC_DSCALE_MAX */
#define NUMERIC_DWEIGHT_LIMIT 131071	/* NUMERIC_WEIGHT_MAX in decimal digits */
#define JSONB_VALUE_OVERHEAD 24 /* most a jsonb value costs beyond its text */
#define JSONB_SIZE_LIMIT 0x0FFFFFFF /* JENTRY_OFFLENMASK */

typedef struct JsonScan
{
	const char *p;
	const char *end;
	bool		utf8;			/* the database encoding is UTF-8 */
} JsonScan;

/* the code point of the \uXXXX at p (on the 'u'), or -1 if malformed */
static int
unicode_escape(const char *p, const char *end)
{
	int			cp = 0;

	if (end - p < 5)
		return -1;
	for (int i = 1; i <= 4; i++)
	{
		char		c = p[i];

		if (c >= '0' && c <= '9')
			cp = cp * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			cp = cp * 16 + (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			cp = cp * 16 + (c - 'A' + 10);
		else
			return -1;
	}
	return cp;
}

#define LONE_SURROGATE "a \\u escape is half of a surrogate pair"

/* a string, from its opening quote: NULL, or why text cannot hold it */
static const char *
scan_string(JsonScan *s)
{
	bool		high = false;	/* a high surrogate waits for its low half */

	for (s->p++; s->p < s->end && *s->p != '"'; s->p++)
	{
		int			cp;

		if (*s->p != '\\' || s->p + 1 >= s->end)
		{
			if (high)
				return LONE_SURROGATE;
			continue;
		}
		s->p++;
		if (*s->p != 'u' || (cp = unicode_escape(s->p, s->end)) < 0)
		{
			if (high)
				return LONE_SURROGATE;
			continue;			/* a malformed escape is the parser's to report */
		}
		s->p += 4;
		if (is_utf16_surrogate_first(cp) && high)
			return LONE_SURROGATE;
		if (is_utf16_surrogate_first(cp))
			high = true;
		else if (is_utf16_surrogate_second(cp) != high)
			return LONE_SURROGATE;
		else if (cp == 0)
			return "\\u0000 cannot be stored as text";
		else if (!s->utf8 && (high || cp > 0x7F))
			return "a \\u escape beyond ASCII needs a UTF8 database";
		else
			high = false;
	}
	if (s->p < s->end)
		s->p++;					/* the closing quote */
	return high ? LONE_SURROGATE : NULL;
}

static bool
is_digit(const JsonScan *s)
{
	return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

/* a number: NULL, or why numeric cannot hold it */
static const char *
scan_number(JsonScan *s)
{
	int64		int_digits = 0;
	int64		frac_digits = 0;
	int64		first_significant = -1;
	int64		exponent = 0;
	bool		negative_exponent = false;

	if (*s->p == '-')
		s->p++;
	for (; is_digit(s); s->p++, int_digits++)
		if (first_significant < 0 && *s->p != '0')
			first_significant = int_digits;
	if (s->p < s->end && *s->p == '.')
		for (s->p++; is_digit(s); s->p++, frac_digits++)
			if (first_significant < 0 && *s->p != '0')
				first_significant = int_digits + frac_digits;
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
	{
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			negative_exponent = *s->p++ == '-';
		for (; is_digit(s); s->p++)
			exponent = Min(exponent * 10 + (*s->p - '0'), PG_INT32_MAX);
	}
	if (negative_exponent)
		exponent = -exponent;
	/* numeric's scale: the digits after the point; its weight: the first significant one */
	if (frac_digits - exponent > NUMERIC_DSCALE_LIMIT ||
		(first_significant >= 0 &&
		 int_digits - 1 - first_significant + exponent > NUMERIC_DWEIGHT_LIMIT))
		return "a number is out of the range of numeric";
	return NULL;
}

/* NULL when jsonb_in can read the text without throwing; else why not */
static const char *
find_unstorable(const char *text, int len)
{
	JsonScan	s = {text, text + len, GetDatabaseEncoding() == PG_UTF8};
	int			depth = 0;
	int64		values = 1;

	while (s.p < s.end)
	{
		const char *why = NULL;
		char		c = *s.p;

		if (c == '"')
			why = scan_string(&s);
		else if (c == '-' || (c >= '0' && c <= '9'))
			why = scan_number(&s);
		else
		{
			if ((c == '[' || c == '{') && ++depth > ATL_JSON_MAX_DEPTH)
				return psprintf("it nests deeper than %d levels", ATL_JSON_MAX_DEPTH);
			if ((c == ']' || c == '}') && depth > 0)
				depth--;
			if (c == '[' || c == '{' || c == ',' || c == ':')
				values++;
			s.p++;
		}
		if (why)
			return why;
	}
	if ((int64) len + values * JSONB_VALUE_OVERHEAD > JSONB_SIZE_LIMIT)
		return "it is too large to read as jsonb";
	return NULL;
}

Jsonb *
atl_json_parse_doc(const char *text, int len, char **why)
{
	JsonLexContext *lex;
	JsonParseErrorType err;
	const char *unstorable = find_unstorable(text, len);

	if (unstorable)
	{
		*why = pstrdup(unstorable);
		return NULL;
	}

	/*
	 * Validate the syntax without throwing (recursing no deeper than
	 * find_unstorable() allowed), and without de-escaping (that would copy
	 * every string twice): find_unstorable() has checked the escapes
	 * jsonb_in would refuse.
	 */
	lex = makeJsonLexContextCstringLen((char *) text, len, GetDatabaseEncoding(), false);
	err = pg_parse_json(lex, &nullSemAction);
	if (err != JSON_SUCCESS)
	{
		char	   *detail = json_errdetail(err, lex);

		/* the complaint quotes the offending token, which may be huge or invalid */
		*why = atl_remote_text_clip(detail, strlen(detail), ATL_JSON_WHY_MAX);
		return NULL;
	}

	/*
	 * Valid JSON holds no NUL byte; bytes invalid in the database encoding
	 * (in its strings, the only place they can be) are replaced, so that
	 * they are never stored.
	 */
	text = atl_remote_text(text, len, &len);
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(pnstrdup(text, len))));
}

JsonbContainer *
atl_json_parse(const char *text, int len, char **why)
{
	Jsonb	   *jb = atl_json_parse_doc(text, len, why);

	return jb ? &jb->root : NULL;
}

static bool
lookup(JsonbContainer *obj, const char *key, JsonbValue *out)
{
	if (obj == NULL || !JsonContainerIsObject(obj))
		return false;
	return getKeyJsonValueFromContainer(obj, key, strlen(key), out) != NULL &&
		out->type != jbvNull;
}

JsonbContainer *
atl_json_object(JsonbContainer *obj, const char *key)
{
	JsonbValue	v;

	if (!lookup(obj, key, &v) || v.type != jbvBinary ||
		!JsonContainerIsObject(v.val.binary.data))
		return NULL;
	return v.val.binary.data;
}

JsonbContainer *
atl_json_array(JsonbContainer *obj, const char *key)
{
	JsonbValue	v;

	if (!lookup(obj, key, &v) || v.type != jbvBinary ||
		!JsonContainerIsArray(v.val.binary.data))
		return NULL;
	return v.val.binary.data;
}

char *
atl_jsonb_scalar_text(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		default:
			return NULL;
	}
}

char *
atl_json_text(JsonbContainer *obj, const char *key)
{
	JsonbValue	v;

	if (!lookup(obj, key, &v))
		return NULL;
	return atl_jsonb_scalar_text(&v);
}

bool
atl_json_bool(JsonbContainer *obj, const char *key, bool *isnull)
{
	JsonbValue	v;

	*isnull = !lookup(obj, key, &v) || v.type != jbvBool;
	return !*isnull && v.val.boolean;
}

int
atl_json_array_length(JsonbContainer *arr)
{
	return arr ? (int) JsonContainerSize(arr) : 0;
}

JsonbContainer *
atl_json_element_object(JsonbContainer *arr, int i)
{
	JsonbValue *v = getIthJsonbValueFromContainer(arr, (uint32) i);

	if (v == NULL || v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		return NULL;
	return v->val.binary.data;
}
