#!/usr/bin/env bash
# robustness_limits.sh: --max-element-bytes, --max-depth and --max-string-bytes.
#
# For each limit, an input with one record over it and one good record: with --strict
# the run stops with exit 3 and a message naming the file, the place of the record and
# the limit; without it the record is skipped and counted (skipped_records in the map)
# and the good record is still read. Bad limit values are usage errors (exit 2). Also
# checks that a hostile record far over the default string limit is refused without
# holding it in memory (peak RSS, with /usr/bin/time when it is installed).
# Arguments: $1 svcmap binary, $2 build directory, $3 source directory.
set -u
bin=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/svcmap-limits.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
[ -x "$bin" ] || { echo "FAIL: no svcmap binary at $bin"; exit 1; }

good='{"traceId":"a1","id":"b1","kind":"CLIENT","localEndpoint":{"serviceName":"web"},"remoteEndpoint":{"serviceName":"db"}}'
long=$(printf '%0300d' 0)
deep=$(printf '[%.0s' $(seq 40))$(printf ']%.0s' $(seq 40))
# the bad record is the second one, on line 3, column 1
printf '[\n%s,\n{"traceId":"a2","id":"b2","name":"%s"}\n]\n' "$good" "$long" >"$tmp/string.json"
printf '[\n%s,\n{"traceId":"a2","id":"b2","tags":{"x":%s}}\n]\n' "$good" "$deep" >"$tmp/depth.json"
printf '[\n%s,\n{"traceId":"a2","id":"b2","name":"%s"}\n]\n' "$good" "$long" >"$tmp/element.json"

# case: option value, input, message pattern
while read -r opt file pattern; do
    "$bin" map -q --strict "$opt" -f json "$tmp/$file" >"$tmp/out" 2>"$tmp/err"
    st=$?
    [ "$st" = 3 ] || { echo "FAIL: $opt --strict: exit status $st, expected 3"; fail=1; }
    if ! grep -q "^svcmap: $tmp/$file:3:1: .*$pattern" "$tmp/err"; then
        echo "FAIL: $opt --strict: message should name $file:3:1 and '$pattern'; got:"
        cat "$tmp/err"
        fail=1
    fi
    [ -s "$tmp/out" ] && { echo "FAIL: $opt --strict: wrote a map"; fail=1; }

    "$bin" map "$opt" -f json "$tmp/$file" >"$tmp/out" 2>"$tmp/err"
    st=$?
    [ "$st" = 0 ] || { echo "FAIL: $opt: exit status $st, expected 0"; fail=1; }
    grep -q '"skipped_records": 1' "$tmp/out" || { echo "FAIL: $opt: skipped record not counted"; fail=1; }
    grep -q '"spans": 1' "$tmp/out" || { echo "FAIL: $opt: the good record was not read"; fail=1; }
    grep -q "$pattern" "$tmp/err" || { echo "FAIL: $opt: no message on stderr"; fail=1; }

    # the same file is fine under a generous limit
    "$bin" map -q --strict -f json "$tmp/$file" >/dev/null 2>"$tmp/err" ||
        { echo "FAIL: $file is rejected with the default limits:"; cat "$tmp/err"; fail=1; }
done <<'CASES'
--max-string-bytes=100 string.json 100 bytes
--max-depth=20 depth.json 20 levels
--max-element-bytes=200 element.json 200 bytes
CASES

for bad in --max-depth=0 --max-depth=x --max-string-bytes=-5 --max-element-bytes=1Q; do
    "$bin" map -q "$bad" "$tmp/string.json" >/dev/null 2>"$tmp/err"
    st=$?
    [ "$st" = 2 ] || { echo "FAIL: $bad: exit status $st, expected 2"; fail=1; }
done

# hostile: one 64 MiB string, four times the default limit, then a good record
{
    printf '[{"traceId":"a1","id":"b1","name":"'
    head -c $((64 << 20)) /dev/zero | tr '\0' x
    printf '"},\n{"traceId":"a1","id":"b2","localEndpoint":{"serviceName":"web"}}]\n'
} >"$tmp/hostile.json"
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$tmp/rss" "$bin" map -q -f json "$tmp/hostile.json" >"$tmp/out" 2>/dev/null
    st=$?
    rss_kb=$(tail -n 1 "$tmp/rss")
    # the point is "not the whole string" (64 MiB); AddressSanitizer's shadow memory
    # and quarantine add their own megabytes, so its build gets a wider bound
    limit_kb=60000
    grep -q '^SVCMAP_SANITIZE:BOOL=ON' "$2/CMakeCache.txt" 2>/dev/null && limit_kb=120000
    [ "$rss_kb" -lt "$limit_kb" ] ||
        { echo "FAIL: hostile string: peak RSS ${rss_kb} KB (limit $limit_kb)"; fail=1; }
else
    "$bin" map -q -f json "$tmp/hostile.json" >"$tmp/out" 2>/dev/null
    st=$?
fi
[ "$st" = 0 ] || { echo "FAIL: hostile string: exit status $st, expected 0"; fail=1; }
grep -q '"skipped_records": 1' "$tmp/out" || { echo "FAIL: hostile string not skipped"; fail=1; }

[ "$fail" = 0 ] && echo "ok: limits stop or skip records with clear messages"
exit "$fail"
