#!/usr/bin/env bash
# gen_shop.sh: svcmap-gen is deterministic, its formats agree span for span, the
# committed shop fixtures are its current output, and bigmap makes the map it promises.
#
# Spans are normalized with jq to one line each (ids, parent, service, name, kind,
# microsecond start and duration, error, attributes minus the format's own bookkeeping
# tags), so a difference between formats names the span. Gets $1 = svcmap, $2 = build
# directory (holding svcmap-gen), $3 = source directory.
set -euo pipefail
svcmap=$1
gen=$2/svcmap-gen
src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$gen" ] || { echo "gen_shop: $gen not built"; exit 1; }

# the committed fixtures are what scripts/gen-fixtures makes today
shop=$src/fixtures/shop
"$gen" shop --format otlp --traces 80 --seed 1 -o "$tmp/otlp.jsonl" 2>/dev/null
"$gen" shop --format jaeger --traces 80 --seed 1 -o "$tmp/jaeger.json" 2>/dev/null
"$gen" shop --format zipkin --traces 80 --seed 1 -o "$tmp/zipkin.json" 2>/dev/null
"$gen" shop --format zipkin-flat --traces 80 --seed 1 -o "$tmp/flat.json" 2>/dev/null
"$gen" shop --format otlp --traces 80 --seed 1 --variant v2 -o "$tmp/v2.jsonl" 2>/dev/null
cmp "$tmp/otlp.jsonl" "$shop/shop-otlp.jsonl"
cmp "$tmp/jaeger.json" "$shop/shop-jaeger.json"
cmp "$tmp/zipkin.json" "$shop/shop-zipkin.json"
cmp "$tmp/v2.jsonl" "$shop/shop-v2-otlp.jsonl" ||
    { echo "gen_shop: fixtures/shop is stale: run scripts/gen-fixtures"; exit 1; }

# same arguments, same bytes; another seed, other bytes
"$gen" shop --format otlp --traces 80 --seed 1 -o "$tmp/again.jsonl" 2>/dev/null
cmp "$tmp/otlp.jsonl" "$tmp/again.jsonl"
"$gen" shop --format otlp --traces 80 --seed 2 -o "$tmp/seed2.jsonl" 2>/dev/null
! cmp -s "$tmp/otlp.jsonl" "$tmp/seed2.jsonl" || { echo "gen_shop: --seed ignored"; exit 1; }

cat >"$tmp/norm.jq" <<'EOF'
def kindname: if . == 2 or . == "server" or . == "SERVER" then "server"
  elif . == 3 or . == "client" or . == "CLIENT" then "client"
  elif . == 4 or . == "producer" or . == "PRODUCER" then "producer"
  elif . == 5 or . == "consumer" or . == "CONSUMER" then "consumer" else "internal" end;
def bookkeeping: ["span.kind", "error", "otel.status_code", "otel.status_description",
  "service.namespace", "service.version"];
