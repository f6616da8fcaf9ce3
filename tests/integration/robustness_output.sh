#!/usr/bin/env bash
# Output files under attack (issue 11, items 2, 3, 4 and 14): -o onto a symlink to
# standard output or to a regular file, a read-only target, temporary names planted as
# symlinks and hard links, a 245-character file name, -o onto a folder, two --inject
# runs at once on one file (20 rounds), a CRLF document, and --inject /dev/zero.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
bin=$1
build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
input=fixtures/conformance/zipkin/zipkin-lens-yelp.json
say() {
    echo "FAIL: $*"
    fail=1
}
"$bin" map -q -f mermaid "$input" >"$tmp/expected.mmd" || say "map -f mermaid"

# Item 2: a symlink to this process's standard output (what /dev/stdout is) must be
# written through, not replaced; the redirect target gets the map. The test uses a link
# of its own: a regression tried on /dev/stdout itself would break the machine's.
ln -s /proc/self/fd/1 "$tmp/stdout-link"
"$bin" map -q -f mermaid -o "$tmp/stdout-link" "$input" >"$tmp/redirected" ||
    say "-o symlink-to-stdout: exit $?"
[ -L "$tmp/stdout-link" ] || say "-o symlink-to-stdout replaced the symlink"
cmp -s "$tmp/redirected" "$tmp/expected.mmd" || say "-o symlink-to-stdout: the redirect did not get the map"
# ... also when standard output is a pipe.
"$bin" map -q -f mermaid -o "$tmp/stdout-link" "$input" | cat >"$tmp/piped"
cmp -s "$tmp/piped" "$tmp/expected.mmd" || say "-o symlink-to-stdout into a pipe"
[ -L "$tmp/stdout-link" ] || say "-o symlink-to-stdout (pipe) replaced the symlink"
# A symlink to a regular file updates the file, keeps the link and the file's mode.
mkdir "$tmp/real"
echo old >"$tmp/real/map.mmd"
chmod 640 "$tmp/real/map.mmd"
ln -s real/map.mmd "$tmp/link.mmd"
"$bin" map -q -o "$tmp/link.mmd" "$input" || say "-o symlink-to-file: exit $?"
[ -L "$tmp/link.mmd" ] || say "-o symlink-to-file replaced the symlink with a file"
cmp -s "$tmp/real/map.mmd" "$tmp/expected.mmd" || say "-o symlink-to-file did not update the target"
[ "$(stat -c %a "$tmp/real/map.mmd")" = 640 ] ||
    say "-o symlink-to-file changed the mode to $(stat -c %a "$tmp/real/map.mmd")"
# A plain existing file keeps its mode too.
echo old >"$tmp/private.mmd"
chmod 600 "$tmp/private.mmd"
"$bin" map -q -o "$tmp/private.mmd" "$input" || say "-o existing file: exit $?"
[ "$(stat -c %a "$tmp/private.mmd")" = 600 ] || say "-o changed a 600 file's mode"
# A read-only target is an error (even as root) and stays as it was.
echo keep >"$tmp/ro.mmd"
chmod 444 "$tmp/ro.mmd"
"$bin" map -q -o "$tmp/ro.mmd" "$input" 2>"$tmp/err"
status=$?
[ "$status" = 4 ] || say "-o read-only file: exit $status, expected 4"
grep -q "read-only" "$tmp/err" || say "-o read-only file: message '$(cat "$tmp/err")'"
[ "$(cat "$tmp/ro.mmd")" = keep ] || say "-o overwrote a read-only file"

# Item 3: temporary names planted beforehand (the old name was OUT.tmp.PID; exec keeps
# the shell's pid) are never written through, as symlink or as hard link.
echo victim >"$tmp/victim"
bash -c 'ln -s "$1/victim" "$1/out.mmd.tmp.$$"; exec "$2" map -q -o "$1/out.mmd" "$3"' _ \
    "$tmp" "$bin" "$input" || say "planted symlink: exit $?"
