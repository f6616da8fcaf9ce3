#!/usr/bin/env bash
# OTLP fixtures from a real producer: the OpenTelemetry JS SDK (pinned in tests/otel-js)
# writes fixtures/otlp-proto/ again, byte for byte; and every shape there (protobuf
# message, file-exporter frames, zstd stream, zstd frames, JSON, JSON lines) gives the
# same map as the SDK's JSON, byte for byte apart from source.files and source.formats,
# detected with no --input-format, from files and from standard input alike.
set -euo pipefail
svcmap=$1
fx=fixtures/otlp-proto
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -d tests/otel-js/node_modules ] || { echo "tests/otel-js/node_modules is missing: run scripts/test-setup"; exit 1; }

# 1. The pinned SDK writes the committed fixtures again.
node tests/otel-js/make-fixtures.mjs "$tmp/made"
for f in shop.pb shop.json shop.jsonl shop.framed.pb shop-mixed.framed.pb; do
    cmp "$fx/$f" "$tmp/made/$f" || { echo "$f: the pinned SDK now writes other bytes"; exit 1; }
done
# zstd output may change with the zstd version; its content may not
if command -v zstd >/dev/null; then
    zstd -q -d -c "$fx/shop.pb.zst" | cmp - "$fx/shop.pb"
    zstd -q -d -c "$tmp/made/shop.pb.zst" | cmp - "$fx/shop.pb"
fi

# 2. Every shape maps as the JSON does.
normalize() { jq -S 'del(.source.files, .source.formats)' "$1"; }
"$svcmap" map -q -f json "$fx/shop.json" >"$tmp/json.map"
normalize "$tmp/json.map" >"$tmp/want"
[ "$(jq '.edges | length' "$tmp/want")" -ge 6 ] || { echo "the shop map has too few edges"; exit 1; }
for f in shop.pb shop.jsonl shop.framed.pb shop.pb.zst shop.framed-zstd.pb; do
    "$svcmap" map -q -f json "$fx/$f" >"$tmp/$f.map"
    normalize "$tmp/$f.map" | diff -u "$tmp/want" - || { echo "$f maps otherwise than shop.json"; exit 1; }
    "$svcmap" map -q -f json - <"$fx/$f" | normalize /dev/stdin | diff -u "$tmp/want" - ||
        { echo "$f on standard input maps otherwise"; exit 1; }
done
jq -e '.source.formats == ["otlp-proto"]' "$tmp/shop.pb.map" >/dev/null ||
    { echo "shop.pb is not named otlp-proto in source.formats"; jq .source "$tmp/shop.pb.map"; exit 1; }

# 3. Span by span: the protobuf reader and the JSON reader print the same lines.
"$svcmap" spans "$fx/shop.json" >"$tmp/json.spans"
"$svcmap" spans "$fx/shop.pb" >"$tmp/pb.spans"
[ "$(wc -l <"$tmp/json.spans")" -eq 58 ] || { echo "expected 58 spans"; exit 1; }
diff -u "$tmp/json.spans" "$tmp/pb.spans"

# 4. The frames of the file exporter, concatenated with a JSON file: still two files.
"$svcmap" map -q -f json "$fx/shop.framed.pb" "$fx/shop.json" | jq -e '.source.spans == 116' >/dev/null

# 5. The file exporter's `format: json` with `compression: zstd`: each JSON request a zstd
#    frame (made here with the zstd command from the SDK's JSON lines) behind its length.
if command -v zstd >/dev/null; then
    : >"$tmp/json-zstd.fpb"
    while IFS= read -r line; do
        printf '%s' "$line" | zstd -q -c >"$tmp/frame"
        n=$(stat -c %s "$tmp/frame")
        # shellcheck disable=SC2059
        printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((n >> 24 & 255)) $((n >> 16 & 255)) $((n >> 8 & 255)) $((n & 255)))" >>"$tmp/json-zstd.fpb"
        cat "$tmp/frame" >>"$tmp/json-zstd.fpb"
    done <"$fx/shop.jsonl"
    "$svcmap" map -q -f json "$tmp/json-zstd.fpb" >"$tmp/json-zstd.map"
    normalize "$tmp/json-zstd.map" | diff -u "$tmp/want" - || { echo "JSON in zstd frames maps otherwise"; exit 1; }
fi

# 6. One file exporter serving the traces, logs and metrics pipelines (`format: proto`):
#    its logs and metrics requests, written by the SDK's own serializers, are counted as
#    ignored and named once on stderr, not bad records; the spans map as before. The
#    first frame is a logs request, so detection cannot lean on a traces one.
for input in file stdin; do
    if [ $input = file ]; then
        "$svcmap" map -f json "$fx/shop-mixed.framed.pb" >"$tmp/mixed.map" 2>"$tmp/mixed.err"
    else
        "$svcmap" map -f json - <"$fx/shop-mixed.framed.pb" >"$tmp/mixed.map" 2>"$tmp/mixed.err"
    fi
    normalize "$tmp/mixed.map" | jq -S 'del(.source.ignored_records)' | diff -u "$tmp/want" - ||
        { echo "mixed signals ($input) map otherwise"; exit 1; }
    jq -e '.source.ignored_records == 3 and .source.skipped_records == 0' "$tmp/mixed.map" >/dev/null ||
        { echo "mixed signals ($input): expected 3 ignored records, none skipped"; jq .source "$tmp/mixed.map"; exit 1; }
    grep -q '3 records of other signals ignored (resourceLogs, resourceMetrics)$' "$tmp/mixed.err" ||
        { echo "mixed signals ($input): stderr"; cat "$tmp/mixed.err"; exit 1; }
    [ "$(wc -l <"$tmp/mixed.err")" -eq 1 ] || { echo "mixed signals ($input): more than one line"; cat "$tmp/mixed.err"; exit 1; }
done
