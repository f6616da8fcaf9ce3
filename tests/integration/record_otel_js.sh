#!/usr/bin/env bash
# `svcmap record` around a real OpenTelemetry JS SDK program (tests/otel-record/app.js:
# four services calling each other over HTTP), once per OTLP/HTTP encoding. The map
# record writes must equal `svcmap map` of the spans the SDK's own serializer wrote to a
# file in the same run, and of record's --save-spans file; the program's exit status
# must come back through record.
# Args: $1 svcmap binary, $2 build dir, $3 source dir. Needs scripts/test-setup first.
set -u
bin=$1
src=$3
app=$src/tests/otel-record/app.js
if [ ! -d "$src/tests/otel-record/node_modules/@opentelemetry/sdk-trace-node" ]; then
    echo "tests/otel-record/node_modules is missing: run scripts/test-setup" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
same_map() { # $1 $2: two map documents equal apart from their file lists
    diff <(jq -S 'del(.source.files)' "$1") <(jq -S 'del(.source.files)' "$2") >"$tmp/diff" || {
        echo "FAIL: $3: maps differ:" >&2
        cat "$tmp/diff" >&2
        fail=1
    }
}
for protocol in http/protobuf http/json; do
    tag=${protocol#http/}
    OTEL_EXPORTER_OTLP_PROTOCOL=$protocol SPANS_FILE="$tmp/sdk-$tag.jsonl" APP_EXIT=7 APP_REQUESTS=15 \
        "$bin" record --grace 500ms -o "$tmp/rec-$tag.json" --save-spans "$tmp/saved-$tag.jsonl" \
        -- node "$app" 2>"$tmp/err-$tag"
    status=$?
    if [ "$status" != 7 ]; then
        echo "FAIL: $protocol: record exited $status, the program 7" >&2
        cat "$tmp/err-$tag" >&2
        fail=1
        continue
    fi
    grep -q "received 105 spans" "$tmp/err-$tag" || {
        echo "FAIL: $protocol: expected 105 spans (15 requests x 7):" >&2
        cat "$tmp/err-$tag" >&2
        fail=1
    }
    # four services, three edges, errors on api -> pricing (every fifth price is a 503)
    jq -e '(.nodes | length) == 4 and (.edges | length) == 3 and
           ([.edges[] | select(.to == "service:pricing")][0].errors == 3) and
           ([.edges[] | select(.from == "service:frontend")][0].calls == 15)' \
        "$tmp/rec-$tag.json" >/dev/null || {
        echo "FAIL: $protocol: unexpected map:" >&2
        cat "$tmp/rec-$tag.json" >&2
        fail=1
    }
    "$bin" map "$tmp/sdk-$tag.jsonl" -o "$tmp/sdk-$tag.json" || fail=1
    same_map "$tmp/rec-$tag.json" "$tmp/sdk-$tag.json" "$protocol: record vs map of the SDK's file"
    "$bin" map "$tmp/saved-$tag.jsonl" -o "$tmp/saved-$tag.json" || fail=1
    same_map "$tmp/rec-$tag.json" "$tmp/saved-$tag.json" "$protocol: record vs map of --save-spans"
done
# a program that cannot be run: 127 as a shell says, and no map
"$bin" record -q -o "$tmp/none.json" -- "$tmp/no-such-program" 2>/dev/null
[ $? = 127 ] || { echo "FAIL: a missing program is not 127" >&2; fail=1; }
# a program killed by a signal: 128 + the signal
"$bin" record -q --grace 0 -o "$tmp/sig.json" -- sh -c 'kill -TERM $$'
[ $? = 143 ] || { echo "FAIL: a program ended by SIGTERM is not 143" >&2; fail=1; }
[ -f "$tmp/sig.json" ] || { echo "FAIL: no map after the program was killed" >&2; fail=1; }
# a SIGTERM sent to record reaches the program (which then exits 0 on its own terms)
"$bin" record -q --grace 0 -o "$tmp/fw.json" -- sh -c 'trap "exit 42" TERM; sleep 30 & wait' &
rpid=$!
sleep 1
kill -TERM $rpid
wait $rpid
[ $? = 42 ] || { echo "FAIL: SIGTERM did not reach the program through record" >&2; fail=1; }
exit $fail
