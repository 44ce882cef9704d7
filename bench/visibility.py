"""Publishes on one node and searches on the other until found (see visibility.sh)."""
import json, random, statistics, time, urllib.request
A, B = "http://127.0.0.1:8091", "http://127.0.0.1:8092"
def call(base, path, body=None, token=None, method=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None, method=method)
    req.add_header("content-type", "application/json")
    if token: req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r: return json.load(r)
for base in (A, B):
    while True:
        try:
            if call(base, "/api/v1/search?q=a&per_page=1")["meta"]["source"] == "index": break
        except Exception: pass
        time.sleep(0.2)
token = call(A, "/api/v1/auth/login", {"email": "admin@bench.test", "password": "bench-admin-password"})["access_token"]
cat = call(A, "/api/v1/categories?per_page=1")["data"][0]["id"]
seen = []
for i in range(30):
    word = "".join(random.choice("abcdefghiklmnopqrstuvxy") for _ in range(12))
    call(A, "/api/v1/articles", {"title": f"Bài {word}", "body": "<p>x</p>", "category_id": cat, "status": "published"}, token)
    t0 = time.monotonic()
    while call(B, f"/api/v1/search?q=%22{word}%22")["meta"]["total"] == 0:
        time.sleep(0.005)
    seen.append((time.monotonic() - t0) * 1000)
    time.sleep(0.1)
seen.sort()
print(f"visible on the second node after the 201: median {statistics.median(seen):.0f} ms, max {max(seen):.0f} ms, min {min(seen):.0f} ms over {len(seen)} articles")
