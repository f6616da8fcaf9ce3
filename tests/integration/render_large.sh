#!/usr/bin/env bash
# A large map renders completely: 1,000 services (plus 100 stores) and 4,000 edges from
# svcmap-bigmap to SVG is well-formed XML with every node and edge, through the layout
# svcmap picks for big maps (sfdp). The time is printed; the 10 s target is measured by
# scripts/bench-render on a Release build, so this only fails past 120 s (sanitizer
# builds on a loaded machine are slow), which would mean a layout gone quadratic.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
build=$2
tool=$build/svcmap-bigmap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -x "$tool" ]; then
    echo "no $tool"
    exit 1
fi
start=$(date +%s.%N)
"$tool" --services 1000 --edges 4000 -f svg -o "$tmp/big.svg" || exit 1
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
echo "1,000 services, 4,000 edges to SVG: $secs s"
fail=0
xmllint --noout "$tmp/big.svg" || fail=1
nodes=$(grep -c 'class="node"' "$tmp/big.svg")
edges=$(grep -c 'class="edge"' "$tmp/big.svg")
# 1,100 map nodes and the legend's two.
[ "$nodes" = 1102 ] || {
    echo "FAIL: $nodes nodes in the SVG, expected 1102"
    fail=1
}
[ "$edges" = 4000 ] || {
    echo "FAIL: $edges edges in the SVG, expected 4000"
    fail=1
}
awk -v s="$secs" 'BEGIN { exit !(s < 120) }' || {
    echo "FAIL: $secs s"
    fail=1
}
exit $fail
