/*
 * predict.c: what a dry run's requests would meet (see predict.h).  The
 * rules are SQL (atl_predictions()): the mirror says who is managed, who
 * an identity provider syncs, who is already as asked; the organization's
 * verified domains, read once when the run changes e-mail addresses, say
 * which addresses Atlassian would take.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "pinned.h"
#include "predict.h"

static Datum
text_array(const char *const *texts, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * n);
	bool	   *nulls = palloc(sizeof(bool) * n);
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = texts[i] == NULL;
		d[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(texts[i]);
	}
	return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, TEXTOID, -1, false,
											  TYPALIGN_INT));
}

static bool
changes_email(const ActionItem *items, int n)
{
	for (int i = 0; i < n; i++)
		if (atl_action_op_shape(items[i].op) == SHAPE_EMAIL)
			return true;
	return false;
}

static char *
column_copy(MemoryContext cxt, uint64 row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NULL : MemoryContextStrdup(cxt, TextDatumGetCString(d));
}

/* has this database atlorg 1.2's atl_predictions()?  Under SPI */
static bool
predictions_installed(void)
{
	bool		isnull;

	if (SPI_execute("SELECT pg_catalog.to_regprocedure('atlorg.atl_predictions(text[], text[], "
					"text[], jsonb[], name, text[])') IS NOT NULL", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "atlorg: could not look for atl_predictions()");
	return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

AtlPrediction *
atl_action_predictions(const AtlSource *src, const ActionItem *items, int n)
{
	MemoryContext caller = CurrentMemoryContext;
	AtlPrediction *out = palloc0(sizeof(AtlPrediction) * Max(n, 1));
	const char **actions = palloc(sizeof(char *) * n);
	const char **ids = palloc(sizeof(char *) * n);
	const char **targets = palloc(sizeof(char *) * n);
	const char **bodies = palloc(sizeof(char *) * n);
	Oid			types[5] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, NAMEOID};
	Datum		values[5];
	int			pinned;

	for (int i = 0; i < n; i++)
	{
		actions[i] = atl_action_op_name(items[i].op);
		ids[i] = items[i].account_id;
		targets[i] = items[i].target;
		bodies[i] = items[i].body;
	}
	values[0] = text_array(actions, n);
	values[1] = text_array(ids, n);
	values[2] = text_array(targets, n);
	values[3] = text_array(bodies, n);
	values[4] = DirectFunctionCall1(namein, CStringGetDatum(src->server_name));
	pinned = atl_pin_search_path();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "atlorg: SPI_connect failed");
	if (!predictions_installed())
	{
		SPI_finish();
		atl_unpin_search_path(pinned);
		return out;				/* a database still at 1.1: dry runs as they were */
	}
	/* the verified domains cost a read: only a run that changes addresses asks */
	if (SPI_execute_with_args(psprintf("SELECT p.error_key, p.error_reason, p.detail "
									   "FROM atlorg.atl_predictions($1, $2, $3, $4::pg_catalog.jsonb[], $5, %s) p",
									   changes_email(items, n) ?
									   "(SELECT pg_catalog.array_agg(d.name) FROM atlorg.atl_domains($5) d "
									   "WHERE d.claim_status = 'verified')" : "NULL::pg_catalog.text[]"),
							  5, types, values, NULL, false, 0) != SPI_OK_SELECT ||
		SPI_processed != (uint64) n)
		elog(ERROR, "atlorg: could not predict the dry run's answers");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		out[i].error_key = column_copy(caller, i, 1);
		out[i].error_reason = column_copy(caller, i, 2);
		out[i].detail = column_copy(caller, i, 3);
	}
	SPI_finish();
	atl_unpin_search_path(pinned);
	return out;
}

void
atl_prediction_to_request(AtlActionRequest *req, const AtlPrediction *p)
{
	req->predicted_key[0] = req->predicted_reason[0] = req->predicted[0] = '\0';
	if (p == NULL || p->detail == NULL)
		return;
	strlcpy(req->predicted_key, p->error_key ? p->error_key : "", sizeof(req->predicted_key));
	strlcpy(req->predicted_reason, p->error_reason ? p->error_reason : "",
			sizeof(req->predicted_reason));
	snprintf(req->predicted, sizeof(req->predicted), "dry run: nothing was sent; %s", p->detail);
}
