#!/usr/bin/env bash
# why_slowest.sh: `svcmap why --slowest P` against an independent computation in Python
# over the shop's OTLP spans: which traces are the slowest P % (their count, their
# entry durations added up, the slowest one) and the critical time of the inventory
# database in them, by a walk written here from docs/critical-path.md, not by svcmap.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
bin=$1
src=$3
input=$src/fixtures/shop/shop-otlp.jsonl
fail=0
for p in 5 10 50 100; do
    "$bin" why -q -f json --slowest "$p" --entry frontend "$input" >/tmp/why_slowest.$$.json || {
        echo "FAIL: svcmap why --slowest $p"
        fail=1
        continue
    }
    python3 - "$input" "$p" /tmp/why_slowest.$$.json <<'PY' || fail=1
import json, math, sys
from collections import defaultdict

path, pct, got_path = sys.argv[1], float(sys.argv[2]), sys.argv[3]
spans = {}
for line in open(path):
    line = line.strip()
    if not line:
        continue
    for rs in json.loads(line).get("resourceSpans", []):
        svc = next(a["value"]["stringValue"] for a in rs["resource"]["attributes"]
                   if a["key"] == "service.name")
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                attrs = {a["key"]: list(a["value"].values())[0] for a in s.get("attributes", [])}
                spans[(s["traceId"], s["spanId"])] = dict(
                    trace=s["traceId"], parent=s.get("parentSpanId") or None, svc=svc,
                    kind=s["kind"], start=int(s["startTimeUnixNano"]),
                    end=int(s["endTimeUnixNano"]), db=attrs.get("db.namespace"))
kids = defaultdict(list)
for (t, i), s in spans.items():
    if s["parent"] and (t, s["parent"]) in spans:
        kids[(t, s["parent"])].append((t, i))

def walk(key, lo, hi, out):
    """critical time per database over [lo, hi] of span key (the docs' walk)"""
    s = spans[key]
    cur = hi
    ch = []
    for k in kids[key]:
        c = spans[k]
        cl, chi = max(c["start"], lo), min(c["end"], hi)
        if chi > cl:
            ch.append((chi, cl, k))
    ch.sort(key=lambda x: (-x[0], x[1]))
    for chi, cl, k in ch:
        if chi > cur:
            continue
        if s["db"] and s["kind"] == 3:
            out[s["db"]] += cur - chi
        walk(k, cl, chi, out)
        cur = cl
    if s["db"] and s["kind"] == 3:
        out[s["db"]] += cur - lo

entries = [(s["end"] - s["start"], k) for k, s in spans.items()
           if s["svc"] == "frontend" and s["kind"] == 2 and not s["parent"]]
# slowest first, the earlier trace first on a tie (file order)
order = sorted(range(len(entries)), key=lambda i: (-entries[i][0], i))
n = len(entries) if pct >= 100 else max(1, math.ceil(len(entries) * pct / 100))
chosen = [entries[i] for i in order[:n]]
db = defaultdict(int)
for d, k in chosen:
    walk(k, spans[k]["start"], spans[k]["end"], db)
got = json.load(open(got_path))["entries"][0]
inv = next(c for c in got["contributors"] if c["id"] == "database:inventory")
want = {"traces": n, "total_ms": round(sum(d for d, _ in chosen) / 1e6, 3),
        "max": round(max(d for d, _ in chosen) / 1e6, 3),
        "inventory_ms": round(db["inventory"] / 1e6, 3)}
have = {"traces": got["traces"], "total_ms": got["total_ms"], "max": got["latency_ms"]["max"],
        "inventory_ms": inv["critical_ms"]}
if want != have:
    print("FAIL: --slowest %g: svcmap %s, python %s" % (pct, have, want))
    sys.exit(1)
print("ok: --slowest %g: %d traces, inventory %.3f ms" % (pct, n, want["inventory_ms"]))
PY
done
rm -f /tmp/why_slowest.$$.json
exit $fail
