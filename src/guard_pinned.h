/*
 * guard_pinned.h: SQL that atlorg runs itself (through SPI, in a caller's
 * session) resolves names only in pg_catalog and, qualified, atlorg: the
 * caller's search_path, and whatever they planted along it, never counts.
 */
#ifndef ATLORG_GUARD_PINNED_H
#define ATLORG_GUARD_PINNED_H

/* search_path = pg_catalog, pg_temp until atl_unpin_search_path(level) */
extern int	atl_pin_search_path(void);
extern void atl_unpin_search_path(int level);

#endif