def attrs: with_entries(select(.key as $k | bookkeeping | index($k) | not));
(if type == "array" and (.[0] | type) == "object" and (.[0] | has("resourceSpans")) then
  [.[] | .resourceSpans[]
   | (.resource.attributes[] | select(.key == "service.name") | .value.stringValue) as $svc
   | .scopeSpans[].spans[]
   | {t: .traceId, id: .spanId, p: (.parentSpanId // ""), svc: $svc, name, kind: (.kind | kindname),
      start: (.startTimeUnixNano[:-3] | tonumber),
      dur: ((.endTimeUnixNano[:-3] | tonumber) - (.startTimeUnixNano[:-3] | tonumber)),
      ns: (.startTimeUnixNano[-3:] + .endTimeUnixNano[-3:]),
      err: (.status.code == 2),
      attrs: (.attributes | map({key, value: (.value | to_entries[0].value | tostring)})
              | from_entries | attrs)}]
 elif type == "object" and has("data") then
  [.data[] | .processes as $p | .spans[]
   | {t: .traceID, id: .spanID, p: (.references[0].spanID // ""),
      svc: $p[.processID].serviceName, name: .operationName,
      kind: ((.tags[] | select(.key == "span.kind") | .value) | kindname),
      start: .startTime, dur: .duration, ns: "000000",
      err: ([.tags[] | select(.key == "error" and .value == true)] | length > 0),
      attrs: ([.tags[] | {key, value: (.value | tostring)}] | from_entries | attrs)}]
 else
  [(if (.[0] | type) == "array" then .[][] else .[] end)
   | {t: .traceId, id: .id, p: (.parentId // ""), svc: .localEndpoint.serviceName, name,
      kind: (.kind | kindname), start: .timestamp, dur: .duration, ns: "000000",
      err: (.tags.error != null), attrs: (.tags | attrs)}]
 end) | sort_by(.id) | .[] | tojson
EOF
jq -s -r -f "$tmp/norm.jq" "$tmp/otlp.jsonl" >"$tmp/n-otlp"
jq -r -f "$tmp/norm.jq" "$tmp/jaeger.json" >"$tmp/n-jaeger"
jq -r -f "$tmp/norm.jq" "$tmp/zipkin.json" >"$tmp/n-zipkin"
jq -r -f "$tmp/norm.jq" "$tmp/flat.json" >"$tmp/n-flat"
[ "$(wc -l <"$tmp/n-otlp")" -gt 1000 ] || { echo "gen_shop: too few spans"; exit 1; }
diff "$tmp/n-otlp" "$tmp/n-jaeger"
diff "$tmp/n-otlp" "$tmp/n-zipkin"
diff "$tmp/n-otlp" "$tmp/n-flat"
# OTLP times are whole microseconds, like Jaeger's and Zipkin's
! grep -v '"ns":"000000"' "$tmp/n-otlp" | head -1 | grep -q . ||
    { echo "gen_shop: OTLP times below a microsecond"; exit 1; }

# and svcmap draws one map from all four
for f in otlp.jsonl jaeger.json zipkin.json flat.json; do
    "$svcmap" map -q -f json "$tmp/$f" | jq -S -c '.edges' >"$tmp/edges-$f"
done
cmp "$tmp/edges-otlp.jsonl" "$tmp/edges-jaeger.json"
cmp "$tmp/edges-otlp.jsonl" "$tmp/edges-zipkin.json"
cmp "$tmp/edges-otlp.jsonl" "$tmp/edges-flat.json"

# the story holds at other seeds and sizes: the database's p99 is the 30 s wait, the
# calls in front of it stay fast
for args in "--traces 80 --seed 7" "--traces 400 --seed 3"; do
    # shellcheck disable=SC2086
    "$gen" shop --format otlp $args -o "$tmp/story.jsonl" 2>/dev/null
    "$svcmap" map -q -f json "$tmp/story.jsonl" >"$tmp/story.json"
    jq -e '.edges[] | select(.to == "database:inventory") | .latency_ms.client.p99 > 20000' \
        "$tmp/story.json" >/dev/null || { echo "gen_shop: $args: database not slow"; exit 1; }
    jq -e '[.edges[] | select(.from == "service:frontend" or .from == "service:api-gateway")
            | .latency_ms.client.p99] | max < 1000' "$tmp/story.json" >/dev/null ||
        { echo "gen_shop: $args: a front edge is slow"; exit 1; }
done

# bigmap: exactly the services and edges asked for
"$gen" bigmap --format zipkin --services 120 --edges 480 -o "$tmp/big.json" 2>/dev/null
"$svcmap" map -q -f json "$tmp/big.json" >"$tmp/big-map.json"
jq -e '(.nodes | length) == 120 and (.edges | length) == 480' "$tmp/big-map.json" >/dev/null ||
    { echo "gen_shop: bigmap"; jq -c '[(.nodes | length), (.edges | length)]' "$tmp/big-map.json"; exit 1; }

# bench: stops just past the byte budget, valid JSON in every format
for f in otlp jaeger zipkin zipkin-flat; do
    "$gen" bench --format "$f" --bytes 2M --services 12 -o "$tmp/bench" 2>/dev/null
    size=$(wc -c <"$tmp/bench")
    if [ "$size" -lt 2097152 ] || [ "$size" -ge 2400000 ]; then
        echo "gen_shop: bench $f: $size bytes"
        exit 1
    fi
    if [ "$f" = otlp ]; then jq -e . "$tmp/bench" >/dev/null; else jq -e 'length > 0' "$tmp/bench" >/dev/null; fi
done
echo "gen_shop: fixtures current, formats agree, bigmap and bench as asked"
