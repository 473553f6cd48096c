/*
 * api_json_peek.h: one string of a JSON document, read off its tokens
 * before the document is checked and converted to jsonb.
 *
 * The pager uses it to learn the next page's cursor (links.next) as soon
 * as a page has arrived, and asks for that page before checking and
 * converting this one, so that paging takes pages x round trip, not
 * pages x (round trip + the page's check and conversion).
 */
#ifndef ATLORG_API_JSON_PEEK_H
#define ATLORG_API_JSON_PEEK_H

typedef struct AtlJsonPeek
{
	const char *outer;			/* a key of the top-level object */
	const char *inner;			/* a key of the object that is its value */

	/*
	 * Called with the string there, or NULL, before the document is
	 * checked: it may yet prove invalid, and its string then means nothing.
	 */
	void		(*then) (const char *value, void *arg);
	void	   *arg;
} AtlJsonPeek;

/*
 * The string at outer.inner of text, or NULL (none there, or text is not
 * JSON as far as it was read).  A key given twice counts as jsonb counts
 * it: the last one wins.
 */
extern char *atl_json_peek(const char *text, int len, const char *outer, const char *inner);

#endif
