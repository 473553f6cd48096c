/*
 * act_predict.c: what a call's requests would meet (see act_predict.h), in one
 * query as the caller, search_path pinned.  The rules are SQL: who is
 * protected, by the allowlist and by role (atl_protections(); the site's
 * e-mail, when the server has one, is the acting admin's own account);
 * what Atlassian would answer a dry run (atl_predictions(): the mirror says
 * who is managed, who an identity provider syncs, who is already as asked;
 * the organization's verified domains, read once when the run changes
 * e-mail addresses, say which addresses Atlassian would take).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "guard_pinned.h"
#include "act_predict.h"

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

/* does this database have this function (an older atlorg may not)? */
static bool
function_installed(const char *name, int nargs, Oid *argtypes)
{
	return OidIsValid(LookupFuncName(list_make2(makeString("atlorg"), makeString(unconstify(char *, name))),
									 nargs, argtypes, true));
}

/*
 * The query: one row per item, in order.  A database still at 1.1 has
 * atl_protections() without the actions (an allowlist entry protects from
 * every action there), and no atl_predictions(): its dry runs are as they
 * were.
 */
static char *
screen_query(bool protect, bool predict, bool email)
{
	Oid			protection_args[4] = {TEXTARRAYOID, NAMEOID, TEXTOID, TEXTARRAYOID};
	Oid			prediction_args[6] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, JSONBARRAYOID,
	NAMEOID, TEXTARRAYOID};
	const char *protections = "";
	const char *predictions = "";

	if (protect)
		protections = function_installed("atl_protections", 4, protection_args) ?
			"LEFT JOIN atlorg.atl_protections($1, $2, $3, $4) p ON p.ord = u.i " :
			"LEFT JOIN atlorg.atl_protections($1, $2, $3) p ON p.ord = u.i ";
	/* the verified domains cost a read: only a run that changes addresses asks */
	if (predict && function_installed("atl_predictions", 6, prediction_args))
		predictions = psprintf("LEFT JOIN atlorg.atl_predictions($4, $1, $5, $6::pg_catalog.jsonb[], $2, %s) q "
							   "ON q.ord = u.i ",
							   email ?
							   "(SELECT pg_catalog.array_agg(d.name) FROM atlorg.atl_domains($2) d "
							   "WHERE d.claim_status = 'verified')" : "NULL::pg_catalog.text[]");
	return psprintf("SELECT %s, %s FROM pg_catalog.generate_series(1::pg_catalog.int8, "
					"pg_catalog.cardinality($1)) AS u(i) "
					"%s%sORDER BY u.i",
					protections[0] ? "p.reason" : "NULL::pg_catalog.text",
					predictions[0] ? "q.error_key, q.error_reason, q.detail" :
					"NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text",
					protections, predictions);
}

void
atl_action_screen(const AtlSource *src, const ActionItem *items, int n, bool protect,
				  bool predict, char ***protections, AtlPrediction **predictions)
{
	MemoryContext caller = CurrentMemoryContext;
	const char **ids = palloc(sizeof(char *) * Max(n, 1));
	const char **actions = palloc(sizeof(char *) * Max(n, 1));
	const char **targets = palloc(sizeof(char *) * Max(n, 1));
	const char **bodies = palloc(sizeof(char *) * Max(n, 1));
	Oid			types[6] = {TEXTARRAYOID, NAMEOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', src->site_email ? ' ' : 'n', ' ', ' ', ' '};
	int			pinned;

	*protections = protect ? MemoryContextAllocZero(caller, sizeof(char *) * (n + 1)) : NULL;
	*predictions = predict ? MemoryContextAllocZero(caller, sizeof(AtlPrediction) * Max(n, 1)) : NULL;
	if ((!protect && !predict) || n == 0)
		return;
	for (int i = 0; i < n; i++)
	{
		ids[i] = items[i].account_id;
		/* an allowlist entry may protect from some actions only */
		actions[i] = atl_action_op_name(items[i].op);
		targets[i] = items[i].target;
		bodies[i] = items[i].body;
	}
	values[0] = text_array(ids, n);
	values[1] = DirectFunctionCall1(namein, CStringGetDatum(src->server_name));
	values[2] = src->site_email ? CStringGetTextDatum(src->site_email) : (Datum) 0;
	values[3] = text_array(actions, n);
	values[4] = text_array(targets, n);
	values[5] = text_array(bodies, n);
	pinned = atl_pin_search_path();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "atlorg: SPI_connect failed");
	if (SPI_execute_with_args(screen_query(protect, predict, predict && changes_email(items, n)),
							  6, types, values, nulls, true, 0) != SPI_OK_SELECT ||
		SPI_processed != (uint64) n)
		elog(ERROR, "atlorg: could not read the protected accounts and the predictions");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		if (protect)
			(*protections)[i] = column_copy(caller, i, 1);
		if (predict)
		{
			(*predictions)[i].error_key = column_copy(caller, i, 2);
			(*predictions)[i].error_reason = column_copy(caller, i, 3);
			(*predictions)[i].detail = column_copy(caller, i, 4);
		}
	}
	SPI_finish();
	atl_unpin_search_path(pinned);
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
