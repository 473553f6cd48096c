/*
 * guard_declared.h: a C entry point checks its own SQL declaration before it
 * reads an argument or fills a row.  Only a superuser can declare a C
 * function, but a declaration that disagrees with the C code would make it
 * read memory as the wrong type: this turns that into an error (42P13).
 */
#ifndef ATLORG_GUARD_DECLARED_H
#define ATLORG_GUARD_DECLARED_H

#include "fmgr.h"

/*
 * The function is declared with exactly these argument types and returns
 * result (a set of them when set); with columns, rows of exactly these
 * column types (result InvalidOid: whatever row type has them).
 */
extern void atl_check_declaration(FunctionCallInfo fcinfo, const Oid *args, int nargs,
								  Oid result, bool set, const Oid *columns, int ncolumns);

#endif
