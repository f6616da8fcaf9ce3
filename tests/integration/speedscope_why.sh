#!/usr/bin/env bash
# `svcmap why -f folded` in a real flame-graph viewer: speedscope (pinned in
# tests/speedscope) in Debian's chromium, driven by tests/browser/check-speedscope.mjs.
# The shop's stacks, per-operation stacks of a Jaeger trace (operations as root frames)
# and stacks with hostile service names (';', a line end, an escape sequence, a space)
# must import with the file's weights and the entries as roots; two deliberately
# broken files (not folded at all; one value speedscope would skip) must be caught.
# Args: $1 svcmap binary, $2 build dir, $3 source dir. Needs scripts/test-setup first.
set -u
bin=$1
src=$3
release="$src/tests/speedscope/node_modules/speedscope/dist/release"
for need in "$src/tests/browser/node_modules/puppeteer-core" "$release/index.html"; do
    if [ ! -e "$need" ]; then
        echo "$need is missing: run scripts/test-setup" >&2
        exit 1
    fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
why() { # NAME ARGS...: NAME.folded and NAME.json of one input
    local name=$1
    shift
    "$bin" why -f folded "$@" >"$tmp/$name.folded" &&
        "$bin" why -f json "$@" >"$tmp/$name.json" &&
        [ -s "$tmp/$name.folded" ] || {
        echo "FAIL: svcmap why $* did not write its stacks"
        exit 1
    }
    echo "$name good" >>"$tmp/cases"
}
why shop "$src/fixtures/shop/shop-otlp.jsonl"
why by-operation --by operation "$src/fixtures/conformance/jaeger/jaeger-ui-tracegraph-testtrace.json"
cat >"$tmp/hostile-input.json" <<'JSON'
[{"traceId":"1","id":"1","kind":"SERVER","name":"x","timestamp":1700000000000000,"duration":900000,"localEndpoint":{"serviceName":"a;b\nc\u001b[31m"}},
 {"traceId":"1","id":"2","parentId":"1","kind":"CLIENT","name":"q","timestamp":1700000000100000,"duration":500000,"localEndpoint":{"serviceName":"a;b\nc\u001b[31m"},"remoteEndpoint":{"serviceName":"d b"}},
 {"traceId":"2","id":"3","kind":"SERVER","name":"y","timestamp":1700000001000000,"duration":7000,"localEndpoint":{"serviceName":"caf\u00e9 \u2192 x"}},
 {"traceId":"2","id":"4","parentId":"3","kind":"CLIENT","name":"z","timestamp":1700000001001000,"duration":2000,"localEndpoint":{"serviceName":"caf\u00e9 \u2192 x"},"remoteEndpoint":{"serviceName":"  sp ace  "}}]
JSON
why hostile "$tmp/hostile-input.json"
# negative controls: no folded line at all; one line whose value speedscope cannot read
printf 'frontend;api-gateway twelve\nnot a stack\n' >"$tmp/not-folded.folded"
echo "not-folded bad" >>"$tmp/cases"
sed '2s/ \([0-9]*\)$/ \1.5/' "$tmp/shop.folded" >"$tmp/bad-value.folded"
cmp -s "$tmp/shop.folded" "$tmp/bad-value.folded" && {
    echo "FAIL: the broken copy of the shop's stacks is not broken"
    exit 1
}
echo "bad-value bad" >>"$tmp/cases"
timeout 300 node "$src/tests/browser/check-speedscope.mjs" "$release" "$tmp"
