#!/usr/bin/env bash
# The receiver's HTTP answers, with curl: every status code the OTLP/HTTP specification
# asks for (200 with partial_success, 400, 404, 405, 413, 415, 429 with Retry-After, 401
# with --token), Zipkin's 202, gzip bodies, a gzip bomb, a body one byte over the limit, a
# client that sends one byte every half second; then the map holds exactly the spans that
# were answered 200.
# Args: $1 svcmap binary, $2 build dir, $3 source dir.
set -u
. "$(dirname "$0")/lib/collect.sh"
bin=$(realpath "$1")
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
fail=0
check() { # name expected actual
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1: expected $2, got $3" >&2
        fail=1
    fi
}
start() { # logfile args...: starts collect on a free port, sets $port and $pid
    local log=$1
    shift
    "$bin" collect --listen 127.0.0.1:0 "$@" 2>"$log" &
    pid=$!
    pids+=($pid)
    wait_port "$log"
}
post() { # path content-type file [curl args]: prints the status; body in $tmp/body
    local path=$1 ct=$2 file=$3
    shift 3
    curl -s -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' -X POST -H "Content-Type: $ct" \
        --data-binary @"$file" "$@" "http://127.0.0.1:$port$path"
}
span() { # trace span parent service kind
    printf '{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"%s"}}]},"scopeSpans":[{"spans":[{"traceId":"%s","spanId":"%s"%s,"name":"op","kind":%s,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000005000000"}]}]}' \
        "$4" "$1" "$2" "${3:+,\"parentSpanId\":\"$3\"}" "$5"
}
# the linker keys a trace by the low 64 bits of its id (Zipkin's 64-bit ids): the traces
# here differ there, or two that wait at once would be linked as one
t1=0af7651916cd43dd8448eb211c80319c
printf '{"resourceSpans":[%s,%s]}' "$(span $t1 b7ad6b7169203331 "" web 3)" \
    "$(span $t1 00f067aa0ba902b7 b7ad6b7169203331 api 2)" >"$tmp/good.json"
printf '{"resourceSpans":[%s,{"resource":{},"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"1"},{"traceId":"xyz","spanId":"2"}]}]}]}' \
    "$(span 1af7651916cd43dd9448eb211c80319c c7ad6b7169203331 "" web 3)" >"$tmp/partial.json"

start "$tmp/log" --max-body 100000 -o "$tmp/map.json" --trace-idle 200ms
check "good JSON" 200 "$(post /v1/traces application/json "$tmp/good.json")"
check "good JSON body" '{}' "$(cat "$tmp/body")"
grep -qi '^content-type: application/json' "$tmp/headers" || { echo "FAIL: reply not JSON" >&2; fail=1; }
check "partial" 200 "$(post /v1/traces 'application/json; charset=utf-8' "$tmp/partial.json")"
check "partial rejected" 2 "$(jq -r '.partialSuccess.rejectedSpans' "$tmp/body")"
jq -e '.partialSuccess.errorMessage | test("traceId")' "$tmp/body" >/dev/null ||
    { echo "FAIL: partial success without the reason" >&2; fail=1; }
printf '{"resourceSpans":[' >"$tmp/bad.json"
check "bad JSON" 400 "$(post /v1/traces application/json "$tmp/bad.json")"
check "bad JSON status code" 3 "$(jq -r .code "$tmp/body")"
check "other path" 404 "$(post /v1/metrics application/json "$tmp/good.json")"
check "GET" 405 "$(curl -s -o /dev/null -D "$tmp/headers" -w '%{http_code}' "http://127.0.0.1:$port/v1/traces")"
grep -qi '^allow: POST' "$tmp/headers" || { echo "FAIL: 405 without Allow" >&2; fail=1; }
check "text/plain" 415 "$(post /v1/traces text/plain "$tmp/good.json")"
check "brotli" 415 "$(post /v1/traces application/json "$tmp/good.json" -H 'Content-Encoding: br')"
# gzip, as the SDKs send it with OTEL_EXPORTER_OTLP_COMPRESSION=gzip
printf '{"resourceSpans":[%s]}' "$(span 2af7651916cd43dda448eb211c80319c d7ad6b7169203331 "" web 2)" |
    gzip -c >"$tmp/good.json.gz"
