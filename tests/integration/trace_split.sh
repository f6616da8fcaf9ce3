#!/usr/bin/env bash
# trace_split.sh: spans group by trace id across elements, files and formats (DESIGN
# rule 1). The shop's traces are split in two halves (by span position) and the halves
# are put in two elements of a Jaeger `{"data":[...]}` and of a Zipkin list of traces,
# first halves of every trace before any second half; in two files; and in a Jaeger file
# and an OTLP file, in both orders. Each must give the map of the unsplit traces. Then
# the window (link.h): a trace whose second half comes after more than the window's
# spans of other traces is reported as late (source.late_spans, one line on stderr, an
# error with --strict), not linked as a second trace.
# Gets $1 = svcmap, $2 = build directory (holding svcmap-gen).
set -uo pipefail
svcmap=$1
gen=$2/svcmap-gen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "trace_split: $*"; exit 1; }

for f in jaeger zipkin otlp; do
    "$gen" shop --format $f --traces 60 --seed 11 -o "$tmp/all.$f" 2>/dev/null || fail "svcmap-gen $f failed"
done

# A map without the lines that name the inputs.
norm() { jq -S 'del(.source.files, .source.formats)' "$1"; }
same() { # NAME EXPECTED ACTUAL
    diff -u <(norm "$2") <(norm "$3") >"$tmp/diff" || { head -40 "$tmp/diff"; fail "$1: the map differs from the unsplit traces'"; }
}
map() { # OUT FILE...
    local out=$1
    shift
    "$svcmap" map -f json "$@" >"$out" 2>"$tmp/err" || { cat "$tmp/err"; fail "svcmap map $* failed"; }
    [ ! -s "$tmp/err" ] || { cat "$tmp/err"; fail "svcmap map $* said something on stderr"; }
}

map "$tmp/want.jaeger.json" "$tmp/all.jaeger"
map "$tmp/want.zipkin.json" "$tmp/all.zipkin"
[ "$(jq '.source.traces' "$tmp/want.jaeger.json")" = 60 ] || fail "the unsplit Jaeger map has not 60 traces"
[ "$(jq '[.nodes[] | .entry_calls // 0] | add' "$tmp/want.jaeger.json")" = 60 ] || fail "not one entry call per trace"

# Jaeger: every trace in two elements, all first halves first.
jq -c '{data: ([.data[] | .spans = .spans[: (.spans | length / 2 | floor)]] +
               [.data[] | .spans = .spans[(.spans | length / 2 | floor):]])}' \
    "$tmp/all.jaeger" >"$tmp/split.jaeger" || fail "splitting the Jaeger traces failed"
[ "$(jq '.data | length' "$tmp/split.jaeger")" = 120 ] || fail "the Jaeger split has not 120 elements"
map "$tmp/got.json" "$tmp/split.jaeger"
same "Jaeger data list" "$tmp/want.jaeger.json" "$tmp/got.json"

# Zipkin list of traces, the same way.
jq -c '[.[] | .[: (length / 2 | floor)]] + [.[] | .[(length / 2 | floor):]]' \
    "$tmp/all.zipkin" >"$tmp/split.zipkin" || fail "splitting the Zipkin traces failed"
map "$tmp/got.json" "$tmp/split.zipkin"
same "Zipkin list of traces" "$tmp/want.zipkin.json" "$tmp/got.json"

# Two files: first halves in one, second halves in the other.
jq -c '{data: [.data[] | .spans = .spans[: (.spans | length / 2 | floor)]]}' "$tmp/all.jaeger" >"$tmp/a.jaeger"
jq -c '{data: [.data[] | .spans = .spans[(.spans | length / 2 | floor):]]}' "$tmp/all.jaeger" >"$tmp/b.jaeger"
map "$tmp/got.json" "$tmp/a.jaeger" "$tmp/b.jaeger"
same "two Jaeger files" "$tmp/want.jaeger.json" "$tmp/got.json"
map "$tmp/got.json" "$tmp/b.jaeger" "$tmp/a.jaeger"
same "two Jaeger files, second halves first" "$tmp/want.jaeger.json" "$tmp/got.json"

# Two formats: the first halves as Jaeger, the second halves as OTLP JSON lines (the
# same spans: svcmap-gen writes the same ids in every format).
jq -r '.data[] | .spans[(.spans | length / 2 | floor):][] | .spanID' "$tmp/all.jaeger" >"$tmp/second.ids"
jq -c --rawfile ids "$tmp/second.ids" '($ids | split("\n") | map(select(. != "")) | map({(.): true}) | add) as $keep
    | .resourceSpans |= map(.scopeSpans |= map(.spans |= map(select($keep[.spanId]))))' \
    "$tmp/all.otlp" >"$tmp/b.otlp" || fail "picking the second halves from OTLP failed"
