#!/usr/bin/env bash
# Runs one golden case: svcmap with the case's args (one per line) from the source
# root, comparing stdout, stderr and the exit status with the case's expectations.
# SVCMAP_UPDATE_GOLDEN=1 rewrites them instead (review the diff like code).
set -u
bin=$1
dir=$2
args=()
while IFS= read -r line || [ -n "$line" ]; do
    args+=("$line")
done <"$dir/args"
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
if [ -f "$dir/stdin" ]; then
    "$bin" "${args[@]}" <"$dir/stdin" >"$out" 2>"$err"
else
    "$bin" "${args[@]}" </dev/null >"$out" 2>"$err"
fi
status=$?
if [ "${SVCMAP_UPDATE_GOLDEN:-}" = 1 ]; then
    cp "$out" "$dir/stdout"
    if [ -s "$err" ] || [ -f "$dir/stderr" ]; then cp "$err" "$dir/stderr"; fi
    echo "$status" >"$dir/status"
    exit 0
fi
fail=0
expected_status=0
[ -f "$dir/status" ] && expected_status=$(cat "$dir/status")
if [ "$status" != "$expected_status" ]; then
    echo "exit status $status, expected $expected_status"
    cat "$err"
    fail=1
fi
if ! diff -u "$dir/stdout" "$out"; then
    echo "stdout differs from $dir/stdout"
    fail=1
fi
if [ -f "$dir/stderr" ] && ! diff -u "$dir/stderr" "$err"; then
    echo "stderr differs from $dir/stderr"
    fail=1
fi
exit $fail
