"""Reads wrk's outputs from bench/run.sh and prints the table; writes the figures as JSON."""
import json
import platform
import re
import subprocess
import sys
from datetime import datetime, timezone

tsv, out, articles, connections, duration = sys.argv[1:6]


def millis(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse(path):
    text = open(path).read()
    result = {"rps": 0.0, "p50_ms": None, "p99_ms": None, "requests": 0, "errors": 0}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", text):
        result["rps"] = float(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        if m := re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", text, re.M):
            result[key] = round(millis(m.group(1)), 3)
    if m := re.search(r"(\d+) requests in", text):
        result["requests"] = int(m.group(1))
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        errors += sum(int(g) for g in m.groups())
    result["errors"] = errors
    return result


rows, meta = {}, {}
for line in open(tsv):
    backend, name, value = line.rstrip("\n").split("\t")
    if name == "meta":
        meta.setdefault(backend, {}).update(dict(kv.split("=") for kv in value.split()))
    else:
        rows.setdefault(backend, {})[name] = parse(value)

cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
report = {
    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    "machine": f"{cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, {platform.system()} {platform.release()}",
    "articles": int(articles),
    "connections": int(connections),
    "duration_s": int(duration),
    "backends": {},
}
print(f"\nmuni load benchmark: {articles} articles, {connections} connections, {duration} s a workload")
print(f"machine: {report['machine']}\n")
header = f"{'backend':9} {'workload':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs healthz':>10}"
print(header)
print("-" * len(header))
for backend, workloads in rows.items():
    ceiling = (workloads.get("healthz") or workloads.get("healthz_metrics_on") or {}).get("rps") or 1.0
    for name, r in workloads.items():
        r["ratio_to_healthz"] = round(r["rps"] / ceiling, 3)
        fmt = lambda v: "-" if v is None else f"{v:.2f}"
        print(f"{backend:9} {name:28} {r['rps']:9.0f} {fmt(r['p50_ms']):>8} {fmt(r['p99_ms']):>8} {r['errors']:7d} {r['ratio_to_healthz']:10.2f}")
    for read in ("healthz", "article_random"):
        off, on = workloads.get(f"{read}_metrics_off"), workloads.get(f"{read}_metrics_on")
        if off and on and off["rps"]:
            cost = (off["rps"] - on["rps"]) / off["rps"] * 100
            print(f"{backend:9} counting for /metrics on {read}: {off['rps']:.0f} req/s off, {on['rps']:.0f} on ({cost:+.1f} % cost)")
            report.setdefault("metrics_cost_percent", {}).setdefault(backend, {})[read] = round(cost, 1)
    m = meta.get(backend, {})
    rss_mb = int(m.get("rss_kb", 0)) / 1024
    rss_uncached_mb = int(m.get("rss_uncached_kb", 0)) / 1024
    acknowledged = workloads.get("feedback_submit", {}).get("requests", 0) - workloads.get("feedback_submit", {}).get("errors", 0)
    stored = int(m.get("stored_feedback") or 0)
    print(f"{backend:9} peak RSS {rss_mb:.0f} MB (cache off: {rss_uncached_mb:.0f} MB); start-up to ready {m.get('ready_ms')} ms; feedback acknowledged {acknowledged}, stored {stored}"
          + ("" if stored >= acknowledged else "  <-- LOST SUBMISSIONS"))
    if m.get("index_ready_ms"):
        print(f"{backend:9} search index: from start to searchable {m['index_ready_ms']} ms ({m.get('index_built', '').replace('_', ' ')}); RssAnon after the random reads {int(m.get('rss_anon_random_kb', 0)) / 1024:.0f} MB")
    if m.get("photo_12mp_ready_ms"):
        print(f"{backend:9} a 12-megapixel photo ({m.get('photo_12mp_kb')} KB) from upload to every variant stored: {m['photo_12mp_ready_ms']} ms (median)")
    print()
    report["backends"][backend] = {"workloads": workloads, "peak_rss_mb": round(rss_mb, 1), "peak_rss_uncached_mb": round(rss_uncached_mb, 1), "ready_ms": int(m.get("ready_ms", 0)),
                                   "feedback_acknowledged": acknowledged, "feedback_stored": stored,
                                   "photo_12mp_ready_ms": int(m["photo_12mp_ready_ms"]) if m.get("photo_12mp_ready_ms") else None,
                                   "search_index_ready_ms": int(m["index_ready_ms"]) if m.get("index_ready_ms") else None,
                                   "search_index_built": m.get("index_built", "").replace("_", " ") or None,
                                   "rss_anon_random_mb": round(int(m["rss_anon_random_kb"]) / 1024, 1) if m.get("rss_anon_random_kb") else None}
json.dump(report, open(out, "w"), indent=2)
print(f"written to {out}")
