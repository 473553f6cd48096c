/*
 * predict.h: a dry run that knows what Atlassian would answer (predict.c,
 * atl_predictions() in sql/47_preview.sql).
 */
#ifndef ATLORG_PREDICT_H
#define ATLORG_PREDICT_H

#include "action_ops.h"

/* what one request would meet: all NULL when it would go through */
typedef struct AtlPrediction
{
	char	   *error_key;		/* Atlassian's key, or "already" */
	char	   *error_reason;
	char	   *detail;			/* in words */
} AtlPrediction;

/* one per item, in order, asked once as the caller */
extern AtlPrediction *atl_action_predictions(const AtlSource *src, const ActionItem *items, int n);

/* the prediction into a dry run's request, for the executor to record */
extern void atl_prediction_to_request(AtlActionRequest *req, const AtlPrediction *p);

#endif