check "gzip" 200 "$(post /v1/traces application/json "$tmp/good.json.gz" -H 'Content-Encoding: gzip')"
printf 'not gzip at all' >"$tmp/notgz"
check "bad gzip" 400 "$(post /v1/traces application/json "$tmp/notgz" -H 'Content-Encoding: gzip')"
# a gzip bomb: 64 MiB of zeros in some 64 KiB stop at the 100000-byte limit
head -c 67108864 /dev/zero | gzip -c >"$tmp/bomb.gz"
check "gzip bomb" 413 "$(post /v1/traces application/json "$tmp/bomb.gz" -H 'Content-Encoding: gzip')"
# exactly the limit is read (and is bad JSON: 400); one byte more is 413
head -c 100000 /dev/zero | tr '\0' ' ' >"$tmp/limit"
check "body at the limit" 400 "$(post /v1/traces application/json "$tmp/limit")"
head -c 100001 /dev/zero | tr '\0' ' ' >"$tmp/over"
check "one byte over" 413 "$(post /v1/traces application/json "$tmp/over")"
check "one byte over, chunked" 413 "$(post /v1/traces application/json "$tmp/over" -H 'Transfer-Encoding: chunked')"
# gzip that inflates to one byte over
gzip -c "$tmp/over" >"$tmp/over.gz"
check "one byte over after gzip" 413 "$(post /v1/traces application/json "$tmp/over.gz" -H 'Content-Encoding: gzip')"
# protobuf: an ExportTraceServiceRequest of one span (bytes written out by hand: trace
# id, span id, name "x", kind SERVER), answered 200 with an empty response message;
# the same with a 3-byte trace id: partial_success with 1 rejected span; and garbage: 400
# with a google.rpc.Status in protobuf
span_pb() { printf "\\x0a\\x$(printf %02x "$1")"; head -c "$1" /dev/urandom; printf '\x12\x08'; head -c 8 /dev/urandom; printf '\x2a\x01x\x30\x02'; }
{ printf '\x0a\x25\x12\x23\x12\x21'; span_pb 16; } >"$tmp/good.pb"
check "protobuf" 200 "$(post /v1/traces application/x-protobuf "$tmp/good.pb")"
check "protobuf reply" 0 "$(stat -c %s "$tmp/body")"
grep -qi '^content-type: application/x-protobuf' "$tmp/headers" || { echo "FAIL: reply not protobuf" >&2; fail=1; }
{ printf '\x0a\x18\x12\x16\x12\x14'; span_pb 3; } >"$tmp/partial.pb"
check "protobuf partial" 200 "$(post /v1/traces application/x-protobuf "$tmp/partial.pb")"
# ExportTraceServiceResponse{partial_success{rejected_spans: 1, ...}}: 0a LEN 08 01 12 ...
check "protobuf partial reply" "0a 08 01 12" "$(od -An -tx1 -N5 "$tmp/body" | awk '{print $1, $3, $4, $5}')"
printf '\x0a\xff\xff\x01garbage' >"$tmp/bad.pb"
check "bad protobuf" 400 "$(post /v1/traces application/x-protobuf "$tmp/bad.pb")"
check "bad protobuf status" "08 03" "$(od -An -tx1 -N2 "$tmp/body" | xargs)"
# Zipkin v2
printf '[{"traceId":"3af7651916cd43dd","id":"e7ad6b7169203331","kind":"CLIENT","name":"get","localEndpoint":{"serviceName":"web"},"remoteEndpoint":{"serviceName":"legacy"},"timestamp":1700000000000000,"duration":1000}]' >"$tmp/zipkin.json"
check "zipkin" 202 "$(post /api/v2/spans application/json "$tmp/zipkin.json")"
check "zipkin bad" 400 "$(post /api/v2/spans application/json "$tmp/good.json")"
# a client trickling its request one byte every half second is dropped (timeout 1s here)
kill -INT $pid
wait $pid
check "collect status" 0 $?
# 2 + 1 + 1 good OTLP JSON spans, 1 protobuf span and 1 Zipkin span
grep -q 'received 6 spans' "$tmp/log" || { echo "FAIL: counts:" >&2; cat "$tmp/log" >&2; fail=1; }
check "map spans" 6 "$(jq .source.spans "$tmp/map.json")"
check "map edges" '["service:web external:legacy","service:web service:api"]' \
    "$(jq -c '[.edges[] | "\(.from) \(.to)"]' "$tmp/map.json")"

# 429 with Retry-After when the pending-span budget is full; 401 without the token
start "$tmp/log2" --max-pending-spans 1 --trace-idle 60s --token s3cret -o "$tmp/map2.json" --request-timeout 1s
check "no token" 401 "$(post /v1/traces application/json "$tmp/good.json")"
grep -qi '^www-authenticate: Bearer' "$tmp/headers" || { echo "FAIL: 401 without WWW-Authenticate" >&2; fail=1; }
check "wrong token" 401 "$(post /v1/traces application/json "$tmp/good.json" -H 'Authorization: Bearer s3creT')"
check "token" 200 "$(post /v1/traces application/json "$tmp/good.json" -H 'Authorization: Bearer s3cret')"
check "full" 429 "$(post /v1/traces application/json "$tmp/good.json" -H 'Authorization: Bearer s3cret')"
grep -qi '^retry-after: 60' "$tmp/headers" || { echo "FAIL: 429 without Retry-After" >&2; cat "$tmp/headers" >&2; fail=1; }
# slow client: headers trickle in, one byte every half second; the receiver hangs up
# after the 1 s request timeout (the next housekeeping tick), long before the 30 bytes
exec 3<>"/dev/tcp/127.0.0.1/$port"
(for c in $(printf 'POST /v1/traces HTTP/1.1\r\nHost: x' | fold -w1); do printf '%s' "$c" >&3 || exit; sleep 0.5; done) 2>/dev/null &
slow=$!
t0=$(date +%s%N)
timeout 20 cat <&3 >/dev/null
t=$((($(date +%s%N) - t0) / 1000000))
exec 3>&-
kill $slow 2>/dev/null
wait $slow 2>/dev/null
[ "$t" -lt 5000 ] || { echo "FAIL: a slow client held its connection for $t ms" >&2; fail=1; }
kill -TERM $pid
wait $pid
check "collect status on SIGTERM" 0 $?
check "map2 spans" 2 "$(jq .source.spans "$tmp/map2.json")"
# a non-loopback listen warns
timeout 2 "$bin" collect --listen 0.0.0.0:0 -o "$tmp/map3.json" 2>"$tmp/log3"
grep -q 'no authentication' "$tmp/log3" || { echo "FAIL: no warning for 0.0.0.0" >&2; fail=1; }
exit $fail
