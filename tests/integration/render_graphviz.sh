#!/usr/bin/env bash
# DOT read back by Graphviz (`dot -Tjson0` parses svcmap's DOT) and SVG parsed as XML
# (xmllint, then a strict XML parser in check-graphviz.mjs): every node comes back with
# its exact name, every edge between the right nodes, no script or link in the SVG.
# PNG starts with the PNG signature. Inputs include hostile names.
# Args: $1 svcmap binary, $2 build dir, $3 source dir. Needs scripts/test-setup first.
set -u
bin=$1
src=$3
check=$src/tests/mermaid/check-graphviz.mjs
if [ ! -d "$src/tests/mermaid/node_modules/jsdom" ]; then
    echo "tests/mermaid/node_modules is missing: run scripts/test-setup" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
inputs=(fixtures/render/hostile-zipkin.json
    fixtures/conformance/zipkin/zipkin-lens-yelp.json
    fixtures/conformance/zipkin/zipkin-lens-messaging-kafka.json
    fixtures/conformance/jaeger/jaeger-ui-petclinic-trace.json)
[ -f fixtures/shop/shop-otlp.jsonl ] && inputs+=(fixtures/shop/shop-otlp.jsonl)
optsets=("" "--group-by kind --direction TB --title a\"title<b>&amp;" "--clients --no-legend")
# Every output first, then one node run.
triples=()
k=0
for input in "${inputs[@]}"; do
    for opts in "${optsets[@]}"; do
        k=$((k + 1))
        # shellcheck disable=SC2086
        if ! "$bin" map -q $opts -f json "$input" >"$tmp/$k.json" ||
            ! "$bin" map -q $opts -f dot "$input" >"$tmp/$k.dot" ||
            ! "$bin" map -q $opts -o "$tmp/$k.svg" "$input"; then
            echo "FAIL: svcmap map $opts $input"
            fail=1
            continue
        fi
        if ! dot -Tjson0 "$tmp/$k.dot" >"$tmp/$k.dot.json" 2>"$tmp/dot.err" || [ -s "$tmp/dot.err" ]; then
            echo "FAIL: Graphviz cannot read the DOT of $input with '$opts'"
            cat "$tmp/dot.err"
            fail=1
            continue
        fi
        if ! xmllint --noout "$tmp/$k.svg"; then
            echo "FAIL: SVG of $input with '$opts' is not XML"
            fail=1
            continue
        fi
        echo "$k: $input $opts" >>"$tmp/index"
        triples+=("$tmp/$k.json" "$tmp/$k.dot.json" "$tmp/$k.svg")
    done
done
if ! node "$check" "${triples[@]}"; then
    echo "FAIL: graphviz check; the numbers are:"
    cat "$tmp/index"
    fail=1
fi
# PNG through the same in-process path.
"$bin" map -q -o "$tmp/map.png" fixtures/render/hostile-zipkin.json &&
    [ "$(head -c 8 "$tmp/map.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || {
    echo "FAIL: PNG output"
    fail=1
}
# The slow database edge (40 s at the tail) is drawn red with its p99 on the label.
"$bin" map -q -f dot fixtures/render/hostile-zipkin.json >"$tmp/map.dot"
grep -A3 -- '-> n0' "$tmp/map.dot" | grep -q 'color="#d62728"' || {
    echo "FAIL: the slow database edge is not red"
    fail=1
}
# The checker itself must be able to fail: a wrong name is caught.
"$bin" map -q -f json fixtures/render/hostile-zipkin.json >"$tmp/map.json"
sed 's/"name": "trailing\\\\"/"name": "trailing"/' "$tmp/map.json" >"$tmp/wrong.json"
"$bin" map -q -f dot fixtures/render/hostile-zipkin.json >"$tmp/map.dot"
dot -Tjson0 "$tmp/map.dot" >"$tmp/dot.json"
"$bin" map -q -o "$tmp/map.svg" fixtures/render/hostile-zipkin.json
if node "$check" "$tmp/wrong.json" "$tmp/dot.json" "$tmp/map.svg" 2>/dev/null; then
    echo "FAIL: the checker accepted a wrong name"
    fail=1
fi
exit $fail
