#!/usr/bin/env bash
# The HTML map's "why is this entry slow" panel and the diff page's critical-path table
# in a real browser (tests/browser/check-why.mjs: Debian's chromium, headless, through
# the pinned puppeteer-core). The pages are made from the hand-made map documents of
# fixtures/why (round shares), and --weight critical draws them; the browser checks the
# panel's figures against the map documents and the table against the diff's JSON.
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
for v in v1 v2; do
    cp "fixtures/why/shop-$v.map.json" "$tmp/why-$v.json" &&
        "$bin" map -q "$tmp/why-$v.json" --weight critical -o "$tmp/why-$v.html" || {
        echo "FAIL: svcmap could not write the $v page"
        exit 1
    }
    echo "why-$v" >>"$tmp/maps"
done
"$bin" diff -q "$tmp/why-v1.json" "$tmp/why-v2.json" -o "$tmp/diff.html" &&
    "$bin" diff -q "$tmp/why-v1.json" "$tmp/why-v2.json" -f json -o "$tmp/diff.json" || {
    echo "FAIL: svcmap could not write the diff"
    exit 1
}
# a contributor gone, one new and an entry new (fixtures/why/shop-v3.map.json): the table
# says "gone", "new" and "new entry", not "0.0 %"
"$bin" diff -q "$tmp/why-v1.json" "$src/fixtures/why/shop-v3.map.json" -o "$tmp/diff-gone.html" &&
    "$bin" diff -q "$tmp/why-v1.json" "$src/fixtures/why/shop-v3.map.json" -f json -o "$tmp/diff-gone.json" || {
    echo "FAIL: svcmap could not write the diff against shop-v3"
    exit 1
}
# the page is the same bytes on every run, and its CSP hashes match what it inlines
"$bin" map -q "$tmp/why-v1.json" --weight critical -o "$tmp/again.html"
cmp -s "$tmp/why-v1.html" "$tmp/again.html" || {
    echo "FAIL: two runs wrote different pages"
    fail=1
}
for kind in script style; do
    want=$(sed -n "s/.*${kind}-src 'sha256-\([^']*\)'.*/\1/p" "$tmp/why-v1.html" | head -1)
    got=$(K=$kind perl -0777 -ne 'print $1 if /<$ENV{K}>(.*?)<\/$ENV{K}>/s' "$tmp/why-v1.html" |
        openssl dgst -sha256 -binary | base64)
    [ -n "$want" ] && [ "$want" = "$got" ] || {
        echo "FAIL: the CSP hash of the $kind is $want, the $kind hashes to $got"
        fail=1
    }
done
timeout 300 node "$src/tests/browser/check-why.mjs" "$tmp" || fail=1
exit $fail
