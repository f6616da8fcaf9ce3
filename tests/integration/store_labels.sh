#!/usr/bin/env bash
# store_labels.sh: a label that starts with '-' can be ingested (--label -x), and
# after '--' shown and removed like any other; without '--' it is an unknown option
# (exit 2), not a silently different label. A label with terminal escapes is listed
# with them shown, not obeyed.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() {
    echo "FAIL: $*"
    fail=1
}
db=$tmp/maps.db
input=fixtures/render/hostile-zipkin.json
"$bin" store ingest -q --db "$db" --label -rc1 "$input" || bad "ingest --label -rc1"
"$bin" store list --db "$db" -f json | grep -q '"label":"-rc1"' || bad "list does not show -rc1"
"$bin" store show --db "$db" -f json -- -rc1 >"$tmp/shown.json" || bad "show -- -rc1"
"$bin" map -q -f json "$input" >"$tmp/direct.json"
grep -q '"edges"' "$tmp/shown.json" || bad "show -- -rc1 printed no map"
"$bin" store show --db "$db" -rc1 >/dev/null 2>"$tmp/err"
[ $? = 2 ] || bad "show -rc1 without -- is not a usage error"
grep -q "unknown option '-rc1'" "$tmp/err" || bad "show -rc1: $(cat "$tmp/err")"
"$bin" store rm --db "$db" -- -rc1 || bad "rm -- -rc1"
[ "$("$bin" store list --db "$db" -f json)" = "[]" ] || bad "-rc1 is still there after rm"
"$bin" store ingest -q --db "$db" --label "$(printf 'red\033[31m\xe2\x80\xae')" "$input" ||
    bad "ingest a label with escapes"
"$bin" store list --db "$db" >"$tmp/list"
LC_ALL=C grep -q $'\x1b' "$tmp/list" && bad "store list printed ESC from a label"
grep -qF 'red\x1b[31m\u202e' "$tmp/list" || bad "store list does not show the label's escapes"
[ $fail = 0 ] && echo "store_labels: a label starting with '-' is shown and removed after --; escapes are shown"
exit $fail
