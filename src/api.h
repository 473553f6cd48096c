/*
 * api.h: calling the Atlassian APIs from a backend, for reads.
 *
 * atl_api_start() sends one request of a catalogue operation (with
 * retries), and atl_api_finish_peek() reads its answer: it turns every
 * failure into an ERROR with a SQLSTATE, Atlassian's own error text as the
 * detail and a hint saying what to change (which kind of key, which
 * option).  On success it returns the parsed JSON body.
 */
#ifndef ATLORG_API_H
#define ATLORG_API_H

#include "api_catalogue.h"
#include "http.h"
#include "api_json.h"
#include "api_json_peek.h"
#include "fdw_source.h"

/* one request: sent now, its answer read later */
typedef struct AtlApiCall
{
	const AtlSource *src;
	const AtlReadOp *op;
	AtlHttpRequest req;
	AtlHttpLimits limits;
	AtlHttpResult res;
} AtlApiCall;

extern void atl_api_start(AtlApiCall *call, const AtlSource *src, const AtlReadOp *op,
						  const char *url, const char *body);
/* peek (or NULL): a string read off the answer before it is checked (api_json_peek.h) */
extern Jsonb *atl_api_finish_peek(AtlApiCall *call, const AtlJsonPeek *peek);

/*
 * The answer to one request of op sent some other way (a batch): its parsed
 * body, or the error atl_api_finish_peek() would raise.
 */
extern Jsonb *atl_api_answer(const AtlSource *src, const AtlReadOp *op,
							 const AtlHttpRequest *req, const AtlHttpResult *res);

/* the part of a URL after the host, for messages */
extern const char *atl_api_url_path(const char *url);

#endif
