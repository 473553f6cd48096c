/*
 * json.c: JSON answers parsed by PostgreSQL (common/jsonapi.h, jsonb).
 */
#include "postgres.h"

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "json.h"

Jsonb *
atl_json_parse_doc(const char *text, int len, char **why)
{
	JsonLexContext *lex;
	JsonParseErrorType err;
	Jsonb	   *jb;

	/*
	 * Validate the syntax without throwing.  Escapes are not de-escaped here
	 * (that would copy every string twice); the rare escape jsonb cannot
	 * store (\u0000) is then jsonb_in's own error, with its SQLSTATE.
	 */
	lex = makeJsonLexContextCstringLen((char *) text, len, GetDatabaseEncoding(), false);
	err = pg_parse_json(lex, &nullSemAction);
	if (err != JSON_SUCCESS)
	{
		*why = json_errdetail(err, lex);
		return NULL;
	}
	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(pnstrdup(text, len))));
	return jb;
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
