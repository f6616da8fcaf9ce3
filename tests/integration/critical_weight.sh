#!/usr/bin/env bash
# critical_weight.sh: --weight critical gives each edge the share an independent
# computation here gives, on map documents and on merged documents.
#
# The share of an edge is the sum of the why section's inclusive critical time for that
# (from, to) over the chosen entries, over the sum of those entries' total time. jq
# computes it from the documents themselves; svcmap's HTML page carries the share it drew
# each edge with in its data block (six decimals). Also: the merged map's shares are the
# sums' (not an average of the two maps' shares), --entry picks one entry, and the
# width and colour follow the share (DOT penwidth 1 + 4 x share in quarter steps). On
# the shop's traces (trace files and --db snapshots alike) the drawn shares are those of
# the map document of the same traces, and critical>+Npp trips on the card API's +6 pp
# of frontend's time in the next release and holds at a higher bar.
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
# the shop's traces, and the same traces as store snapshots
shop=$src/fixtures/shop/shop-otlp.jsonl
shop2=$src/fixtures/shop/shop-v2-otlp.jsonl
"$bin" map -q "$shop" -o shop.json &&
    "$bin" map -q "$shop" --weight critical -o shop.html || check "map the shop --weight critical"
compare "the shop's traces" shop.html shop.json ""
"$bin" store ingest -q --db maps.db --label v1 "$shop" &&
    "$bin" store ingest -q --db maps.db --label v2 "$shop2" &&
    "$bin" map -q --db maps.db v1 --weight critical --entry frontend -o db.html ||
    check "map a --db snapshot --weight critical"
compare "a --db snapshot" db.html shop.json frontend
"$bin" diff -q --db maps.db v1 v2 --fail-on 'critical>+5pp' >gate.txt 2>gate.err
[ $? = 1 ] && grep -q 'critical>+5pp: external:api.cardpay.example:443 6.4 % -> 12 % of frontend' gate.err ||
    check "critical>+5pp trips on the card API between the shop's releases: $(cat gate.err)"
"$bin" diff -q "$shop" "$shop2" --fail-on 'critical>+7pp' >/dev/null 2>gate.err
[ $? = 0 ] || check "critical>+7pp holds between the shop's releases: $(cat gate.err)"
# pre-aggregated dependencies carry no critical path: a usage error, not a silent map
"$bin" map -q "$src/fixtures/preagg/zipkin-dependencies.json" --weight critical -o x.svg 2>err.txt
[ $? = 2 ] && [ ! -e x.svg ] || check "--weight critical on dependencies exits 2 and writes nothing"
exit $fail
