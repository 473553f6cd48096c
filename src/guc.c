/*
 * guc.c: atlorg's configuration parameters.
 *
 * Timeouts and retry bounds are user-settable (a session may want to wait
 * longer); nothing here can weaken TLS verification or reveal a secret.
 * atlorg.ca_file chooses whom to trust, so only a superuser may set it.
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "guc.h"

char	   *atl_default_server = NULL;
int			atl_connect_timeout_ms = 10000;
int			atl_request_timeout_ms = 60000;
int			atl_max_retries = 5;
int			atl_retry_max_wait_ms = 60000;
int			atl_max_pause_ms = 60000;
int			atl_max_response_kb = 64 * 1024;
int			atl_worker_idle_ms = 10000;
int			atl_max_in_flight = 10;
int			atl_last_active_rate = 200;
int			atl_executor_in_flight = 128;
int			atl_audit_retention_days = 0;
double		atl_action_rate = 100;
bool		atl_dry_run = false;
bool		atl_also_remove_other_grants = false;
bool		atl_background = false;
bool		atl_verify = false;
char	   *atl_run_label = NULL;
bool		atl_sync_slices = true;
char	   *atl_ca_file = NULL;
int			atl_max_statement_actions = 1000;
char	   *atl_protected_roles = NULL;

/*
 * atlorg.max_statement_actions: anyone may lower it, only a superuser may
 * raise it above the value the session started with (postgresql.conf,
 * ALTER SYSTEM, ALTER DATABASE/ROLE ... SET by a superuser).  The cap is
 * a DBA's ceiling against a wrong WHERE; a user may want a tighter one.
 */
static int
cap_value(int v)
{
	return v < 0 ? INT_MAX : v;
}

static bool
check_max_statement_actions(int *newval, void **extra, GucSource source)
{
	const char *ceiling_text;
	int			ceiling;

	if (source < PGC_S_INTERACTIVE || superuser())
		return true;
	ceiling_text = GetConfigOptionResetString("atlorg.max_statement_actions");
	ceiling = ceiling_text ? atoi(ceiling_text) : 1000;
	if (cap_value(*newval) <= cap_value(ceiling))
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("only a superuser may raise atlorg.max_statement_actions above %d", ceiling);
	GUC_check_errhint("Lower it, or ask a superuser to raise the ceiling (ALTER ROLE ... SET atlorg.max_statement_actions).");
	return false;
}

/* atlorg.protected_roles: a list of role ids, each non-empty */
static bool
check_protected_roles(char **newval, void **extra, GucSource source)
{
	char	   *raw = pstrdup(*newval);
	List	   *roles = NIL;
	bool		ok = SplitGUCList(raw, ',', &roles);

	list_free(roles);
	pfree(raw);
	if (!ok)
		GUC_check_errdetail("The list of role ids is malformed; write them separated by commas, e.g. atlassian/org-admin, atlassian/site-admin.");
	return ok;
}

