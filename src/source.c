/*
 * source.c: option validation for the atlorg foreign-data wrapper, and the
 * resolution of a server plus the caller's user mapping into an AtlSource.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/syscache.h"

#include "guc.h"
#include "source.h"

typedef struct AtlOption
{
	const char *name;
	Oid			context;		/* catalog the option belongs to */
} AtlOption;

static const AtlOption atl_options[] = {
	{"org_id", ForeignServerRelationId},
	{"directory_id", ForeignServerRelationId},
	{"api_base", ForeignServerRelationId},
	{"api_key", UserMappingRelationId},
	{NULL, InvalidOid}
};

static bool
option_is_valid(const char *name, Oid context)
{
	for (const AtlOption *o = atl_options; o->name; o++)
		if (o->context == context && strcmp(o->name, name) == 0)
			return true;
	return false;
}

static char *
valid_option_list(Oid context)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (const AtlOption *o = atl_options; o->name; o++)
		if (o->context == context)
			appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", o->name);
	return buf.len ? buf.data : NULL;
}

/* ids go into URL paths, so they are held to a safe alphabet */
static void
check_path_id(const char *option, const char *value)
{
	size_t		len = strlen(value);

	if (len == 0 || len > 128 ||
		strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			   "0123456789_-") != len)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid value for option \"%s\"", option),
				 errdetail("It must be 1 to 128 letters, digits, \"_\" or \"-\".")));
}

/*
 * api_base: Atlassian's own host for everyone; any other URL (a proxy, a
 * test double) only for a superuser, since the API key is sent there.
 */
static void
check_api_base(const char *value)
{
	CURLU	   *url = curl_url();
	char	   *scheme = NULL;
	char	   *host = NULL;
	char	   *port = NULL;
	bool		parsed;
	bool		atlassian;

	if (!url)
		elog(ERROR, "out of memory");
	parsed = curl_url_set(url, CURLUPART_URL, value, 0) == CURLUE_OK &&
		curl_url_get(url, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		curl_url_get(url, CURLUPART_HOST, &host, 0) == CURLUE_OK;
	curl_url_get(url, CURLUPART_PORT, &port, 0);
	parsed = parsed && (strcmp(scheme, "https") == 0 || strcmp(scheme, "http") == 0);
	atlassian = parsed && strcmp(scheme, "https") == 0 &&
		pg_strcasecmp(host, "api.atlassian.com") == 0 && port == NULL;
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(url);

	if (!parsed)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid value for option \"api_base\""),
				 errdetail("It must be an http or https URL."),
				 errhint("The default is %s.", ATL_DEFAULT_API_BASE)));
	if (!atlassian && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may point \"api_base\" at a host other than Atlassian's"),
				 errdetail("The organization's API key is sent to that host.")));
}

static void
check_api_key(const char *value)
{
	/* never echo the value: it is a secret */
	if (value[0] == '\0' || strpbrk(value, "\r\n") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid value for option \"api_key\""),
				 errdetail("An API key is a non-empty single line of text.")));
}

static void
check_option_value(DefElem *def)
{
	const char *value = defGetString(def);

	if (strcmp(def->defname, "org_id") == 0)
		check_path_id(def->defname, value);
	else if (strcmp(def->defname, "directory_id") == 0)
	{
		if (strcmp(value, "-") != 0)
			check_path_id(def->defname, value);
	}
	else if (strcmp(def->defname, "api_base") == 0)
		check_api_base(value);
	else if (strcmp(def->defname, "api_key") == 0)
		check_api_key(value);
}

PG_FUNCTION_INFO_V1(atl_fdw_validator);

/*
 * Validate the options of the wrapper, a server or a user mapping: names
 * first (listing the valid ones, as PostgreSQL's own wrappers do), then
 * values, then what a server cannot do without.
 */
Datum
atl_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			context = PG_GETARG_OID(1);
	bool		has_org_id = false;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (!option_is_valid(def->defname, context))
		{
			char	   *valid = valid_option_list(context);

			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 valid ? errhint("Valid options in this context are: %s", valid)
					 : errhint("There are no valid options in this context.")));
		}
		check_option_value(def);
		has_org_id |= strcmp(def->defname, "org_id") == 0;
	}
	if (context == ForeignServerRelationId && !has_org_id)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("an atlorg server needs the option \"org_id\""),
				 errhint("The organization id is in the admin.atlassian.com URL: https://admin.atlassian.com/o/<org_id>/overview.")));
	PG_RETURN_VOID();
}

/* the only server of the atlorg wrapper, when there is exactly one */
static char *
only_atlorg_server(void)
{
	ForeignDataWrapper *fdw = GetForeignDataWrapperByName("atlorg", false);
	Relation	rel = table_open(ForeignServerRelationId, AccessShareLock);
	TableScanDesc scan = table_beginscan_catalog(rel, 0, NULL);
	HeapTuple	tuple;
	char	   *found = NULL;
	int			count = 0;

	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_foreign_server srv = (Form_pg_foreign_server) GETSTRUCT(tuple);

		if (srv->srvfdw == fdw->fdwid && count++ == 0)
			found = pstrdup(NameStr(srv->srvname));
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);

	if (count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no atlorg server exists"),
				 errhint("Create one: CREATE SERVER acme FOREIGN DATA WRAPPER atlorg OPTIONS (org_id '...');")));
	if (count > 1)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
				 errmsg("more than one atlorg server exists"),
				 errhint("Name the server in the call, or set atlorg.server.")));
	return found;
}

static const char *
option_or(List *options, const char *name, const char *fallback)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return fallback;
}

static UserMapping *
caller_user_mapping(ForeignServer *server)
{
	Oid			userid = GetUserId();

	if (!SearchSysCacheExists2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(userid),
							   ObjectIdGetDatum(server->serverid)) &&
		!SearchSysCacheExists2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
							   ObjectIdGetDatum(server->serverid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no user mapping for role \"%s\" on atlorg server \"%s\"",
						GetUserNameFromId(userid, false), server->servername),
				 errhint("CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (api_key '...');",
						 quote_identifier(server->servername))));
	return GetUserMapping(userid, server->serverid);
}

AtlSource *
atl_source_lookup(const char *server_name)
{
	ForeignServer *server;
	ForeignDataWrapper *fdw;
	UserMapping *mapping;
	AtlSource  *src = palloc0(sizeof(AtlSource));
	const char *base;

	if (server_name == NULL && atl_default_server && atl_default_server[0])
		server_name = atl_default_server;
	if (server_name == NULL)
		server_name = only_atlorg_server();

	server = GetForeignServerByName(server_name, false);
	fdw = GetForeignDataWrapper(server->fdwid);
	if (strcmp(fdw->fdwname, "atlorg") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("server \"%s\" is not an atlorg server", server_name)));
	if (pg_foreign_server_aclcheck(server->serverid, GetUserId(), ACL_USAGE) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FOREIGN_SERVER, server->servername);

	mapping = caller_user_mapping(server);
	src->server_name = pstrdup(server->servername);
	src->org_id = pstrdup(option_or(server->options, "org_id", ""));
	src->directory_id = pstrdup(option_or(server->options, "directory_id", "-"));
	base = option_or(server->options, "api_base", ATL_DEFAULT_API_BASE);
	src->api_base = pnstrdup(base, strlen(base) - (base[strlen(base) - 1] == '/'));
	src->api_key = pstrdup(option_or(mapping->options, "api_key", ""));
	if (src->api_key[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("the user mapping for server \"%s\" has no \"api_key\"", src->server_name),
				 errhint("ALTER USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (ADD api_key '...');",
						 quote_identifier(src->server_name))));
	return src;
}
