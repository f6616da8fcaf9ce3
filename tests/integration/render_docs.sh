#!/usr/bin/env bash
# The docs stay current: docs/shop.mmd and the Mermaid block in docs/rendering.md are
# exactly what svcmap draws from the bundled example now, and docs/shop.svg holds every
# node of it. Regenerate with scripts/render-docs when this fails after a real change.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
bin=$1
input=fixtures/shop/shop-otlp.jsonl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
if [ ! -f "$input" ]; then
    echo "no $input"
    exit 1
fi
opts=(--group-by service.namespace --title "shop: the checkout story")
"$bin" map -q "${opts[@]}" "$input" -o "$tmp/shop.mmd"
cmp -s "$tmp/shop.mmd" docs/shop.mmd || {
    echo "docs/shop.mmd is stale: run scripts/render-docs"
    fail=1
}
cp docs/rendering.md "$tmp/rendering.md"
"$bin" map -q "${opts[@]}" "$input" --inject "$tmp/rendering.md" --name shop
cmp -s "$tmp/rendering.md" docs/rendering.md || {
    echo "the shop block in docs/rendering.md is stale: run scripts/render-docs"
    fail=1
}
cp README.md "$tmp/README.md"
"$bin" map -q "${opts[@]}" "$input" --inject "$tmp/README.md" --name shop
cmp -s "$tmp/README.md" README.md || {
    echo "the shop block in README.md is stale: run scripts/render-docs"
    fail=1
}
# The Chromium pictures of the HTML pages show what the page's code and the example
# say now (PNG bytes differ between machines, so their inputs are compared instead).
scripts/render-docs-hash "$bin" >"$tmp/html.sha256"
cmp -s "$tmp/html.sha256" docs/html-pictures.sha256 || {
    echo "docs/html-map.png and docs/html-diff.png are stale: run scripts/render-docs"
    fail=1
}
for png in docs/html-map.png docs/html-diff.png docs/html-why.png; do
    file "$png" | grep -q 'PNG image data, 1400 x' || {
        echo "$png is not a screenshot of the page"
        fail=1
    }
    grep -q "(${png#docs/})" docs/rendering.md || {
        echo "docs/rendering.md does not show $png"
        fail=1
    }
done
xmllint --noout docs/shop.svg || fail=1
# the --weight critical picture: a picture of this map (every node), and its labels are
# the shares svcmap gives now
xmllint --noout docs/shop-critical.svg || fail=1
"$bin" map -q --group-by service.namespace --weight critical --entry frontend \
    --edge-label '{critical} of the wait, p99 {p99}' "$input" -f dot |
    sed -n 's/.*label="\([^"]* of the wait[^"]*\)".*/\1/p' | sort >"$tmp/labels.want"
grep -o '>[^<]* of the wait[^<]*<' docs/shop-critical.svg | tr -d '<>' | sed 's/&#45;/-/g' | sort >"$tmp/labels.got"
[ -s "$tmp/labels.want" ] && cmp -s "$tmp/labels.want" "$tmp/labels.got" || {
    echo "docs/shop-critical.svg is stale: run scripts/render-docs"
    fail=1
}
n=$("$bin" map -q -f json "$input" | jq '.nodes | length')
m=$(grep -c '<g id="node[0-9]*" class="node">' docs/shop.svg)
# The legend's two entries are nodes too.
[ "$m" -ge "$n" ] || {
    echo "docs/shop.svg has $m nodes, the map $n"
    fail=1
}
exit $fail
