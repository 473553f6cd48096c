/*
 * act.h: the action engine, what every action does around its request
 * (act_catalogue.h says which requests): check everything first, fill the
 * executor's request (caller, server, dry run, protection), run the
 * requests many at once, and hand back one audit row each.
 * atl_actions_run() is act_run.c's; the rest is act.c's.
 */
#ifndef ATLORG_ACT_H
#define ATLORG_ACT_H

#include "access/htup.h"
#include "access/tupdesc.h"

#include "act_catalogue.h"
#include "exec.h"
#include "fdw_source.h"

/*
 * Runs n actions: checks every item (an ERROR before anything is sent),
 * skips protected accounts unless force, sends each distinct request once
 * through the executor, and passes each one's audit row (as desc, matched
 * by column name) to sink as it ends.  server NULL: the default server.
 */
typedef void (*ActionRowSink) (HeapTuple row, void *arg);
extern void atl_actions_run(ActionItem *items, int n, const char *server, bool dry_run,
							bool force, TupleDesc desc, ActionRowSink sink, void *arg);

/* the request's who, where, budget, dry run and protection */
extern void atl_action_fill(AtlActionRequest *req, const AtlSource *src, const char *action,
							const char *account_id, bool dry_run, const char *protection);
/* the org key, the limits and the budget (a background run's executor fills them late) */
extern void atl_action_fill_credentials(AtlActionRequest *req, const AtlSource *src);
/* the request goes to the Jira site, with its basic-auth credentials */
extern void atl_action_use_site(AtlActionRequest *req, const AtlSource *src);

extern HeapTuple atl_action_audit_tuple(TupleDesc desc, const AtlActionRequest *req,
										const AtlActionResult *res);

#endif
