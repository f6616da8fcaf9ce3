#!/usr/bin/env bash
# Bad OTLP protobuf: a bad span skips only its record (named by byte offset), --strict
# stops there; broken framing (a file cut short, a length past the end, a hostile
# length) is exit 3 naming the byte, in little memory; a corrupt zstd frame loses only
# its frame; JSON with a leading newline is still JSON. Inputs are made here from the
# committed SDK fixtures with printf, byte by byte.
set -euo pipefail
svcmap=$1
build=$2
fx=fixtures/otlp-proto
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# run STATUS ARGS...: wants exit STATUS; stderr in $tmp/err
run() {
    local want=$1 got=0
    shift
    timeout 120 "$svcmap" "$@" >"$tmp/out" 2>"$tmp/err" || got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: svcmap $* exited $got, wanted $want"; cat "$tmp/err"; fail=1
    fi
}
expect_err() {
    grep -qF -- "$1" "$tmp/err" || { echo "FAIL: stderr lacks: $1"; cat "$tmp/err"; fail=1; }
}

# the first frame of the SDK's file-exporter output (one trace, 10 spans)
len=$(od -An -tu1 -N4 "$fx/shop.framed.pb" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
head -c $((len + 4)) "$fx/shop.framed.pb" >"$tmp/one.fpb"
one=$((len + 4))

# a second frame whose only span has a 5-byte trace id: the span is skipped (named at its
# ResourceSpans item, the record, and by its place in it), not the frame
{ cat "$tmp/one.fpb"; printf '\x00\x00\x00\x17\x0a\x15\x12\x13\x12\x11\x0a\x05abcde\x12\x0812345678'; } >"$tmp/badspan.fpb"
run 0 map -f json "$tmp/badspan.fpb"
expect_err "badspan.fpb: byte $((one + 6)): span 1: \"trace_id\" must be 16 bytes as OTLP requires, got 5 (span skipped)"
jq -e '.source.spans == 10 and .source.skipped_records == 0 and .source.skipped_spans == 1' "$tmp/out" >/dev/null || { echo "FAIL: badspan counts"; fail=1; }
run 3 map --strict -f json "$tmp/badspan.fpb"
expect_err "badspan.fpb: byte $((one + 6)): span 1: \"trace_id\" must be 16 bytes as OTLP requires"

# a length past the end of the input, and one past the limit: exit 3, little memory
{ cat "$tmp/one.fpb"; printf '\x0f\xff\xff\xff\x0a\x15'; } >"$tmp/long.fpb"
run 3 map -f json "$tmp/long.fpb"
expect_err "long.fpb: byte $one: the message length says 268435455 bytes, only 2 are left in the input"
{ cat "$tmp/one.fpb"; printf '\x7f\xff\xff\xff\x0a\x15'; } >"$tmp/huge.fpb"
run 3 map -f json "$tmp/huge.fpb"
expect_err "huge.fpb: byte $one: a message of 2147483647 bytes is larger than the limit of 268435456"
if ! grep -q '^SVCMAP_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
    /usr/bin/time -f '%M' -o "$tmp/rss" "$svcmap" map -q -f json "$tmp/long.fpb" >/dev/null 2>&1 || true
    [ "$(tail -n 1 "$tmp/rss")" -lt 65536 ] || { echo "FAIL: a hostile length took $(tail -n 1 "$tmp/rss") KB"; fail=1; }
fi

# one message cut short: the byte where the item that runs past the end starts
head -c 5000 "$fx/shop.pb" >"$tmp/cut.pb"
run 3 map -f json "$tmp/cut.pb"
expect_err "cut.pb: byte 0: malformed protobuf: field 1 says"
expect_err "only 4997 are left in the input"
# the same from standard input
run 3 map -f json - <"$tmp/cut.pb"
expect_err "<stdin>: byte 0: malformed protobuf: field 1 says"

# a group (wire type 3) after a good item: exit 3 at its byte
pb=$(stat -c %s "$fx/shop.pb")
{ cat "$fx/shop.pb"; printf '\x0b\x00'; } >"$tmp/group.pb"
run 3 map -f json "$tmp/group.pb"
expect_err "group.pb: byte $pb: malformed protobuf: field 1 has wire type 3"

# a corrupt zstd frame loses only itself
{ cat "$tmp/one.fpb"; printf '\x00\x00\x00\x0c\x28\xb5\x2f\xfd12345678'; } >"$tmp/zstd.fpb"
run 0 map -f json "$tmp/zstd.fpb"
expect_err "zstd.fpb: byte $((one + 4)): corrupt zstd data"

# --input-format otlp-proto on text names the first byte that is not protobuf
printf '{"resourceSpans":[]}\n' >"$tmp/text.json"
run 3 map --input-format otlp-proto -f json "$tmp/text.json"
expect_err "text.json: byte 0: malformed protobuf"

# JSON with a leading newline, and a gzip-compressed protobuf message, are what they are
{ printf '\n'; cat "$fx/shop.json"; } >"$tmp/nl.json"
run 0 map -f json "$tmp/nl.json"
jq -e '.source.formats == ["otlp"] and .source.spans == 58' "$tmp/out" >/dev/null || { echo "FAIL: nl.json"; fail=1; }
gzip -c "$fx/shop.pb" >"$tmp/shop.pb.gz"
run 0 map -f json "$tmp/shop.pb.gz"
jq -e '.source.formats == ["otlp-proto"] and .source.spans == 58' "$tmp/out" >/dev/null || { echo "FAIL: gzip"; fail=1; }

exit $fail
