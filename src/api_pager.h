/*
 * api_pager.h: walking the pages of a catalogue operation.
 *
 * The caller's parameters come as jsonb: {"path": {"accountId": ...},
 * "query": {"name": value or [values]}, "body": {...}}.  Each call of
 * atl_pager_next() sends one request and returns that page's items; paging
 * follows the operation's style (cursor in the body, cursor or next-URL in
 * the query, startAt) until the API says there is no more.
 */
#ifndef ATLORG_API_PAGER_H
#define ATLORG_API_PAGER_H

#include "utils/hsearch.h"

#include "api_catalogue.h"
#include "api_json.h"
#include "fdw_source.h"

/*
 * The cursors (or next-page URLs) one chain of pages has followed.  An API
 * that hands out a cursor it handed out before would be paged forever: the
 * chain notices, and paging fails instead.
 */
typedef struct AtlCursorChain
{
	HTAB	   *seen;			/* hash of the cursor -> where it was seen */
	MemoryContext cxt;			/* where the chain lives */
} AtlCursorChain;

/*
 * Note that page number `page` of the chain points to `cursor`.  Returns 0,
 * or the page that pointed to the same cursor before.  Lives in the memory
 * context current at the first call.
 */
extern int64 atl_cursor_chain_add(AtlCursorChain *chain, const char *cursor, int64 page);

/* the error for a repeated cursor: paging `what` (an operation) would never end */
extern void atl_cursor_chain_error(const char *what, const char *cursor, int64 page,
								   int64 first_page) pg_attribute_noreturn();

typedef struct AtlPager
{
	const AtlSource *src;
	const AtlReadOp *op;
	MemoryContext cxt;			/* where the pager's own state lives */
	char	   *base_url;		/* the operation's URL, without a query */
	char	   *query;			/* the caller's query parameters, encoded */
	char	   *body_fields;	/* the caller's body members, without braces */
	char	   *next;			/* cursor, or the next page's full URL */
	int64		start_at;
	int64		wanted;			/* items the caller still wants; -1: all */
	struct AtlApiCall *prefetch;	/* the next page, already requested */
	char	   *early_next;		/* the cursor it was asked for by, if early */
	MemoryContext prefetch_cxt[2];	/* a request and answer each; reset once read */
	int			prefetch_in;	/* the one prefetch is in */
	AtlCursorChain cursors;		/* every next cursor followed */
	int64		pages;			/* pages read so far */
	bool		done;
} AtlPager;

/* the items of one page */
typedef struct AtlPage
{
	JsonbValue	items;			/* jbvBinary: an array, or the one item itself */
	bool		single;			/* items is the one item */
	int			count;
} AtlPage;

extern void atl_pager_init(AtlPager *pager, const AtlSource *src,
						   const AtlReadOp *op, Jsonb *params);

/*
 * The next page, or false when there is none.  Unless the caller has all
 * the items it wants (pager->wanted), the page after it is requested before
 * this one is returned, so the API works while the caller builds rows.  A
 * caller that wants every item has it requested sooner still: as soon as
 * its cursor is read, before this page is converted to jsonb.
 */
extern bool atl_pager_next(AtlPager *pager, AtlPage *page);

/* stop: a prefetched page is not waited for */
extern void atl_pager_end(AtlPager *pager);

/*
 * Every item of every page, up to pager->wanted, handed to fn in a memory
 * context reset after each page; then the pager ends.
 */
typedef void (*AtlPageItemFn) (JsonbValue *item, void *arg);
extern void atl_pager_each(AtlPager *pager, AtlPageItemFn fn, void *arg);
/* the i-th item, as an object container (NULL if not an object) */
extern JsonbContainer *atl_page_item(const AtlPage *page, int i);

/* the i-th item as a value (for atl_read(), which returns it as jsonb) */
extern JsonbValue *atl_page_item_value(const AtlPage *page, int i);

#endif
