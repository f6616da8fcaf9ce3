#!/usr/bin/env bash
# bad_numbers.sh: numbers a count or a latency cannot be (issue 11 item 10) are bad
# records named with their place: skipped and counted by default, exit 3 with --strict.
# Counts saturate instead of wrapping in merges and in the store, a store whose counts
# add up past 2^63 still lists, and a map document may start with a UTF-8 BOM.
# Gets $1 = svcmap.
set -uo pipefail
svcmap=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "bad_numbers: $*"; exit 1; }

# A map document with one edge (and a good one beside it); $1 is the bad edge's body.
doc() {
    cat <<EOF
{"schema": "svcmap.map/v1",
 "nodes": [{"id": "service:a", "name": "a", "kind": "service"},
           {"id": "service:b", "name": "b", "kind": "service"},
           {"id": "service:c", "name": "c", "kind": "service"}],
 "edges": [{"from": "service:a", "to": "service:c", "kind": "rpc", "calls": 2, "errors": 0},
    {"from": "service:a", "to": "service:b", "kind": "rpc", $1}]}
EOF
}
lat() { echo "\"calls\": 3, \"errors\": 0, \"latency_ms\": {\"client\": {\"count\": 3, $1}}"; }
good='"min": 1, "p50": 2, "p90": 3, "p95": 3, "p99": 3, "max": 3, "mean": 2'

# each: a name, an edge body, the words the message must hold
check_bad() {
    local name=$1 body=$2 words=$3 status
    doc "$body" >"$tmp/$name.json"
    "$svcmap" map --strict -f json "$tmp/$name.json" >"$tmp/out" 2>"$tmp/err"
    status=$?
    [ $status -eq 3 ] || { cat "$tmp/err"; fail "$name: --strict exited $status, expected 3"; }
    grep -q "$tmp/$name.json:6:5: map document: edge 1: .*$words" "$tmp/err" ||
        { cat "$tmp/err"; fail "$name: the message does not name file:line:col and '$words'"; }
    [ ! -s "$tmp/out" ] || fail "$name: --strict wrote a map"
    "$svcmap" map -f json "$tmp/$name.json" >"$tmp/out" 2>"$tmp/err" ||
        { cat "$tmp/err"; fail "$name: without --strict the bad edge is not skipped"; }
    grep -q "6:5: .*(record skipped)" "$tmp/err" || { cat "$tmp/err"; fail "$name: the skip is not said"; }
    jq -e '.edges | length == 1 and .[0].to == "service:c"' "$tmp/out" >/dev/null ||
        fail "$name: the bad edge is in the map"
    jq -e '.source.skipped_records == 1' "$tmp/out" >/dev/null || fail "$name: the skip is not counted"
}
check_bad calls-negative '"calls": -1, "errors": 0' '"calls" must be a whole number'
check_bad calls-fraction '"calls": 1.5, "errors": 0' '"calls" must be a whole number'
check_bad calls-huge '"calls": 1e300, "errors": 0' '"calls" must be a whole number'
check_bad errors-above-calls '"calls": 3, "errors": 4' '"errors" (4) above "calls" (3)'
check_bad latency-negative "$(lat '"min": -1000, "p50": -1000, "p90": 3, "p95": 3, "p99": 3, "max": 3, "mean": 2')" \
    'latency "min" must be from 0'
check_bad latency-huge "$(lat '"min": 1, "p50": 2, "p90": 3, "p95": 3, "p99": 3, "max": 1e308, "mean": 2')" \
    'latency "max" must be from 0'
check_bad latency-order "$(lat '"min": 1, "p50": 5, "p90": 3, "p95": 3, "p99": 3, "max": 5, "mean": 2')" \
    'out of order'
check_bad mean-outside "$(lat '"min": 1, "p50": 2, "p90": 3, "p95": 3, "p99": 3, "max": 3, "mean": 9')" \
    'mean outside'
check_bad count-huge "\"calls\": 3, \"errors\": 0, \"latency_ms\": {\"server\": {\"count\": 1e19, $good}}" \
    '"count" must be a whole number'
check_bad sketch-bad "\"calls\": 3, \"errors\": 0, \"latency_ms\": {\"server\": {\"count\": 3, $good, \"sketch\": \"AgMA\"}}" \
    'corrupt latency sketch'

# the source block is a record too
printf '{"schema": "svcmap.map/v1",\n "source": {"files": [], "spans": -5},\n "nodes": [], "edges": []}\n' \
    >"$tmp/source.json"
