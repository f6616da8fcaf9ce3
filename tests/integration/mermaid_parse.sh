#!/usr/bin/env bash
# Mermaid output parsed by the real mermaid package: every input x option set must parse,
# and node nX must carry exactly the name of the map's node X, links between the right
# nodes. Inputs: hostile names (quotes, <>&, newlines, unicode, Mermaid keywords, case
# twins), conformance traces, and the shop example when it is there.
# Args: $1 svcmap binary, $2 build dir, $3 source dir. Needs scripts/test-setup first.
set -u
bin=$1
src=$3
check=$src/tests/mermaid/check.mjs
if [ ! -d "$src/tests/mermaid/node_modules/mermaid" ]; then
    echo "tests/mermaid/node_modules is missing: run scripts/test-setup" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
inputs=(fixtures/render/hostile-zipkin.json
    fixtures/conformance/zipkin/zipkin-lens-yelp.json
    fixtures/conformance/zipkin/zipkin-lens-messaging-kafka.json
    fixtures/conformance/otlp/kiali-tempo-bookinfo-trace.json
    fixtures/conformance/jaeger/jaeger-ui-petclinic-trace.json)
[ -f fixtures/shop/shop-otlp.jsonl ] && inputs+=(fixtures/shop/shop-otlp.jsonl)
optsets=("" "--group-by kind --direction TB --title a\"title<b>" "--clients --no-legend"
    "--edge-label {calls}|{errors}|{p50}-{max} --crit p99=1ms" "--group-by service.namespace")
# Every output first, then one node run (loading mermaid takes seconds).
pairs=()
k=0
for input in "${inputs[@]}"; do
    for opts in "${optsets[@]}"; do
        k=$((k + 1))
        # shellcheck disable=SC2086
        if ! "$bin" map -q $opts -f json "$input" >"$tmp/$k.json" ||
            ! "$bin" map -q $opts -f mermaid "$input" >"$tmp/$k.mmd"; then
            echo "FAIL: svcmap map $opts $input"
            fail=1
            continue
        fi
        echo "$k: $input $opts" >>"$tmp/index"
        pairs+=("$tmp/$k.mmd" "$tmp/$k.json")
    done
done
if ! node "$check" "${pairs[@]}"; then
    echo "FAIL: mermaid check; the numbers are:"
    cat "$tmp/index"
    fail=1
fi
# A .md output is a fenced block that parses the same.
"$bin" map -q -o "$tmp/map.md" fixtures/render/hostile-zipkin.json &&
    head -1 "$tmp/map.md" | grep -qx '```mermaid' &&
    "$bin" map -q -f json fixtures/render/hostile-zipkin.json >"$tmp/map.json" &&
    node "$check" "$tmp/map.md" "$tmp/map.json" || {
    echo "FAIL: .md output"
    fail=1
}
# The checker itself must be able to fail: a broken label is rejected.
printf 'flowchart LR\n    n0("a"b")\n' >"$tmp/bad.mmd"
if node "$check" "$tmp/bad.mmd" 2>/dev/null; then
    echo "FAIL: the checker accepted broken Mermaid"
    fail=1
fi
exit $fail
