#!/usr/bin/env bash
# The bundled shop in OTLP, Jaeger and Zipkin (trace lists and a flat span array)
# gives one map: the same nodes, edges, counts and latency figures to the byte, apart
# from the source block's file names and formats.
set -euo pipefail
svcmap=$1
shop=fixtures/shop
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in "$shop/shop-otlp.jsonl" "$shop/shop-jaeger.json" "$shop/shop-zipkin.json"; do
    [ -s "$f" ] || { echo "missing fixture $f"; exit 1; }
done
normalize() {
    "$svcmap" map -q -f json "$1" | jq -S 'del(.source.files, .source.formats)'
}
normalize "$shop/shop-otlp.jsonl" >"$tmp/otlp.json"
normalize "$shop/shop-jaeger.json" >"$tmp/jaeger.json"
normalize "$shop/shop-zipkin.json" >"$tmp/zipkin.json"
diff -u "$tmp/otlp.json" "$tmp/jaeger.json"
diff -u "$tmp/otlp.json" "$tmp/zipkin.json"

# the map is the shop of the checkout story: every dependency is there, typed
jq -e '
  [.edges[] | "\(.from) \(.to) \(.kind)"] as $e
  | ["service:frontend service:api-gateway rpc",
     "service:api-gateway service:inventory rpc",
     "service:api-gateway service:payments rpc",
     "service:inventory database:inventory database",
     "service:payments external:api.cardpay.example:443 external",
     "service:payments service:fraud-check rpc",
     "service:api-gateway queue:orders messaging",
     "queue:orders service:shipping messaging"] - $e | length == 0' "$tmp/otlp.json" >/dev/null ||
    { echo "the shop map lacks a dependency"; jq -c '.edges[] | [.from, .to, .kind]' "$tmp/otlp.json"; exit 1; }

# the hidden slow dependency: inventory's database p99 is in the tens of seconds while
# every other edge of the request path stays fast
jq -e '.edges[] | select(.from == "service:inventory" and .to == "database:inventory")
       | .latency_ms.client.p99 > 20000' "$tmp/otlp.json" >/dev/null ||
    { echo "the slow inventory database edge is not slow"; exit 1; }
jq -e '[.edges[] | select(.from == "service:frontend" or .from == "service:api-gateway")
        | .latency_ms.client.p99] | max < 2000' "$tmp/otlp.json" >/dev/null ||
    { echo "a fast edge is slow"; exit 1; }

# and the picture draws that edge, and only that edge, red: DOT nodes are n<position
# in the sorted node list>
from=$(jq '.nodes | map(.id) | index("service:inventory")' "$tmp/otlp.json")
to=$(jq '.nodes | map(.id) | index("database:inventory")' "$tmp/otlp.json")
"$svcmap" map -q -f dot "$shop/shop-otlp.jsonl" >"$tmp/shop.dot"
grep -A1 -E "^\s*n$from -> n$to\s" "$tmp/shop.dot" | grep -q 'color="#d62728"' ||
    { echo "the slow edge n$from -> n$to is not red"; cat "$tmp/shop.dot"; exit 1; }
[ "$(grep -c '^\s*color="#d62728"\|\[color="#d62728"' "$tmp/shop.dot")" = 1 ] ||
    { echo "more than one red edge"; exit 1; }
echo "shop_formats: one map from every format"
