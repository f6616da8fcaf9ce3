#!/usr/bin/env bash
# Stores under attack (issue 11, items 6, 7, 8 and 9): --db "" and :memory:, a reader
# without write access while committed changes sit in the WAL, a read-only path that
# starts with '//', several first ingests into a new database at once, and another
# program's database given as --db.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'exec 7>&- 2>/dev/null; chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
fail=0
input=fixtures/conformance/zipkin/zipkin-lens-yelp.json
say() {
    echo "FAIL: $*"
    fail=1
}
as_reader() { # root may write anything: drop to nobody where write access matters
    if [ "$(id -u)" = 0 ]; then setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; else "$@"; fi
}
chmod 755 "$tmp"

# Item 6: no file name, or SQLite's in-memory name, would store nothing.
for db in "" ":memory:"; do
    (cd "$tmp" && "$bin" store ingest -q --db "$db" --label v1 "$OLDPWD/$input") 2>"$tmp/err"
    status=$?
    [ "$status" = 2 ] || say "--db '$db': exit $status, expected 2 ($(cat "$tmp/err"))"
done
[ -z "$(ls -A "$tmp" | grep -v '^err$')" ] || say "--db '' or :memory: left files: $(ls -A "$tmp")"

# Item 7: a reader that may not write the folder, while another connection keeps the
# last ingest in the WAL (sqlite3 holds the database open, so nothing is checkpointed).
mkdir "$tmp/shared"
"$bin" store ingest -q --db "$tmp/shared/maps.db" --label v1 "$input" || say "ingest v1"
mkfifo "$tmp/ctl"
sqlite3 "$tmp/shared/maps.db" <"$tmp/ctl" >/dev/null &
holder=$!
exec 7>"$tmp/ctl"
echo "SELECT count(*) FROM snapshots;" >&7
sleep 0.3
"$bin" store ingest -q --db "$tmp/shared/maps.db" --label v2 "$input" || say "ingest v2"
[ -s "$tmp/shared/maps.db-wal" ] || say "the test needs v2 in the WAL, and it is not"
as_reader "$bin" store list --db "$tmp/shared/maps.db" -f json >"$tmp/list" 2>"$tmp/err" ||
    say "read-only list: exit $? ($(cat "$tmp/err"))"
grep -q '"v2"' "$tmp/list" || say "a read-only reader misses the snapshot committed in the WAL"
as_reader "$bin" store show --db "$tmp/shared/maps.db" -f table v2 >/dev/null 2>"$tmp/err" ||
    say "read-only show of the WAL snapshot: $(cat "$tmp/err")"
# The same through a path that starts with '//' (not a URI authority).
as_reader "$bin" store list --db "/$tmp/shared/maps.db" -f json >"$tmp/list2" 2>"$tmp/err" ||
    say "read-only list of //PATH: $(cat "$tmp/err")"
cmp -s "$tmp/list" "$tmp/list2" || say "read-only list of //PATH differs"
exec 7>&-
wait "$holder"
# Where even the -shm file cannot be made (a read-only folder) but the WAL still holds
# commits, the reader is told so instead of being shown stale snapshots.
mkdir "$tmp/ro"
cp "$tmp/shared/maps.db" "$tmp/ro/maps.db"
"$bin" store ingest -q --db "$tmp/ro/maps.db" --label v3 "$input" || say "ingest v3"
sqlite3 "$tmp/ro/maps.db" "SELECT 1" >/dev/null # checkpointed and the WAL removed on close
chmod 555 "$tmp/ro"
as_reader "$bin" store list --db "/$tmp/ro/maps.db" -f json >"$tmp/list" 2>"$tmp/err" ||
    say "list in a read-only folder: $(cat "$tmp/err")"
grep -q '"v3"' "$tmp/list" || say "list in a read-only folder misses v3"
[ "$(ls -A "$tmp/ro")" = maps.db ] || say "reading left files in the read-only folder"
chmod 755 "$tmp/ro"
printf 'SQLite format 3\0fake frames to say the WAL is not empty' >"$tmp/ro/maps.db-wal"
chmod 555 "$tmp/ro"
as_reader "$bin" store list --db "$tmp/ro/maps.db" >"$tmp/list" 2>"$tmp/err"
status=$?
[ "$status" = 4 ] || say "unreadable WAL: exit $status, expected 4"
grep -q "\-wal" "$tmp/err" || say "unreadable WAL: message '$(cat "$tmp/err")'"
chmod 755 "$tmp/ro"

