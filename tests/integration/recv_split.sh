#!/usr/bin/env bash
# Past one machine (docs/scale.md): the spans of one run split by trace id across 3
# receivers, as the Collector's loadbalancing exporter with routing_key traceID does,
# each writing its map document; `svcmap map part-*.json` must give the same map as one
# receiver given everything, and as `svcmap map` of the spans themselves.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
. "$(dirname "$0")/lib/collect.sh"
bin=$(realpath "$1")
build=$2
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
fail=0
"$build/svcmap-gen" shop --format otlp --traces 300 --seed 11 -o "$tmp/run.jsonl" 2>/dev/null
# one request per receiver: the spans whose trace id ends in a character whose code is k
# modulo 3 (any split by whole traces will do)
for k in 0 1 2; do
    jq -c --argjson k $k '.resourceSpans[] | .scopeSpans |= map(.spans |= map(select((.traceId | explode | last) % 3 == $k)))' \
        "$tmp/run.jsonl" | jq -cs '{resourceSpans: .}' >"$tmp/req-$k.json"
done
jq -cs '{resourceSpans: [.[].resourceSpans[]]}' "$tmp/run.jsonl" >"$tmp/req-all.json"
receive() { # name request-file: one collect, one request, its map document
    "$bin" collect --listen 127.0.0.1:0 -o "$tmp/$1.json" 2>"$tmp/$1.log" &
    local pid=$! port=
    pids+=($pid)
    wait_port "$tmp/$1.log"
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary @"$2" "http://127.0.0.1:$port/v1/traces")
    [ "$code" = 200 ] || { echo "FAIL: $1 answered $code" >&2; fail=1; }
    kill -INT $pid
    wait $pid || { echo "FAIL: $1 exited $?" >&2; fail=1; }
}
for k in 0 1 2; do receive part-$k "$tmp/req-$k.json"; done
receive one "$tmp/req-all.json"
for k in 0 1 2; do
    [ "$(jq .source.spans "$tmp/part-$k.json")" -gt 0 ] || { echo "FAIL: part $k is empty" >&2; fail=1; }
done
"$bin" map "$tmp"/part-*.json -o "$tmp/merged.json" || fail=1
"$bin" map "$tmp/run.jsonl" -o "$tmp/direct.json" || fail=1
norm() { jq -S 'del(.source.files)' "$1"; }
diff <(norm "$tmp/merged.json") <(norm "$tmp/one.json") || { echo "FAIL: 3 receivers merged != 1 receiver" >&2; fail=1; }
diff <(norm "$tmp/one.json") <(norm "$tmp/direct.json") || { echo "FAIL: 1 receiver != svcmap map of the spans" >&2; fail=1; }
exit $fail
