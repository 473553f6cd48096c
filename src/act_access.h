/*
 * act_access.h: removing and granting product access on a site (act_access.c),
 * for atl_remove_access()/atl_grant_access() and DELETE/INSERT on
 * atl_directory_access.
 *
 * A change is planned from live reads by atlorg's internal SQL functions
 * (sql/44_access.sql: which roles to revoke, which groups to leave, and
 * what to refuse), then its requests run through the action engine
 * (act.h), one audit row each.
 */
#ifndef ATLORG_ACT_ACCESS_H
#define ATLORG_ACT_ACCESS_H

#include "access/tupdesc.h"

#include "act.h"

typedef struct AccessChange
{
	bool		grant;			/* grant (else remove) */
	char	  **account_ids;
	int			n;
	const char *product;
	const char *site;			/* name, URL, cloud id or ARI */
	const char *role;			/* grant: the role */
	bool		also_other_grants;	/* remove: may leave groups that grant more */
	const char *server;			/* NULL: the default */
	bool		dry_run;
	bool		force;
} AccessChange;

/*
 * Plans the change and runs its requests, passing each audit row (as desc)
 * to sink.  Returns how many of the accounts had nothing to remove (no
 * access there), for the caller's report.
 */
extern int	atl_access_run(const AccessChange *change, TupleDesc desc, ActionRowSink sink,
						   void *arg);

#endif
