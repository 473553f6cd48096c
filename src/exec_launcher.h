/*
 * exec_launcher.h: the background worker that starts each database's executor
 * when the server starts (exec_launcher.c).
 */
#ifndef ATLORG_EXEC_LAUNCHER_H
#define ATLORG_EXEC_LAUNCHER_H

/* from _PG_init, while shared_preload_libraries loads */
extern void atl_launcher_register(void);

#endif
