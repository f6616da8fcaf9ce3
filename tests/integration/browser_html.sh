#!/usr/bin/env bash
# The HTML pages in a real browser: Debian's chromium, headless, driven by puppeteer-core
# (tests/browser, pinned). Makes the shop map page, a diff page of the two fixtures/diff
# maps (with a gate that trips) and the page of the 28 hostile names, then
# tests/browser/check-html.mjs checks tooltips against the map documents, focus, search,
# filters, the table, zoom, and that no page made a request, logged an error, opened a
# dialog or ran a script of a name. Also: the page is the same bytes on every run.
# Args: $1 svcmap binary, $2 build dir, $3 source dir. Needs scripts/test-setup first.
set -u
bin=$1
src=$3
if [ ! -d "$src/tests/browser/node_modules/puppeteer-core" ]; then
    echo "tests/browser/node_modules is missing: run scripts/test-setup" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
"$bin" map -q fixtures/shop/shop-otlp.jsonl -o "$tmp/shop.html" &&
    "$bin" map -q fixtures/shop/shop-otlp.jsonl -o "$tmp/shop.json" &&
    cp fixtures/diff/shop-v1.map.json "$tmp/base.json" &&
    cp fixtures/diff/shop-v2.map.json "$tmp/head.json" &&
    "$bin" map -q fixtures/render/hostile-zipkin.json -o "$tmp/hostile.html" || {
    echo "FAIL: svcmap could not write the pages"
    exit 1
}
"$bin" diff -q fixtures/diff/shop-v1.map.json fixtures/diff/shop-v2.map.json \
    --fail-on 'added-edge,p99>+20%' -o "$tmp/diff.html" 2>"$tmp/diff.err"
status=$?
[ "$status" = 1 ] || {
    echo "FAIL: diff with a tripped gate exited $status, expected 1"
    cat "$tmp/diff.err"
    fail=1
}
# deterministic: the same bytes again
"$bin" map -q fixtures/shop/shop-otlp.jsonl -o "$tmp/again.html"
cmp -s "$tmp/shop.html" "$tmp/again.html" || {
    echo "FAIL: two runs wrote different pages"
    fail=1
}
# the CSP hashes are those of the inline script and stylesheet, recomputed here
for kind in script style; do
    want=$(sed -n "s/.*${kind}-src 'sha256-\([^']*\)'.*/\1/p" "$tmp/shop.html" | head -1)
    got=$(K=$kind perl -0777 -ne 'print $1 if /<$ENV{K}>(.*?)<\/$ENV{K}>/s' "$tmp/shop.html" |
        openssl dgst -sha256 -binary | base64)
    [ -n "$want" ] && [ "$want" = "$got" ] || {
        echo "FAIL: the CSP hash of the $kind is $want, the $kind hashes to $got"
        fail=1
    }
done
# --collapse reaches the page too: one node for the shop namespace
"$bin" map -q fixtures/shop/shop-otlp.jsonl --collapse service.namespace -o "$tmp/collapsed.html" &&
    grep -q 'id="node:service:shop"' "$tmp/collapsed.html" &&
    ! grep -q 'id="node:service:inventory"' "$tmp/collapsed.html" || {
    echo "FAIL: --collapse service.namespace in the HTML page"
    fail=1
}
# the data block cannot be closed by a name
if grep -c '</script>' "$tmp/hostile.html" | grep -qv '^2$'; then
    echo "FAIL: hostile.html has a </script> beyond the two of the page"
    fail=1
fi
node --check "$src/src/emit/html/svcmap.js" || {
    echo "FAIL: src/emit/html/svcmap.js does not parse"
    fail=1
}
timeout 300 node "$src/tests/browser/check-html.mjs" "$tmp" || fail=1
exit $fail
