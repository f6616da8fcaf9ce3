#!/usr/bin/env bash
# The critical-path figures survive the receiver: spans sent over OTLP/HTTP to `svcmap
# collect` (the shop's requests as OTLP JSON, one a POST, and the OpenTelemetry JS SDK's
# shop as one protobuf body) and to `svcmap record` (a real SDK exporter, both
# encodings) give a map document whose "why" section makes the same `svcmap why -f json`
# as mapping the same spans from their files. A receiver that lost start times (the walk
# skips such spans), parents, kinds or the "why" section itself gives other figures.
# Args: $1 svcmap binary, $2 build dir, $3 source dir. Needs scripts/test-setup first
# (tests/otel-record, for record's part).
set -u
. "$(dirname "$0")/lib/collect.sh"
bin=$(realpath "$1")
src=$3
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
fail=0
same_why() { # what doc files...: why -f json of the document equals that of the files
    local what=$1 doc=$2
    shift 2
    "$bin" why -f json "$doc" >"$tmp/got.json" && "$bin" why -f json "$@" >"$tmp/want.json" || {
        echo "FAIL: $what: svcmap why failed" >&2
        fail=1
        return
    }
    # something to compare: entries with contributors, none of them empty
    jq -e '(.entries | length) > 0 and all(.entries[]; (.contributors | length) > 0 and .total_ms > 0)' \
        "$tmp/want.json" >/dev/null || {
        echo "FAIL: $what: the files give no critical paths" >&2
        fail=1
    }
    diff <(jq -S 'del(.source.files)' "$tmp/want.json") <(jq -S 'del(.source.files)' "$tmp/got.json") \
        >"$tmp/diff" || {
        echo "FAIL: $what: why of the receiver's map differs from why of the files:" >&2
        head -40 "$tmp/diff" >&2
        fail=1
    }
}

# collect: the shop's OTLP JSON lines, one POST each, and the SDK's shop as protobuf
"$bin" collect --listen 127.0.0.1:0 --trace-idle 60s -o "$tmp/collect.json" 2>"$tmp/log" &
pid=$!
pids+=($pid)
wait_port "$tmp/log"
n=0
while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" >"$tmp/body-$n.json"
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data-binary @"$tmp/body-$n.json" "http://127.0.0.1:$port/v1/traces")
    [ "$code" = 200 ] || { echo "FAIL: line $n of the shop answered $code" >&2; fail=1; }
done <"$src/fixtures/shop/shop-otlp.jsonl"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/x-protobuf' \
    --data-binary @"$src/fixtures/otlp-proto/shop.pb" "http://127.0.0.1:$port/v1/traces")
[ "$code" = 200 ] || { echo "FAIL: the protobuf shop answered $code" >&2; fail=1; }
kill -INT $pid
wait $pid || { echo "FAIL: collect exited $?" >&2; cat "$tmp/log" >&2; fail=1; }
jq -e '(.why | length) > 0' "$tmp/collect.json" >/dev/null ||
    { echo "FAIL: collect's map has no why section" >&2; fail=1; }
same_why "collect" "$tmp/collect.json" "$src/fixtures/shop/shop-otlp.jsonl" "$src/fixtures/otlp-proto/shop.pb"

# record: a real SDK exporter, per encoding; the SDK's own file is the reference
app=$src/tests/otel-record/app.js
if [ ! -d "$src/tests/otel-record/node_modules/@opentelemetry/sdk-trace-node" ]; then
    echo "tests/otel-record/node_modules is missing: run scripts/test-setup" >&2
    exit 1
fi
for protocol in http/protobuf http/json; do
    tag=${protocol#http/}
    OTEL_EXPORTER_OTLP_PROTOCOL=$protocol SPANS_FILE="$tmp/sdk-$tag.jsonl" APP_REQUESTS=12 APP_ROOT_KIND=server \
        "$bin" record --grace 500ms -o "$tmp/rec-$tag.json" -- node "$app" 2>"$tmp/err-$tag" || {
        echo "FAIL: $protocol: record failed" >&2
        cat "$tmp/err-$tag" >&2
        fail=1
        continue
    }
    jq -e '(.why | length) > 0' "$tmp/rec-$tag.json" >/dev/null ||
        { echo "FAIL: $protocol: record's map has no why section" >&2; fail=1; }
    same_why "record $protocol" "$tmp/rec-$tag.json" "$tmp/sdk-$tag.jsonl"
done
exit $fail
