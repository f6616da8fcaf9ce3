/* fuzz_otlp_proto.c: libFuzzer target for the OTLP protobuf reader (read_otlp_proto.c).
 *
 * The input is taken as one TracesData message: sm_otlp_proto_parse must either accept
 * it, with every span carrying a 32-digit trace id and a 16-digit span id (printed back
 * with sm_span_to_json so that every string is read), or refuse it with a message; the
 * item walk (sm_otlp_proto_next_item + sm_otlp_proto_parse_item) must agree with it.
 * The sniff runs on the whole input and on a head cut at a place the input's last byte
 * picks. Then the same bytes are read as a file through the format table's otlp-proto
 * row (one streamed message, or file-exporter frames, zstd frames included), with a
 * small message limit, strict and not: every span handed out must have its ids.
 * Built with libFuzzer under SVCMAP_FUZZ and always with the replay driver
 * (replay.c), which runs corpus/fuzz_otlp_proto/ as a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "svcmap/format.h"
#include "svcmap/input.h"
#include "svcmap/otlp_proto.h"
#include "svcmap/span.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_otlp_proto: %s\n", what);
        abort();
    }
}

static int take_batch(void *ctx, struct sm_batch *batch, struct sm_error *err)
{
    size_t i;

    (void)err;
    for (i = 0; i < batch->len; i++) {
        check(batch->spans[i].trace_id && batch->spans[i].span_id, "a span without ids");
        check(batch->spans[i].format == SM_FORMAT_OTLP || batch->spans[i].format == 0,
              "a span of another format");
    }
    *(size_t *)ctx += batch->len;
    return 0;
}

/* The bytes as a file, through the otlp-proto row of the format table. */
static void read_as_file(const uint8_t *data, size_t size, bool strict)
{
    const char *path = fuzz_scratch_file(data, size);
    struct sm_ingest_options opt;
    struct sm_ingest_stats stats;
    struct sm_read_sink sink;
    struct sm_input *in = NULL;
    struct sm_error err;
    size_t spans = 0;
    int rc;

    sm_ingest_options_init(&opt);
    opt.strict = strict;
    opt.limits.max_element_bytes = (size_t)1 << 20;
    memset(&stats, 0, sizeof(stats));
    memset(&sink, 0, sizeof(sink));
    sink.opt = &opt;
    sink.stats = &stats;
    sink.fn = take_batch;
    sink.fn_ctx = &spans;
    sink.file = path;
    sm_error_init(&err);
    if (sm_input_open(&in, path, &err) != 0)
        return;
    rc = sm_format_otlp_proto.read(&sm_format_otlp_proto, in, &sink, &err);
    check(rc == 0 || (rc < 0 && err.text[0]), "a file read failing without a message");
    check(!strict || rc != 0 || stats.skipped_records == 0, "strict skipped a record");
    sm_input_free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sm_batch batch, walked;
    struct sm_error err;
    struct sm_otlp_proto_item item;
    struct sm_buf out;
    size_t i, pos = 0, span_no = 0;
    int rc, wrc = 0, score;

    sm_batch_init(&batch);
    sm_batch_init(&walked);
    sm_buf_init(&out);
    sm_error_init(&err);
    rc = sm_otlp_proto_parse(data, size, &batch, &err);
    check(rc == 0 || (rc == SM_EINPUT && err.text[0]), "a failure without a message");
    if (rc == 0) {
        for (i = 0; i < batch.len; i++) {
            const struct sm_span *s = &batch.spans[i];

            check(s->trace_id && strlen(s->trace_id) == 32, "a trace id not of 32 digits");
            check(s->span_id && strlen(s->span_id) == 16, "a span id not of 16 digits");
            check(!s->parent_id || strlen(s->parent_id) == 16, "a parent id not of 16 digits");
            check(!s->has_duration || s->duration_ns >= 0, "a negative duration");
            sm_span_to_json(s, &out);
        }
    }

    /* the walk item by item reads the same spans and fails where parse fails */
    while ((wrc = sm_otlp_proto_next_item(data, size, &pos, &item, &err)) > 0) {
        wrc = sm_otlp_proto_parse_item(item.data, item.len, &span_no, &walked, &err);
        if (wrc < 0)
            break;
    }
    check((rc == 0) == (wrc == 0), "parse and the item walk disagree");
    check(rc != 0 || walked.len == batch.len, "the item walk read other spans");

    score = sm_otlp_proto_sniff_message(data, size, size);
    check(score >= 0 && score <= 100, "a sniff score out of range");
    if (size > 0)
        sm_otlp_proto_sniff_message(data, data[size - 1] % (size + 1), 0);

    sm_buf_release(&out);
    sm_batch_release(&batch);
    sm_batch_release(&walked);

    read_as_file(data, size, false);
    read_as_file(data, size, true);
    return 0;
}
