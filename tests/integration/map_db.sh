#!/usr/bin/env bash
# svcmap map --db takes snapshot labels wherever it takes files: a stored label draws
# the same map as the traces it was made from; labels and files mix; a missing label
# is bad input (exit 3) naming the label.
set -uo pipefail
svcmap=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shop=fixtures/shop/shop-otlp.jsonl
"$svcmap" store ingest -q --db "$tmp/maps.db" --label v1 "$shop" 2>/dev/null || { echo "ingest failed"; exit 1; }
"$svcmap" map -q -f json "$shop" >"$tmp/direct.json" || exit 1
"$svcmap" map -q --db "$tmp/maps.db" v1 -f json >"$tmp/label.json" || { echo "map --db v1 failed"; exit 1; }
diff -u "$tmp/direct.json" "$tmp/label.json" || { echo "a label draws another map than its traces"; exit 1; }
"$svcmap" map -q --db "$tmp/maps.db" v1 fixtures/shop/shop-v2-otlp.jsonl -f json >"$tmp/mixed.json" ||
    { echo "a label and a file together failed"; exit 1; }
jq -e '[.edges[] | select(.to == "service:recommendations")] | length == 1' "$tmp/mixed.json" >/dev/null ||
    { echo "the file's edges are missing from the mixed map"; exit 1; }
"$svcmap" map -q --db "$tmp/maps.db" nolabel -f json >/dev/null 2>"$tmp/err"
status=$?
[ $status -eq 3 ] || { echo "a missing label exited $status, expected 3"; exit 1; }
grep -q "nolabel" "$tmp/err" || { echo "the message does not name the label"; cat "$tmp/err"; exit 1; }
echo "map_db: labels read like files"
