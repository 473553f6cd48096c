/*
 * http_text.h: text that came from the remote side (an answer's body, a
 * header, libcurl's words about it), made fit to store and to show.
 *
 * PostgreSQL stores whatever bytes a C string holds in a text column; bytes
 * that are not valid in the database encoding are accepted on the way in
 * and refused on the way back (a pg_dump of the table does not restore).
 * So every text from outside is made valid first, and every copy into a
 * fixed buffer is cut at a character boundary.  Nothing here throws, so
 * the executor may use it on any answer.
 */
#ifndef ATLORG_HTTP_TEXT_H
#define ATLORG_HTTP_TEXT_H

/*
 * s (len bytes) as valid text in the database encoding: itself when it
 * already is, else a palloc'd copy in which every invalid byte (and NUL) is
 * replaced by U+FFFD (in UTF-8; '?' in other encodings) and a character cut
 * short at the end is dropped.  *out_len, when given, is the result's length.
 */
extern char *atl_remote_text(const char *s, int len, int *out_len);

/* src made valid, then copied into dst[size], cut at a character boundary */
extern void atl_remote_text_copy(char *dst, size_t size, const char *src);

/* s (len bytes) made valid and cut to at most max_bytes, palloc'd */
extern char *atl_remote_text_clip(const char *s, int len, int max_bytes);

#endif
