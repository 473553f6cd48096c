/*
 * exec_launcher.c: at server start (and after every crash and restart), start
 * an executor for every database that accepts connections, so that the
 * background runs queued there go on by themselves, and the requests left
 * in flight are reconciled, with nobody connected.  An executor finds out
 * whether atlorg is installed in its database and leaves at once if not;
 * one with nothing to do leaves after atlorg.worker_idle_timeout.  The
 * launcher then sleeps until the server stops.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

#include "exec.h"
#include "exec_launcher.h"

PGDLLEXPORT void atl_launcher_main(Datum main_arg);

void
atl_launcher_register(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;	/* seconds, after a crash */
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "atlorg");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "atl_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "atlorg launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "atlorg launcher");
	RegisterBackgroundWorker(&worker);
}

/* the databases an executor may connect to */
static List *
connectable_databases(void)
{
	List	   *dbs = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (db->datallowconn && !db->datistemplate)
			dbs = lappend_oid(dbs, db->oid);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return dbs;
}

static void
start_executors(void)
{
	Oid			role;
	List	   *dbs;
	ListCell   *lc;

	StartTransactionCommand();
	role = get_role_oid("atlorg_executor", true);
	CommitTransactionCommand();
	if (!OidIsValid(role))
		return;					/* atlorg was never installed in this cluster */
	dbs = connectable_databases();
	foreach(lc, dbs)
	{
		BackgroundWorkerHandle *handle;

		if (!atl_executor_launch(lfirst_oid(lc), role, 0, &handle))
			ereport(LOG,
					(errmsg("atlorg launcher: no background worker slot to start an executor for database %u",
							lfirst_oid(lc)),
					 errhint("Its queued runs go on when the next action there starts an executor.")));
	}
}

void
atl_launcher_main(Datum main_arg)
{
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	/* no database: the shared catalogs (pg_database, pg_authid) are enough */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	start_executors();
	for (;;)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH, -1L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}
