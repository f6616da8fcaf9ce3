#!/usr/bin/env bash
# diff_shop.sh: svcmap diff on the shop example's two releases, each change reported and gated.
#
# Variant v2 of the generated shop differs from v1 in known ways: a new dependency
# api-gateway -> recommendations, a removed one payments -> fraud-check (the service
# vanishes with it), a slower external card API behind payments, and more failures
# at inventory. The diff must report each, in every report format, from trace files,
# from map documents and from store labels alike; each --fail-on rule must trip on its
# change (exit 1, the reason on stderr) and not on others; a map diffed with itself
# reports nothing and exits 0 whatever the gates.
set -u
bin=$1
build=$2
src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {
    echo "FAIL: $1" >&2
    fail=1
}

traces() { # traces VARIANT OUT: the committed fixture, or the generator's same output
    local fixture=$src/fixtures/shop/shop-otlp.jsonl
    [ "$1" = v2 ] && fixture=$src/fixtures/shop/shop-v2-otlp.jsonl
    if [ -f "$fixture" ]; then
        cp "$fixture" "$2"
    else
        "$build/svcmap-gen" shop --format otlp --variant "$1" --seed 1 -o "$2" 2>/dev/null
    fi
}
cd "$tmp"
traces v1 v1.jsonl
traces v2 v2.jsonl

# what changed, as JSON
"$bin" diff v1.jsonl v2.jsonl -f json >d.json
[ $? = 0 ] || check "diff without gates exits 0"
has() { # has JQ-FILTER DESCRIPTION: some change matches
    jq -e "[.changes[] | select($1)] | length > 0" d.json >/dev/null || check "$2"
}
has '.kind == "added-edge" and .from == "service:api-gateway" and .to == "service:recommendations"' \
    "the new dependency api-gateway -> recommendations"
has '.kind == "added-node" and .node == "service:recommendations"' "the new service"
has '.kind == "removed-edge" and .from == "service:payments" and .to == "service:fraud-check"' \
    "the removed dependency payments -> fraud-check"
has '.kind == "removed-node" and .node == "service:fraud-check"' "the vanished service"
has '.kind == "latency" and .regression and .from == "service:payments" and (.to | startswith("external:"))
     and .head.latency_ms.p99 > 1.25 * .base.latency_ms.p99' "the slower card API"
has '.kind == "errors" and .regression and .from == "service:api-gateway" and .to == "service:inventory"
     and .delta >= 1' "more failures at inventory"
# most severe first: removals, then regressions, additions last
jq -e '[.changes[].kind] | (index("removed-node") < index("latency")) and
       (index("latency") < index("added-edge"))' d.json >/dev/null || check "order by severity"
jq -e '.schema == "svcmap.diff/v1" and .summary.edges_added == 1 and .summary.edges_removed == 1' \
    d.json >/dev/null || check "summary"

# the same changes from map documents and from store labels
"$bin" map v1.jsonl -o v1.json && "$bin" map v2.jsonl -o v2.json || check "map documents"
"$bin" store ingest -q --db maps.db --label v1 v1.jsonl || check "ingest v1"
"$bin" store ingest -q --db maps.db --label v2 v2.jsonl || check "ingest v2"
kinds='[.changes[] | [.kind, (.node // .from), (.to // "")]]'
jq -c "$kinds" d.json >k-traces
"$bin" diff v1.json v2.json -f json | jq -c "$kinds" >k-docs
"$bin" diff --db maps.db v1 v2 -f json | jq -c "$kinds" >k-labels
cmp -s k-traces k-docs || { check "documents diff differently from traces"; diff k-traces k-docs; }
cmp -s k-traces k-labels || { check "labels diff differently from traces"; diff k-traces k-labels; }
# a label and a file mixed
"$bin" diff --db maps.db v1 v2.json -f json | jq -c "$kinds" >k-mixed
cmp -s k-traces k-mixed || check "label against document"

# gates: each trips on its change, exit 1, reason on stderr
gate() { # gate RULE EXPECTED-STATUS [STDERR-PATTERN]
    "$bin" diff --db maps.db v1 v2 --fail-on "$1" >out.txt 2>err.txt
    local status=$?
    [ $status = "$2" ] || { check "--fail-on '$1': exit $status, expected $2"; cat err.txt; }
    if [ -n "${3:-}" ]; then
        grep -qF -- "$3" err.txt || { check "--fail-on '$1': stderr lacks '$3'"; cat err.txt; }
        [ "$2" = 1 ] && { grep -q "gate.* tripped:" out.txt || check "--fail-on '$1': report lacks the reasons"; }
    fi
    return 0
}
gate added-edge 1 "svcmap: gate tripped: added-edge: new edge api-gateway -> recommendations (rpc,"
gate removed-edge 1 "svcmap: gate tripped: removed-edge: vanished edge payments -> fraud-check (rpc,"
gate added-node 1 "added-node: new node service:recommendations"
gate removed-node 1 "removed-node: vanished node service:fraud-check"
gate 'p99>+25%' 1 "p99>+25%: payments -> external:"
gate 'p50>+5ms' 1 "p50>+5ms: payments -> external:"
gate 'errors>+1pp' 1 "errors>+1pp: api-gateway -> inventory error rate"
gate 'p99>+100000%' 0
gate 'errors>+50pp' 0
gate 'calls<-90%' 0
gate 'calls>+500%' 0
gate 'p99>25' 2 "--fail-on takes added-edge, removed-edge"
gate 'slower' 2 "got 'slower'"
# a list, and repeated options: every reason listed
"$bin" diff --db maps.db v1 v2 --fail-on 'added-edge,removed-edge' --fail-on 'errors>+1pp' \
    >out.txt 2>err.txt
