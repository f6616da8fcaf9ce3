#!/usr/bin/env bash
# A bad span costs only itself (issue 15): in an OTLP file-exporter line, a Jaeger trace,
# a Zipkin v2 or v1 trace, and an OTLP/HTTP request to the receiver, one bad span is left
# out, named on stderr with its record's place and its index in the record, and counted
# in source.skipped_spans (kept through map documents, merges and the store); the other
# spans are kept. --strict stops at it, --quiet hides it. Ids per format: OTLP refuses
# ids that are not 16/8 bytes (saying what OTLP requires), Jaeger and Zipkin keep
# non-hex ids as opaque strings. Inputs are made here by script.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
. "$(dirname "$0")/lib/collect.sh"
bin=$(realpath "$1")
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
check() { # name expected actual
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1: expected '$2', got '$3'" >&2
        fail=1
    fi
}
has() { # name file text: file holds text
    grep -qF -- "$3" "$2" || {
        echo "FAIL: $1: $2 lacks '$3':" >&2
        head -30 "$2" >&2
        fail=1
    }
}

# --- OTLP: one file-exporter line of 500 spans, span 251 with a non-hex span id ---------
python3 - "$tmp" <<'EOF'
import json, sys
tmp = sys.argv[1]
def span(i, **kw):
    s = {"traceId": "%032x" % (i // 2 + 1), "spanId": "%016x" % (i + 1), "name": "op",
         "kind": 3 if i % 2 == 0 else 2, "startTimeUnixNano": "1700000000000000000",
         "endTimeUnixNano": "1700000000002000000"}
    if i % 2:
        s["parentSpanId"] = "%016x" % i  # a server, child of the client just before it
    s.update(kw)
    return s
def line(spans, service="api"):
    return json.dumps({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"spans": spans}]}]}) + "\n"
spans = [span(i) for i in range(500)]
spans[250]["spanId"] = "not-an-id!"
open(tmp + "/line500.jsonl", "w").write(line(spans))
# 30 bad spans in one line: the stderr lines are capped, the count is not
bad = [span(i, traceId="zz%d" % i) for i in range(30)] + [span(40)]
open(tmp + "/bad30.jsonl", "w").write(line(bad))
# a Tempo API v2 document (one element of two resources): a bad resource costs its spans
doc = {"trace": {"resourceSpans": [
    {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "a"}}]},
     "scopeSpans": [{"spans": [span(0), span(1)]}]},
    {"resource": 7, "scopeSpans": [{"spans": [span(2), span(3), span(4)]}]}]}}
open(tmp + "/tempo.json", "w").write(json.dumps(doc))
EOF
f=$tmp/line500.jsonl
"$bin" spans "$f" >"$tmp/out" 2>"$tmp/err"
check "500-span line: status" 0 $?
check "500-span line: spans" 499 "$(wc -l <"$tmp/out")"
has "500-span line: message" "$tmp/err" \
    "svcmap: $f:1:20: span 251: \"spanId\" must be 16 hex digits or base64 of 8 bytes as OTLP requires, got \"not-an-id!\" (span skipped)"
has "500-span line: summary" "$tmp/err" "svcmap: skipped 1 bad span"
grep -q "record" "$tmp/err" && { echo "FAIL: a span counted as a record" >&2; fail=1; }
"$bin" map -f json "$f" >"$tmp/line500.map.json" 2>"$tmp/err"
check "500-span line: map status" 0 $?
check "500-span line: source" "499 0 1" \
    "$(jq -r '.source | "\(.spans) \(.skipped_records) \(.skipped_spans)"' "$tmp/line500.map.json")"
check "500-span line: calls" 249 "$(jq '[.edges[].calls] | add' "$tmp/line500.map.json")"
"$bin" map -q -f json "$f" >/dev/null 2>"$tmp/err"
check "--quiet" "" "$(cat "$tmp/err")"
"$bin" map --strict -f json "$f" >"$tmp/out" 2>"$tmp/err"
check "--strict status" 3 $?
check "--strict message" \
    "svcmap: $f:1:20: span 251: \"spanId\" must be 16 hex digits or base64 of 8 bytes as OTLP requires, got \"not-an-id!\"" \
    "$(cat "$tmp/err")"
check "--strict output" "" "$(cat "$tmp/out")"
# the same with parsing threads (-j 2): the same spans, the same lines, in order
"$bin" spans -j 2 "$f" >"$tmp/out2" 2>"$tmp/err2"
"$bin" spans -j 1 "$f" >"$tmp/out1" 2>"$tmp/err1"
cmp -s "$tmp/out1" "$tmp/out2" && cmp -s "$tmp/err1" "$tmp/err2" ||
    { echo "FAIL: -j 2 differs from -j 1" >&2; fail=1; }

