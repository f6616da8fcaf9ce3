#!/usr/bin/env bash
# input_pipes.sh: inputs that cannot be read twice (standard input, a FIFO, process
# substitution) are sniffed from a buffered head that the reader then consumes, for
# every command that reads inputs; gzip and zstd (one stream, concatenated frames) are
# found by their magic bytes, made by the real gzip and zstd commands; a truncated
# stream is bad input. Each pipe result must equal the result from the plain file.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
bin=$1
src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
otlp=$src/fixtures/shop/shop-otlp.jsonl
doc=$src/fixtures/diff/shop-v1.map.json
prom=$src/fixtures/preagg/servicegraph-otelcol.prom

check() { # DESC WANT_STATUS GOT_STATUS FILE_A FILE_B: same status, same bytes
    if [ "$3" -ne "$2" ]; then
        echo "FAIL: $1: exit $3, expected $2"; sed 's/^/    /' "$tmp/err" | head -5; fail=1
    elif [ -n "${4:-}" ] && ! cmp -s "$4" "$5"; then
        echo "FAIL: $1: output differs from the plain file's"; diff "$4" "$5" | head -5; fail=1
    fi
}

# more than 256 KiB, so that a lost head would show; the reference from the plain file
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do cat "$otlp"; done >"$tmp/big.jsonl"
"$bin" map -f json "$tmp/big.jsonl" 2>/dev/null | grep -v '"files"' >"$tmp/ref.json"
"$bin" spans "$tmp/big.jsonl" >"$tmp/ref.spans"
"$bin" map -f json "$doc" | grep -v '"files"' >"$tmp/ref-doc.json"
"$bin" map -f json "$prom" | grep -v '"files"' >"$tmp/ref-prom.json"
gzip -c "$tmp/big.jsonl" >"$tmp/big.jsonl.gz"
zstd -q -c "$tmp/big.jsonl" >"$tmp/big.jsonl.zst"
# concatenated frames, as the Collector's file exporter writes one per message
: >"$tmp/frames.zst"
while IFS= read -r line; do printf '%s\n' "$line" | zstd -q -c >>"$tmp/frames.zst"; done <"$tmp/big.jsonl"

for kind in plain gz zst frames; do
    case $kind in
    plain) f=$tmp/big.jsonl; cat_cmd=cat ;;
    gz) f=$tmp/big.jsonl.gz; cat_cmd=cat ;;
    zst) f=$tmp/big.jsonl.zst; cat_cmd=cat ;;
    frames) f=$tmp/frames.zst; cat_cmd=cat ;;
    esac
    "$bin" map -f json - <"$f" 2>"$tmp/err" | grep -v '"files"' >"$tmp/out.json"
    check "map - < $kind" 0 "${PIPESTATUS[0]}" "$tmp/ref.json" "$tmp/out.json"
    "$bin" map -f json <($cat_cmd "$f") 2>"$tmp/err" | grep -v '"files"' >"$tmp/out.json"
    check "map <($kind)" 0 "${PIPESTATUS[0]}" "$tmp/ref.json" "$tmp/out.json"
    "$bin" spans <($cat_cmd "$f") >"$tmp/out.spans" 2>"$tmp/err"
    check "spans <($kind)" 0 $? "$tmp/ref.spans" "$tmp/out.spans"
    rm -f "$tmp/fifo" && mkfifo "$tmp/fifo"
    $cat_cmd "$f" >"$tmp/fifo" &
    "$bin" map -f json "$tmp/fifo" 2>"$tmp/err" | grep -v '"files"' >"$tmp/out.json"
    check "map FIFO ($kind)" 0 "${PIPESTATUS[0]}" "$tmp/ref.json" "$tmp/out.json"
    wait
done
"$bin" map -f json /dev/stdin <"$tmp/big.jsonl.gz" 2>"$tmp/err" | grep -v '"files"' >"$tmp/out.json"
check "map /dev/stdin (gz)" 0 "${PIPESTATUS[0]}" "$tmp/ref.json" "$tmp/out.json"

