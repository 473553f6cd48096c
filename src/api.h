/*
 * api.h: calling the Atlassian APIs from a backend, for reads.
 *
 * atl_api_read() sends one request for the caller (with retries), and turns
 * every failure into an ERROR with a SQLSTATE, Atlassian's own error text as
 * the detail and, where it helps, a hint.  On success it returns the parsed
 * JSON body.
 */
#ifndef ATLORG_API_H
#define ATLORG_API_H

#include "json.h"
#include "source.h"

/* the organizations API URL of `path` (which starts with "/") */
extern char *atl_api_org_url(const AtlSource *src, const char *path);

extern JsonbContainer *atl_api_read(const AtlSource *src, const char *method,
									const char *url, const char *body);

#endif