"$bin" spans "$tmp/bad30.jsonl" >"$tmp/out" 2>"$tmp/err"
check "30 bad spans: spans" 1 "$(wc -l <"$tmp/out")"
check "30 bad spans: lines shown" 20 "$(grep -c '(span skipped)$' "$tmp/err")"
has "30 bad spans: cap" "$tmp/err" "svcmap: further skipped spans are not shown"
has "30 bad spans: summary" "$tmp/err" "svcmap: skipped 30 bad spans"
has "30 bad spans: the OTLP rule" "$tmp/err" \
    "bad30.jsonl:1:20: span 1: \"traceId\" must be 32 hex digits or base64 of 16 bytes as OTLP requires, got \"zz0\" (span skipped)"
# every span bad: nothing to map is an error, as with every record bad
python3 -c 'import json; print(json.dumps({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"x","spanId":"y"}]}]}]}))' >"$tmp/allbad.jsonl"
"$bin" spans "$tmp/allbad.jsonl" >/dev/null 2>"$tmp/err"
check "all spans bad: status" 3 $?
has "all spans bad: message" "$tmp/err" "no spans found: all 1 spans were bad"

"$bin" map -f json "$tmp/tempo.json" >"$tmp/out" 2>"$tmp/err"
check "bad resource: status" 0 $?
check "bad resource: source" "2 0 3" \
    "$(jq -r '.source | "\(.spans) \(.skipped_records) \(.skipped_spans)"' "$tmp/out")"
has "bad resource: message" "$tmp/err" \
    "resource spans item 2: \"resource\" must be an object, got a number (3 spans skipped)"

# --- Jaeger: one bad span in a trace keeps the others; non-hex ids are opaque ----------
cat >"$tmp/jaeger.json" <<'EOF'
{"data":[{"traceID":"trace-one","processes":{"p1":{"serviceName":"web"},"p2":{"serviceName":"api"},"p3":7},
 "spans":[
  {"spanID":"root","operationName":"get","startTime":1700000000000000,"duration":900,"processID":"p1","tags":[{"key":"span.kind","value":"client"}]},
  {"spanID":"bad","operationName":"x","startTime":"noon","processID":"p2"},
  {"spanID":"srv","operationName":"get","startTime":1700000000000100,"duration":700,"processID":"p2","references":[{"refType":"CHILD_OF","traceID":"trace-one","spanID":"root"}],"tags":[{"key":"span.kind","value":"server"}]},
  {"spanID":"p3span","operationName":"y","startTime":1700000000000100,"duration":7,"processID":"p3"}]}]}
EOF
"$bin" map -f json "$tmp/jaeger.json" >"$tmp/out" 2>"$tmp/err"
check "jaeger: status" 0 $?
check "jaeger: source" "2 0 2" "$(jq -r '.source | "\(.spans) \(.skipped_records) \(.skipped_spans)"' "$tmp/out")"
check "jaeger: edge" "service:web service:api 1" "$(jq -r '.edges[] | "\(.from) \(.to) \(.calls)"' "$tmp/out")"
has "jaeger: bad span" "$tmp/err" "jaeger.json:1:10: span 2: \"startTime\" must be a non-negative integer of microseconds, got \"noon\" (span skipped)"
has "jaeger: bad process" "$tmp/err" "jaeger.json:1:10: span 4: \"process\" must be an object (span skipped)"

# --- Zipkin v2: a trace of the /api/v2/traces shape, one bad span; opaque ids ----------
cat >"$tmp/zipkin.json" <<'EOF'
[[{"traceId":"order-7","id":"client-a","name":"get","kind":"CLIENT","timestamp":1700000000000000,"duration":900,"localEndpoint":{"serviceName":"web"}},
  {"traceId":"order-7","id":"x","kind":"CLIENT","timestamp":"soon"},
  {"traceId":"order-7","id":"server-b","parentId":"client-a","name":"get","kind":"SERVER","timestamp":1700000000000100,"duration":700,"localEndpoint":{"serviceName":"api"}}]]
EOF
"$bin" map -f json "$tmp/zipkin.json" >"$tmp/out" 2>"$tmp/err"
check "zipkin: status" 0 $?
check "zipkin: source" "2 0 1" "$(jq -r '.source | "\(.spans) \(.skipped_records) \(.skipped_spans)"' "$tmp/out")"
check "zipkin: edge" "service:web service:api 1" "$(jq -r '.edges[] | "\(.from) \(.to) \(.calls)"' "$tmp/out")"
has "zipkin: bad span" "$tmp/err" "zipkin.json:1:2: span 2: \"timestamp\""
"$bin" spans "$tmp/zipkin.json" 2>/dev/null >"$tmp/out"
check "zipkin: opaque ids kept" "order-7 client-a order-7 server-b" \
    "$(jq -r '"\(.trace_id) \(.span_id)"' "$tmp/out" | xargs)"
# hex ids are still normalized (case, padding)
printf '[{"traceId":"ABC","id":"1F","localEndpoint":{"serviceName":"s"}}]' >"$tmp/zhex.json"
check "zipkin: hex ids" "0000000000000abc 000000000000001f" \
    "$("$bin" spans "$tmp/zhex.json" | jq -r '"\(.trace_id) \(.span_id)"')"

