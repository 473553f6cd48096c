/*
 * action_many.c: atl_act_many(ops, account_ids, group_ids, bodies, server,
 * dry_run, force), the set-based form of every action: all checked first,
 * then run through the executor many at once (atl_executor_run_many()),
 * one audit row per account as each ends.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "action_ops.h"
#include "actions.h"
#include "executor.h"
#include "source.h"
#include "validate.h"


typedef struct ManyActions
{
	const ActionOp **ops;		/* one for all, or one each */
	int			nops;
	AtlSource  *src;
	int			n;
	int			next;
	Datum	   *ids;
	Datum	   *groups;			/* NULL, one for all, or one each */
	bool	   *group_nulls;
	int			ngroups;
	Datum	   *bodies;			/* likewise */
	bool	   *body_nulls;
	int			nbodies;
	bool		dry_run;
	char	  **protections;	/* NULL when forced */
	bool	   *repeated;		/* the same action as an earlier element */
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext row_cxt;
} ManyActions;

/*
 * The elements of a 1-D array argument, or NULL.  Where *nulls is NULL,
 * none may be null.
 */
static Datum *
array_arg(FunctionCallInfo fcinfo, int argno, Oid elemtype, const char *what, int *n,
		  bool **nulls)
{
	Datum	   *elems;
	bool	   *isnull;

	*n = 0;
	if (PG_ARGISNULL(argno))
		return NULL;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(argno), elemtype, -1, false, TYPALIGN_INT,
					  &elems, &isnull, n);
	for (int i = 0; i < *n && nulls == NULL; i++)
		if (isnull[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("%s must not contain nulls", what)));
	if (nulls)
		*nulls = isnull;
	return elems;
}

/* an argument given once for all accounts, or once for each; false if null */
static bool
nth(Datum *values, bool *nulls, int count, int i, Datum *value)
{
	int			k = count == 1 ? 0 : i;

	if (values == NULL || nulls[k])
		return false;
	*value = values[k];
	return true;
}

static char *
nth_text(const ManyActions *m, int i)
{
	Datum		d;

	return nth(m->groups, m->group_nulls, m->ngroups, i, &d) ? TextDatumGetCString(d) : NULL;
}

static char *
nth_body(const ManyActions *m, int i)
{
	Datum		d;

	return nth(m->bodies, m->body_nulls, m->nbodies, i, &d) ? atl_jsonb_text(DatumGetJsonbP(d)) : NULL;
}

static const ActionOp *
op_of(const ManyActions *m, int i)
{
	return m->ops[m->nops == 1 ? 0 : i];
}

static void
check_counts(const ManyActions *m)
{
	if (m->nops == 0 || (m->nops != 1 && m->nops != m->n) ||
		(m->groups && m->ngroups != 1 && m->ngroups != m->n) ||
		(m->bodies && m->nbodies != 1 && m->nbodies != m->n))
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%d accounts need one action, group id and body for all, or one for each",
						m->n)));
	for (int i = 0; i < m->n; i++)
	{
		atl_check_account_id(TextDatumGetCString(m->ids[i]));
		atl_action_op_check_group(op_of(m, i), nth_text(m, i));
	}
}

/* the actions named, from the catalogue */
static void
resolve_ops(ManyActions *m, FunctionCallInfo fcinfo)
{
	Datum	   *names = array_arg(fcinfo, 0, TEXTOID, "actions", &m->nops, NULL);

	m->ops = palloc(sizeof(ActionOp *) * Max(m->nops, 1));
	for (int i = 0; i < m->nops; i++)
		m->ops[i] = atl_action_op(TextDatumGetCString(names[i]));
}

/* a datum's bytes (text or jsonb: equal values, equal bytes), for sorting */
static int
compare_varlena(Datum a, Datum b)
{
	struct varlena *va = PG_DETOAST_DATUM_PACKED(a);
	struct varlena *vb = PG_DETOAST_DATUM_PACKED(b);
	int			la = VARSIZE_ANY_EXHDR(va);
	int			lb = VARSIZE_ANY_EXHDR(vb);
	int			c = memcmp(VARDATA_ANY(va), VARDATA_ANY(vb), Min(la, lb));

	return c != 0 ? c : (la > lb) - (la < lb);
}

/* nulls first */
static int
compare_nullable(Datum *values, bool *nulls, int i, int j)
{
	if (nulls[i] || nulls[j])
		return (int) nulls[j] - (int) nulls[i];
	return compare_varlena(values[i], values[j]);
}

static ManyActions *sorting;	/* qsort's comparator has no argument */

