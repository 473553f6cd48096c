/*
 * guard_internal.h: calling atlorg's internal SQL functions from C.
 *
 * Internal functions (comment kind "internal:") are granted to nobody: a
 * user cannot call them with values of their making.  atlorg's C code calls
 * them directly through fmgr, which checks no privilege.  The writable
 * views' statement triggers, which call them, first make sure they run as
 * the trigger of their own table (atl_statement_trigger).
 */
#ifndef ATLORG_GUARD_INTERNAL_H
#define ATLORG_GUARD_INTERNAL_H

#include "commands/trigger.h"
#include "fmgr.h"

/* atlorg.<name>(args...), none of them null */
extern Datum atl_call_internal(const char *name, int nargs, Datum *args, Oid *argtypes);

/* the same, where args[i] may be null (nulls[i]) */
extern Datum atl_call_internal_nulls(const char *name, int nargs, Datum *args,
									 const bool *nulls, Oid *argtypes);

/*
 * The trigger data of fn, which runs only as the AFTER INSERT statement
 * trigger (with a transition table) of atlorg.<table>: an error otherwise.
 */
extern TriggerData *atl_statement_trigger(FunctionCallInfo fcinfo, const char *table,
										  const char *fn);

#endif
