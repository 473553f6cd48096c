/*
 * api_json.h: reading API answers with PostgreSQL's own JSON parser.
 *
 * atl_json_parse() checks the text with the jsonapi.h parser (which reports
 * errors instead of throwing) and then builds a jsonb value to walk.  The
 * accessors return NULL for absent keys and JSON nulls.
 */
#ifndef ATLORG_API_JSON_H
#define ATLORG_API_JSON_H

#include "utils/jsonb.h"

/* NULL when the text is not valid JSON; *why then says what is wrong */
extern Jsonb *atl_json_parse_doc(const char *text, int len, char **why);
extern JsonbContainer *atl_json_parse(const char *text, int len, char **why);

extern JsonbContainer *atl_json_object(JsonbContainer *obj, const char *key);
extern JsonbContainer *atl_json_array(JsonbContainer *obj, const char *key);
extern char *atl_json_text(JsonbContainer *obj, const char *key);
extern bool atl_json_bool(JsonbContainer *obj, const char *key, bool *isnull);

/* the i-th element of an array as an object (NULL if not an object) */
extern JsonbContainer *atl_json_element_object(JsonbContainer *arr, int i);
extern int	atl_json_array_length(JsonbContainer *arr);

/* a scalar as text: strings as is, numbers and booleans in JSON notation */
extern char *atl_jsonb_scalar_text(const JsonbValue *v);

#endif
