#!/usr/bin/env bash
# critical_weight.sh: --weight critical gives each edge the share an independent
# computation here gives, on map documents and on merged documents.
#
# The share of an edge is the sum of the why section's inclusive critical time for that
# (from, to) over the chosen entries, over the sum of those entries' total time. jq
# computes it from the documents themselves; svcmap's HTML page carries the share it drew
# each edge with in its data block (six decimals). Also: the merged map's shares are the
# sums' (not an average of the two maps' shares), --entry picks one entry, and the
# width and colour follow the share (DOT penwidth 1 + 4 x share in quarter steps).
set -u
bin=$1
src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {
    echo "FAIL: $1" >&2
    fail=1
}
cd "$tmp"
cp "$src/fixtures/why/shop-v1.map.json" v1.json
cp "$src/fixtures/why/shop-v2.map.json" v2.json

# expected FILE... ENTRY: "from to share" lines, shares rounded to six places
expected() {
    local entry=${*: -1}
    jq -s -r --arg entry "$entry" '
        [.[].why[] | select($entry == "" or .entry == $entry or .entry == ("service:" + $entry))] as $w
        | ($w | map(.total_ns) | add) as $total
        | [$w[].edges[]] | group_by([.from, .to])[]
        | "\(.[0].from) \(.[0].to) \((map(.critical_ns) | add) / $total * 1e6 | round / 1e6)"
    ' "${@:1:$#-1}" | sort
}
# drawn PAGE: the same lines from the page's data block
drawn() {
    perl -0777 -ne 'print $1 if /<script type="application\/json" id="svcmap-data">(.*?)<\/script>/s' "$1" |
        jq -r '.edges[] | select(.critical != null) | "\(.from) \(.to) \(.critical)"' | sort
}
compare() { # compare NAME PAGE FILE... ENTRY
    local name=$1 page=$2
    shift 2
    expected "$@" >want.txt
    drawn "$page" >got.txt
    [ -s want.txt ] && diff -u want.txt got.txt >/dev/null ||
        check "$name: the page's shares are not the documents' ($(diff want.txt got.txt | tr '\n' ' '))"
}

"$bin" map -q v1.json --weight critical -o v1.html || check "map v1 --weight critical"
compare "v1" v1.html v1.json ""
"$bin" map -q v1.json v2.json --weight critical -o merged.html || check "map v1 v2 --weight critical"
compare "v1 and v2 merged" merged.html v1.json v2.json ""
# a merged document says the same as the two documents
"$bin" map -q v1.json v2.json -o merged.json &&
    "$bin" map -q merged.json --weight critical --entry frontend -o merged-doc.html || check "merged document"
compare "the merged document, --entry frontend" merged-doc.html v1.json v2.json frontend
# the sums' share, not the mean of the shares: 4.8 s + 9.4 s of 40 s
grep -q '"from":"service:inventory","to":"database:inventory".*"critical":0.355,' merged.html ||
    check "inventory -> database:inventory in the merged map is 35.5 %"

# width and colour: 47 % is 1 + 4 x 0.47 = 2.88 -> 3 in quarter steps, amber (25-50 %)
"$bin" map -q v2.json --weight critical -f dot >v2.dot || check "map v2 -f dot"
grep -A3 -- '-> n0' v2.dot | tr -d '\n\t' | grep -q 'color="#d08c00".*penwidth=3\]' ||
    check "the database edge at 47 % is amber and 3 wide: $(grep -A3 -- '-> n0' v2.dot | tr -d '\n\t')"
# by calls (the default) every edge of these maps is as wide as its 100 calls make it
"$bin" map -q v2.json -f dot | grep -q 'penwidth=2.5' || check "--weight calls keeps the call scale"
exit $fail
