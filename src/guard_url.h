/*
 * guard_url.h: atlorg's one URL module: the checks on values that go into
 * URLs, before they do, their percent-encoding, and the origin check that
 * keeps credentials on the API's host.
 */
#ifndef ATLORG_GUARD_URL_H
#define ATLORG_GUARD_URL_H

/* the user management API's own pattern: [A-Za-z0-9_|:-]{1,128} */
#define ATL_ACCOUNT_ID_MAX 128
extern void atl_check_account_id(const char *id);

/* group, directory and other ids: [A-Za-z0-9_:-]{1,128} */
extern void atl_check_object_id(const char *what, const char *id);

/* value percent-encoded for a URL's path or query, palloc'd */
extern char *atl_url_escape(const char *value);

/* true when url has the same scheme, host and port as base */
extern bool atl_is_same_origin(const char *url, const char *base);

#endif
