# collect.sh: sourced by the receiver tests (not a test itself: ctest runs only the
# scripts directly in tests/integration).

# wait_port LOG: waits up to 5 s for the port `svcmap collect --listen 127.0.0.1:0`
# prints to LOG, its standard error, and sets $port; when none comes, fails the test
# with the log.
wait_port() {
    port=
    for _ in $(seq 1 50); do
        port=$(sed -n 's/.*port \([0-9]*\) .*/\1/p' "$1")
        [ -n "$port" ] && return 0
        sleep 0.1
    done
    echo "FAIL: collect did not start" >&2
    cat "$1" >&2
    exit 1
}
