/*
 * api_pager.c: the three paging styles of Atlassian's APIs (REFERENCE.md §2).
 */
#include "postgres.h"

#include <curl/curl.h>

#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "api.h"
#include "api_pager.h"
#include "http_text.h"
#include "guard_url.h"

#define CURSOR_SHOWN_MAX 100	/* bytes of a repeated cursor an error quotes */

typedef struct SeenCursor
{
	uint64		hash;			/* the key */
	char	   *cursor;
	int64		page;
} SeenCursor;

/*
 * The cursors are kept by a 64-bit hash, with the text to tell a collision
 * from a repeat; a collision forgets nothing that matters (the later cursor
 * is simply not remembered).
 */
int64
atl_cursor_chain_add(AtlCursorChain *chain, const char *cursor, int64 page)
{
	uint64		hash = hash_bytes_extended((const unsigned char *) cursor, strlen(cursor), 0);
	SeenCursor *entry;
	bool		found;

	if (chain->seen == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(uint64);
		ctl.entrysize = sizeof(SeenCursor);
		chain->cxt = CurrentMemoryContext;
		ctl.hcxt = chain->cxt;
		chain->seen = hash_create("atlorg page cursors", 64, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(chain->seen, &hash, HASH_ENTER, &found);
	if (!found)
	{
		entry->cursor = MemoryContextStrdup(chain->cxt, cursor);
		entry->page = page;
		return 0;
	}
	return strcmp(entry->cursor, cursor) == 0 ? entry->page : 0;
}

void
atl_cursor_chain_error(const char *what, const char *cursor, int64 page, int64 first_page)
{
	/* a next-page URL is on the API's own host: its path says enough */
	if (strstr(cursor, "://"))
		cursor = atl_api_url_path(cursor);
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("Atlassian API repeated a page cursor: paging would never end"),
			 errdetail("Paging %s, page " INT64_FORMAT " pointed to the same next page as page "
					   INT64_FORMAT " did: \"%s\".",
					   what, page, first_page,
					   atl_remote_text_clip(cursor, strlen(cursor), CURSOR_SHOWN_MAX))));
}

/* a path parameter's value: validated, then percent-encoded */
static char *
path_value(const AtlSource *src, const char *name, JsonbContainer *path_params)
{
	char	   *value;

	if (strcmp(name, "orgId") == 0)
		return src->org_id;
	if (strcmp(name, "directoryId") == 0)
		return src->directory_id;
	value = atl_json_text(path_params, name);
	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
	if (strcmp(name, "accountId") == 0)
		atl_check_account_id(value);
	else
		atl_check_object_id(name, value);
	return atl_url_escape(value);
}

/* the operation's path with every {placeholder} filled in */
static char *
expand_path(const AtlSource *src, const char *template, JsonbContainer *path_params)
{
	StringInfoData buf;
	const char *p = template;

	initStringInfo(&buf);
	while (*p)
	{
		const char *close;

		if (*p != '{' || (close = strchr(p, '}')) == NULL)
		{
			appendStringInfoChar(&buf, *p++);
			continue;
		}
		appendStringInfoString(&buf, path_value(src, pnstrdup(p + 1, close - p - 1), path_params));
		p = close + 1;
	}
	return buf.data;
}

static void
append_query_pair(StringInfo buf, const char *name, const char *value)
{
	appendStringInfo(buf, "%s%s=%s", buf->len ? "&" : "", name, atl_url_escape(value));
}

/* {"name": value or [values]} as name=value&name=value2..., encoded */
static char *
encode_query(JsonbContainer *query)
{
	StringInfoData buf;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	initStringInfo(&buf);
	if (query == NULL)
		return buf.data;
	it = JsonbIteratorInit(query);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		char	   *text;

		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if ((tok == WJB_VALUE || tok == WJB_ELEM) && key &&
				 (text = atl_jsonb_scalar_text(&v)) != NULL)
			append_query_pair(&buf, key, text);
	}
	return buf.data;
}

/* the members of a JSON object, without its braces: "a":1,"b":[2] */
static char *
body_members(JsonbContainer *body)
{
	char	   *text;
	size_t		len;

	if (body == NULL || JsonContainerSize(body) == 0)
		return "";
	text = JsonbToCString(NULL, body, -1);
	len = strlen(text);
	return pnstrdup(text + 1, len - 2);
}

void
atl_pager_init(AtlPager *pager, const AtlSource *src, const AtlReadOp *op, Jsonb *params)
{
	JsonbContainer *root = params ? &params->root : NULL;
	const char *base = op->api == ATL_API_JIRA ? src->site_url : src->api_base;

	memset(pager, 0, sizeof(*pager));
	pager->src = src;
	pager->op = op;
	pager->cxt = CurrentMemoryContext;
	pager->wanted = -1;
	pager->base_url = psprintf("%s%s%s", base,
							   op->api == ATL_API_JIRA ? "/rest/api/3" :
							   op->api == ATL_API_ORG ? "/admin" : "",
							   expand_path(src, op->path, atl_json_object(root, "path")));
	pager->query = encode_query(atl_json_object(root, "query"));
	pager->body_fields = body_members(atl_json_object(root, "body"));
}