void
atl_define_gucs(void)
{
	DefineCustomStringVariable("atlorg.server",
							   "The atlorg server used when a function is called without one.",
							   "Needed only when more than one atlorg server exists.",
							   &atl_default_server, NULL, PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("atlorg.connect_timeout",
							"Time allowed to connect to the Atlassian API.",
							NULL, &atl_connect_timeout_ms, 10000, 100, 600000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("atlorg.request_timeout",
							"Time allowed for one HTTP request, connection included.",
							NULL, &atl_request_timeout_ms, 60000, 100, 3600000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("atlorg.max_retries",
							"How often a request answered with 429 or 5xx is retried.",
							NULL, &atl_max_retries, 5, 0, 100,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("atlorg.retry_max_wait",
							"Longest wait before one retry, whatever Retry-After says.",
							NULL, &atl_retry_max_wait_ms, 60000, 0, 3600000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	/*
	 * A superuser's: a pause is shared by every session and database acting
	 * on the organization, so one session must not be able to lengthen it.
	 */
	DefineCustomIntVariable("atlorg.max_pause",
							"Longest wait an answer can impose: a Retry-After, or a rate limit's reset.",
							"A pause of the organization's requests, shared by all sessions, is cut to this; "
							"a retry that would need a longer wait is not made.",
							&atl_max_pause_ms, 60000, 0, 3600000,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	/* at most 256MB: a body must fit in memory, and its jsonb in jsonb's limits */
	DefineCustomIntVariable("atlorg.max_response_size",
							"Largest response body accepted from the API.",
							NULL, &atl_max_response_kb, 64 * 1024, 16, 256 * 1024,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("atlorg.worker_idle_timeout",
							"How long the executor waits for work before it exits.",
							"It is started again on demand.",
							&atl_worker_idle_ms, 10000, 100, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("atlorg.max_in_flight",
							"How many requests one call may have in flight at once.",
							NULL, &atl_max_in_flight, 10, 1, 100,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("atlorg.sync_slices",
							 "Whether atl_sync() reads the directory's users in disjoint slices at once.",
							 "Off: one cursor chain, as atl_users() reads them.",
							 &atl_sync_slices, true, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("atlorg.last_active_rate",
							"Requests a minute to the last-active-dates endpoint.",
							"Atlassian publishes a limit of 200 a minute per organization.",
							&atl_last_active_rate, 200, 1, 100000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	/*
	 * A superuser's (it is shared by every session of the database), and
	 * not PGC_SIGHUP, so that ALTER DATABASE ... SET can give a database
	 * its own: the executor connects to its database and reads it then.
	 */
	DefineCustomIntVariable("atlorg.executor_in_flight",
							"Most actions the executor of a database has in flight at once.",
							"It keeps as many as the pace needs over the round trip, up to this. "
							"Read when the executor starts.",
							&atl_executor_in_flight, 128, 1, 1000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("atlorg.audit_retention",
							"Days the executor keeps rows of atl_audit; 0 keeps them all.",
							"Older rows are deleted by the executor, at most once an hour.",
							&atl_audit_retention_days, 0, 0, 36500,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("atlorg.action_rate",
							 "Actions a second sent to one organization, by all sessions together.",
							 "Atlassian publishes no number for most endpoints; a 429 pauses the "
							 "organization's actions until its limit resets.  0: unpaced.",
							 &atl_action_rate, 100, 0, 100000,
							 /* the pace is the organization's: no one session may set it for all */
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("atlorg.dry_run",
							 "Record what actions would do, and send nothing.",
							 "An action's own dry_run argument takes precedence.",
							 &atl_dry_run, false, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("atlorg.also_remove_other_grants",
							 "Let a removal of product access take an account out of a group "
							 "that also grants something else.",
							 "For DELETE FROM atl_directory_access; atl_remove_access() has its own argument.",
							 &atl_also_remove_other_grants, false, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("atlorg.background",
							 "Set-based actions and UPDATE atl_directory queue a background run and return at once.",
							 "The run is queued in the caller's transaction: it happens if and only if that commits.",
							 &atl_background, false, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("atlorg.verify",
							 "Read every changed account back after its action and record whether Atlassian shows the change.",
							 NULL, &atl_verify, false, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("atlorg.run_label",
							   "A label for the runs this session starts (atl_runs.label).",
							   NULL, &atl_run_label, "", PGC_USERSET, 0, NULL, NULL, NULL);
	/*
	 * A superuser's: whoever chooses the trusted CAs can read every request,
	 * credentials included.  Verification itself cannot be turned off.
	 */
	DefineCustomStringVariable("atlorg.ca_file",
							   "File of PEM certificates of the CAs trusted to sign the API's certificate.",
							   "Empty: libcurl's default trust store.  For a TLS-inspecting proxy, or a test CA.",
							   &atl_ca_file, "", PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("atlorg.max_statement_actions",
							"Most requests one statement may send; -1: no cap.",
							"A statement that would send more fails, and sends nothing more.  "
							"Anyone may lower it; only a superuser may raise it above the session's starting value.",
							&atl_max_statement_actions, 1000, -1, INT_MAX,
							PGC_USERSET, 0, check_max_statement_actions, NULL, NULL);
	/*
	 * A superuser's: which roles protect an account is the organization's
	 * policy, not one session's; a call's force => true stays the visible
	 * way past it.
	 */
	DefineCustomStringVariable("atlorg.protected_roles",
							   "Roles that protect an account from actions (unless forced).",
							   "Role ids, separated by commas, as the mirror knows them: in an account's platform "
							   "roles or its product access on a site.  Empty: no role protects.",
							   &atl_protected_roles, ATL_DEFAULT_PROTECTED_ROLES, PGC_SUSET,
							   GUC_LIST_INPUT, check_protected_roles, NULL, NULL);
	MarkGUCPrefixReserved("atlorg");
}