[ $? = 1 ] || check "gate list: exit 1"
grep -q "added-edge: " err.txt && grep -q "removed-edge: " err.txt && grep -q "errors>+1pp: " err.txt ||
    check "gate list: every reason on stderr"

# a map with itself: nothing, exit 0, whatever the gates
all='added-edge,removed-edge,added-node,removed-node,p50>+0%,p99>+0%,errors>+0pp,calls<-0%,calls>+0%'
for pair in "v1.jsonl v1.jsonl" "v1.json v1.jsonl" "v2.jsonl v2.json"; do
    # shellcheck disable=SC2086
    "$bin" diff $pair --fail-on "$all" >out.txt 2>err.txt
    [ $? = 0 ] || { check "self diff $pair: exit 0"; cat err.txt; }
    grep -q ": no changes$" out.txt || { check "self diff $pair reports nothing"; cat out.txt; }
done
"$bin" diff --db maps.db v2 v2 --fail-on "$all" -f json >self.json || check "self diff of a label"
jq -e '.changes == [] and .gates == []' self.json >/dev/null || check "self diff json empty"

# reports: markdown for the pull request, colour only when asked or on a terminal
"$bin" diff --db maps.db v1 v2 --fail-on removed-edge -o report.md 2>/dev/null
[ $? = 1 ] || check "report with a tripped gate: exit 1"
grep -q '^### svcmap diff: v1 -> v2$' report.md || check "markdown heading"
grep -q '^\*\*Failed:\*\* ' report.md || check "markdown failed line"
grep -q '^| | change | from | to | details |$' report.md || check "markdown table"
grep -q '^| - | removed edge | payments | fraud-check | rpc, ' report.md || check "markdown row"
"$bin" diff --db maps.db v1 v2 >plain.txt
grep -q $'\033' plain.txt && check "colour in a pipe"
"$bin" diff --db maps.db v1 v2 --color >color.txt
grep -q $'\033\[31m- removed edge' color.txt || check "--color"

# the change drawn on the map
"$bin" diff --db maps.db v1 v2 -f mermaid >d.mmd || check "mermaid"
grep -q 'stroke:#2e7d32' d.mmd || check "mermaid: added in green"
grep -q 'stroke:#c62828.*stroke-dasharray' d.mmd || check "mermaid: removed in red, dashed"
grep -q 'stroke:#ef6c00' d.mmd || check "mermaid: regressed in orange"
grep -qE 'p99 [0-9.]+ -#62; [0-9.]+ ms' d.mmd || check "mermaid: the p99 note"
"$bin" diff --db maps.db v1 v2 -o d.svg || check "svg"
xmllint --noout d.svg || check "svg parses"
grep -q '>recommendations<' d.svg && grep -q '>fraud&#45;check<' d.svg || check "svg shows both sides"
# a legend says which colour means what, and the title names the two sides
grep -q '>added (green, bold)<' d.svg && grep -q '>removed (red, dashed)<' d.svg &&
    grep -q '>worse (orange): the label says what changed<' d.svg || check "svg: the legend"
grep -q '>changes from v1 to v2<' d.svg || check "svg: the title names both sides"
"$bin" diff --db maps.db v1 v2 --title 'release 1.3' -o d.png || check "png"
"$bin" diff --db maps.db v1 v2 --title 'release 1.3' -o d2.svg || check "svg with --title"
grep -q '>release 1.3<' d2.svg || check "--title replaces the default title"
"$bin" diff --db maps.db v1 v2 -f dot | grep -q 'style=dashed' || check "dot: removed dashed"
# only what changed: the unchanged shipping side of the map is left out
"$bin" diff --db maps.db v1 v2 -f mermaid --changed-only >c.mmd || check "--changed-only"
grep -q '"shipping"' d.mmd || check "the whole map has shipping"
grep -q '"shipping"' c.mmd && check "--changed-only drops shipping"
grep -q '"recommendations"' c.mmd && grep -q '"fraud-check"' c.mmd || check "--changed-only keeps the change"
"$bin" diff --db maps.db v1 v2 -f markdown --with-map >m.md || check "--with-map"
grep -q '^<details><summary>The change on the map</summary>$' m.md || check "--with-map: folded"
sed -n '/^```mermaid$/,/^```$/p' m.md | sed '1d;$d' >m.mmd
cmp -s m.mmd c.mmd || check "--with-map draws what --changed-only draws"
"$bin" diff --db maps.db v1 v1 -f markdown --with-map | grep -q mermaid && check "--with-map without changes"

# usage and input errors
"$bin" diff v1.jsonl 2>/dev/null
[ $? = 2 ] || check "one side: exit 2"
"$bin" diff v1.jsonl nope.jsonl 2>err.txt
[ $? = 3 ] || check "missing file: exit 3"
"$bin" diff --db maps.db v1 v9 2>err.txt
[ $? = 3 ] || check "missing label: exit 3"
grep -q "no snapshot labelled 'v9'" err.txt || check "missing label: message"
"$bin" diff --db nope.db v1 v2 2>err.txt
[ $? = 3 ] || check "missing database: exit 3"
"$bin" diff v1.jsonl v2.jsonl -f pdf 2>/dev/null
[ $? = 2 ] || check "unknown format: exit 2"
exit $fail
