/*
 * fdw_source.h: the foreign-data wrapper "atlorg" and the servers made with
 * it.
 *
 * A server is one Atlassian organization (org_id, directory_id, api_base);
 * the caller's user mapping holds the org API key.  atl_source_lookup()
 * resolves a server (or the default one) into everything a request needs,
 * after checking the caller may use it.
 */
#ifndef ATLORG_FDW_SOURCE_H
#define ATLORG_FDW_SOURCE_H

#define ATL_DEFAULT_API_BASE "https://api.atlassian.com"

typedef struct AtlSource
{
	char	   *server_name;
	char	   *api_base;		/* no trailing slash */
	char	   *org_id;
	char	   *directory_id;	/* "-" = every directory the key may manage */
	char	   *api_key;		/* secret: never logged, never in an error */
	char	   *site_url;		/* Jira site, no trailing slash; NULL if none */
	char	   *site_email;		/* the site's basic-auth user; NULL if none */
	char	   *site_api_token; /* secret */
} AtlSource;

/* server_name NULL: atlorg.server, else the only atlorg server */
extern AtlSource *atl_source_lookup(const char *server_name);
/*
 * the same for another role (the executor, acting for a background run's
 * role): that role's rights and user mapping.  server_name must be given.
 */
extern AtlSource *atl_source_lookup_as(const char *server_name, Oid userid);

/* errors with a hint unless the source has an org API key / a Jira site */
extern void atl_source_require_org(const AtlSource *src);
extern void atl_source_require_site(const AtlSource *src);

#endif
