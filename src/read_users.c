/*
 * read_users.c: atl_users(), the organization's directory as rows.
 *
 * Pages through POST .../directories/{directoryId}/users/search (100 users a
 * page, the cursor in the body) into a tuplestore, which spills to disk past
 * work_mem, so memory stays bounded however large the organization.  Each
 * page is parsed in its own memory context, reset before the next.
 */
#include "postgres.h"

#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "api_json.h"
#include "guard_declared.h"
#include "api_pager.h"
#include "fdw_source.h"
#include "read_users.h"

/* the OUT columns of atl_users(), in order */
enum UserColumn
{
	COL_ACCOUNT_ID, COL_NAME, COL_NICKNAME, COL_EMAIL, COL_EMAIL_VERIFIED,
	COL_STATUS, COL_ACCOUNT_STATUS, COL_MEMBERSHIP_STATUS, COL_CLAIM_STATUS,
	COL_MANAGEMENT_SOURCE, COL_ADDED_TO_ORG, COL_MFA_ENABLED, COL_JOB_TITLE,
	COL_DEPARTMENT, COL_ORGANIZATION, COL_LOCATION, COL_TIME_ZONE,
	COL_PLATFORM_ROLES, COL_GROUPS, COL_GROUP_IDS, COL_PRODUCTS, COL_LAST_ACTIVE,
	COL_PRODUCT_LAST_ACTIVE, COL_PRODUCT_ACCESS, USER_NCOLUMNS
};

typedef struct UserRow
{
	Datum		values[USER_NCOLUMNS];
	bool		nulls[USER_NCOLUMNS];
} UserRow;

/* the SQL arguments that become users/search filters, in argument order */
static const struct
{
	const char *name;			/* the API's body field */
	bool		is_array;
}			user_filters[] = {
	{"status", true}, {"accountStatus", true}, {"membershipStatus", true},
	{"claimStatus", false}, {"emailDomains", true}, {"emails", true},
	{"groupIds", true}, {"roleIds", true}, {"searchTerm", false},
};

#define ARG_MAX_ROWS lengthof(user_filters)
#define ARG_SERVER (ARG_MAX_ROWS + 1)

/* the users/search body members: the filters given, and the expansions */
static char *
search_body_fields(FunctionCallInfo fcinfo)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, ATL_USERS_EXPAND);
	for (int i = 0; i < lengthof(user_filters); i++)
	{
		if (PG_ARGISNULL(i))
			continue;
		appendStringInfo(&buf, ",\"%s\":", user_filters[i].name);
		if (user_filters[i].is_array)
			appendStringInfoString(&buf, TextDatumGetCString(
								   DirectFunctionCall1(array_to_json, PG_GETARG_DATUM(i))));
		else
			escape_json(&buf, TextDatumGetCString(PG_GETARG_DATUM(i)));
	}
	return buf.data;
}

static TimestampTz
parse_timestamptz(const char *text)
{
	return DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
												   CStringGetDatum(text),
												   ObjectIdGetDatum(InvalidOid),
												   Int32GetDatum(-1)));
}

static void
set_text(UserRow *row, int col, const char *text)
{
	row->nulls[col] = text == NULL;
	if (text)
		row->values[col] = CStringGetTextDatum(text);
}

static void
set_timestamptz(UserRow *row, int col, const char *text)
{
	row->nulls[col] = text == NULL;
	if (text)
		row->values[col] = TimestampTzGetDatum(parse_timestamptz(text));
}

static void
set_bool(UserRow *row, int col, JsonbContainer *user, const char *key)
{
	row->values[col] = BoolGetDatum(atl_json_bool(user, key, &row->nulls[col]));
}

/* a group's bare id: the last segment of its ARI (ari:cloud:identity::group/<id>) */
static char *
bare_id(const char *ari)
{
	const char *slash = ari ? strrchr(ari, '/') : NULL;

	return slash ? pstrdup(slash + 1) : (char *) ari;
}

