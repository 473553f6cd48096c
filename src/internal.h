/*
 * internal.h: calling atlorg's internal SQL functions from C.
 *
 * Internal functions (comment kind "internal:") are granted to nobody: a
 * user cannot call them with values of their making.  atlorg's C code calls
 * them directly through fmgr, which checks no privilege.
 */
#ifndef ATLORG_INTERNAL_H
#define ATLORG_INTERNAL_H

#include "fmgr.h"

/* atlorg.<name>(args...), none of them null */
extern Datum atl_call_internal(const char *name, int nargs, Datum *args, Oid *argtypes);

/* the same, where args[i] may be null (nulls[i]) */
extern Datum atl_call_internal_nulls(const char *name, int nargs, Datum *args,
									 const bool *nulls, Oid *argtypes);

#endif
