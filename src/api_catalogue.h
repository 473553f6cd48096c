/*
 * api_catalogue.h: every read operation atlorg performs, as data.
 *
 * One entry per endpoint: which API, method and path, how it pages, where
 * its items are, and what kind of key it accepts (for error hints).  The
 * pager (api_pager.c) and atl_read() work from these entries alone.
 */
#ifndef ATLORG_API_CATALOGUE_H
#define ATLORG_API_CATALOGUE_H

typedef enum AtlApi
{
	ATL_API_ORG,				/* api_base + /admin, bearer org API key */
	ATL_API_USER_MGMT,			/* api_base, bearer org API key (no scopes) */
	ATL_API_JIRA				/* site_url + /rest/api/3, basic e-mail + token */
} AtlApi;

typedef enum AtlPaging
{
	ATL_PAGE_NONE,				/* one request, one answer */
	ATL_PAGE_BODY_CURSOR,		/* POST, cursor in the JSON body; links.next a bare cursor */
	ATL_PAGE_QUERY_CURSOR,		/* GET ?cursor=; links.next a bare cursor or a full URL */
	ATL_PAGE_START_AT			/* Jira: startAt + maxResults */
} AtlPaging;

typedef struct AtlReadOp
{
	const char *name;			/* atl_read()'s first argument */
	AtlApi		api;
	const char *method;
	const char *path;			/* placeholders: {orgId} {directoryId} {accountId} {groupId} */
	AtlPaging	paging;
	const char *items;			/* key of the items; NULL: the body is the array;
								 * "": the body is the one item */
	const char *page_param;		/* "limit", "maxResults", or NULL */
	int			page_size;
	bool		cursor_alone;	/* a request with a cursor may carry nothing else */
	const char *scope;			/* scope a scoped key needs; NULL: unscoped keys only */
} AtlReadOp;

/* the entry of that name, or an error listing the names */
extern const AtlReadOp *atl_catalogue_find(const char *name);

#endif