/* text[] from an array of strings, or of objects' `field` when given */
static void
set_text_array(UserRow *row, int col, JsonbContainer *arr, const char *field)
{
	int			n = atl_json_array_length(arr);
	ArrayBuildState *astate = initArrayResult(TEXTOID, CurrentMemoryContext, false);

	for (int i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(arr, i);
		char	   *text = NULL;

		if (field && v->type == jbvBinary)
			text = atl_json_text(v->val.binary.data, field);
		if (text && col == COL_GROUP_IDS)
			text = bare_id(text);
		else if (!field)
			text = atl_jsonb_scalar_text(v);
		if (text)
			accumArrayResult(astate, CStringGetTextDatum(text), false, TEXTOID,
							 CurrentMemoryContext);
	}
	row->nulls[col] = arr == NULL;
	if (arr)
		row->values[col] = makeArrayResult(astate, CurrentMemoryContext);
}

/* a product key and its most recent activity on any site */
typedef struct ProductActivity
{
	char	   *key;
	char	   *latest_text;	/* as the API wrote it; NULL: never used */
	TimestampTz latest;
} ProductActivity;

/* fold the productAccess entries into one per product key */
static int
collect_products(JsonbContainer *access, ProductActivity *out)
{
	int			n = 0;

	for (int i = 0; i < atl_json_array_length(access); i++)
	{
		JsonbContainer *p = atl_json_element_object(access, i);
		char	   *key = atl_json_text(p, "key");
		char	   *ts = atl_json_text(p, "lastActiveTimestamp");
		TimestampTz t = ts ? parse_timestamptz(ts) : DT_NOBEGIN;
		int			j;

		if (key == NULL)
			continue;
		for (j = 0; j < n && strcmp(out[j].key, key) != 0; j++)
			;
		if (j == n)
			out[n++] = (ProductActivity) {key, NULL, DT_NOBEGIN};
		if (ts && t > out[j].latest)
		{
			out[j].latest = t;
			out[j].latest_text = ts;
		}
	}
	return n;
}

/*
 * productAccess becomes: products (text[]), the latest activity overall,
 * and product_last_active, a jsonb map of product key -> latest activity in
 * that product (null when never used), so that "inactive in Jira Software
 * for 90 days" is atl_inactive(product_last_active, 'jira-software', '90 days').
 */
static void
set_product_activity(UserRow *row, JsonbContainer *access)
{
	ProductActivity *products = palloc(sizeof(ProductActivity) *
									   Max(atl_json_array_length(access), 1));
	int			n = collect_products(access, products);
	StringInfoData map;
	TimestampTz latest = DT_NOBEGIN;
	ArrayBuildState *keys = initArrayResult(TEXTOID, CurrentMemoryContext, false);

	initStringInfo(&map);
	appendStringInfoChar(&map, '{');
	for (int i = 0; i < n; i++)
	{
		latest = Max(latest, products[i].latest);
		accumArrayResult(keys, CStringGetTextDatum(products[i].key), false,
						 TEXTOID, CurrentMemoryContext);
		if (i > 0)
			appendStringInfoChar(&map, ',');
		escape_json(&map, products[i].key);
		appendStringInfoChar(&map, ':');
		if (products[i].latest_text)
			escape_json(&map, products[i].latest_text);
		else
			appendStringInfoString(&map, "null");
	}
	appendStringInfoChar(&map, '}');

	row->nulls[COL_PRODUCTS] = row->nulls[COL_PRODUCT_LAST_ACTIVE] = access == NULL;
	if (access)
	{
		row->values[COL_PRODUCTS] = makeArrayResult(keys, CurrentMemoryContext);
		row->values[COL_PRODUCT_LAST_ACTIVE] =
			DirectFunctionCall1(jsonb_in, CStringGetDatum(map.data));
	}
	row->nulls[COL_LAST_ACTIVE] = latest == DT_NOBEGIN;
	row->values[COL_LAST_ACTIVE] = TimestampTzGetDatum(latest);
}

/* productAccess as the API gave it: one entry per product and site */
static void
set_product_access(UserRow *row, JsonbContainer *user)
{
	JsonbValue	v;

	row->nulls[COL_PRODUCT_ACCESS] =
		getKeyJsonValueFromContainer(user, "productAccess", strlen("productAccess"), &v) == NULL ||
		v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data);
	if (!row->nulls[COL_PRODUCT_ACCESS])
		row->values[COL_PRODUCT_ACCESS] = JsonbPGetDatum(JsonbValueToJsonb(&v));
}

