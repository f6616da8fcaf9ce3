#!/usr/bin/env bash
# SVCMAP_CRITICAL=off, the benchmark's switch (scripts/bench, docs/performance.md): the
# map of every trace format is the same without the critical-path walk except that it
# has no "why" section, so that the bench row without the walk measures the same work
# less the walk. Any other value leaves the walk on.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
bin=$1
src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for f in shop/shop-otlp.jsonl shop/shop-jaeger.json shop/shop-zipkin.json otlp-proto/shop.pb; do
    "$bin" map -q -f json "$src/fixtures/$f" -o "$tmp/with.json" &&
        SVCMAP_CRITICAL=off "$bin" map -q -f json "$src/fixtures/$f" -o "$tmp/without.json" &&
        SVCMAP_CRITICAL=on "$bin" map -q -f json "$src/fixtures/$f" -o "$tmp/on.json" || {
        echo "FAIL: $f: svcmap map failed"
        fail=1
        continue
    }
    jq -e '(.why | length) > 0' "$tmp/with.json" >/dev/null || { echo "FAIL: $f: no why section with the walk"; fail=1; }
    jq -e 'has("why") | not' "$tmp/without.json" >/dev/null || { echo "FAIL: $f: a why section with SVCMAP_CRITICAL=off"; fail=1; }
    cmp -s "$tmp/with.json" "$tmp/on.json" || { echo "FAIL: $f: SVCMAP_CRITICAL=on changed the map"; fail=1; }
    diff <(jq -S 'del(.why)' "$tmp/with.json") <(jq -S . "$tmp/without.json") >"$tmp/diff" || {
        echo "FAIL: $f: the map without the walk differs in more than its why section:"
        head -20 "$tmp/diff"
        fail=1
    }
done
exit $fail
