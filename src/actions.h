/*
 * actions.h: what every action does before and after its request: check
 * the account id, fill the executor's request (caller, server, dry run,
 * protection), run it, and return the audit row.
 */
#ifndef ATLORG_ACTIONS_H
#define ATLORG_ACTIONS_H

#include "fmgr.h"

#include "executor.h"
#include "source.h"

extern const char *atl_action_account_id(FunctionCallInfo fcinfo, int argno);
extern void atl_action_prepare(FunctionCallInfo fcinfo, AtlActionRequest *req,
							   const AtlSource *src, const char *action,
							   const char *account_id, int dry_run_argno, int force_argno);
/* the request goes to the Jira site, with its basic-auth credentials */
extern void atl_action_use_site(AtlActionRequest *req, const AtlSource *src);
extern Datum atl_action_run(FunctionCallInfo fcinfo, AtlActionRequest *req);

#endif