# --- Zipkin v1: the same ------------------------------------------------------------
cat >"$tmp/zipkin1.json" <<'EOF'
[[{"traceId":"t-1","id":"c-1","name":"get","timestamp":1700000000000000,"duration":900,"annotations":[{"timestamp":1700000000000000,"value":"cs","endpoint":{"serviceName":"web"}},{"timestamp":1700000000000900,"value":"cr","endpoint":{"serviceName":"web"}}],"binaryAnnotations":[]},
  {"traceId":"t-1","id":5,"binaryAnnotations":[]},
  {"traceId":"t-1","id":"s-1","parentId":"c-1","name":"get","annotations":[{"timestamp":1700000000000100,"value":"sr","endpoint":{"serviceName":"api"}},{"timestamp":1700000000000800,"value":"ss","endpoint":{"serviceName":"api"}}],"binaryAnnotations":[]}]]
EOF
"$bin" map -f json "$tmp/zipkin1.json" >"$tmp/out" 2>"$tmp/err"
check "zipkin1: status" 0 $?
check "zipkin1: source" "zipkin1 0 1" "$(jq -r '.source | "\(.formats[0]) \(.skipped_records) \(.skipped_spans)"' "$tmp/out")"
check "zipkin1: edge" "service:web service:api 1" "$(jq -r '.edges[] | "\(.from) \(.to) \(.calls)"' "$tmp/out")"
has "zipkin1: bad span" "$tmp/err" "zipkin1.json:1:2: span 2: \"id\" must be a string, got a number (span skipped)"

# --- skipped_spans through map documents, merges and the store -------------------------
m=$tmp/line500.map.json
check "document round trip" 1 "$("$bin" map -q -f json "$m" | jq .source.skipped_spans)"
check "merge" 2 "$("$bin" map -q -f json "$m" "$m" | jq .source.skipped_spans)"
"$bin" store ingest -q --db "$tmp/s.db" --label v1 "$f" 2>"$tmp/err" || { echo "FAIL: ingest" >&2; cat "$tmp/err" >&2; fail=1; }
check "store" "499 1" "$("$bin" store show --db "$tmp/s.db" v1 -f json | jq -r '.source | "\(.spans) \(.skipped_spans)"')"
# a store made before the column existed (schema 4: none of the later columns and
# tables, schema 6's why tables and schema 7's counters included) reads it as 0, and is
# upgraded by the next write
sqlite3 "$tmp/s.db" 'ALTER TABLE snapshots DROP COLUMN skipped_spans; DROP TABLE why_items; DROP TABLE why_entries; ALTER TABLE snapshots DROP COLUMN ignored_records; ALTER TABLE snapshots DROP COLUMN late_spans; PRAGMA user_version = 4' 2>"$tmp/err" ||
    { echo "FAIL: downgrading the store" >&2; cat "$tmp/err" >&2; fail=1; }
check "old store" "499 0" "$("$bin" store show --db "$tmp/s.db" v1 -f json | jq -r '.source | "\(.spans) \(.skipped_spans)"')"
"$bin" store ingest -q --allow-duplicate --db "$tmp/s.db" --label v1 "$f" 2>"$tmp/err" ||
    { echo "FAIL: ingest into an old store" >&2; cat "$tmp/err" >&2; fail=1; }
check "upgraded store" "998 1" "$("$bin" store show --db "$tmp/s.db" v1 -f json | jq -r '.source | "\(.spans) \(.skipped_spans)"')"

# --- the receiver: OTLP/HTTP partial success names the bad span only -------------------
"$bin" collect --listen 127.0.0.1:0 -o "$tmp/recv.json" --trace-idle 200ms 2>"$tmp/log" &
pid=$!
wait_port "$tmp/log"
python3 - "$tmp" <<'EOF'
import json, sys
def span(t, s, p=None, kind=2):
    d = {"traceId": t, "spanId": s, "name": "op", "kind": kind,
         "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000005000000"}
    if p:
        d["parentSpanId"] = p
    return d
t = "0af7651916cd43dd8448eb211c80319c"
body = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "web"}}]},
    "scopeSpans": [{"spans": [span(t, "b7ad6b7169203331", kind=3), span("xyz", "c7ad6b7169203331"),
                              span(t, "00f067aa0ba902b7", "b7ad6b7169203331")]}]}]}
open(sys.argv[1] + "/partial.json", "w").write(json.dumps(body))
EOF
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary @"$tmp/partial.json" "http://127.0.0.1:$port/v1/traces")
check "receiver: status" 200 "$code"
check "receiver: rejected" 1 "$(jq -r '.partialSuccess.rejectedSpans' "$tmp/body")"
check "receiver: reason" \
    'resourceSpans item 1: span 2: "traceId" must be 32 hex digits or base64 of 16 bytes as OTLP requires, got "xyz"' \
    "$(jq -r '.partialSuccess.errorMessage' "$tmp/body")"
kill -INT $pid
wait $pid
check "receiver: collect status" 0 $?
pid=
check "receiver: spans kept" 2 "$(jq .source.spans "$tmp/recv.json")"
check "receiver: map counts the bad span" 1 "$(jq .source.skipped_spans "$tmp/recv.json")"
exit $fail
