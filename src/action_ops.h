/*
 * action_ops.h: the action catalogue (action_ops.c), shared by the
 * single-account form, atl_act(), and the set-based one (action_many.c).
 */
#ifndef ATLORG_ACTION_OPS_H
#define ATLORG_ACTION_OPS_H

#include "fmgr.h"
#include "utils/jsonb.h"

#include "executor.h"
#include "source.h"

typedef struct ActionOp ActionOp;

/* the catalogue's entry, or an error (22023) naming the unknown action */
extern const ActionOp *atl_action_op(const char *name);

/* an action on a group needs a valid group id */
extern void atl_action_op_check_group(const ActionOp *op, const char *group);

/* the server of argument argno, with the credentials that ops need */
extern AtlSource *atl_action_op_source(const ActionOp *const *ops, int nops,
									   FunctionCallInfo fcinfo, int argno);

/* one action of op, ready for the executor */
extern void atl_action_op_request(AtlActionRequest *req, const ActionOp *op,
								  const AtlSource *src, const char *account_id,
								  const char *group, const char *body,
								  bool dry_run, const char *protection);

extern char *atl_jsonb_text(Jsonb *body);

#endif