# other formats on stdin and pipes, no --input-format
"$bin" map -f json - <"$doc" 2>"$tmp/err" | grep -v '"files"' >"$tmp/out.json"
check "map - < map.json" 0 "${PIPESTATUS[0]}" "$tmp/ref-doc.json" "$tmp/out.json"
cat "$prom" | "$bin" map -f json - 2>"$tmp/err" | grep -v '"files"' >"$tmp/out.json"
check "cat graph.prom | map -" 0 "${PIPESTATUS[1]}" "$tmp/ref-prom.json" "$tmp/out.json"
"$bin" map -f json <(zstd -q -c "$doc") 2>"$tmp/err" | grep -v '"files"' >"$tmp/out.json"
check "map <(zstd map.json)" 0 "${PIPESTATUS[0]}" "$tmp/ref-doc.json" "$tmp/out.json"

# diff and check with a side from a pipe
names='s/"base":"[^"]*","head":"[^"]*"//'
"$bin" diff -f json "$doc" "$doc" 2>/dev/null | sed "$names" >"$tmp/ref.diff"
"$bin" diff -f json <(gzip -c "$doc") - <"$doc" 2>"$tmp/err" | sed "$names" >"$tmp/out.diff"
check "diff <(gzip) -" 0 "${PIPESTATUS[0]}" "$tmp/ref.diff" "$tmp/out.diff"
printf 'forbid: nobody -> nothing\n' >"$tmp/rules.txt"
"$bin" check --rules "$tmp/rules.txt" -f json "$tmp/big.jsonl" >"$tmp/ref.check" 2>"$tmp/err"
ref_status=$?
"$bin" check --rules "$tmp/rules.txt" -f json <(zstd -q -c "$tmp/big.jsonl") >"$tmp/out.check" 2>"$tmp/err"
check "check <(zstd)" "$ref_status" $? "$tmp/ref.check" "$tmp/out.check"

# store ingest from a FIFO equals ingest from the file
"$bin" store ingest --db "$tmp/a.db" --label v1 "$tmp/big.jsonl" 2>"$tmp/err" >/dev/null
rm -f "$tmp/fifo" && mkfifo "$tmp/fifo"
cat "$tmp/big.jsonl.zst" >"$tmp/fifo" &
"$bin" store ingest --db "$tmp/b.db" --label v1 "$tmp/fifo" 2>"$tmp/err" >/dev/null
check "store ingest FIFO (zst)" 0 $?
wait
"$bin" store show --db "$tmp/a.db" v1 -f json | grep -v '"files"' >"$tmp/a.json"
"$bin" store show --db "$tmp/b.db" v1 -f json | grep -v '"files"' >"$tmp/b.json"
check "store show after FIFO ingest" 0 0 "$tmp/a.json" "$tmp/b.json"

# truncated streams: bad input when nothing else was read, a named skip otherwise
head -c 100 "$tmp/big.jsonl.zst" >"$tmp/cut.zst"
"$bin" map "$tmp/cut.zst" >/dev/null 2>"$tmp/err"
check "map of a zstd stream cut at 100 bytes" 3 $?
grep -q "truncated zstd data" "$tmp/err" || { echo "FAIL: cut zstd: no 'truncated zstd data'"; fail=1; }
head -c 40 "$tmp/big.jsonl.gz" >"$tmp/cut.gz"
"$bin" map "$tmp/cut.gz" >/dev/null 2>"$tmp/err"
check "map of a gzip stream cut at 40 bytes" 3 $?
size=$(wc -c <"$tmp/big.jsonl.zst")
head -c $((size / 2)) "$tmp/big.jsonl.zst" >"$tmp/half.zst"
"$bin" map -f json <(cat "$tmp/half.zst") >/dev/null 2>"$tmp/err"
check "map of half a zstd stream" 0 $?
grep -q "truncated zstd data.*record skipped" "$tmp/err" ||
    { echo "FAIL: half zstd: the cut is not named as a skip"; cat "$tmp/err"; fail=1; }

[ $fail = 0 ] && echo "input_pipes: ok"
exit $fail
