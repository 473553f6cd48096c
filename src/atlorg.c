/*
 * atlorg.c: module entry point.  _PG_init initialises libcurl, defines the
 * settings (guc.c) and the statement guard's hooks (guard_statement.c),
 * and, when preloaded, asks for the shared memory of the executor
 * (exec_slots.c) and of the organizations' budgets (pace_budget.c) and
 * registers the launcher (exec_launcher.c).
 *
 * The other files of src/ are named by layer: fdw_ (servers, credentials),
 * http_, api_, pace_, read_, sync_, csv_, act_, view_, guard_, run_ and
 * exec_; the README's "How it works" says what each layer does.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"

#include "pace_budget.h"
#include "exec.h"
#include "exec_launcher.h"
#include "guc.h"
#include "guard_statement.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
atl_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	atl_executor_shmem_request();
	atl_budget_shmem_request();
}

static void
atl_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	atl_executor_shmem_startup();
	atl_budget_shmem_startup();
}

void
_PG_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("atlorg: could not initialize libcurl")));
	atl_define_gucs();
	atl_statement_guard_init();

	/* actions need the executor's shared memory: only when preloaded */
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = atl_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = atl_shmem_startup;
	atl_launcher_register();
}
