#!/usr/bin/env bash
# kill -9 of `svcmap collect --every 1s` in the middle of load leaves the last map it
# wrote and the last snapshot it stored intact and readable, each a map of a moment of
# the run (no more spans than were accepted); the next run on the same label goes on
# from that snapshot.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
. "$(dirname "$0")/lib/collect.sh"
bin=$(realpath "$1")
src=$3
tmp=$(mktemp -d)
trap 'kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
"$bin" collect --listen 127.0.0.1:0 --every 1s --trace-idle 300ms -o "$tmp/map.json" \
    --db "$tmp/maps.db" --label run 2>"$tmp/log" &
pid=$!
wait_port "$tmp/log"
node "$src/tests/otel-record/load.js" "$port" 4 12 50 >"$tmp/summary.json" &
load=$!
# kill once a map with spans has been written (however slow the machine), in the middle
# of the load and of the writes that follow it
for _ in $(seq 1 100); do
    [ -f "$tmp/map.json" ] && [ "$(jq .source.spans "$tmp/map.json" 2>/dev/null)" != 0 ] && break
    sleep 0.2
done
sleep 1.3
kill -9 $pid
wait $pid 2>/dev/null
wait $load
accepted=$(jq .accepted "$tmp/summary.json")
[ -f "$tmp/map.json" ] || { echo "FAIL: no map written before the kill" >&2; exit 1; }
jq -e '.schema == "svcmap.map/v1"' "$tmp/map.json" >/dev/null || { echo "FAIL: map broken" >&2; fail=1; }
"$bin" map "$tmp/map.json" -f json -o "$tmp/again.json" || { echo "FAIL: map unreadable" >&2; fail=1; }
spans=$(jq .source.spans "$tmp/map.json")
[ "$spans" -gt 0 ] && [ "$spans" -le "$accepted" ] ||
    { echo "FAIL: map has $spans spans of $accepted accepted" >&2; fail=1; }
"$bin" store show --db "$tmp/maps.db" run -f json -o "$tmp/snap.json" ||
    { echo "FAIL: snapshot unreadable" >&2; fail=1; }
snap=$(jq .source.spans "$tmp/snap.json")
[ "$snap" -gt 0 ] && [ "$snap" -le "$accepted" ] ||
    { echo "FAIL: snapshot has $snap spans of $accepted accepted" >&2; fail=1; }
# a second run on the label adds to it
printf '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"late"}}]},"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"x","kind":2}]}]}]}' >"$tmp/one.json"
"$bin" collect --listen 127.0.0.1:0 --db "$tmp/maps.db" --label run 2>"$tmp/log2" &
pid=$!
wait_port "$tmp/log2"
curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @"$tmp/one.json" "http://127.0.0.1:$port/v1/traces"
kill -INT $pid
wait $pid
"$bin" store show --db "$tmp/maps.db" run -f json -o "$tmp/snap2.json" || fail=1
[ "$(jq .source.spans "$tmp/snap2.json")" = $((snap + 1)) ] ||
    { echo "FAIL: second run did not add to the snapshot" >&2; fail=1; }
exit $fail
