/*
 * exec.h: actions go through a background worker, so that their audit
 * rows survive the caller's transaction.
 *
 * A backend puts its actions into slots in shared memory (up to 64 at a
 * time) and waits; the database's executor worker (started on demand, one
 * per database) takes what is queued, writes the intents to atl_audit and
 * commits, sends the requests (many at once, each organization at its
 * shared pace: pace_budget.h), writes the outcomes and commits, then hands the
 * results back.  A caller that is cancelled or fails stops waiting; the
 * worker still finishes and records its requests (one not yet sent is
 * recorded as cancelled and never sent).  A request whose worker died
 * mid-flight stays 'pending' until the next worker reconciles it
 * (exec_reconcile.h) or, if no read can tell, marks it 'unknown'.
 *
 * The backends' side is exec_client.c; the slots' shared memory and the
 * worker's side of it are exec_slots.c; the worker itself is exec_worker.c.
 */
#ifndef ATLORG_EXEC_H
#define ATLORG_EXEC_H

#include "datatype/timestamp.h"

#include "http.h"
#include "guard_url.h"

#define ATL_ACTION_MAX 32
#define ATL_URL_MAX 2048
#define ATL_BODY_MAX 4096
#define ATL_SECRET_MAX 1024
#define ATL_ERROR_TEXT_MAX 1024

typedef struct AtlActionRequest
{
	char		action[ATL_ACTION_MAX];
	char		account_id[ATL_ACCOUNT_ID_MAX + 1];
	char		target[ATL_ACCOUNT_ID_MAX + 1];	/* the group or token, "" if none */
	char		server[NAMEDATALEN];
	char		acted_by[NAMEDATALEN];	/* the role in effect: current_user */
	char		session_role[NAMEDATALEN];	/* who logged in: session_user */
	int			backend_pid;
	TimestampTz statement_at;	/* the caller's statement start: its run */
	char		method[8];
	char		url[ATL_URL_MAX];
	char		body[ATL_BODY_MAX];	/* "" for none */
	char		api_key[ATL_SECRET_MAX];	/* or the site's API token */
	AtlAuthKind auth;
	char		username[256];	/* basic auth: the site's e-mail */
	AtlHttpLimits limits;
	uint64		org_key;		/* whose rate budget it spends (pace_budget.h) */
	double		per_second;		/* the pace of that budget: atlorg.action_rate */
	bool		dry_run;		/* record, send nothing */
	char		skip_reason[512];	/* protected: record as skipped, send nothing */
	/* a dry run's: what Atlassian would answer (act_predict.h); "" if it would go through */
	char		predicted_key[128];
	char		predicted_reason[128];
	char		predicted[512];
	int64		run_id;			/* its run (run_shmem.h); 0 in a database still at 1.0 */
	int32		queue_seq;		/* a background run's queue row; 0: none */
	bool		background;		/* from atl_queue, not from a waiting caller */
	bool		verify;			/* read the account back after a success */
	bool		cancelled;		/* its run was cancelled: record, send nothing */
	bool		unsendable;		/* no credentials: recorded as failed, skip_reason says why */
	bool		resent;			/* sent again after a crash: the first send counts as an attempt */
	Oid			acted_by_oid;	/* whose credentials (a background run's) */
} AtlActionRequest;

/* what reading the account back after its action showed */
#define ATL_VERIFIED_UNREAD 0
#define ATL_VERIFIED_SHOWN 1
#define ATL_VERIFIED_NOT_SHOWN 2

typedef struct AtlActionResult
{
	int64		audit_id;		/* 0 until the intent is recorded */
	TimestampTz requested_at;
	TimestampTz finished_at;
	char		outcome[16];
	int			http_status;	/* 0: no HTTP answer */
	char		error_key[128];
	char		error_reason[128];
	char		error_detail[ATL_ERROR_TEXT_MAX];
	int			attempts;
	double		elapsed_ms;
	int			verified;		/* atlorg.verify: ATL_VERIFIED_* */
} AtlActionResult;

/* shared memory, requested from _PG_init when preloaded */
extern void atl_executor_shmem_request(void);
extern void atl_executor_shmem_startup(void);

/* backend: run one action through the executor, waiting for its result */
extern void atl_executor_run(const AtlActionRequest *req, AtlActionResult *res);

/*
 * backend: run many actions at once.  next fills in the next request (false
 * when there is none), as room in the executor allows, so that a long list
 * is never all in memory; on_result hears of each as it ends, in the order
 * they end.  A caller that is cancelled stops waiting: what was handed over
 * is finished (or cancelled, if unsent) and recorded by the executor; what
 * was not is never sent.
 */
typedef bool (*AtlActionNext) (AtlActionRequest *req, void *arg);
typedef void (*AtlActionDone) (const AtlActionRequest *req, const AtlActionResult *res,
							   void *arg);
extern void atl_executor_run_many(AtlActionNext next, AtlActionDone on_result, void *arg);

/* make sure the database's executor runs and looks at its queue now */
extern void atl_executor_wake(void);
/* the same when this transaction commits (a background run was queued) */
extern void atl_executor_wake_at_commit(void);

/* start an executor for a database (the backends' launch, and the launcher's) */
typedef struct BackgroundWorkerHandle BackgroundWorkerHandle;
extern bool atl_executor_launch(Oid dboid, Oid executor_role, pid_t notify_pid,
								BackgroundWorkerHandle **handle);

/* the worker's side of the slots (exec_slots.c), for exec_worker.c */
typedef struct AtlSlot AtlSlot;
extern bool atl_executor_register_worker(Oid dboid);
/* after recovery: known are the reconciled outcomes of the requests left in flight */
extern void atl_executor_resolve_orphans(Oid dboid, const AtlActionResult *known, int nknown);
extern bool atl_executor_retire_worker(Oid dboid);
extern AtlSlot *atl_executor_take(Oid dboid, AtlActionRequest *req);
extern bool atl_executor_cancel_requested(AtlSlot *slot);
extern bool atl_executor_run_has_slots(int64 run_id);
extern void atl_executor_publish_audit_id(AtlSlot *slot, int64 audit_id,
										  TimestampTz requested_at);
extern void atl_executor_finish(AtlSlot *slot, const AtlActionResult *res);

#endif
