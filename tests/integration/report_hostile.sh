#!/usr/bin/env bash
# report_hostile.sh: hostile service names in every report a person reads.
# Markdown (diff -f markdown, diff --with-map, check -f markdown, --inject of CSV, JSON and
# DOT blocks) is rendered with the real marked package (tests/markdown): no raw HTML, no
# link or image, no heading or code block beyond svcmap's own, and every name reads as it
# is. Terminal text (diff and check text reports, -f table, messages on stderr) must carry
# no control character, C1 control or bidirectional override from a name, and show them
# as escapes instead. Names: fixtures/render/hostile-zipkin.json (Mermaid and DOT
# attacks) and hostile-reports-zipkin.json (terminal escapes, bidi overrides, Markdown
# links, autolinks, fences, HTML).
# Args: $1 svcmap binary, $2 build dir, $3 source dir. Needs scripts/test-setup first.
set -u
bin=$1
src=$3
check=$src/tests/markdown/check.mjs
if [ ! -d "$src/tests/markdown/node_modules/marked" ]; then
    echo "tests/markdown/node_modules is missing: run scripts/test-setup" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() {
    echo "FAIL: $*"
    fail=1
}
printf '{"schema":"svcmap.map/v1","nodes":[],"edges":[]}\n' >"$tmp/empty.json"
printf 'default deny\nno-external *\n' >"$tmp/rules.txt"

# Bytes a terminal would obey: C0 controls but the line end, DEL, the UTF-8 C1 controls,
# and the bidi marks, embeddings, overrides and isolates.
terminal_clean() { # FILE WHAT
    if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$1"; then
        bad "$2: a control character reached the terminal"
        LC_ALL=C grep -n $'[\x01-\x09\x0b-\x1f\x7f]' "$1" | head -3 | cat -A
    fi
    local seq
    for seq in $'\xc2\x9b' $'\xe2\x80\xae' $'\xe2\x80\xad' $'\xe2\x80\xab' $'\xe2\x80\xaa' \
        $'\xe2\x80\xac' $'\xe2\x81\xa6' $'\xe2\x81\xa7' $'\xe2\x81\xa8' $'\xe2\x81\xa9' \
        $'\xe2\x80\x8e' $'\xe2\x80\x8f'; do
        if LC_ALL=C grep -qF "$seq" "$1"; then
            bad "$2: a C1 control or bidi control ($(printf %s "$seq" | od -An -tx1 | tr -d ' ')) reached the terminal"
        fi
    done
}

k=0
for input in fixtures/render/hostile-zipkin.json fixtures/render/hostile-reports-zipkin.json; do
    k=$((k + 1))
    if ! "$bin" map -q -f json "$input" >"$tmp/$k.json"; then
        bad "svcmap map $input"
        continue
    fi
    node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
             process.stdout.write(JSON.stringify(m.nodes.map((n) => n.name)));' \
        "$tmp/$k.json" >"$tmp/$k.names"
    # Markdown: a pull-request comment of each report.
    "$bin" diff --min-calls 0 -f markdown --fail-on added-node,added-edge \
        "$tmp/empty.json" "$tmp/$k.json" >"$tmp/$k.diff.md" 2>/dev/null
    [ $? = 1 ] || bad "diff -f markdown $input: status is not 1"
    node "$check" "$tmp/$k.diff.md" --headings 1 --fences 0 --names "$tmp/$k.names" ||
        bad "diff -f markdown $input renders markup from names"
    "$bin" diff --min-calls 0 -f markdown --with-map "$tmp/empty.json" "$tmp/$k.json" \
        >"$tmp/$k.with-map.md" || bad "diff --with-map $input"
    node "$check" "$tmp/$k.with-map.md" --headings 1 --fences 1 --allow details,summary \
        --names "$tmp/$k.names" || bad "diff --with-map $input renders markup from names"
    "$bin" check -q --fail-on none -f markdown --rules "$tmp/rules.txt" "$input" \
        >"$tmp/$k.check.md" || bad "check -f markdown $input"
    node "$check" "$tmp/$k.check.md" --headings 1 --fences 0 --names "$tmp/$k.names" ||
        bad "check -f markdown $input renders markup from names"
    # Blocks injected into a document: the names must not close the fence.
    for fmt in csv json dot mermaid; do
        printf '# Doc\n\n<!-- svcmap:begin map -->\n<!-- svcmap:end map -->\n\nafter\n' \
            >"$tmp/$k.$fmt.md"
        "$bin" map -q -f $fmt --inject "$tmp/$k.$fmt.md" "$input" || bad "--inject -f $fmt $input"
        node "$check" "$tmp/$k.$fmt.md" --headings 1 --fences 1 --allow h1 ||
            bad "--inject -f $fmt $input: the names escape the code block"
    done

    # Terminals.
    "$bin" diff --min-calls 0 --no-color --fail-on added-node,added-edge "$tmp/empty.json" \
        "$tmp/$k.json" >"$tmp/$k.diff.txt" 2>"$tmp/$k.diff.err"
    terminal_clean "$tmp/$k.diff.txt" "diff text report of $input"
    terminal_clean "$tmp/$k.diff.err" "diff gate messages of $input"
    "$bin" diff --min-calls 0 --no-color "$tmp/$k.json" "$tmp/empty.json" >"$tmp/$k.diff2.txt"
    terminal_clean "$tmp/$k.diff2.txt" "diff text report (removed) of $input"
    "$bin" check -q --rules "$tmp/rules.txt" "$input" >"$tmp/$k.check.txt" 2>"$tmp/$k.check.err"
    terminal_clean "$tmp/$k.check.txt" "check text report of $input"
    terminal_clean "$tmp/$k.check.err" "check messages of $input"
    "$bin" map -q -f table "$input" >"$tmp/$k.table" || bad "map -f table $input"
    terminal_clean "$tmp/$k.table" "map -f table of $input"
    "$bin" map -q --focus "$(printf 'evil\xe2\x80\xaegnp \x1b[31m')" "$input" \
        >/dev/null 2>"$tmp/$k.focus.err"
    terminal_clean "$tmp/$k.focus.err" "the unknown --focus message"
done
"$bin" "$(printf 'x\033]0;pwned\007\xe2\x80\xae')" >/dev/null 2>"$tmp/command.err"
terminal_clean "$tmp/command.err" "the unknown command message"
# The escapes are visible, not dropped: a reader can tell what the name holds.
grep -qF 'evil\u202egnp.exe' "$tmp/2.diff.txt" || bad "diff text: U+202E is not shown as \\u202e"
grep -qF '\x1b]0;pwned\x07title' "$tmp/2.diff.txt" || bad "diff text: ESC and BEL are not shown as \\x1b, \\x07"
grep -qF 'evil\u202egnp.exe' "$tmp/2.check.txt" || bad "check text: U+202E is not shown"
grep -qF 'evil\u202egnp.exe' "$tmp/2.table" || bad "map -f table: U+202E is not shown"
grep -qF 'two\nlines' "$tmp/1.table" || bad "map -f table: a line break is not shown as \\n"
grep -qF 'evil\u202egnp \x1b[31m' "$tmp/2.focus.err" || bad "the unknown --focus message does not show U+202E"
[ $fail = 0 ] && echo "report_hostile: every report escapes every name"
exit $fail
