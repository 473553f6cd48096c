#!/usr/bin/python3
"""The baseline of the paging benchmark: the same users/search pages that
atl_users() reads, fetched by a minimal keep-alive HTTP client that only
finds the next cursor (it builds no rows).  Prints: pages rows seconds.

    raw_pages.py URL KEY [CA_FILE]     (CA_FILE: for an https URL, the CA to trust)"""
import http.client
import json
import ssl
import sys
import time
import urllib.parse

url, key = sys.argv[1], sys.argv[2]
parts = urllib.parse.urlsplit(url)
if parts.scheme == "https":
    ctx = ssl.create_default_context(cafile=sys.argv[3] if len(sys.argv) > 3 else None)
    conn = http.client.HTTPSConnection(parts.hostname, parts.port, context=ctx)
else:
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
path = "/admin/v2/orgs/acme-org/directories/-/users/search"
headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
body = {"limit": 100, "expand": ["platformRoles", "productAccess", "groups"]}
pages = rows = 0
start = time.monotonic()
while True:
    conn.request("POST", path, json.dumps(body), headers)
    page = json.loads(conn.getresponse().read())
    pages += 1
    rows += len(page["data"])
    cursor = page.get("links", {}).get("next")
    if not cursor:
        break
    body["cursor"] = cursor
print(pages, rows, round(time.monotonic() - start, 3))
