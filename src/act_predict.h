/*
 * act_predict.h: what a call's requests would meet before any is sent
 * (act_predict.c): the protected accounts atlorg skips (atl_protections() in
 * sql/42_protection.sql) and, for a dry run, what Atlassian would answer
 * (atl_predictions() in sql/47_preview.sql), asked in one query.
 */
#ifndef ATLORG_ACT_PREDICT_H
#define ATLORG_ACT_PREDICT_H

#include "act_catalogue.h"

/* what one request would meet: all NULL when it would go through */
typedef struct AtlPrediction
{
	char	   *error_key;		/* Atlassian's key, or "already" */
	char	   *error_reason;
	char	   *detail;			/* in words */
} AtlPrediction;

/*
 * One query as the caller, for the items in order: with protect, why each
 * account is protected, or NULL (*protections, NULL without protect); with
 * predict, what each would meet (*predictions, NULL without predict).
 */
extern void atl_action_screen(const AtlSource *src, const ActionItem *items, int n,
							  bool protect, bool predict, char ***protections,
							  AtlPrediction **predictions);

/* the prediction into a dry run's request, for the executor to record */
extern void atl_prediction_to_request(AtlActionRequest *req, const AtlPrediction *p);

#endif
