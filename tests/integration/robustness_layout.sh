#!/usr/bin/env bash
# Pictures that must not hang a CI job (issue 11 item 13): 1,000 disjoint caller/callee
# pairs drawn as SVG finish well inside a minute (Graphviz took 18-30 s for 2,000 and
# more than two minutes for 5,000; 1,000 keeps the sanitizer build, where Graphviz's
# own output buffer grows by copying, fast) with every node and a note saying a simple
# layout was drawn;
# 30,000 pairs (past the 20,000-node limit; 100,000 used 1.1 GB) are refused at once
# with advice; and a
# layout that overruns SVCMAP_LAYOUT_SECONDS falls back to the simple layout, says so,
# and still draws everything.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
say() {
    echo "FAIL: $*"
    fail=1
}
pairs() { # N disjoint pairs as a Jaeger dependencies document
    awk -v n="$1" 'BEGIN { printf "["; for (i = 0; i < n; i++) printf "%s{\"parent\":\"a%d\",\"child\":\"b%d\",\"callCount\":1}", (i ? "," : ""), i, i; print "]" }'
}
pairs 1000 >"$tmp/pairs1000.json"
start=$(date +%s.%N)
timeout 60 "$bin" map "$tmp/pairs1000.json" -o "$tmp/pairs.svg" 2>"$tmp/err"
status=$?
end=$(date +%s.%N)
echo "1,000 pairs to SVG: $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s, exit $status"
[ "$status" = 0 ] || say "1,000 pairs: exit $status (124: more than 60 s)"
xmllint --noout "$tmp/pairs.svg" 2>/dev/null || say "1,000 pairs: the SVG does not parse"
[ "$(grep -c 'class="node"' "$tmp/pairs.svg")" = 2000 ] || say "1,000 pairs: not 2,000 nodes in the SVG"
[ "$(grep -c 'class="edge"' "$tmp/pairs.svg")" = 1000 ] || say "1,000 pairs: not 1,000 edges in the SVG"
grep -q "separate groups of services: drawn in a simple layered layout" "$tmp/err" ||
    say "1,000 pairs: no note of the simple layout ('$(cat "$tmp/err")')"

pairs 30000 >"$tmp/pairs30k.json"
timeout 120 "$bin" map "$tmp/pairs30k.json" -o "$tmp/huge.png" 2>"$tmp/err"
status=$?
[ "$status" = 2 ] || say "30,000 pairs: exit $status, expected 2"
grep -q "too many to draw" "$tmp/err" || say "30,000 pairs: message '$(cat "$tmp/err")'"
[ -e "$tmp/huge.png" ] && say "30,000 pairs: a picture was written"

input=fixtures/conformance/zipkin/zipkin-lens-yelp.json
SVCMAP_LAYOUT_SECONDS=0.001 "$bin" map "$input" -o "$tmp/fallback.svg" 2>"$tmp/err" ||
    say "fallback: exit $?"
grep -q "layout took longer than 0.001 s" "$tmp/err" || say "fallback: no note ('$(cat "$tmp/err")')"
"$bin" map "$input" -o "$tmp/normal.svg" 2>"$tmp/err" || say "normal: exit $?"
[ -s "$tmp/err" ] && say "normal: unexpected stderr '$(cat "$tmp/err")'"
for f in normal fallback; do
    xmllint --noout "$tmp/$f.svg" 2>/dev/null || say "$f: the SVG does not parse"
done
[ "$(grep -c 'class="node"' "$tmp/fallback.svg")" = "$(grep -c 'class="node"' "$tmp/normal.svg")" ] ||
    say "the fallback layout lost nodes"
[ "$(grep -c 'class="edge"' "$tmp/fallback.svg")" = "$(grep -c 'class="edge"' "$tmp/normal.svg")" ] ||
    say "the fallback layout lost edges"
exit $fail