# Item 8: several first ingests into one new database at once, ten rounds.
for round in $(seq 10); do
    db="$tmp/race$round.db"
    pids=()
    for k in 1 2 3 4 5; do
        "$bin" store ingest -q --db "$db" --label "l$k" "$input" 2>"$tmp/race-err$k" &
        pids+=($!)
    done
    k=1
    for p in "${pids[@]}"; do
        wait "$p" || say "round $round: concurrent first ingest $k failed: $(cat "$tmp/race-err$k")"
        k=$((k + 1))
    done
    n=$("$bin" store list --db "$db" -f json | grep -c '"label"')
    [ "$n" = 5 ] || say "round $round: $n snapshots, expected 5"
done

# Item 9: another program's database is refused by every command (exit 3) and left
# byte for byte as it was: no tables, no user_version, no WAL.
sqlite3 "$tmp/app.sqlite" "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'ada');"
cp "$tmp/app.sqlite" "$tmp/app.orig"
for cmd in "store list" "store show v1" "store rm v1" "store ingest --label v1 $input"; do
    # shellcheck disable=SC2086
    "$bin" $cmd --db "$tmp/app.sqlite" >/dev/null 2>"$tmp/err"
    status=$?
    [ "$status" = 3 ] || say "$cmd on a foreign database: exit $status, expected 3"
    grep -q "not a svcmap store" "$tmp/err" || say "$cmd on a foreign database: '$(cat "$tmp/err")'"
    cmp -s "$tmp/app.sqlite" "$tmp/app.orig" || say "$cmd changed a foreign database"
done
[ -e "$tmp/app.sqlite-wal" ] && say "a foreign database was left with a WAL"
[ "$(sqlite3 "$tmp/app.sqlite" 'PRAGMA journal_mode')" = delete ] || say "a foreign database was switched to WAL"
# A store is marked as svcmap's.
[ "$(sqlite3 "$tmp/race1.db" 'PRAGMA application_id')" = 1937138541 ] || say "a store lacks application_id"
# A read does not create, and does not upgrade: it leaves the file as it was.
"$bin" store list --db "$tmp/new.db" 2>/dev/null
[ $? = 3 ] || say "list of a missing database: not exit 3"
[ -e "$tmp/new.db" ] && say "list created a database"
: >"$tmp/empty.db"
"$bin" store list --db "$tmp/empty.db" 2>"$tmp/err"
[ $? = 3 ] || say "list of an empty file: not exit 3"
[ -s "$tmp/empty.db" ] && say "list wrote into an empty file"
"$bin" store ingest -q --db "$tmp/empty.db" --label v1 "$input" || say "ingest into an empty file"

# The same file twice into one label would double its counts: refused (exit 3, naming
# the file and the first ingest) unless --allow-duplicate; another label is fine, and a
# copy under another name is still the same content.
db="$tmp/dup.db"
"$bin" store ingest -q --db "$db" --label v1 "$input" || say "first ingest"
calls=$("$bin" store list --db "$db" -f json | grep -o '"calls":[0-9]*')
cp "$input" "$tmp/copy.json"
for again in "$input" "$tmp/copy.json"; do
    "$bin" store ingest -q --db "$db" --label v1 "$again" 2>"$tmp/err"
    status=$?
    [ "$status" = 3 ] || say "second ingest of $again: exit $status, expected 3"
    grep -q "already ingested into 'v1'" "$tmp/err" || say "second ingest: message '$(cat "$tmp/err")'"
done
[ "$("$bin" store list --db "$db" -f json | grep -o '"calls":[0-9]*')" = "$calls" ] ||
    say "a refused duplicate changed the counts"
"$bin" store ingest -q --db "$db" --label v1 "$input" "$input" 2>/dev/null
[ $? = 3 ] || say "one file twice in one ingest is not refused"
"$bin" store ingest -q --db "$db" --label v2 "$input" || say "the same file into another label"
"$bin" store ingest -q --db "$db" --label v1 --allow-duplicate "$input" || say "--allow-duplicate"
[ "$("$bin" store list --db "$db" -f json | grep -o '"ingests":[0-9]*' | head -1)" = '"ingests":2' ] ||
    say "--allow-duplicate did not merge"
"$bin" store rm --db "$db" v1 || say "rm v1"
"$bin" store ingest -q --db "$db" --label v1 "$input" || say "ingest after rm is refused"
exit $fail
