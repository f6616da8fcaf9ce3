#!/usr/bin/env bash
# bad_input.sh: every kind of bad input through `svcmap spans`: skipped and counted by
# default (one "svcmap: FILE:LINE:COL: ..." line per bad record, exit 0 when anything
# was read, 3 when nothing was), exit 3 at the first bad record with --strict; never a
# crash or a hang (every run under `timeout`, sanitizer reports are failures).
# Small samples live in fixtures/bad/; the large ones (a 100 MB element, 10,000-deep
# nesting, a cut gzip stream) are generated in a temporary folder.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
bin=$1
build=$2
src=$3
bad=$src/fixtures/bad
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

if [ ! -x "$bin" ]; then
    echo "FAIL: $bin is not there" >&2
    exit 1
fi
sanitized=0
grep -q '^SVCMAP_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null && sanitized=1

# run STATUS ARGS...: runs `svcmap ARGS...`, wants exit STATUS; output in $tmp/out, $tmp/err.
run() {
    local want=$1 got
    shift
    timeout 600 "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: svcmap $* exited $got, expected $want"
        sed 's/^/    /' "$tmp/err" | head -20
        fail=1
        return 1
    fi
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/err"; then
        echo "FAIL: svcmap $*: sanitizer report"
        head -30 "$tmp/err"
        fail=1
        return 1
    fi
    return 0
}

# spans N: the last run printed N spans.
spans() {
    local got
    got=$(wc -l <"$tmp/out")
    if [ "$got" -ne "$1" ]; then
        echo "FAIL: $desc: $got spans printed, expected $1"
        fail=1
    fi
}

# skips FILE N [WHAT]: exactly N lines "svcmap: FILE:LINE:COL: ... (WHAT skipped)" on
# stderr; WHAT is record (the default) or span.
skips() {
    local file=$1 want=$2 what=${3:-record} got
    got=$(grep -cE "^svcmap: $(printf '%s' "$file" | sed 's/[][\.*^$/]/\\&/g'):[0-9]+:[0-9]+: .* \($what skipped\)$" "$tmp/err")
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: $desc: $got skipped-$what lines for $file, expected $want"
        sed 's/^/    /' "$tmp/err" | head -20
        fail=1
    fi
}

# says TEXT: stderr holds TEXT.
says() {
    if ! grep -qF -- "$1" "$tmp/err"; then
        echo "FAIL: $desc: stderr lacks '$1'"
        sed 's/^/    /' "$tmp/err" | head -20
        fail=1
    fi
}

