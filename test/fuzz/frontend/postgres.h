/*
 * Stands in for the server's postgres.h when a fuzz target builds a file of
 * the extension against the frontend build of PostgreSQL's common code
 * (libpgcommon: the same JSON lexer, palloc over malloc).
 */
#include "postgres_fe.h"
