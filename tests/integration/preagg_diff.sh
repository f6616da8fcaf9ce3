#!/usr/bin/env bash
# preagg_diff.sh: maps from service-graph metrics diff and gate like maps from spans.
# A second scrape is made from fixtures/preagg/servicegraph-otelcol.prom with the card
# API slower (its fast buckets emptied) and failing more; `svcmap diff` must report and
# gate both, and a scrape diffed with itself must report nothing.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
bin=$1
src=$3
base=$src/fixtures/preagg/servicegraph-otelcol.prom
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# slower: every observation of payments -> card-api at or under 0.8 s moves above it;
# failing: 4 -> 30 failed calls of 90
sed -E \
    -e '/client_seconds_bucket\{client="payments".*server="card-api\.example\.com",le="0\.(002|004|006|008|01|05|1|2|4|8)"\}/s/ [0-9]+$/ 0/' \
    -e '/request_failed_total\{client="payments".*server="card-api\.example\.com"\}/s/ 4$/ 30/' \
    "$base" >"$tmp/head.prom"
if cmp -s "$base" "$tmp/head.prom"; then
    echo "FAIL: the second scrape is the same as the first" >&2
    exit 1
fi

"$bin" diff "$base" "$tmp/head.prom" --fail-on 'p50>+100%,errors>+10pp' >"$tmp/out" 2>"$tmp/err"
status=$?
if [ "$status" != 1 ]; then
    echo "FAIL: diff of two scrapes: status $status, expected 1" >&2
    cat "$tmp/out" "$tmp/err" >&2
    fail=1
fi
for want in 'p50>+100%: .*payments -> .*card-api' 'errors>+10pp: .*payments -> .*card-api'; do
    grep -q "gate tripped: $want" "$tmp/err" ||
        { echo "FAIL: no '$want' in the gate reasons" >&2; cat "$tmp/err" >&2; fail=1; }
done

"$bin" diff "$base" "$base" --fail-on 'added-edge,removed-edge,p99>+1%,errors>+0.1pp' \
    >"$tmp/out" 2>"$tmp/err"
status=$?
if [ "$status" != 0 ]; then
    echo "FAIL: a scrape diffed with itself: status $status" >&2
    cat "$tmp/out" "$tmp/err" >&2
    fail=1
fi
exit $fail
