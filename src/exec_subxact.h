/*
 * exec_subxact.h: a step the executor may see fail without failing itself (a
 * read back, a role's credentials): run in a subtransaction, its error
 * caught and handed back as text.
 */
#ifndef ATLORG_EXEC_SUBXACT_H
#define ATLORG_EXEC_SUBXACT_H

/*
 * fn(arg) inside a subtransaction of the current transaction: true if it
 * returned; false if it raised an error, then *error is its message (in
 * the caller's memory context) and its effects are rolled back.
 */
extern bool atl_subxact_try(void (*fn) (void *arg), void *arg, char **error);

#endif