"$svcmap" map --strict -f json "$tmp/source.json" >/dev/null 2>"$tmp/err"
[ $? -eq 3 ] || fail "a negative span count is accepted"
grep -q 'source.json:2:12: map document: source: "spans" must be a whole number' "$tmp/err" ||
    { cat "$tmp/err"; fail "the bad source block is not named with its place"; }

# NaN is not JSON: the whole document is bad input with its place, strict or not
doc "$(lat '"min": 1, "p50": NaN, "p90": 3, "p95": 3, "p99": 3, "max": 3, "mean": 2')" >"$tmp/nan.json"
"$svcmap" map -f json "$tmp/nan.json" >/dev/null 2>"$tmp/err"
status=$?
[ $status -eq 3 ] || fail "NaN exited $status, expected 3"
grep -q "nan.json:6:" "$tmp/err" || { cat "$tmp/err"; fail "NaN: no place"; }

# service-graph counters of +Inf, 1e300 and 2^64, and a negative bucket bound
sg=traces_service_graph_request
for v in +Inf 1e300 18446744073709551616; do
    printf '%s_total{client="a",server="b"} 5\n%s_total{client="a",server="c"} %s\n' $sg $sg $v >"$tmp/sg.prom"
    "$svcmap" map --strict -f json "$tmp/sg.prom" >/dev/null 2>"$tmp/err"
    status=$?
    [ $status -eq 3 ] || fail "counter $v: --strict exited $status, expected 3"
    grep -q "sg.prom:2:59: service-graph sample value .* out of range" "$tmp/err" ||
        { cat "$tmp/err"; fail "counter $v: the message does not name the place"; }
    "$svcmap" map -f json "$tmp/sg.prom" >"$tmp/out" 2>"$tmp/err" || fail "counter $v: not skipped"
    jq -e '[.edges[].calls] == [5] and .source.skipped_records == 1' "$tmp/out" >/dev/null ||
        { cat "$tmp/out"; fail "counter $v: the map holds the bad counter"; }
done
printf '%s_server_seconds_bucket{client="a",server="b",le="-1"} 3\n' $sg >"$tmp/le.prom"
"$svcmap" map --strict -f json "$tmp/le.prom" >/dev/null 2>"$tmp/err"
[ $? -eq 3 ] || fail 'le="-1" is accepted'
grep -q 'le.prom:1:1: .*not "-1"' "$tmp/err" || { cat "$tmp/err"; fail 'le="-1": no place'; }

# the largest count, ingested twice into one label and under two more: it saturates (--allow-duplicate: on purpose)
# (it used to wrap to 0) and the list, whose sums pass 2^63, still works
max=9223372036854775807
doc "\"calls\": $max, \"errors\": $max" >"$tmp/max.json"
for label in one one two three; do
    "$svcmap" store ingest -q --allow-duplicate --db "$tmp/maps.db" --label $label "$tmp/max.json" ||
        fail "store ingest of the largest count failed"
done
"$svcmap" store list --db "$tmp/maps.db" >"$tmp/list" 2>"$tmp/err" ||
    { cat "$tmp/err"; fail "store list fails once sums pass 2^63"; }
grep -q three "$tmp/list" || fail "store list misses a label"
"$svcmap" map -q -f json --db "$tmp/maps.db" one >"$tmp/out" || fail "map --db one failed"
jq -e --argjson max "$max" '[.edges[] | select(.to == "service:b") | .calls] == [9223372036854775807]' \
    "$tmp/out" >/dev/null || { grep calls "$tmp/out"; fail "counts wrapped on re-ingest"; }
grep -q "\"calls\": $max, \"errors\": $max" "$tmp/out" || fail "the largest count is not printed exactly"
"$svcmap" map -q -f json "$tmp/max.json" "$tmp/max.json" >"$tmp/out2" || fail "merging two maxima failed"
"$svcmap" map -q -f json "$tmp/out2" >/dev/null || fail "a saturated map does not read back"

# a UTF-8 byte order mark before a map document
printf '\357\273\277' >"$tmp/bom.json"
doc '"calls": 1, "errors": 0' >>"$tmp/bom.json"
"$svcmap" map -f json "$tmp/bom.json" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err"; fail "a BOM is refused"; }
jq -e '.edges | length == 2' "$tmp/out" >/dev/null || fail "a BOM document maps wrong"
echo "bad_numbers: bad numbers are named, skipped or fatal with --strict; counts saturate"
