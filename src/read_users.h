/*
 * read_users.h: a users/search item as a row of atl_users() (read_users.c),
 * for the readers that page the directory in other ways (sync_users.c,
 * sync_slice_pages.c).
 */
#ifndef ATLORG_READ_USERS_H
#define ATLORG_READ_USERS_H

#include "fmgr.h"
#include "access/tupdesc.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

/* the users/search body member that asks for everything a row holds */
#define ATL_USERS_EXPAND "\"expand\":[\"platformRoles\",\"productAccess\",\"groups\"]"

/* the users/search page size atl_users() asks for (the API's maximum) */
#define ATL_USERS_PAGE_SIZE 100

/* one user (an object of a page's "data") as a row of desc, into ts */
extern void atl_users_put(Tuplestorestate *ts, TupleDesc desc, JsonbContainer *user);

/* the same for a page item that may be anything: non-objects are skipped */
extern void atl_users_put_item(Tuplestorestate *ts, TupleDesc desc, JsonbValue *item);

/* atl_users()'s declaration, checked against the caller's */
extern void atl_users_check_declaration(FunctionCallInfo fcinfo, const Oid *args, int nargs);

#endif
