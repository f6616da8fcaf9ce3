#!/usr/bin/env bash
# check_gates.sh: `svcmap check` end to end where golden cases cannot reach: a snapshot
# label from the store, the report written atomically with -o (and no file left when
# the rules are bad), gzip and pre-aggregated inputs, and the shop's traces in every
# format holding fixtures/rules/shop.rules while its second release breaks fan-out.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
bin=$1
src=$3
rules=$src/fixtures/rules
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

expect() { # expect STATUS DESCRIPTION -- COMMAND...
    local want=$1 what=$2 got
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $what: status $got, expected $want" >&2
        cat "$tmp/err" >&2
        fail=1
    fi
}

# a snapshot label
"$bin" store ingest --db "$tmp/maps.db" --label v2 "$rules/shop-v2-map.json" 2>/dev/null
expect 1 "check a snapshot" -- "$bin" check --db "$tmp/maps.db" --rules "$rules/shop.rules" v2
grep -q 'cycle: service:shipping -> service:shipping' "$tmp/out" ||
    { echo "FAIL: the snapshot's self-call is not reported" >&2; fail=1; }
expect 0 "a later --fail-on none clears the gate" -- "$bin" check --db "$tmp/maps.db" \
    --rules "$rules/shop.rules" --fail-on external --fail-on none v2
expect 3 "a label that is not there" -- "$bin" check --db "$tmp/maps.db" \
    --rules "$rules/shop.rules" v9

# -o: written atomically, the format from the extension
expect 1 "markdown report to a file" -- "$bin" check --rules "$rules/shop.rules" \
    -o "$tmp/report.md" "$rules/shop-v2-map.json"
head -1 "$tmp/report.md" | grep -q '^### svcmap check: 9 violations' ||
    { echo "FAIL: report.md does not start with the summary" >&2; fail=1; }
expect 1 "json report to a file" -- "$bin" check --rules "$rules/shop.rules" \
    -o "$tmp/report.json" "$rules/shop-v2-map.json"
grep -q '"gate": {"fail_on": \[.*\], "tripped": 9}' "$tmp/report.json" ||
    { echo "FAIL: report.json" >&2; fail=1; }
printf 'forbid a b\n' >"$tmp/bad.rules"
expect 3 "bad rules" -- "$bin" check --rules "$tmp/bad.rules" -o "$tmp/none.md" \
    "$rules/shop-map.json"
grep -q "bad.rules:1:10: expected '->'" "$tmp/err" || { echo "FAIL: bad rules message" >&2; fail=1; }
[ ! -e "$tmp/none.md" ] || { echo "FAIL: a bad run left a report" >&2; fail=1; }

# gzip and pre-aggregated inputs
gzip -c "$src/fixtures/preagg/servicegraph-otelcol.prom" >"$tmp/graph.prom.gz"
expect 1 "gzip metrics" -- "$bin" check --rules "$rules/shop.rules" "$tmp/graph.prom.gz"
grep -q 'external: service:payments -> external:card-api.example.com' "$tmp/out" ||
    { echo "FAIL: gzip metrics report" >&2; fail=1; }

# the shop's traces hold the shop's rules; its second release does not
for f in shop-otlp.jsonl shop-jaeger.json shop-zipkin.json; do
    [ -f "$src/fixtures/shop/$f" ] || continue
    expect 0 "the shop ($f) holds its rules" -- "$bin" check --rules "$rules/shop.rules" \
        "$src/fixtures/shop/$f"
done
if [ -f "$src/fixtures/shop/shop-v2-otlp.jsonl" ]; then
    expect 1 "the shop's second release" -- "$bin" check --rules "$rules/shop.rules" \
        --fail-on fan-out "$src/fixtures/shop/shop-v2-otlp.jsonl"
    grep -q 'fan-out: service:api-gateway' "$tmp/out" ||
        { echo "FAIL: v2 fan-out not reported" >&2; fail=1; }
fi
exit $fail
