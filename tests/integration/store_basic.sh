#!/usr/bin/env bash
# store_basic.sh: svcmap store ingest/list/show/rm on the shop example, end to end.
#
# A snapshot shown back must be byte for byte the map `svcmap map` draws from the same
# traces; two trace sets ingested into one label must equal the map of both files read
# together (the sketches merge exactly); list, rm and the error statuses (3 for a
# missing database or label, 4 for a file that is not a database, 2 for usage) are
# checked with their messages.
set -u
bin=$1
build=$2
src=$3
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
fail=0
check() { # check DESCRIPTION: prints a failure line when the last test failed
    echo "FAIL: $1" >&2
    fail=1
}

traces() { # traces VARIANT SEED OUT: the shop example, from fixtures/ or the generator
    local fixture=$src/fixtures/shop/shop-otlp.jsonl
    [ "$1" = v2 ] && fixture=$src/fixtures/shop/shop-v2-otlp.jsonl
    if [ "$2" = 1 ] && [ -f "$fixture" ]; then
        cp "$fixture" "$3"
    else
        "$build/svcmap-gen" shop --format otlp --variant "$1" --seed "$2" -o "$3" 2>/dev/null
    fi
}
traces v1 1 "$tmp/a.jsonl"
traces v1 7 "$tmp/b.jsonl"
traces v2 1 "$tmp/v2.jsonl"
db=$tmp/maps.db
cd "$tmp"

# ingest + show == map
"$bin" store ingest --db "$db" --label v1 a.jsonl 2>"$tmp/err" || check "ingest v1"
grep -q "stored as 'v1'" "$tmp/err" || check "ingest says what it stored"
"$bin" map a.jsonl -f json >"$tmp/map-a.json" || check "map a"
"$bin" store show --db "$db" v1 >"$tmp/show-a.json" || check "show v1"
cmp -s "$tmp/map-a.json" "$tmp/show-a.json" || { check "show v1 differs from map"; diff "$tmp/map-a.json" "$tmp/show-a.json" | head -20; }
# any format, and the rendering options
"$bin" store show --db "$db" v1 -f mermaid >"$tmp/show.mmd" || check "show -f mermaid"
head -1 "$tmp/show.mmd" | grep -q '^flowchart LR' || check "mermaid output"
"$bin" store show --db "$db" v1 -o "$tmp/v1.svg" || check "show -o svg"
xmllint --noout "$tmp/v1.svg" 2>/dev/null || check "svg parses as XML"

# merging into a label equals reading both inputs at once
"$bin" store ingest -q --db "$db" --label both a.jsonl 2>"$tmp/err" || check "ingest both (1)"
[ -s "$tmp/err" ] && check "--quiet ingest printed something"
"$bin" store ingest --db "$db" --label both b.jsonl 2>"$tmp/err" || check "ingest both (2)"
grep -q "merged into 'both'" "$tmp/err" || check "second ingest says it merged"
"$bin" map a.jsonl b.jsonl -f json >"$tmp/map-ab.json" || check "map a b"
"$bin" store show --db "$db" both -f json >"$tmp/show-ab.json" || check "show both"
cmp -s "$tmp/map-ab.json" "$tmp/show-ab.json" || { check "merged snapshot differs from the map of both files"; diff "$tmp/map-ab.json" "$tmp/show-ab.json" | head -20; }

# list
"$bin" store ingest -q --db "$db" --label v2 v2.jsonl || check "ingest v2"
"$bin" store list --db "$db" >"$tmp/list.txt" || check "list"
[ "$(awk 'NR > 1 {print $1}' "$tmp/list.txt" | tr '\n' ' ')" = "v1 both v2 " ] || { check "list labels"; cat "$tmp/list.txt"; }
"$bin" store list --db "$db" -f json >"$tmp/list.json" || check "list -f json"
[ "$(jq -r '.[] | select(.label == "both") | .ingests' "$tmp/list.json")" = 2 ] || check "list json: ingests"
[ "$(jq -r '.[] | select(.label == "v1") | .edges' "$tmp/list.json")" = \
  "$(jq '.edges | length' "$tmp/map-a.json" | awk '{print $1 + 1}')" ] || check "list json: edges (map + the client edge)"
jq -e '.[0].created_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' "$tmp/list.json" >/dev/null || check "created_at"

