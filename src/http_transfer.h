/*
 * http_transfer.h: one attempt of one request on a libcurl easy handle,
 * shared by the single-request driver (http.c) and the batch driver
 * (http_batch.c).
 */
#ifndef ATLORG_HTTP_TRANSFER_H
#define ATLORG_HTTP_TRANSFER_H

#include <curl/curl.h>

#include "datatype/timestamp.h"

#include "http.h"

typedef struct AtlTransfer
{
	CURL	   *easy;
	struct curl_slist *headers;
	StringInfo	body;			/* the result's body buffer */
	size_t		cap;			/* atlorg.max_response_size */
	bool		too_large;
	int			sends;			/* times libcurl was about to send it (0: connecting) */
	TimestampTz sent_at;		/* when it was first about to be sent */
	bool		once;			/* an action: never sent twice */
	bool		wait_to_share;	/* the caller's: HTTP/2 is spoken, wait for a
								 * connection being opened rather than open another */
	bool		resend_refused; /* libcurl would have sent it twice */
	char		errbuf[CURL_ERROR_SIZE];
} AtlTransfer;

#define CHECK_SETOPT(h, opt, val) \
	do { \
		if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK) \
			elog(ERROR, "atlorg: could not set libcurl option %s", #opt); \
	} while (0)

/* prepare t->easy for one attempt of req; the result's body is emptied */
extern void atl_transfer_setup(AtlTransfer *t, const AtlHttpRequest *req,
							   const AtlHttpLimits *limits, AtlHttpResult *result);

/*
 * Record the attempt's outcome in result and release what setup took.
 * Returns the wait in ms that the answer asks for before another attempt,
 * or -1 when no further attempt should be made.
 */
extern long atl_transfer_finish(AtlTransfer *t, CURLcode code,
								const AtlHttpRequest *req,
								const AtlHttpLimits *limits, AtlHttpResult *result);

/* release what setup took, after a transfer that did not complete */
extern void atl_transfer_abandon(AtlTransfer *t);

#endif
