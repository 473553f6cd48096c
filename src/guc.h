/*
 * guc.h: atlorg's configuration parameters (atlorg.*).
 */
#ifndef ATLORG_GUC_H
#define ATLORG_GUC_H

extern char *atl_default_server;	/* atlorg.server */
extern int	atl_connect_timeout_ms; /* atlorg.connect_timeout */
extern int	atl_request_timeout_ms; /* atlorg.request_timeout */
extern int	atl_max_retries;		/* atlorg.max_retries */
extern int	atl_retry_max_wait_ms;	/* atlorg.retry_max_wait */
extern int	atl_max_pause_ms;		/* atlorg.max_pause */
extern int	atl_max_response_kb;	/* atlorg.max_response_size */
extern int	atl_worker_idle_ms;		/* atlorg.worker_idle_timeout */
extern int	atl_max_in_flight;		/* atlorg.max_in_flight */
extern int	atl_last_active_rate;	/* atlorg.last_active_rate */
extern int	atl_executor_in_flight;	/* atlorg.executor_in_flight */
extern double atl_action_rate;		/* atlorg.action_rate */
extern int	atl_audit_retention_days;	/* atlorg.audit_retention */
extern bool atl_dry_run;			/* atlorg.dry_run */
extern bool atl_also_remove_other_grants;	/* atlorg.also_remove_other_grants */
extern bool atl_background;		/* atlorg.background */
extern bool atl_verify;			/* atlorg.verify */
extern char *atl_run_label;		/* atlorg.run_label */
extern bool atl_sync_slices;		/* atlorg.sync_slices */
extern char *atl_ca_file;			/* atlorg.ca_file */
extern int	atl_max_statement_actions;	/* atlorg.max_statement_actions */
extern char *atl_protected_roles;	/* atlorg.protected_roles */

/* org admins, site admins, product admins */
#define ATL_DEFAULT_PROTECTED_ROLES "atlassian/org-admin, atlassian/site-admin, atlassian/admin"

extern void atl_define_gucs(void);

#endif
