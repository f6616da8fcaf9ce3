#!/usr/bin/env bash
# --since/--until out of range (issue 11 item 5): times past 2262 and Unix seconds past
# the int64 nanosecond range are usage errors (exit 2) instead of wrapping to a window
# that maps nothing or everything; a short offset is refused; times in range still cut.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
input=fixtures/conformance/zipkin/zipkin-lens-yelp.json
say() {
    echo "FAIL: $*"
    fail=1
}
refused() {
    "$bin" map -q -f table "$@" "$input" >"$tmp/out" 2>"$tmp/err"
    local status=$?
    [ "$status" = 2 ] || say "$*: exit $status, expected 2"
    grep -q "takes an RFC 3339 time or Unix seconds" "$tmp/err" || say "$*: message '$(cat "$tmp/err")'"
}
refused --until 9999-12-31T23:59:59Z
refused --since 1e10
refused --until 2262-04-11T23:47:17Z
refused --since 2026-01-01T00:00:00+1:1
refused --since=2026-02-30
"$bin" map -q -f table "$input" >"$tmp/all" || say "map without a window"
"$bin" map -q -f table --until 2262-04-11T23:47:16Z --since 0 "$input" >"$tmp/window" ||
    say "the widest window is refused"
cmp -s "$tmp/all" "$tmp/window" || say "the widest window drops edges"
"$bin" map -q -f table --since 2262-01-01 "$input" >"$tmp/none" 2>/dev/null
[ "$(wc -l <"$tmp/none")" -lt "$(wc -l <"$tmp/all")" ] || say "--since 2262 keeps everything"
exit $fail
