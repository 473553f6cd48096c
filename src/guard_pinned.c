/*
 * guard_pinned.c: a pinned search_path around atlorg's own SPI queries (as
 * PostgreSQL's maintenance commands do since version 17).  pg_temp comes
 * last, so that a temporary table cannot shadow a relation either; the
 * queries name atlorg's objects with their schema.
 */
#include "postgres.h"

#include "utils/guc.h"

#include "guard_pinned.h"

int
atl_pin_search_path(void)
{
	int			level = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

void
atl_unpin_search_path(int level)
{
	AtEOXact_GUC(true, level);
}
