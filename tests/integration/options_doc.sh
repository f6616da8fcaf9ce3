#!/usr/bin/env bash
# options_doc.sh: every option in the commands' option tables is in the man page.
# The help of each command is printed from its table (src/cli/options.c), so the
# options a help lists are the table's: each long one must appear in docs/svcmap.1
# (as \-\-NAME) and each short one (as \-X).
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
svcmap=$1
src=$3
man=$src/docs/svcmap.1
fail=0
commands=$("$svcmap" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')
[ -n "$commands" ] || { echo "no commands listed by svcmap --help"; exit 1; }
n=0
for c in $commands; do
    # option rows start with two blanks and a dash; "-x, --long ARG" or "--long ARG"
    opts=$("$svcmap" "$c" --help | grep -E '^  -' | grep -oE '(^  |, )-(-[a-z0-9][a-z0-9-]*|[a-zA-Z])' |
        sed 's/^[ ,]*//' | sort -u)
    [ -n "$opts" ] || { echo "FAIL: svcmap $c --help lists no options"; fail=1; continue; }
    for o in $opts; do
        n=$((n + 1))
        grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$man" ||
            { echo "FAIL: docs/svcmap.1 does not document $o of svcmap $c"; fail=1; }
    done
done
[ $fail = 0 ] && echo "options_doc: $n options of $(echo $commands | wc -w) commands are in the man page"
exit $fail
