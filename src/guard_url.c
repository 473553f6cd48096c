/*
 * guard_url.c: what may go into a URL.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "guard_url.h"

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

void
atl_check_account_id(const char *id)
{
	size_t		len = strlen(id);

	if (len == 0 || len > ATL_ACCOUNT_ID_MAX || strspn(id, ALNUM "_|:-") != len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid Atlassian account id"),
				 errdetail("An account id is 1 to 128 letters, digits, \"_\", \"|\", \":\" or \"-\"."),
				 len <= 200 ? errcontext("account id: \"%s\"", id) : 0));
}

void
atl_check_object_id(const char *what, const char *id)
{
	size_t		len = strlen(id);

	if (len == 0 || len > 128 || strspn(id, ALNUM "_:-") != len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s", what),
				 errdetail("It must be 1 to 128 letters, digits, \"_\", \":\" or \"-\"."),
				 len <= 200 ? errcontext("%s: \"%s\"", what, id) : 0));
}

/* scheme://host:port of a URL, or NULL */
static char *
origin(const char *url)
{
	CURLU	   *u = curl_url();
	char	   *scheme = NULL,
			   *host = NULL,
			   *port = NULL;
	char	   *result = NULL;

	if (u == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		result = psprintf("%s://%s:%s", scheme, host, port);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return result;
}

bool
atl_is_same_origin(const char *url, const char *base)
{
	char	   *a;
	char	   *b;

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return false;
	a = origin(url);
	b = origin(base);
	if (a != NULL && b != NULL && pg_strcasecmp(a, b) == 0)
		return true;
	/* a next link elsewhere would take the credentials with it */
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("Atlassian API pointed the next page at another host"),
			 errdetail("The next page's URL was not on %s; atlorg does not send credentials there.",
					   b ? b : base)));
	return false;
}

char *
atl_url_escape(const char *value)
{
	char	   *escaped = curl_easy_escape(NULL, value, 0);
	char	   *result;

	if (escaped == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	result = pstrdup(escaped);
	curl_free(escaped);
	return result;
}
