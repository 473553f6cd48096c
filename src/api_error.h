/*
 * api_error.h: what an Atlassian error body says, whichever of its shapes
 * it has: the gateway's {"code","message"}, the organizations API's
 * {"errors":[{"code","title","detail"}]}, the user management API's
 * {"key","context"}, Spring's {"error","message"} and Jira's
 * {"errorMessages":[...]}.  Anything else is kept as a short excerpt.
 */
#ifndef ATLORG_API_ERROR_H
#define ATLORG_API_ERROR_H

typedef struct AtlApiError
{
	char	   *key;			/* machine key or code, e.g. forbidden.action, ADMIN-UAM-409-2 */
	char	   *reason;			/* a finer key, e.g. managedAccount, externalDirectory.scim */
	char	   *detail;			/* human-readable text */
} AtlApiError;

extern AtlApiError atl_api_error_parse(const char *body, int len);

#endif