[ "$(jq -s '[.[].resourceSpans[].scopeSpans[].spans | length] | add' "$tmp/b.otlp")" = "$(wc -l <"$tmp/second.ids")" ] ||
    fail "the OTLP file does not hold every second half"
"$svcmap" map -q -f json "$tmp/all.otlp" >"$tmp/want.otlp.json" || fail "mapping OTLP failed"
same "Jaeger and OTLP of one input" "$tmp/want.jaeger.json" "$tmp/want.otlp.json"
map "$tmp/got.json" "$tmp/a.jaeger" "$tmp/b.otlp"
same "Jaeger file + OTLP file" "$tmp/want.jaeger.json" "$tmp/got.json"
map "$tmp/got.json" "$tmp/b.otlp" "$tmp/a.jaeger"
same "OTLP file + Jaeger file" "$tmp/want.jaeger.json" "$tmp/got.json"

# The window: a Zipkin list with one trace's first half, then 140,000 spans of 70,000
# other traces (two spans each), then the second half. That half is late.
first=$(jq -c '.[0][: (.[0] | length / 2 | floor)]' "$tmp/all.zipkin")
second=$(jq -c '.[0][(.[0] | length / 2 | floor):]' "$tmp/all.zipkin")
nsecond=$(jq '.[0] | length - (length / 2 | floor)' "$tmp/all.zipkin")
{
    printf '[%s' "$first"
    awk 'BEGIN {
        for (i = 1; i <= 70000; i++)
            printf ",\n[{\"traceId\":\"%016x\",\"id\":\"%016x\",\"kind\":\"SERVER\",\"localEndpoint\":{\"serviceName\":\"filler\"},\"timestamp\":1700000000000000,\"duration\":100},{\"traceId\":\"%016x\",\"id\":\"%016x\",\"parentId\":\"%016x\",\"localEndpoint\":{\"serviceName\":\"filler\"},\"timestamp\":1700000000000010,\"duration\":50}]", \
                i + 4096, 1, i + 4096, 2, 1
    }'
    printf ',\n%s]\n' "$second"
} >"$tmp/late.zipkin"
"$svcmap" map -f json "$tmp/late.zipkin" >"$tmp/late.json" 2>"$tmp/err"; status=$?
[ "$status" = 0 ] || { cat "$tmp/err"; fail "mapping with a late half exited $status"; }
[ "$(jq '.source.late_spans' "$tmp/late.json")" = "$nsecond" ] ||
    fail "late_spans is $(jq '.source.late_spans' "$tmp/late.json"), expected $nsecond"
[ "$(jq '.source.traces' "$tmp/late.json")" = 70001 ] || fail "the late half was linked as a trace of its own"
[ "$(grep -c 'after their trace had been linked' "$tmp/err")" = 1 ] || { cat "$tmp/err"; fail "late spans are not said once on stderr"; }
grep -q "^svcmap: $nsecond spans arrived after their trace had been linked" "$tmp/err" || { cat "$tmp/err"; fail "the late count on stderr"; }
[ "$(jq '[.nodes[] | .entry_calls // 0] | add' "$tmp/late.json")" = 70001 ] || fail "a late half added an entry call"
"$svcmap" map -q -f json "$tmp/late.zipkin" >/dev/null 2>"$tmp/err" || fail "-q failed"
[ ! -s "$tmp/err" ] || fail "-q still said something"
"$svcmap" map --strict -f json "$tmp/late.zipkin" >/dev/null 2>"$tmp/err"; status=$?
[ "$status" = 3 ] || fail "--strict with late spans exited $status, expected 3"
grep -q 'a span arrived after its trace was linked' "$tmp/err" || { cat "$tmp/err"; fail "--strict: no message"; }
# The same spans with the halves together are not late.
{
    printf '[%s,\n' "$(jq -c '.[0]' "$tmp/all.zipkin")"
    sed -n '2,70001p' "$tmp/late.zipkin" | sed '$ s/,$//'
    printf ']\n'
} >"$tmp/ontime.zipkin"
"$svcmap" map -f json "$tmp/ontime.zipkin" >"$tmp/ontime.json" 2>"$tmp/err" || { cat "$tmp/err"; fail "mapping the halves together failed"; }
[ "$(jq '.source.late_spans // 0' "$tmp/ontime.json")" = 0 ] || fail "a whole trace was late"
[ ! -s "$tmp/err" ] || { cat "$tmp/err"; fail "the halves together said something"; }
exit 0