static int
compare_actions(const void *a, const void *b)
{
	int			i = *(const int *) a;
	int			j = *(const int *) b;
	int			c = compare_varlena(sorting->ids[i], sorting->ids[j]);

	if (c == 0 && sorting->nops > 1)	/* the catalogue's entries: same op, same address */
		c = (op_of(sorting, i) > op_of(sorting, j)) - (op_of(sorting, i) < op_of(sorting, j));
	if (c == 0 && sorting->groups && sorting->ngroups > 1)
		c = compare_nullable(sorting->groups, sorting->group_nulls, i, j);
	if (c == 0 && sorting->bodies && sorting->nbodies > 1)
		c = compare_nullable(sorting->bodies, sorting->body_nulls, i, j);
	return c != 0 ? c : (i > j) - (i < j);
}

/*
 * The same action asked for twice in one call is one intent: it is sent
 * (and recorded) once, for its first element.
 */
static void
mark_repeats(ManyActions *m)
{
	int		   *order = palloc(sizeof(int) * m->n);

	m->repeated = palloc0(sizeof(bool) * m->n);
	for (int i = 0; i < m->n; i++)
		order[i] = i;
	sorting = m;
	qsort(order, m->n, sizeof(int), compare_actions);
	for (int k = 1; k < m->n; k++)
	{
		int			prev = order[k - 1];
		int			i = order[k];

		m->repeated[i] = compare_varlena(m->ids[prev], m->ids[i]) == 0 &&
			op_of(m, prev) == op_of(m, i) &&
			(m->groups == NULL || m->ngroups == 1 ||
			 compare_nullable(m->groups, m->group_nulls, prev, i) == 0) &&
			(m->bodies == NULL || m->nbodies == 1 ||
			 compare_nullable(m->bodies, m->body_nulls, prev, i) == 0);
	}
	pfree(order);
}

static bool
next_action(AtlActionRequest *req, void *arg)
{
	ManyActions *m = arg;
	MemoryContext old;
	int			i = m->next;

	while (i < m->n && m->repeated[i])
		i++;
	if (i >= m->n)
		return false;
	m->next = i + 1;
	old = MemoryContextSwitchTo(m->row_cxt);
	atl_action_op_request(req, op_of(m, i), m->src, TextDatumGetCString(m->ids[i]),
				  nth_text(m, i), nth_body(m, i),
				  m->dry_run, m->protections ? m->protections[i] : NULL);
	MemoryContextSwitchTo(old);
	MemoryContextReset(m->row_cxt);
	return true;
}

static void
put_row(const AtlActionRequest *req, const AtlActionResult *res, void *arg)
{
	ManyActions *m = arg;
	MemoryContext old = MemoryContextSwitchTo(m->row_cxt);

	tuplestore_puttuple(m->store, atl_action_audit_tuple(m->desc, req, res));
	MemoryContextSwitchTo(old);
	MemoryContextReset(m->row_cxt);
}

PG_FUNCTION_INFO_V1(atl_act_many);

/*
 * atl_act_many(ops text[], account_ids text[], group_ids text[], bodies jsonb[],
 * server, dry_run, force): the accounts' audit rows, in the order their
 * requests end.  Everything is checked before anything is sent; an action
 * listed twice is done once.
 */
Datum
atl_act_many(PG_FUNCTION_ARGS)
{
	ManyActions m = {0};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	resolve_ops(&m, fcinfo);
	m.ids = array_arg(fcinfo, 1, TEXTOID, "account ids", &m.n, NULL);
	m.groups = array_arg(fcinfo, 2, TEXTOID, "group ids", &m.ngroups, &m.group_nulls);
	m.bodies = array_arg(fcinfo, 3, JSONBOID, "bodies", &m.nbodies, &m.body_nulls);
	check_counts(&m);
	InitMaterializedSRF(fcinfo, 0);
	if (m.n == 0)
		return (Datum) 0;
	mark_repeats(&m);
	m.src = atl_action_op_source(m.ops, m.nops, fcinfo, 4);
	m.dry_run = atl_action_dry_run(fcinfo, 5);
	if (!atl_action_force(fcinfo, 6))
		m.protections = atl_action_protections(fcinfo, m.src, PG_GETARG_DATUM(1));
	m.store = rsinfo->setResult;
	m.desc = rsinfo->setDesc;
	m.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "atlorg action row",
									  ALLOCSET_SMALL_SIZES);
	atl_executor_run_many(next_action, put_row, &m);
	return (Datum) 0;
}
