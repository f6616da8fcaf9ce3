#!/usr/bin/env bash
# robustness_full_disk.sh: a full disk is exit 4 with a message, never silence.
#
# Writes a map to standard output redirected to /dev/full (the stdout check at exit)
# and with -o to a full device, for several output formats, and checks exit status 4,
# a "svcmap: ..." message that says what failed, and that -o to a device writes in
# place instead of renaming a temporary file over the device node. As root the -o case
# uses a private copy of /dev/full (mknod) so that a broken build cannot replace the
# real device; otherwise it uses /dev/full itself.
# Arguments: $1 svcmap binary, $2 build directory, $3 source directory.
set -u
bin=$1
src=$3
in=$src/fixtures/conformance/zipkin/zipkin-lens-yelp.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
[ -x "$bin" ] || { echo "FAIL: no svcmap binary at $bin"; exit 1; }
[ -w /dev/full ] || { echo "FAIL: /dev/full is not available"; exit 1; }

expect_full() { # what, status, stderr file
    if [ "$2" != 4 ]; then
        echo "FAIL: $1: exit status $2, expected 4"
        fail=1
    fi
    if ! grep -q '^svcmap: .*\(No space left on device\|cannot write\)' "$3"; then
        echo "FAIL: $1: no message naming the failed write; stderr was:"
        cat "$3"
        fail=1
    fi
}

# standard output on a full disk
for fmt in json table csv dot mermaid; do
    "$bin" map -q -f "$fmt" "$in" >/dev/full 2>"$tmp/err"
    expect_full "stdout -f $fmt" $? "$tmp/err"
done
"$bin" spans "$in" >/dev/full 2>"$tmp/err"
expect_full "spans to stdout" $? "$tmp/err"

# -o to a full device
dev=/dev/full
if [ "$(id -u)" = 0 ] && mknod "$tmp/full" c 1 7 2>/dev/null; then
    dev=$tmp/full
fi
for fmt in json mermaid; do
    "$bin" map -q -f "$fmt" -o "$dev" "$in" 2>"$tmp/err"
    expect_full "-o $dev -f $fmt" $? "$tmp/err"
    if [ ! -c "$dev" ]; then
        echo "FAIL: -o $dev replaced the device node with a regular file"
        fail=1
        rm -f "$dev"
        mknod "$dev" c 1 7 2>/dev/null || { echo "FAIL: cannot recreate $dev"; exit 1; }
    fi
done
if ls "$dev".tmp.* >/dev/null 2>&1; then
    echo "FAIL: temporary files left next to $dev: $(ls "$dev".tmp.*)"
    fail=1
fi

# the device case must not break the normal one: -o to /dev/null succeeds
"$bin" map -q -f json -o /dev/null "$in" 2>"$tmp/err"
st=$?
[ "$st" = 0 ] || { echo "FAIL: -o /dev/null: exit status $st"; cat "$tmp/err"; fail=1; }
[ -c /dev/null ] || { echo "FAIL: /dev/null is no longer a device"; fail=1; }

[ "$fail" = 0 ] && echo "ok: full disk gives exit 4 and a message"
exit "$fail"
