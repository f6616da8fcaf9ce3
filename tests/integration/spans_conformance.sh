#!/usr/bin/env bash
# spans_conformance.sh: `svcmap spans` on the conformance corpus, end to end.
#
# Reads every conformance input through the real scanner and ingest loop and checks its
# span count (counted independently with python3's json module and written down here);
# checks that the OTLP and Jaeger copies of one trace print the same spans once the
# fields only one format carries are dropped; and checks mixed formats in one run,
# gzip input, a skipped bad record and --strict.
# Arguments: $1 svcmap binary, $2 build directory, $3 source directory.
set -u
bin=$1
src=$3
dir=$src/fixtures/conformance
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
[ -x "$bin" ] || { echo "FAIL: no svcmap binary at $bin"; exit 1; }

check() { # what, got, expected
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1: got '$2', expected '$3'"
        fail=1
    fi
}

while read -r count file; do
    [ -z "$count" ] && continue
    n=$("$bin" spans "$dir/$file" 2>"$tmp/err" | wc -l)
    check "$file span count" "$n" "$count"
    if [ "$count" -gt 0 ] && [ -s "$tmp/err" ]; then
        echo "FAIL: $file: unexpected messages:"
        cat "$tmp/err"
        fail=1
    fi
done <<'EOF'
17 otlp/agent-servicegraph-trace-sample.json
17 otlp/agent-servicegraph-unpaired-trace-sample.json
4 otlp/jaeger-ui-otlp2jaeger-multi-in.jsonl
8 otlp/kiali-tempo-bookinfo-trace.json
1 otlp/otel-proto-example-trace.json
57 jaeger/jaeger-ui-genai-trace.json
4 jaeger/jaeger-ui-otlp2jaeger-multi-out.json
17 jaeger/jaeger-ui-petclinic-trace.json
11 jaeger/jaeger-ui-tracegraph-testtrace.json
5 jaeger/jaeger-uimodel-ui_01.json
3 zipkin/zipkin-it-mixed-traceid.json
28 zipkin/zipkin-lens-messaging-kafka.json
4 zipkin/zipkin-lens-messaging.json
11 zipkin/zipkin-lens-messaging2.json
5 zipkin/zipkin-lens-simple-db-p6.json
4 zipkin/zipkin-lens-skew.json
1041 zipkin/zipkin-lens-smartthings-mobile-web-install.json
175 zipkin/zipkin-lens-smartthings-oauth-authorization.json
16 zipkin/zipkin-lens-yelp.json
4 zipkin/zipkin-testobjects-trace.json
0 zipkin/linker/058-should-return-empty-by-default.json
4 zipkin/linker/062-should-link-a-trace.json
8 zipkin/linker/076-sum-calls-for-each-call-to-puttrace.json
4 zipkin/linker/103-should-link-spans-when-server-is-missing-its-parentid.json
3 zipkin/linker/121-should-link-spans-when-client-it-never-sent.json
2 zipkin/linker/135-should-link-messaging-spans-by-broker.json
2 zipkin/linker/160-should-not-conflate-messaging-when-they-have-different-broke.json
2 zipkin/linker/185-should-not-link-messaging-spans-missing-broker.json
2 zipkin/linker/206-should-not-link-producer-spans-when-missing-broker.json
2 zipkin/linker/229-should-not-link-consumer-spans-when-missing-broker.json
2 zipkin/linker/253-should-interpret-producer-server-as-rpc.json
2 zipkin/linker/279-should-interpret-producer-server-as-rpc-even-sharing-id.json
2 zipkin/linker/305-should-not-interpret-client-as-producer.json
2 zipkin/linker/329-should-link-spans-directed-by-kind.json
3 zipkin/linker/353-link-calls-to-uninstrumented-servers.json
3 zipkin/linker/384-link-calls-to-uninstrumented-servers-including-errors.json
3 zipkin/linker/421-link-incoming-calls-using-last-rpc-parent-as-service-name.json
2 zipkin/linker/460-should-link-single-host-spans-as-one-call.json
2 zipkin/linker/482-should-link-single-host-spans-as-one-error.json
2 zipkin/linker/511-should-link-shared-rpc-span-as-one-error.json
2 zipkin/linker/540-should-prefer-server-name-in-rpc-link.json
4 zipkin/linker/571-tolerates-missing-localendpoint-between-server-and-client.json
3 zipkin/linker/607-should-not-link-leaf-nodes-when-remote-service-name-is-unkno.json
4 zipkin/linker/635-should-create-links-when-missing-intermediate-endpoint-data.json
3 zipkin/linker/669-should-not-attribute-errors-from-uninstrumented-links.json
2 zipkin/linker/703-should-not-count-annotation-error-as-errorcount.json
2 zipkin/linker/731-should-link-loopback.json
2 zipkin/linker/753-should-treat-remote-service-names-missing-kind-as-rpc.json
6 zipkin/linker/784-should-not-link-root-rpc-spans-missing-both-service-names.json
2 zipkin/linker/826-should-not-link-peer-spans-on-different-hosts-missing-parent.json
2 zipkin/linker/848-should-tolerate-missing-root-span.json
EOF

