#!/usr/bin/env bash
# render_empty.sh: a map with no edges draws a small picture that says so, in SVG, PNG
# and Mermaid (an empty input, and a map whose every node was filtered out), instead of
# a blank canvas that looks like a broken build artifact.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
set -f # the arguments below hold a glob meant for svcmap
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
note="empty map: no calls to draw"
echo '[]' >"$tmp/none.json"

# width and height of a PNG, from its IHDR chunk
png_size() {
    od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}'
}

for args in "$tmp/none.json" "--exclude * fixtures/shop/shop-otlp.jsonl"; do
    # shellcheck disable=SC2086
    if ! "$bin" map -q -o "$tmp/m.svg" $args || ! "$bin" map -q -o "$tmp/m.png" $args ||
        ! "$bin" map -q -o "$tmp/m.mmd" $args; then
        echo "FAIL: svcmap map $args"
        fail=1
        continue
    fi
    if ! xmllint --noout "$tmp/m.svg" || ! grep -q "$note" "$tmp/m.svg"; then
        echo "FAIL: the SVG of an empty map ($args) does not say so"
        fail=1
    fi
    if ! grep -q "\"$note\"" "$tmp/m.mmd"; then
        echo "FAIL: the Mermaid of an empty map ($args) does not say so"
        cat "$tmp/m.mmd"
        fail=1
    fi
    read -r w h < <(png_size "$tmp/m.png")
    # the note is about 230 x 50 pixels; a blank Graphviz canvas is 8 x 8
    if [ "$(head -c 8 "$tmp/m.png" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ] ||
        [ "$w" -lt 100 ] || [ "$w" -gt 600 ] || [ "$h" -lt 20 ] || [ "$h" -gt 200 ]; then
        echo "FAIL: the PNG of an empty map ($args) is ${w}x${h}, not a small note"
        fail=1
    fi
done
# and mermaid itself reads the note (when scripts/test-setup has installed it)
if [ -d tests/mermaid/node_modules/mermaid ]; then
    "$bin" map -q -f json "$tmp/none.json" >"$tmp/m.json"
    "$bin" map -q -f mermaid "$tmp/none.json" >"$tmp/m.mmd"
    if ! node tests/mermaid/check.mjs "$tmp/m.mmd" "$tmp/m.json"; then
        echo "FAIL: mermaid cannot read the empty map's note"
        fail=1
    fi
fi
[ $fail = 0 ] && echo "render_empty: ok"
exit $fail