# concurrent ingests into one label wait for each other (BEGIN IMMEDIATE + busy
# timeout) and lose nothing: four at once count four times (the same file each time: --allow-duplicate)
pids=()
for _ in 1 2 3 4; do
    "$bin" store ingest -q --allow-duplicate --db "$db" --label par a.jsonl &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || check "a concurrent ingest failed"; done
[ "$(sqlite3 "$db" "SELECT ingests FROM snapshots WHERE label = 'par'")" = 4 ] || check "concurrent ingests: 4"
[ "$(jq '[.edges[].calls] | add' "$tmp/map-a.json" | awk '{print $1 * 4}')" = \
  "$("$bin" store show --db "$db" par | jq '[.edges[].calls] | add')" ] || check "concurrent ingests: calls x4"
"$bin" store rm --db "$db" par || check "rm par"

# rm
"$bin" store rm --db "$db" both || check "rm both"
"$bin" store show --db "$db" both >/dev/null 2>"$tmp/err"
[ $? = 3 ] || check "show of a removed label: exit 3"
grep -q "no snapshot labelled 'both'" "$tmp/err" || check "show of a removed label: message"
"$bin" store rm --db "$db" both 2>/dev/null
[ $? = 3 ] || check "rm of a missing label: exit 3"
cmp -s "$tmp/show-a.json" <("$bin" store show --db "$db" v1) || check "v1 unchanged by rm of another label"

# a database nobody may write (a downloaded release asset in a read-only folder) is
# read as it is, and changes to it fail with exit 4
mkdir "$tmp/ro"
cp "$db" "$tmp/ro/maps.db"
chmod 444 "$tmp/ro/maps.db"
chmod 555 "$tmp/ro"
chmod 755 "$tmp"
as_reader() { # root writes anything: drop to nobody for this check
    if [ "$(id -u)" = 0 ]; then setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; else "$@"; fi
}
as_reader "$bin" store show --db "$tmp/ro/maps.db" v1 >"$tmp/show-ro.json" 2>"$tmp/err" || { check "show from a read-only database"; cat "$tmp/err"; }
cmp -s "$tmp/show-a.json" "$tmp/show-ro.json" || check "read-only show differs"
as_reader "$bin" store rm --db "$tmp/ro/maps.db" v1 2>/dev/null
[ $? = 4 ] || check "rm in a read-only database: exit 4"
[ "$(ls "$tmp/ro")" = maps.db ] || check "reading left files behind in the read-only folder"

# errors
"$bin" store list --db "$tmp/nope.db" 2>"$tmp/err"
[ $? = 3 ] || check "list of a missing database: exit 3"
grep -q "nope.db: no such database" "$tmp/err" || { check "missing database: message"; cat "$tmp/err"; }
[ -e "$tmp/nope.db" ] && check "list created the missing database"
"$bin" store show --db "$tmp/nope.db" v1 2>/dev/null
[ $? = 3 ] || check "show of a missing database: exit 3"
echo "not a database, just text, long enough to fill a header page......." >"$tmp/text.db"
"$bin" store ingest --db "$tmp/text.db" --label x a.jsonl 2>"$tmp/err"
[ $? = 3 ] || check "ingest into a non-database: exit 3 (issue 11 item 9)"
grep -q "text.db: .*not a svcmap store: not a SQLite database" "$tmp/err" || { check "non-database: message"; cat "$tmp/err"; }
"$bin" store ingest --db "$db" a.jsonl 2>/dev/null
[ $? = 2 ] || check "ingest without --label: exit 2"
"$bin" store frobnicate --db "$db" 2>/dev/null
[ $? = 2 ] || check "unknown action: exit 2"
# a bad input is exit 3 and leaves the database as it was
printf '{"resourceSpans": [' >"$tmp/bad.jsonl"
before=$(sqlite3 "$db" 'SELECT group_concat(label) FROM snapshots')
"$bin" store ingest --db "$db" --label bad --strict bad.jsonl 2>/dev/null
[ $? = 3 ] || check "bad input: exit 3"
[ "$(sqlite3 "$db" 'SELECT group_concat(label) FROM snapshots')" = "$before" ] || check "bad input changed the database"
[ "$(sqlite3 "$db" 'PRAGMA journal_mode')" = wal ] || check "WAL"

exit $fail
