/*
 * sync_slice_pages.h: paging the slices of a plan (sync_slices.h) at once,
 * one cursor chain each, through the batch driver, paced by the
 * organization's budget (pace_gate.h).  Each slice's users go into its own
 * tuplestore, so that a slice read again replaces only its own; every account id read is kept,
 * and one read in two slices marks both (they were not disjoint when read).
 */
#ifndef ATLORG_SYNC_SLICE_PAGES_H
#define ATLORG_SYNC_SLICE_PAGES_H

#include "sync_slices.h"

/*
 * Page the slices marked in which[] (forgetting what they held before)
 * into rows of desc.  Any error answer raises, as atl_users() would.
 */
extern void atl_slices_page(const AtlSource *src, AtlSlicePlan *plan, const bool *which,
							TupleDesc desc);

/* end the slices' stores (their temporary files) */
extern void atl_slices_free(AtlSlicePlan *plan);

#endif
