#!/usr/bin/env bash
# stdin_terminal.sh: `svcmap map` with no FILE on a terminal says once on stderr that it
# reads standard input and how to stop; not when stdin is a file or a pipe, not with
# --quiet, not when a FILE is given. The terminal is a pty made by script(1).
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
bin=$1
fail=0
if ! command -v script >/dev/null; then
    echo "script(1) is missing (Debian bsdutils)" >&2
    exit 1
fi
note="reading spans from standard input (a terminal)"
# script gives the command a pty for stdin; its own stdin at EOF ends the input
on_tty() { timeout 20 script -qec "$1" /dev/null </dev/null 2>&1; }

out=$(on_tty "$bin map -f table")
[ "$(grep -c "$note" <<<"$out")" = 1 ] || { echo "FAIL: no single note on a terminal: $out"; fail=1; }
grep -q "Ctrl-D" <<<"$out" || { echo "FAIL: the note does not say how to stop: $out"; fail=1; }
out=$(on_tty "$bin map -f table -")
grep -q "$note" <<<"$out" || { echo "FAIL: no note for '-' on a terminal"; fail=1; }
out=$(on_tty "$bin map -q -f table")
grep -q "$note" <<<"$out" && { echo "FAIL: a note despite --quiet"; fail=1; }
out=$(on_tty "$bin map -f table fixtures/shapes/zipkin1-spans.json")
grep -q "$note" <<<"$out" && { echo "FAIL: a note with a FILE given"; fail=1; }
out=$("$bin" map -f table <fixtures/shapes/zipkin1-spans.json 2>&1)
grep -q "$note" <<<"$out" && { echo "FAIL: a note when stdin is a file"; fail=1; }
[ $fail = 0 ] && echo "stdin_terminal: ok"
exit $fail
