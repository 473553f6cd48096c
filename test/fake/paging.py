"""Paging styles other than users/search's (REFERENCE.md §2).

v2 lists: links.self/prev/next are bare cursors.  A cursor carries the
offset, the previous page's offset, the limit and the normalised query
(with a "k" naming the list, so one list's cursor is refused by another):
"if present, all other parameters are discarded".

v1 lists: links.next is a full URL with ?cursor=; clients follow it or take
its cursor parameter.  The URL's host is the one the request was sent to,
so a client of the fake never leaves the fake.
"""

from urllib.parse import urlencode


def v2_cursor(codec, kind, q, offset, prev, limit):
    return codec.encode({"o": offset, "p": prev, "l": limit, "q": dict(q, k=kind)})


def v2_resume(codec, kind, token):
    """(query, offset, limit) from a cursor, or None when it is not one of ours."""
    state = codec.decode(token)
    if state is None or state["q"].get("k") != kind:
        return None
    q = dict(state["q"])
    del q["k"]
    return q, state["o"], state["l"]


def v2_page(codec, kind, q, items, offset, limit):
    """(items of the page, links) for an in-memory list."""
    links = {"self": v2_cursor(codec, kind, q, offset, max(0, offset - limit), limit)}
    if offset > 0:
        links["prev"] = v2_cursor(codec, kind, q, max(0, offset - limit), None, limit)
    if offset + limit < len(items):
        links["next"] = v2_cursor(codec, kind, q, offset + limit, offset, limit)
    return items[offset:offset + limit], links


def base_url(req):
    """http://host:port the client used (the Host header), for absolute links."""
    return "http://" + req.headers.get("host", "127.0.0.1")


def v1_url(req, path=None, **query):
    """Absolute URL on this server: path (default: the request's) + query."""
    url = base_url(req) + (path or req.path)
    query = {k: v for k, v in query.items() if v is not None}
    return url + ("?" + urlencode(query) if query else "")


def self_url(req):
    """The request's own absolute URL, query included."""
    pairs = [(k, v) for k, values in req.query.items() for v in values]
    return base_url(req) + req.path + ("?" + urlencode(pairs) if pairs else "")
