#!/usr/bin/env bash
# Every command in svcmap's table has --help (exit 0, usage on stdout) and appears in
# the man page and the README, so the docs grow with the commands.
set -euo pipefail
svcmap=$1
src=$3
commands=$("$svcmap" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')
[ -n "$commands" ] || { echo "no commands listed by svcmap --help"; exit 1; }
for c in $commands; do
    out=$("$svcmap" "$c" --help) || { echo "svcmap $c --help failed"; exit 1; }
    case "$out" in
    usage:*) ;;
    *) echo "svcmap $c --help does not start with usage:"; exit 1 ;;
    esac
    grep -q "^\.B svcmap $c" "$src/docs/svcmap.1" || { echo "docs/svcmap.1 lacks svcmap $c"; exit 1; }
    grep -q "svcmap $c" "$src/README.md" || { echo "README.md lacks svcmap $c"; exit 1; }
done
set +e
"$svcmap" nosuchcommand >/dev/null 2>&1
[ $? -eq 2 ] || { echo "an unknown command must exit 2"; exit 1; }
echo "docs_commands: $(echo $commands | wc -w) commands documented"
