/*
 * fdw_source.c: option validation for the atlorg foreign-data wrapper, and the
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
#include "catalog/pg_type.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/syscache.h"

#include "guard_declared.h"
#include "guc.h"
#include "fdw_source.h"

typedef struct AtlOption
{
	const char *name;
	Oid			context;		/* catalog the option belongs to */
} AtlOption;

static const AtlOption atl_options[] = {
	{"org_id", ForeignServerRelationId},
	{"directory_id", ForeignServerRelationId},
	{"api_base", ForeignServerRelationId},
	{"site_url", ForeignServerRelationId},
	{"api_key", UserMappingRelationId},
	{"site_email", UserMappingRelationId},
	{"site_api_token", UserMappingRelationId},
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

/* scheme, host and port of an http(s) URL, parsed by libcurl */
typedef struct UrlParts
{
	bool		ok;
	bool		https;
	bool		default_port;
	char		host[256];
} UrlParts;

static UrlParts
parse_url(const char *value)
{
	UrlParts	parts = {false};
	CURLU	   *url = curl_url();
	char	   *scheme = NULL;
	char	   *host = NULL;
	char	   *port = NULL;

	if (!url)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (curl_url_set(url, CURLUPART_URL, value, 0) == CURLUE_OK &&
		curl_url_get(url, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		curl_url_get(url, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
		(strcmp(scheme, "https") == 0 || strcmp(scheme, "http") == 0))
	{
		parts.ok = true;
		parts.https = strcmp(scheme, "https") == 0;
		parts.default_port = curl_url_get(url, CURLUPART_PORT, &port, 0) != CURLUE_OK;
		strlcpy(parts.host, host, sizeof(parts.host));
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(url);
	return parts;
}

static bool
host_ends_with(const char *host, const char *suffix)
{
	size_t		hl = strlen(host),
				sl = strlen(suffix);

	return hl > sl && pg_strcasecmp(host + hl - sl, suffix) == 0;
}

/*
 * api_base and site_url: Atlassian's own hosts for everyone; any other URL
 * (a proxy, a test double) only for a superuser, since credentials are sent
 * there.
 */
static void
check_service_url(const char *option, const char *value)
{
	UrlParts	url = parse_url(value);
	bool		atlassian;

	if (!url.ok)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid value for option \"%s\"", option),
				 errdetail("It must be an http or https URL."),
				 strcmp(option, "api_base") == 0 ?
				 errhint("The default is %s.", ATL_DEFAULT_API_BASE) :
				 errhint("A Jira site URL looks like https://your-site.atlassian.net.")));
	atlassian = url.https && url.default_port &&
		(pg_strcasecmp(url.host, "api.atlassian.com") == 0 ||
		 (strcmp(option, "site_url") == 0 && host_ends_with(url.host, ".atlassian.net")));
	if (!atlassian && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may point \"%s\" at a host other than Atlassian's", option),
				 errdetail("Credentials are sent to that host.")));
}

/* keys, tokens and e-mails: never echoed, they may be secret */
static void
check_single_line(const char *option, const char *value)
{
	if (value[0] == '\0' || strpbrk(value, "\r\n") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid value for option \"%s\"", option),
				 errdetail("It must be a non-empty single line of text.")));
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
	else if (strcmp(def->defname, "api_base") == 0 ||
			 strcmp(def->defname, "site_url") == 0)
		check_service_url(def->defname, value);
	else
		check_single_line(def->defname, value);
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
	static const Oid args[] = {TEXTARRAYOID, OIDOID};
	List	   *options;
	Oid			context;
	bool		has_org_id = false;
	ListCell   *lc;

	atl_check_declaration(fcinfo, args, lengthof(args), VOIDOID, false, NULL, 0);
	options = untransformRelOptions(PG_GETARG_DATUM(0));
	context = PG_GETARG_OID(1);

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
caller_user_mapping(ForeignServer *server, Oid userid)
{
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
	return atl_source_lookup_as(server_name, GetUserId());
}

AtlSource *
atl_source_lookup_as(const char *server_name, Oid userid)
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
	if (pg_foreign_server_aclcheck(server->serverid, userid, ACL_USAGE) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FOREIGN_SERVER, server->servername);

	mapping = caller_user_mapping(server, userid);
	src->server_name = pstrdup(server->servername);
	src->org_id = pstrdup(option_or(server->options, "org_id", ""));
	src->directory_id = pstrdup(option_or(server->options, "directory_id", "-"));
	base = option_or(server->options, "api_base", ATL_DEFAULT_API_BASE);
	src->api_base = pnstrdup(base, strlen(base) - (base[strlen(base) - 1] == '/'));
	src->api_key = pstrdup(option_or(mapping->options, "api_key", ""));
	base = option_or(server->options, "site_url", NULL);
	if (base)
		src->site_url = pnstrdup(base, strlen(base) - (base[strlen(base) - 1] == '/'));
	src->site_email = (char *) option_or(mapping->options, "site_email", NULL);
	src->site_api_token = (char *) option_or(mapping->options, "site_api_token", NULL);
	return src;
}

void
atl_source_require_org(const AtlSource *src)
{
	if (src->api_key[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("the user mapping for server \"%s\" has no \"api_key\"", src->server_name),
				 errhint("ALTER USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (ADD api_key '...');",
						 quote_identifier(src->server_name))));
}

void
atl_source_require_site(const AtlSource *src)
{
	if (src->site_url == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no \"site_url\"", src->server_name),
				 errhint("ALTER SERVER %s OPTIONS (ADD site_url 'https://your-site.atlassian.net');",
						 quote_identifier(src->server_name))));
	if (src->site_email == NULL || src->site_api_token == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("the user mapping for server \"%s\" has no \"site_email\" and \"site_api_token\"",
						src->server_name),
				 errhint("Create an API token at id.atlassian.com, Security, API tokens, then: ALTER USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (ADD site_email '...', ADD site_api_token '...');",
						 quote_identifier(src->server_name))));
}

PG_FUNCTION_INFO_V1(atl_server);

/* atl_server([name]): the server a call would use, after every check */
Datum
atl_server(PG_FUNCTION_ARGS)
{
	static const Oid args[] = {NAMEOID};
	AtlSource  *src;

	atl_check_declaration(fcinfo, args, 1, NAMEOID, false, NULL, 0);
	src = atl_source_lookup(PG_ARGISNULL(0) ? NULL : NameStr(*PG_GETARG_NAME(0)));

	PG_RETURN_DATUM(DirectFunctionCall1(namein, CStringGetDatum(src->server_name)));
}
