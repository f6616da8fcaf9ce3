#!/usr/bin/env bash
# collect --every writes the map periodically; SIGINT or SIGTERM after such a write must
# still stop collect cleanly and write the final map with every span received (the atomic
# output's signal cleanup once replaced collect's stop handler: the process died with
# 130/143 and the file kept the last periodic map, without the spans still waiting).
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
. "$(dirname "$0")/lib/collect.sh"
bin=$(realpath "$1")
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
# one trace of two spans: web calls db
cat >"$tmp/spans.json" <<'JSON'
[{"traceId":"0123456789abcdef","id":"0000000000000001","name":"get","kind":"SERVER","timestamp":1700000000000000,"duration":100,"localEndpoint":{"serviceName":"web"}},
 {"traceId":"0123456789abcdef","id":"0000000000000002","parentId":"0000000000000001","name":"q","kind":"CLIENT","timestamp":1700000000000010,"duration":50,"localEndpoint":{"serviceName":"web"},"remoteEndpoint":{"serviceName":"db"}}]
JSON
for sig in INT TERM; do
    log="$tmp/log-$sig"
    out="$tmp/map-$sig.json"
    "$bin" collect --listen 127.0.0.1:0 --every 200ms --trace-idle 1h -f json -o "$out" 2>"$log" &
    pid=$!
    wait_port "$log"
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data-binary @"$tmp/spans.json" "http://127.0.0.1:$port/api/v2/spans")
    [ "$code" = 202 ] || { echo "FAIL: SIG$sig: POST answered $code" >&2; fail=1; }
    # let at least one periodic write happen first
    for _ in $(seq 1 50); do
        [ -s "$out" ] && break
        sleep 0.1
    done
    sleep 0.3
    kill -$sig $pid
    wait $pid
    status=$?
    pid=
    if [ $status -ne 0 ]; then
        echo "FAIL: SIG$sig after an --every write: exit status $status, expected 0" >&2
        fail=1
    fi
    if ! grep -q '"spans": 2,' "$out"; then
        echo "FAIL: SIG$sig: the final map does not hold the 2 spans received:" >&2
        head -6 "$out" >&2
        fail=1
    fi
    if ! grep -q 'received 2 spans' "$log"; then
        echo "FAIL: SIG$sig: no closing summary on stderr:" >&2
        cat "$log" >&2
        fail=1
    fi
done
exit $fail
