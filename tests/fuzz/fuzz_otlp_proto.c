/* fuzz_otlp_proto.c: libFuzzer target for the OTLP protobuf reader (read_otlp_proto.c).
 *
 * The input is taken as one TracesData message: sm_otlp_proto_parse must either accept
 * it, with every span carrying a 32-digit trace id and a 16-digit span id (printed back
 * with sm_span_to_json so that every string is read), or refuse it with a message; the
 * item walk (sm_otlp_proto_next_item + sm_otlp_proto_parse_item) must agree with it.
 * The sniff runs on the whole input and on a head cut at a place the input's last byte
 * picks. Built with libFuzzer under SVCMAP_FUZZ and always with the replay driver
 * (replay.c), which runs corpus/fuzz_otlp_proto/ as a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#include "svcmap/otlp_proto.h"
#include "svcmap/span.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_otlp_proto: %s\n", what);
        abort();
    }
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
    return 0;
}