# The same four spans from the OpenTelemetry SDK and from Jaeger's conversion of them.
# Jaeger alone carries references and keeps microseconds, so refs and format are
# dropped and durations compared in whole microseconds. Times are quoted before jq sees
# them: jq 1.6 holds numbers as doubles, which cannot tell nanoseconds apart.
quote_times='s/"(start_ns|duration_ns)":([0-9]+)/"\1":"\2"/g'
normalize='del(.refs, .format) | .duration_ns |= .[0:-3]'
"$bin" spans "$dir/otlp/jaeger-ui-otlp2jaeger-multi-in.jsonl" | sed -E "$quote_times" |
    jq -cS "$normalize" >"$tmp/otlp"
"$bin" spans "$dir/jaeger/jaeger-ui-otlp2jaeger-multi-out.json" | sed -E "$quote_times" |
    jq -cS "$normalize" >"$tmp/jaeger"
check "otlp2jaeger span lines" "$(wc -l <"$tmp/otlp")" 4
if ! diff -u "$tmp/otlp" "$tmp/jaeger"; then
    echo "FAIL: the OTLP and Jaeger copies of one trace print different spans"
    fail=1
fi

# Several files of mixed formats in one run, one of them gzip-compressed.
gzip -c "$dir/zipkin/zipkin-lens-yelp.json" >"$tmp/yelp.json.gz"
n=$("$bin" spans "$dir/otlp/kiali-tempo-bookinfo-trace.json" "$dir/jaeger/jaeger-uimodel-ui_01.json" \
    "$tmp/yelp.json.gz" | wc -l)
check "mixed formats and gzip" "$n" $((8 + 5 + 16))
n=$("$bin" spans - <"$dir/zipkin/zipkin-lens-skew.json" | wc -l)
check "stdin" "$n" 4
n=$("$bin" spans --input-format zipkin "$dir/zipkin/zipkin-lens-skew.json" | wc -l)
check "--input-format" "$n" 4

# A bad span among good ones: skipped with its place, the rest printed, exit 0 (a
# non-hex id such as "xyz" is an opaque id, not a bad one: a number is bad).
printf '[\n{"traceId":"a","id":"1"},\n  {"traceId":7,"id":"2"},\n{"traceId":"a","id":"3"}\n]\n' \
    >"$tmp/bad.json"
"$bin" spans "$tmp/bad.json" >"$tmp/out" 2>"$tmp/err"
check "bad record status" "$?" 0
check "bad record spans" "$(wc -l <"$tmp/out")" 2
check "bad record message" "$(head -1 "$tmp/err")" \
    "svcmap: $tmp/bad.json:3:3: span 1: \"traceId\" must be a string, got a number (record skipped)"
"$bin" spans --strict "$tmp/bad.json" >"$tmp/out" 2>"$tmp/err"
check "--strict status" "$?" 3
check "--strict message" "$(cat "$tmp/err")" \
    "svcmap: $tmp/bad.json:3:3: span 1: \"traceId\" must be a string, got a number"

# An unreadable file does not keep the next one from being printed; the status says so.
"$bin" spans "$tmp/missing.json" "$dir/zipkin/zipkin-lens-skew.json" >"$tmp/out" 2>"$tmp/err"
check "missing file status" "$?" 3
check "missing file, next file spans" "$(wc -l <"$tmp/out")" 4

exit $fail
