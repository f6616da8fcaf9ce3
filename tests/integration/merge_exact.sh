#!/usr/bin/env bash
# merge_exact.sh: map documents carry their sketches, so maps merge exactly. Traces split
# by trace id into 4 files, each mapped on its own, the 4 documents merged (in two
# orders, and through a store with --db) give the map of all traces byte for byte, apart
# from source.files. A document without sketches still merges, marked
# latency_estimated, and the run says so once on stderr.
# Gets $1 = svcmap, $2 = build directory (holding svcmap-gen).
set -uo pipefail
svcmap=$1
gen=$2/svcmap-gen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "merge_exact: $*"; exit 1; }

# A list of Zipkin traces; a trace goes to part (last hex digit of its id) mod 4.
"$gen" shop --format zipkin --traces 400 --seed 7 -o "$tmp/all.json" 2>/dev/null || fail "svcmap-gen failed"
for k in 0 1 2 3; do
    jq -c --argjson k $k '[.[] | select(.[0].traceId[-1:] as $c | ("0123456789abcdef" | index($c)) % 4 == $k)]' \
        "$tmp/all.json" >"$tmp/part$k.json" || fail "splitting the traces failed"
    [ "$(jq length "$tmp/part$k.json")" -gt 0 ] || fail "part $k is empty"
done
[ "$(cat "$tmp"/part*.json | jq -s 'map(length) | add')" -eq "$(jq length "$tmp/all.json")" ] ||
    fail "the parts do not hold every trace once"

"$svcmap" map -q -f json "$tmp/all.json" >"$tmp/whole.json" || fail "mapping all traces failed"
for k in 0 1 2 3; do
    "$svcmap" map -q -f json -o "$tmp/doc$k.json" "$tmp/part$k.json" || fail "mapping part $k failed"
done
grep -q '"sketch": "' "$tmp/doc0.json" || fail "a map document carries no sketch"

# The files list is the only line allowed to differ: it names the inputs.
norm() { sed -e '/"source": {"files": \[/s/"files": \[[^]]*\]/"files": []/' "$1"; }
"$svcmap" map -f json "$tmp"/doc0.json "$tmp"/doc1.json "$tmp"/doc2.json "$tmp"/doc3.json \
    >"$tmp/merged.json" 2>"$tmp/err" || fail "merging the 4 documents failed"
[ ! -s "$tmp/err" ] || { cat "$tmp/err"; fail "an exact merge said something on stderr"; }
diff -u <(norm "$tmp/whole.json") <(norm "$tmp/merged.json") ||
    fail "the 4 merged documents differ from the map of all traces"
! grep -q latency_estimated "$tmp/merged.json" || fail "an exact merge is marked latency_estimated"

"$svcmap" map -q -f json "$tmp"/doc3.json "$tmp"/doc1.json "$tmp"/doc0.json "$tmp"/doc2.json \
    >"$tmp/merged2.json" || fail "merging in another order failed"
cmp -s <(norm "$tmp/merged.json") <(norm "$tmp/merged2.json") || fail "merge order changes the bytes"

# Merging merged documents: ((0+1)+(2+3)) is the same map again.
"$svcmap" map -q -f json -o "$tmp/d01.json" "$tmp/doc0.json" "$tmp/doc1.json" || fail "d01"
"$svcmap" map -q -f json -o "$tmp/d23.json" "$tmp/doc2.json" "$tmp/doc3.json" || fail "d23"
"$svcmap" map -q -f json "$tmp/d23.json" "$tmp/d01.json" >"$tmp/tree.json" || fail "merging merged maps failed"
cmp -s <(norm "$tmp/whole.json") <(norm "$tmp/tree.json") || fail "a merge of merges differs"

# Stored snapshots keep sketches: four ingests into one label, and four labels.
for k in 0 1 2 3; do
    "$svcmap" store ingest -q --db "$tmp/maps.db" --label all "$tmp/part$k.json" ||
        fail "store ingest of part $k failed"
    "$svcmap" store ingest -q --db "$tmp/maps.db" --label "p$k" "$tmp/doc$k.json" ||
        fail "store ingest of doc $k failed"
done
"$svcmap" map -q -f json --db "$tmp/maps.db" all >"$tmp/db.json" || fail "map --db all failed"
cmp -s <(norm "$tmp/whole.json") <(norm "$tmp/db.json") || {
    diff -u <(norm "$tmp/whole.json") <(norm "$tmp/db.json") | head -20
    fail "a label ingested in 4 parts differs from the whole"
}
"$svcmap" map -q -f json --db "$tmp/maps.db" p2 p0 p3 p1 >"$tmp/db4.json" || fail "map --db p2 p0 p3 p1 failed"
cmp -s <(norm "$tmp/whole.json") <(norm "$tmp/db4.json") || fail "4 labels merged differ from the whole"

# A document without sketches (an older svcmap's) merges approximately: marked, said once.
jq 'del(.edges[].latency_ms[]?.sketch)' "$tmp/doc1.json" >"$tmp/old1.json"
"$svcmap" map -f json "$tmp/doc0.json" "$tmp/old1.json" "$tmp/doc2.json" >"$tmp/est.json" 2>"$tmp/err" ||
    fail "merging with an older document failed"
[ "$(grep -c 'without a sketch' "$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "the estimate is not said exactly once"; }
jq -e '[.edges[] | select(.latency_estimated == true)] | length > 0' "$tmp/est.json" >/dev/null ||
    fail "an approximate merge is not marked latency_estimated"
"$svcmap" map -q -f json "$tmp/doc0.json" "$tmp/old1.json" >/dev/null 2>"$tmp/err" || fail "-q merge failed"
[ ! -s "$tmp/err" ] || fail "-q does not silence the estimate note"
# Alone, an older document is read as it is: nothing merged, nothing estimated.
"$svcmap" map -f json "$tmp/old1.json" >"$tmp/old-again.json" 2>"$tmp/err" || fail "reading an old document failed"
[ ! -s "$tmp/err" ] || fail "reading one older document said something"
diff <(jq -S . "$tmp/old1.json") <(jq -S . "$tmp/old-again.json") || fail "an older document does not round-trip"
echo "merge_exact: 4 parts merge to the whole, in any order, through documents and the store"
