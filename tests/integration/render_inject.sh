#!/usr/bin/env bash
# --inject FILE.md: only the block between the markers changes (every byte before the
# begin marker and from the end marker on is compared), the file is replaced atomically,
# running twice changes nothing, and a missing or repeated marker is an error (exit 3)
# that leaves the file exactly as it was.
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

printf '# Docs\r\n\nSome text \xc3\xa9 with <!-- other --> comments.\n<!-- svcmap:begin map -->\nstale\n<!-- svcmap:end map -->\n\n<!-- svcmap:begin deps -->\n<!-- svcmap:end deps -->\ntail without newline' >"$tmp/doc.md"
cp "$tmp/doc.md" "$tmp/orig.md"
"$bin" map -q --inject "$tmp/doc.md" "$input" >"$tmp/stdout" || say "inject exit status $?"
[ -s "$tmp/stdout" ] && say "--inject alone wrote to stdout"
begin='<!-- svcmap:begin map -->'
end='<!-- svcmap:end map -->'
# Byte offsets of the markers in both files.
off() { grep -boF -- "$2" "$1" | head -1 | cut -d: -f1; }
ob=$(off "$tmp/orig.md" "$begin")
oe=$(off "$tmp/orig.md" "$end")
nb=$(off "$tmp/doc.md" "$begin")
ne=$(off "$tmp/doc.md" "$end")
[ "$ob" = "$nb" ] || say "bytes before the block moved"
cmp -s <(head -c $((ob + ${#begin})) "$tmp/orig.md") <(head -c $((nb + ${#begin})) "$tmp/doc.md") ||
    say "bytes before the block changed"
cmp -s <(tail -c +$((oe + 1)) "$tmp/orig.md") <(tail -c +$((ne + 1)) "$tmp/doc.md") ||
    say "bytes after the block changed"
"$bin" map -q -f mermaid "$input" >"$tmp/map.mmd"
{ printf '\n```mermaid\n'; cat "$tmp/map.mmd"; printf '```\n'; } >"$tmp/block"
cmp -s "$tmp/block" <(head -c "$ne" "$tmp/doc.md" | tail -c +$((nb + ${#begin} + 1))) ||
    say "the block is not the fenced Mermaid map"
cp "$tmp/doc.md" "$tmp/once.md"
"$bin" map -q --inject "$tmp/doc.md" "$input" && cmp -s "$tmp/doc.md" "$tmp/once.md" ||
    say "a second run changed the file"
# Another block by --name, another format by -f.
"$bin" map -q --inject "$tmp/doc.md" --name deps -f dot "$input" || say "--name deps -f dot"
grep -q '^```dot$' "$tmp/doc.md" || say "no dot block"
cmp -s <(head -c "$ne" "$tmp/once.md") <(head -c "$ne" "$tmp/doc.md") ||
    say "--name deps touched the map block"
ls "$tmp" | grep -q '\.tmp\.' && say "a temporary file was left behind"

# Errors leave the file untouched.
check_error() {
    local name=$1 content=$2 words=$3
    printf '%b' "$content" >"$tmp/bad.md"
    cp "$tmp/bad.md" "$tmp/bad.orig"
    "$bin" map -q --inject "$tmp/bad.md" "$input" >/dev/null 2>"$tmp/err"
    local status=$?
    [ "$status" = 3 ] || say "$name: exit status $status, expected 3"
    grep -qF -- "$words" "$tmp/err" || say "$name: message '$(cat "$tmp/err")' lacks '$words'"
    grep -qF -- "$tmp/bad.md" "$tmp/err" || say "$name: message does not name the file"
    cmp -s "$tmp/bad.md" "$tmp/bad.orig" || say "$name: the file changed"
}
check_error missing 'no markers\n' "no '<!-- svcmap:begin map -->' marker"
check_error no-end '<!-- svcmap:begin map -->\nx\n' "no '<!-- svcmap:end map -->' marker"
check_error repeated-begin '<!-- svcmap:begin map -->\n<!-- svcmap:end map -->\n<!-- svcmap:begin map -->\n' \
    ":3: '<!-- svcmap:begin map -->' appears a second time"
check_error repeated-end '<!-- svcmap:begin map -->\n<!-- svcmap:end map -->\n<!-- svcmap:end map -->\n' \
    ":3: '<!-- svcmap:end map -->' appears a second time"
check_error reversed '<!-- svcmap:end map -->\n<!-- svcmap:begin map -->\n' "comes before"
"$bin" map -q --inject "$tmp/nope.md" "$input" 2>/dev/null
[ $? = 3 ] || say "a missing file is not exit 3"
[ -e "$tmp/nope.md" ] && say "a missing file was created"
"$bin" map -q --inject "$tmp/doc.md" -f png "$input" 2>/dev/null
[ $? = 2 ] || say "--inject -f png is not a usage error"
"$bin" map -q --inject "$tmp/doc.md" --name 'bad name' "$input" 2>/dev/null
[ $? = 2 ] || say "a bad --name is not a usage error"
exit $fail
