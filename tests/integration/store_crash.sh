#!/usr/bin/env bash
# store_crash.sh: kill -9 an ingest at random moments; the database must not notice.
#
# A database holds two shop snapshots and a large one ("victim"). Then, up to 20 times
# (and at most about two minutes), an ingest of a large map (2,500 edges, so that most
# of its run is the database transaction) is started, into the victim label (a merge)
# or into a fresh label, and killed with SIGKILL after a random delay drawn from its
# measured run time. Afterwards: PRAGMA integrity_check says ok; the shop snapshots read
# back byte for byte as before; the victim equals a clean database that received exactly
# as many ingests as the victim's committed counter says; every fresh label that exists
# is complete (equal to a clean single ingest) and the ones whose ingest died are absent.
set -u
bin=$1
build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {
    echo "FAIL: $1" >&2
    fail=1
}
now_ms() { date +%s%3N; }

gen=$build/svcmap-gen
"$gen" shop --format otlp --variant v1 --seed 1 -o "$tmp/v1.jsonl" 2>/dev/null || exit 1
"$gen" shop --format otlp --variant v2 --seed 2 -o "$tmp/v2.jsonl" 2>/dev/null || exit 1
"$gen" bigmap --format otlp --services 300 --edges 2500 --calls 3 --seed 5 \
    -o "$tmp/big.jsonl" 2>/dev/null || exit 1
# the large map as a document: reading it is quick, so kills land in the transaction
"$bin" map -q "$tmp/big.jsonl" -f json -o "$tmp/big.json" || exit 1
"$gen" shop --format otlp --variant v2 --traces 1500 --seed 9 -o "$tmp/mid.jsonl" 2>/dev/null || exit 1

db=$tmp/maps.db
"$bin" store ingest -q --db "$db" --label v1 "$tmp/v1.jsonl" || check "ingest v1"
"$bin" store ingest -q --db "$db" --label v2 "$tmp/v2.jsonl" || check "ingest v2"
"$bin" store ingest -q --db "$db" --label victim "$tmp/big.json" || check "ingest victim"
for l in v1 v2; do
    "$bin" store show --db "$db" "$l" -f json >"$tmp/before-$l.json" || check "show $l"
done

# how long one ingest (a merge, for the document) of each input takes here, to spread
# the kills over it
"$bin" store ingest -q --db "$tmp/timing.db" --label t "$tmp/big.json" || check "timing ingest"
t0=$(now_ms)
"$bin" store ingest -q --allow-duplicate --db "$tmp/timing.db" --label t "$tmp/big.json" || check "timing ingest"
t1=$(now_ms)
"$bin" store ingest -q --db "$tmp/timing.db" --label u "$tmp/mid.jsonl" || check "timing ingest"
t2=$(now_ms)
big_ms=$((t1 - t0 + 20))
mid_ms=$((t2 - t1 + 20))
echo "one ingest: large map document $big_ms ms, traces $mid_ms ms"

killed=0
completed=0
fresh_big=()
fresh_mid=()
start=$SECONDS
for i in $(seq 1 20); do
    [ $((SECONDS - start)) -lt 120 ] || break
    case $((i % 4)) in
    0 | 2) label=victim input=$tmp/big.json ms=$big_ms ;;
    1) label=fresh-$i input=$tmp/big.json ms=$big_ms ;;
    3) label=fresh-$i input=$tmp/mid.jsonl ms=$mid_ms ;;
    esac
    # a delay in [0.3, 1.2) x the run time, in milliseconds: reading the input comes
    # first, the transaction last, and the kills should land in both
    delay=$((ms * 3 / 10 + RANDOM * ms * 9 / 10 / 32768))
    "$bin" store ingest -q --allow-duplicate --db "$db" --label "$label" "$input" &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    kill -9 "$pid" 2>/dev/null
    { wait "$pid"; } 2>/dev/null
    status=$?
    if [ $status = 0 ]; then
        completed=$((completed + 1))
    elif [ $status = 137 ]; then
        killed=$((killed + 1))
    else
        check "ingest $i ended with status $status"
    fi
    case $label in
    fresh-*) if [ "$input" = "$tmp/big.json" ]; then fresh_big+=("$label"); else fresh_mid+=("$label"); fi ;;
    esac
done
echo "$killed ingests killed, $completed completed"
[ $killed -gt 0 ] || check "no ingest was killed: nothing was tested"

# the database is whole
ic=$(sqlite3 "$db" 'PRAGMA integrity_check')
[ "$ic" = ok ] || check "integrity_check: $ic"

# earlier snapshots unchanged
for l in v1 v2; do
    "$bin" store show --db "$db" "$l" -f json >"$tmp/after-$l.json" || check "show $l after"
    cmp -s "$tmp/before-$l.json" "$tmp/after-$l.json" || check "snapshot $l changed"
done

# the victim holds exactly its committed ingests, merged
n=$(sqlite3 "$db" "SELECT ingests FROM snapshots WHERE label = 'victim'")
ref=$tmp/ref.db
for _ in $(seq 1 "$n"); do
    "$bin" store ingest -q --allow-duplicate --db "$ref" --label victim "$tmp/big.json" || check "reference ingest"
done
"$bin" store show --db "$db" victim -f json >"$tmp/victim.json" || check "show victim"
"$bin" store show --db "$ref" victim -f json >"$tmp/victim-ref.json" || check "show reference victim"
cmp -s "$tmp/victim.json" "$tmp/victim-ref.json" || check "victim ($n ingests) differs from $n clean ingests"

# fresh labels: complete or absent
"$bin" store ingest -q --db "$ref" --label one-big "$tmp/big.json" || check "reference big"
"$bin" store ingest -q --db "$ref" --label one-mid "$tmp/mid.jsonl" || check "reference mid"
"$bin" store show --db "$ref" one-big -f json >"$tmp/one-big.json"
"$bin" store show --db "$ref" one-mid -f json >"$tmp/one-mid.json"
present=0
for kind in big mid; do
    if [ $kind = big ]; then labels=("${fresh_big[@]}"); else labels=("${fresh_mid[@]}"); fi
    for l in "${labels[@]}"; do
        exists=$(sqlite3 "$db" "SELECT count(*) FROM snapshots WHERE label = '$l'")
        [ "$exists" = 0 ] && continue
        present=$((present + 1))
        "$bin" store show --db "$db" "$l" -f json >"$tmp/fresh.json" || check "show $l"
        cmp -s "$tmp/fresh.json" "$tmp/one-$kind.json" || check "fresh label $l is incomplete"
    done
done
# no rows without a snapshot (a half-written snapshot would leave some)
orphans=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM nodes WHERE snapshot_id NOT IN (SELECT id FROM snapshots))
    + (SELECT count(*) FROM edges WHERE snapshot_id NOT IN (SELECT id FROM snapshots))")
[ "$orphans" = 0 ] || check "$orphans orphan rows"
echo "victim: $n committed ingests; fresh labels present: $present"
exit $fail