void
atl_users_put(Tuplestorestate *ts, TupleDesc desc, JsonbContainer *user)
{
	UserRow		row;

	memset(&row, 0, sizeof(row));
	set_text(&row, COL_ACCOUNT_ID, atl_json_text(user, "accountId"));
	set_text(&row, COL_NAME, atl_json_text(user, "name"));
	set_text(&row, COL_NICKNAME, atl_json_text(user, "nickname"));
	set_text(&row, COL_EMAIL, atl_json_text(user, "email"));
	set_bool(&row, COL_EMAIL_VERIFIED, user, "emailVerified");
	set_text(&row, COL_STATUS, atl_json_text(user, "status"));
	set_text(&row, COL_ACCOUNT_STATUS, atl_json_text(user, "accountStatus"));
	set_text(&row, COL_MEMBERSHIP_STATUS, atl_json_text(user, "membershipStatus"));
	set_text(&row, COL_CLAIM_STATUS, atl_json_text(user, "claimStatus"));
	set_text(&row, COL_MANAGEMENT_SOURCE, atl_json_text(user, "managementSource"));
	set_timestamptz(&row, COL_ADDED_TO_ORG, atl_json_text(user, "addedToOrg"));
	set_bool(&row, COL_MFA_ENABLED, user, "mfaEnabled");
	set_text(&row, COL_JOB_TITLE, atl_json_text(user, "jobTitle"));
	set_text(&row, COL_DEPARTMENT, atl_json_text(user, "department"));
	set_text(&row, COL_ORGANIZATION, atl_json_text(user, "organization"));
	set_text(&row, COL_LOCATION, atl_json_text(user, "location"));
	set_text(&row, COL_TIME_ZONE, atl_json_text(user, "timeZone"));
	set_text_array(&row, COL_PLATFORM_ROLES, atl_json_array(user, "platformRoles"), NULL);
	set_text_array(&row, COL_GROUPS, atl_json_array(user, "groups"), "name");
	set_text_array(&row, COL_GROUP_IDS, atl_json_array(user, "groups"), "id");
	set_product_activity(&row, atl_json_array(user, "productAccess"));
	set_product_access(&row, user);
	tuplestore_putvalues(ts, desc, row.values, row.nulls);
}

void
atl_users_put_item(Tuplestorestate *ts, TupleDesc desc, JsonbValue *item)
{
	if (item->type == jbvBinary && JsonContainerIsObject(item->val.binary.data))
		atl_users_put(ts, desc, item->val.binary.data);
}

static void
put_user_item(JsonbValue *item, void *arg)
{
	ReturnSetInfo *rsinfo = arg;

	atl_users_put_item(rsinfo->setResult, rsinfo->setDesc, item);
}

/* atl_users()'s declaration, as the code above reads and fills it */
static const Oid user_args[] = {
	TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, TEXTARRAYOID, TEXTOID, INT8OID, NAMEOID
};
static const Oid user_columns[USER_NCOLUMNS] = {
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TIMESTAMPTZOID, BOOLOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZOID, JSONBOID, JSONBOID
};

void
atl_users_check_declaration(FunctionCallInfo fcinfo, const Oid *args, int nargs)
{
	atl_check_declaration(fcinfo, args, nargs, InvalidOid, true,
						  user_columns, lengthof(user_columns));
}

PG_FUNCTION_INFO_V1(atl_users);

Datum
atl_users(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AtlSource  *src;
	AtlPager	pager;

	atl_users_check_declaration(fcinfo, user_args, lengthof(user_args));
	src = atl_source_lookup(PG_ARGISNULL(ARG_SERVER) ? NULL :
							NameStr(*PG_GETARG_NAME(ARG_SERVER)));
	atl_source_require_org(src);
	InitMaterializedSRF(fcinfo, 0);
	atl_pager_init(&pager, src, atl_catalogue_find("users.search"), NULL);
	pager.body_fields = search_body_fields(fcinfo);
	pager.wanted = PG_ARGISNULL(ARG_MAX_ROWS) ? -1 : PG_GETARG_INT64(ARG_MAX_ROWS);
	atl_pager_each(&pager, put_user_item, rsinfo);
	return (Datum) 0;
}