# case FILE SPANS SKIPS FIRST_PLACE TEXT [SPAN_SKIPS]: default mode reads SPANS spans,
# skips SKIPS records and SPAN_SKIPS single spans of records that are kept (default 0);
# --strict stops at the first bad one, at FIRST_PLACE (LINE:COL), saying TEXT.
case_file() {
    local file=$1 nspans=$2 nskips=$3 place=$4 text=$5 nspan_skips=${6:-0}
    desc="$file"
    if run 0 spans "$file"; then
        spans "$nspans"
        skips "$file" "$nskips"
        skips "$file" "$nspan_skips" span
        [ "$nskips" -gt 0 ] && says "skipped $nskips bad record"
        [ "$nspan_skips" -gt 0 ] && says "skipped $nspan_skips bad span"
    fi
    desc="$file --strict"
    if run 3 spans --strict "$file"; then
        says "svcmap: $file:$place: $text"
        if [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
            echo "FAIL: $desc: more than one message"
            fail=1
        fi
    fi
}

# --- small samples ------------------------------------------------------------------
cd "$src" || exit 1
case_file fixtures/bad/truncated.json 2 1 4:66 "unexpected end of input"
case_file fixtures/bad/invalid_json.json 3 2 3:34 "invalid JSON: '}' expected near"
case_file fixtures/bad/wrong_types.json 2 7 3:1 'span 1: "traceId" must be a string, got a number'
case_file fixtures/bad/missing_fields.json 2 3 3:1 'span 1: "traceId" is missing'
# Zipkin ids that are not hex (or too long for hex) are opaque ids, kept; only the empty
# one is bad
case_file fixtures/bad/bad_ids.json 6 1 7:1 'span 1: "id" is missing'
case_file fixtures/bad/invalid_utf8.json 2 2 3:65 "invalid JSON: unable to decode byte 0xc3"
# the short OTLP ids of line 5 cost their span only (OTLP ids are 16 and 8 bytes)
case_file fixtures/bad/otlp_lines.jsonl 2 2 2:89 "line ends inside a string" 1

desc="wrong types: scalars are named"
run 0 spans fixtures/bad/wrong_types.json && says "wrong_types.json:8:1: expected a JSON object or array, found a string"

desc="stdin"
if timeout 60 "$bin" spans - <fixtures/bad/truncated.json >"$tmp/out" 2>"$tmp/err"; then
    spans 2
    says "svcmap: <stdin>:4:66: unexpected end of input"
else
    echo "FAIL: stdin: exit $?"
    fail=1
fi

# --- nothing readable: exit 3 with one clear message ---------------------------------
: >"$tmp/empty.json"
desc="empty file"
run 3 spans "$tmp/empty.json" && says "svcmap: $tmp/empty.json: empty input"
printf '\n \t\r\n' >"$tmp/blank.json"
desc="blank file"
run 3 spans "$tmp/blank.json" && says "empty input"
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' >"$tmp/binary.png"
desc="binary file"
run 3 spans "$tmp/binary.png" && says "unknown format: expected otlp, jaeger, zipkin" && says "found binary data"
desc="directory"
run 3 spans "$tmp" && says "svcmap: $tmp: is a directory"
desc="missing file"
run 3 spans "$tmp/nope.json" && says "svcmap: $tmp/nope.json: cannot open"
printf '[{"a":},\n{"traceId":"1","id":7}]' >"$tmp/allbad.json"
desc="every record bad"
run 3 spans "$tmp/allbad.json" && says "no spans found: all 2 records were bad"
desc="not a trace format"
printf '{"hello":"world"}\n' >"$tmp/other.json"
run 3 spans "$tmp/other.json" && says "unknown format"
# a binary file that happens to start like JSON: whatever it holds, no crash, no hang
{ printf '['; head -c 300000 "$bin"; } >"$tmp/binary.json"
desc="binary after '['"
timeout 600 "$bin" spans "$tmp/binary.json" >"$tmp/out" 2>"$tmp/err"
st=$?
if [ "$st" -ne 0 ] && [ "$st" -ne 3 ]; then
    echo "FAIL: $desc: exit $st"
    fail=1
fi

# --- 10,000-deep nesting --------------------------------------------------------------
good='{"traceId":"463ac35c9f6413ad","id":"a2fb4a1d1a96d312","name":"get","timestamp":1700000000000000,"duration":1500,"kind":"SERVER","localEndpoint":{"serviceName":"frontend"}}'
{
    printf '[\n'
    head -c 10000 /dev/zero | tr '\0' '['
    head -c 10000 /dev/zero | tr '\0' ']'
    printf ',\n%s]\n' "$good"
} >"$tmp/deep.json"
desc="10,000-deep nesting"
if run 0 spans "$tmp/deep.json"; then
    spans 1
    skips "$tmp/deep.json" 1
    says "$tmp/deep.json:2:1: nested deeper than 512 levels (--max-depth)"
fi
desc="10,000-deep nesting, strict"
run 3 spans --strict "$tmp/deep.json" && says "nested deeper than 512 levels"
# allowed by svcmap's limit, refused by jansson's own (2048): still a skipped record
desc="deep nesting past jansson's limit"
run 0 spans --max-depth 20000 "$tmp/deep.json" && spans 1 && skips "$tmp/deep.json" 1
{
    head -c 10000 /dev/zero | tr '\0' '['
} >"$tmp/deep-open.json"
desc="10,000 open brackets and nothing else"
run 3 spans "$tmp/deep-open.json" && says "unexpected end of input"

# --- one 100 MB element -----------------------------------------------------------------
# One Zipkin span carrying ten 10 MB annotation values between two ordinary spans (not
# first, so that it goes through the worker threads when there are several cores).
{
    printf '[%s,\n{"traceId":"463ac35c9f6413ad","id":"0f28a0fb3ef1fd2b","name":"big","timestamp":1700000000000100,"duration":900,"kind":"CLIENT","localEndpoint":{"serviceName":"frontend"},"annotations":[' "$good"
    for i in 0 1 2 3 4 5 6 7 8 9; do
        [ "$i" -gt 0 ] && printf ','
        printf '{"timestamp":1700000000000100,"value":"'
        head -c 10000000 /dev/zero | tr '\0' a
        printf '"}'
    done
    printf ']},\n%s]\n' "$good"
} >"$tmp/big.json"
desc="100 MB element"
if command -v /usr/bin/time >/dev/null 2>&1; then
    if run 0 spans "$tmp/big.json"; then
        spans 3
        /usr/bin/time -f '%M' -o "$tmp/rss" timeout 600 "$bin" spans "$tmp/big.json" >/dev/null 2>&1
        rss_kb=$(tail -1 "$tmp/rss")
        echo "100 MB element: peak RSS ${rss_kb} KB"
        if [ "$sanitized" -eq 0 ] && [ "$rss_kb" -gt 409600 ]; then
            echo "FAIL: $desc: peak RSS ${rss_kb} KB, expected under 400 MB"
            fail=1
        fi
    fi
else
    run 0 spans "$tmp/big.json" && spans 3
fi
desc="100 MB element over --max-element-bytes"
if run 0 spans --max-element-bytes 10000000 "$tmp/big.json"; then
    spans 2
    skips "$tmp/big.json" 1
    says "$tmp/big.json:2:1: element is larger than 10000000 bytes (--max-element-bytes)"
fi
desc="100 MB element with a long string over --max-string-bytes"
if run 0 spans --max-string-bytes 1000000 "$tmp/big.json"; then
    spans 2
    says "string longer than 1000000 bytes (--max-string-bytes)"
fi
desc="100 MB element over the limit, strict"
run 3 spans --strict --max-element-bytes 10000000 "$tmp/big.json"
rm -f "$tmp/big.json"

# --- gzip -------------------------------------------------------------------------------
{
    printf '['
    yes "$good," | head -n 20000
    printf '%s]\n' "$good"
} | gzip -c >"$tmp/spans.json.gz"
desc="gzip"
run 0 spans "$tmp/spans.json.gz" && spans 20001
size=$(wc -c <"$tmp/spans.json.gz")
head -c $((size / 2)) "$tmp/spans.json.gz" >"$tmp/cut.json.gz"
desc="gzip cut in half"
if run 0 spans "$tmp/cut.json.gz"; then
    says "truncated gzip data: the stream ends inside a member"
    if [ "$(wc -l <"$tmp/out")" -lt 1000 ]; then
        echo "FAIL: $desc: the spans before the cut were not read"
        fail=1
    fi
fi
desc="gzip cut in half, strict"
run 3 spans --strict "$tmp/cut.json.gz"
printf '\x1f\x8b\x08\x00garbage garbage garbage' >"$tmp/noise.gz"
desc="gzip magic then noise"
run 3 spans "$tmp/noise.gz" && says "corrupt gzip data"

if [ "$fail" -ne 0 ]; then
    echo "bad_input: FAILED"
    exit 1
fi
echo "bad_input: all cases passed"
exit 0