/* the URL of the next request */
static char *
request_url(AtlPager *pager)
{
	const AtlReadOp *op = pager->op;
	StringInfoData q;

	/* a v1 next link is a whole URL (checked to be the API's own) */
	if (pager->next && atl_is_same_origin(pager->next, pager->base_url))
		return pager->next;
	initStringInfo(&q);
	if (pager->next && op->paging == ATL_PAGE_QUERY_CURSOR)
		append_query_pair(&q, "cursor", pager->next);	/* other parameters are discarded */
	else
		appendStringInfoString(&q, pager->query);
	if (op->page_param && op->method[0] == 'G')
		appendStringInfo(&q, "%s%s=%d", q.len ? "&" : "", op->page_param, op->page_size);
	if (op->paging == ATL_PAGE_START_AT)
		appendStringInfo(&q, "%sstartAt=" INT64_FORMAT, q.len ? "&" : "", pager->start_at);
	return q.len ? psprintf("%s?%s", pager->base_url, q.data) : pager->base_url;
}

/* the JSON body of the next request, for POST operations */
static char *
request_body(AtlPager *pager)
{
	const AtlReadOp *op = pager->op;
	StringInfoData buf;

	if (op->method[0] == 'G')
		return NULL;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	if (pager->next && op->cursor_alone)
	{
		appendStringInfoString(&buf, "\"cursor\":");
		escape_json(&buf, pager->next);
		appendStringInfoChar(&buf, '}');
		return buf.data;
	}
	if (op->page_param)
		appendStringInfo(&buf, "\"%s\":%d", op->page_param, op->page_size);
	if (pager->body_fields[0])
		appendStringInfo(&buf, "%s%s", buf.len > 1 ? "," : "", pager->body_fields);
	if (pager->next)
	{
		appendStringInfo(&buf, "%s\"cursor\":", buf.len > 1 ? "," : "");
		escape_json(&buf, pager->next);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

static void
find_items(const AtlReadOp *op, Jsonb *doc, AtlPage *page)
{
	JsonbContainer *root = &doc->root;
	bool		keyed = op->items && op->items[0];

	memset(page, 0, sizeof(*page));
	if (!keyed)
	{
		/* the body itself: the array of items, or the one item */
		page->items.type = jbvBinary;
		page->items.val.binary.data = root;
		page->items.val.binary.len = VARSIZE(doc) - VARHDRSZ;
	}
	else if (getKeyJsonValueFromContainer(root, op->items, strlen(op->items),
										  &page->items) == NULL ||
			 page->items.type != jbvBinary)
		return;					/* no items on this page */
	page->single = op->items != NULL && JsonContainerIsObject(page->items.val.binary.data);
	if (!page->single && !JsonContainerIsArray(page->items.val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("Atlassian API answered %s without an array of items", op->name)));
	page->count = page->single ? 1 : JsonContainerSize(page->items.val.binary.data);
}

/* a next cursor (or URL) this chain has followed before: paging would loop */
static void
check_cursor(AtlPager *pager)
{
	MemoryContext old = MemoryContextSwitchTo(pager->cxt);
	int64		first = atl_cursor_chain_add(&pager->cursors, pager->next, pager->pages);

	MemoryContextSwitchTo(old);
	if (first > 0)
		atl_cursor_chain_error(psprintf("%s (%s %s)", pager->op->name, pager->op->method,
										atl_api_url_path(pager->base_url)),
							   pager->next, pager->pages, first);
}

/* where the next page is, or that there is none */
static void
advance(AtlPager *pager, JsonbContainer *root, const AtlPage *page)
{
	const AtlReadOp *op = pager->op;
	char	   *next = NULL;
	bool		isnull;

	switch (op->paging)
	{
		case ATL_PAGE_NONE:
			break;
		case ATL_PAGE_BODY_CURSOR:
		case ATL_PAGE_QUERY_CURSOR:
			next = atl_json_text(atl_json_object(root, "links"), "next");
			break;
		case ATL_PAGE_START_AT:
			pager->start_at += page->count;
			if (JsonContainerIsArray(root))
				next = page->count < op->page_size ? NULL : "";
			else
				next = atl_json_bool(root, "isLast", &isnull) || page->count == 0 ? NULL : "";
			break;
	}
	pager->done = next == NULL || (next[0] == '\0' && op->paging != ATL_PAGE_START_AT);
	/* pages are parsed in a short-lived context; the cursor must outlive it */
	pager->next = pager->done || op->paging == ATL_PAGE_START_AT ? NULL :
		MemoryContextStrdup(pager->cxt, next);
	pager->pages++;
	if (pager->next)
		check_cursor(pager);
}

/* request the next page now; its answer is read by the next call */
static void
prefetch_next(AtlPager *pager)
{
	MemoryContext old;
	int			in = 1 - pager->prefetch_in;	/* not the one being read */

	if (pager->prefetch_cxt[in] == NULL)
		pager->prefetch_cxt[in] = AllocSetContextCreate(pager->cxt, "atlorg prefetch",
														ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(pager->prefetch_cxt[in]);
	pager->prefetch = palloc(sizeof(AtlApiCall));
	atl_api_start(pager->prefetch, pager->src, pager->op,
				  request_url(pager), request_body(pager));
	MemoryContextSwitchTo(old);
	pager->prefetch_in = in;
}

/*
 * The page being read names the next one: ask for it now, before this one
 * is checked and converted to jsonb (it may yet prove invalid: its error
 * is raised then, and the process's next request drops this one).  Only for a
 * caller that wants every item (it will want that page) and for cursor
 * paging (startAt needs the items counted).
 */
static void
prefetch_early(const char *next, void *arg)
{
	AtlPager   *pager = arg;
	char	   *current = pager->next;

	if (next == NULL || next[0] == '\0')
		return;
	pager->next = pager->early_next = MemoryContextStrdup(pager->cxt, next);
	prefetch_next(pager);
	pager->next = current;
}

/* the answer to the prefetched request, the page after it perhaps asked for */
static Jsonb *
read_prefetched(AtlPager *pager)
{
	AtlApiCall *call = pager->prefetch;
	int			in = pager->prefetch_in;
	AtlJsonPeek peek = {"links", "next", prefetch_early, pager};
	bool		early = pager->wanted < 0 && (pager->op->paging == ATL_PAGE_BODY_CURSOR ||
											  pager->op->paging == ATL_PAGE_QUERY_CURSOR);
	Jsonb	   *doc;

	pager->prefetch = NULL;
	pager->early_next = NULL;
	/* parsed into the caller's context */
	doc = atl_api_finish_peek(call, early ? &peek : NULL);
	MemoryContextReset(pager->prefetch_cxt[in]);
	return doc;
}

/* an early request that turns out not to be the next page's is dropped */
static void
keep_early_prefetch(AtlPager *pager)
{
	if (pager->prefetch == NULL)
		return;
	if (!pager->done && pager->wanted != 0 && pager->next != NULL &&
		strcmp(pager->next, pager->early_next) == 0)
		return;
	atl_http_abandon();
	pager->prefetch = NULL;
}

bool
atl_pager_next(AtlPager *pager, AtlPage *page)
{
	Jsonb	   *doc;

	if (pager->done || pager->wanted == 0)
		return false;
	/* the first page is asked for here; every later one was asked for already */
	if (pager->prefetch == NULL)
		prefetch_next(pager);
	doc = read_prefetched(pager);
	find_items(pager->op, doc, page);
	advance(pager, &doc->root, page);
	if (pager->wanted > 0)
		pager->wanted = Max(pager->wanted - page->count, 0);
	keep_early_prefetch(pager);
	if (!pager->done && pager->wanted != 0 && pager->prefetch == NULL)
		prefetch_next(pager);
	return true;
}

void
atl_pager_end(AtlPager *pager)
{
	if (pager->prefetch)
		atl_http_abandon();
	pager->prefetch = NULL;
	pager->done = true;
}

JsonbValue *
atl_page_item_value(const AtlPage *page, int i)
{
	if (page->single)
		return (JsonbValue *) &page->items;
	return getIthJsonbValueFromContainer(page->items.val.binary.data, (uint32) i);
}

JsonbContainer *
atl_page_item(const AtlPage *page, int i)
{
	JsonbValue *v = atl_page_item_value(page, i);

	if (v == NULL || v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		return NULL;
	return v->val.binary.data;
}

void
atl_pager_each(AtlPager *pager, AtlPageItemFn fn, void *arg)
{
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext page_cxt = AllocSetContextCreate(outer, "atlorg page",
												   ALLOCSET_DEFAULT_SIZES);
	int64		left = pager->wanted;	/* -1: all */
	AtlPage		page;

	for (;;)
	{
		MemoryContextSwitchTo(page_cxt);
		if (left == 0 || !atl_pager_next(pager, &page))
			break;
		for (int i = 0; i < page.count && left != 0; i++)
		{
			JsonbValue *item = atl_page_item_value(&page, i);

			if (item == NULL)
				continue;
			fn(item, arg);
			if (left > 0)
				left--;
		}
		MemoryContextSwitchTo(outer);
		MemoryContextReset(page_cxt);
	}
	atl_pager_end(pager);
	MemoryContextSwitchTo(outer);
	MemoryContextDelete(page_cxt);
}
