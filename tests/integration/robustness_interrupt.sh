#!/usr/bin/env bash
# robustness_interrupt.sh: an interrupted or failed run leaves no partial output file.
#
# Generates a Jaeger input big enough that `svcmap map` is still reading it after half a
# second (svcmap-gen from the build directory, in $TMPDIR, doubled until it is), then
# for SIGINT, SIGTERM and SIGKILL: starts `svcmap map -o OUT` over an OUT that holds a
# previous map, sends the signal mid-run and checks that the run died of it, that OUT
# still holds the previous map byte for byte and that no temporary file is left next
# to it. Also checks that a run failing on bad input (exit 3) leaves OUT as it was, and
# that `svcmap store ingest` interrupted the same way leaves the database as it was:
# the same labels, the same snapshot, and (when the sqlite3 shell is installed) a
# database that passes PRAGMA integrity_check.
# Arguments: $1 svcmap binary, $2 build directory, $3 source directory.
set -u
bin=$1
build=$2
src=$3
gen=$build/svcmap-gen
tmp=$(mktemp -d "${TMPDIR:-/tmp}/svcmap-interrupt.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
[ -x "$bin" ] || { echo "FAIL: no svcmap binary at $bin"; exit 1; }
[ -x "$gen" ] || { echo "FAIL: no svcmap-gen at $gen (build all targets)"; exit 1; }

out=$tmp/out/map.json
mkdir -p "$tmp/out"
"$bin" map -q -f json -o "$out" "$src/fixtures/conformance/zipkin/zipkin-lens-yelp.json" || {
    echo "FAIL: cannot write the previous map"
    exit 1
}
cp "$out" "$tmp/previous.json"

left_over() { find "$tmp/out" -mindepth 1 ! -name map.json -printf '%f\n'; }

check_intact() { # what
    if ! cmp -s "$out" "$tmp/previous.json"; then
        echo "FAIL: $1: the previous output was changed"
        fail=1
        cp "$tmp/previous.json" "$out"
    fi
    if [ -n "$(left_over)" ]; then
        echo "FAIL: $1: files left next to the output: $(left_over | tr '\n' ' ')"
        fail=1
        find "$tmp/out" -type f ! -name map.json -delete
    fi
}

# a failed run
printf 'this is not a trace export\n' >"$tmp/bad.json"
"$bin" map -q -f json -o "$out" "$tmp/bad.json" 2>"$tmp/err"
st=$?
[ "$st" = 3 ] || { echo "FAIL: bad input: exit status $st, expected 3"; fail=1; }
check_intact "bad input"

# an input that takes long enough to interrupt
mb=16
big=$tmp/big.json
while :; do
    "$gen" bench --format jaeger --bytes "${mb}M" -o "$big" 2>/dev/null || {
        echo "FAIL: svcmap-gen failed"
        exit 1
    }
    start=$(date +%s%N)
    "$bin" map -q -f json "$big" >/dev/null 2>&1
    ms=$((($(date +%s%N) - start) / 1000000))
    [ "$ms" -ge 2000 ] || [ "$mb" -ge 1024 ] && break
    mb=$((mb * 2))
done

# job control: without it, background jobs of a script start with SIGINT ignored
set -m
for sig in INT TERM KILL; do
    "$bin" map -q -f json -o "$out" "$big" 2>"$tmp/err" &
    pid=$!
    sleep 0.5
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "FAIL: SIG$sig: the run ended before the signal (input too small?)"
        fail=1
        wait "$pid"
        continue
    fi
    kill -s "$sig" "$pid"
    wait "$pid"
    st=$?
    want=$((128 + $(kill -l "$sig")))
    [ "$st" = "$want" ] || { echo "FAIL: SIG$sig: exit status $st, expected $want"; fail=1; }
    check_intact "SIG$sig"
done
set +m

# store ingest: a snapshot v1, then interrupted ingests of the big input into v2 (new)
# and into v1 (a merge)
db=$tmp/maps.db
yelp=$src/fixtures/conformance/zipkin/zipkin-lens-yelp.json
if "$bin" store ingest -q --db "$db" --label v1 "$yelp" 2>"$tmp/err"; then
    "$bin" store list --db "$db" -f json >"$tmp/list.before" 2>&1
    "$bin" store show --db "$db" -f json v1 >"$tmp/show.before" 2>&1
    set -m
    for sig in INT TERM KILL; do
        for label in v2 v1; do
            "$bin" store ingest -q --db "$db" --label "$label" "$big" 2>"$tmp/err" &
            pid=$!
            sleep 0.5
            if ! kill -0 "$pid" 2>/dev/null; then
                echo "FAIL: store ingest SIG$sig: the run ended before the signal"
                fail=1
                wait "$pid"
                continue
            fi
            kill -s "$sig" "$pid"
            wait "$pid"
            "$bin" store list --db "$db" -f json >"$tmp/list.after" 2>&1
            "$bin" store show --db "$db" -f json v1 >"$tmp/show.after" 2>&1
            cmp -s "$tmp/list.before" "$tmp/list.after" ||
                { echo "FAIL: store ingest $label SIG$sig: the list of snapshots changed"; fail=1; }
            cmp -s "$tmp/show.before" "$tmp/show.after" ||
                { echo "FAIL: store ingest $label SIG$sig: snapshot v1 changed"; fail=1; }
            if command -v sqlite3 >/dev/null; then
                ok=$(sqlite3 "$db" 'PRAGMA integrity_check;' 2>&1)
                [ "$ok" = ok ] || { echo "FAIL: store ingest $label SIG$sig: integrity_check: $ok"; fail=1; }
            fi
        done
    done
    set +m
else
    echo "FAIL: store ingest of a small file failed:"
    cat "$tmp/err"
    fail=1
fi

# and an uninterrupted run still replaces it
"$bin" map -q -f json -o "$out" "$big" 2>"$tmp/err" || { echo "FAIL: full run failed"; fail=1; }
cmp -s "$out" "$tmp/previous.json" && { echo "FAIL: a full run did not replace the output"; fail=1; }
[ -n "$(left_over)" ] && { echo "FAIL: full run left files: $(left_over)"; fail=1; }

[ "$fail" = 0 ] && echo "ok: interrupted runs leave the previous output intact (${mb} MB input)"
exit "$fail"