[ "$(cat "$tmp/victim")" = victim ] || say "the map was written through a planted symlink"
cmp -s "$tmp/out.mmd" "$tmp/expected.mmd" || say "planted symlink: the output is wrong"
[ -L "$tmp/out.mmd" ] && say "planted symlink: the output is a symlink"
rm -f "$tmp"/out.mmd*
bash -c 'ln "$1/victim" "$1/out.mmd.tmp.$$"; exec "$2" map -q -o "$1/out.mmd" "$3"' _ \
    "$tmp" "$bin" "$input" || say "planted hard link: exit $?"
[ "$(cat "$tmp/victim")" = victim ] || say "the map was written through a planted hard link"
rm -f "$tmp"/out.mmd*
# A 245-character file name still works, and nothing is left beside it.
mkdir "$tmp/long"
long=$(printf 'm%.0s' $(seq 241)).mmd
"$bin" map -q -o "$tmp/long/$long" "$input" || say "-o with a 245-character name: exit $?"
cmp -s "$tmp/long/$long" "$tmp/expected.mmd" || say "-o with a 245-character name: wrong output"
[ "$(ls -A "$tmp/long" | wc -l)" = 1 ] || say "files left beside the output: $(ls -A "$tmp/long")"

# -o onto a folder says that a file name is needed.
for target in "$tmp/real/" "$tmp/real"; do
    "$bin" map -q -o "$target" -f mermaid "$input" 2>"$tmp/err"
    status=$?
    [ "$status" = 2 ] || say "-o $target: exit $status, expected 2"
    grep -q "needs a file name" "$tmp/err" || say "-o $target: message '$(cat "$tmp/err")'"
done

# Item 4: two --inject runs at once on one file, 20 rounds: both blocks land every time.
doc() { printf '# Doc\n<!-- svcmap:begin a -->\nstale\n<!-- svcmap:end a -->\n<!-- svcmap:begin b -->\nstale\n<!-- svcmap:end b -->\n'; }
lost=0
for round in $(seq 20); do
    doc >"$tmp/shared.md"
    "$bin" map -q --inject "$tmp/shared.md" --name a "$input" &
    p1=$!
    "$bin" map -q --inject "$tmp/shared.md" --name b -f dot "$input" &
    p2=$!
    wait $p1 || say "round $round: inject a failed"
    wait $p2 || say "round $round: inject b failed"
    if grep -q stale "$tmp/shared.md" || ! grep -q '^```mermaid' "$tmp/shared.md" ||
        ! grep -q '^```dot' "$tmp/shared.md"; then
        lost=$((lost + 1))
    fi
done
[ "$lost" = 0 ] || say "concurrent --inject lost a block in $lost of 20 rounds"
[ "$(ls -A "$tmp" | grep -c shared)" = 1 ] || say "files left beside shared.md: $(ls -A "$tmp" | grep shared)"

# A CRLF document stays CRLF, inside the block too.
printf '# Doc\r\n<!-- svcmap:begin map -->\r\nstale\r\n<!-- svcmap:end map -->\r\ntail\r\n' >"$tmp/crlf.md"
"$bin" map -q --inject "$tmp/crlf.md" "$input" || say "inject into a CRLF file: exit $?"
bare=$(tr -d '\n' <"$tmp/crlf.md" | wc -c)
[ "$(grep -c $'\r$' "$tmp/crlf.md")" = "$(wc -l <"$tmp/crlf.md")" ] ||
    say "inject into a CRLF file left lines without CR"
[ "$bare" -gt 0 ] || say "inject into a CRLF file: empty"
grep -q '^```mermaid'$'\r$' "$tmp/crlf.md" || say "inject into a CRLF file: no fence"

# Item 14: --inject /dev/zero stops at a bound (exit 3), it does not eat memory. The
# address-space cap catches the old unbounded read fast (not under ASan, which
# reserves terabytes of address space).
(
    grep -q 'SVCMAP_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null || ulimit -v 2000000
    timeout 60 "$bin" map -q --inject /dev/zero "$input"
) 2>"$tmp/err"
status=$?
[ "$status" = 3 ] || say "--inject /dev/zero: exit $status, expected 3 ($(head -c 300 "$tmp/err"))"
grep -q "/dev/zero" "$tmp/err" || say "--inject /dev/zero: message does not name the file"
exit $fail
