/*
 * act_catalogue.h: the action catalogue (act_catalogue.c).  Each action is one
 * operation of an Atlassian API and one SQL function name; the catalogue
 * says what its request is (method, URL, body) and what values it takes.
 * Nothing outside the catalogue can be sent.
 */
#ifndef ATLORG_ACT_CATALOGUE_H
#define ATLORG_ACT_CATALOGUE_H

#include "exec.h"
#include "fdw_source.h"

/* what an action takes besides the account, in its SQL declaration's order */
typedef enum ActionShape
{
	SHAPE_ACCOUNT,				/* nothing else */
	SHAPE_GROUP,				/* group_id */
	SHAPE_TOKEN,				/* token_id (one per account in the set form) */
	SHAPE_ROLE,					/* role, resource */
	SHAPE_EMAIL,				/* email (one per account in the set form) */
	SHAPE_PROFILE				/* name .. locale: ATL_PROFILE_FIELDS fields */
} ActionShape;

#define ATL_PROFILE_FIELDS 8	/* name, nickname, job_title, department,
								 * organization, location, time_zone, locale */
#define ATL_ACTION_VALUES ATL_PROFILE_FIELDS

typedef struct ActionOp ActionOp;

/* by the audit's name ("disable"), or an error (22023) */
extern const ActionOp *atl_action_op(const char *name);
/* by SQL function name ("atl_disable"), or NULL */
extern const ActionOp *atl_action_op_of_function(const char *proname);

extern const char *atl_action_op_name(const ActionOp *op);
extern ActionShape atl_action_op_shape(const ActionOp *op);
/* how many values beyond the account the shape takes (0, 1, 2 or 8) */
extern int	atl_action_shape_values(ActionShape shape);

/* one request to make: an action on one account, and its values */
typedef struct ActionItem
{
	const ActionOp *op;
	char	   *account_id;
	char	   *target;			/* group or token id; NULL if the op has none */
	char	   *values[ATL_ACTION_VALUES];	/* the shape's values, NULL = not given */
	char	   *body;			/* JSON, built by atl_action_item_check() */
	char	   *skip_reason;	/* not to be sent, and why (recorded as skipped) */
} ActionItem;

/*
 * Checks everything about an item that can be checked before sending (the
 * ids, the values, the body's and the URL's sizes) and builds its body;
 * an ERROR names what is wrong.
 */
extern void atl_action_item_check(ActionItem *item);

/* the server named (NULL: the default), with the credentials the items need */
extern AtlSource *atl_action_items_source(const ActionItem *items, int n, const char *server);

/* the executor's request for a checked item */
extern void atl_action_item_request(AtlActionRequest *req, const ActionItem *item,
									const AtlSource *src, bool dry_run,
									const char *protection);

#endif
