/*
 * actions.h: what every action does before and after its request: check
 * the account id, fill the executor's request (caller, server, dry run,
 * protection), run it, and return the audit row.
 */
#ifndef ATLORG_ACTIONS_H
#define ATLORG_ACTIONS_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "fmgr.h"

#include "executor.h"
#include "source.h"

extern const char *atl_action_account_id(FunctionCallInfo fcinfo, int argno);
extern bool atl_action_dry_run(FunctionCallInfo fcinfo, int argno);
extern bool atl_action_force(FunctionCallInfo fcinfo, int argno);

/* why each of account_ids (a text[]) is protected, or NULL: one query */
extern char **atl_action_protections(FunctionCallInfo fcinfo, const AtlSource *src,
									 Datum account_ids);

/* the request's who, where, budget, dry run and protection */
extern void atl_action_fill(AtlActionRequest *req, const AtlSource *src, const char *action,
							const char *account_id, bool dry_run, const char *protection);
/* the request goes to the Jira site, with its basic-auth credentials */
extern void atl_action_use_site(AtlActionRequest *req, const AtlSource *src);

/* run one request; its audit row is the function's result */
extern Datum atl_action_run(FunctionCallInfo fcinfo, AtlActionRequest *req);
extern HeapTuple atl_action_audit_tuple(TupleDesc desc, const AtlActionRequest *req,
										const AtlActionResult *res);

#endif
