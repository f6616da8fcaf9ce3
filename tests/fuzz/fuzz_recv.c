/* fuzz_recv.c: libFuzzer target for the receiver's request decoder (src/recv/decode.c).
 *
 * The first byte picks the request's shape (path, content type, Content-Encoding; a
 * small body limit half the time, so the gzip bound is reached), the rest is the body.
 * Beyond not crashing, the decoder must keep its promises: a status from the
 * specification's list, a reply body for every failure, spans only with a 2xx, JSON
 * replies that parse, and accepted spans that --save-spans writes (OTLP JSON) read back
 * through the OTLP reader to as many spans. Built with libFuzzer under SVCMAP_FUZZ and
 * always with the replay driver (replay.c), which runs corpus/fuzz_recv/ as a test.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/reader.h"
#include "svcmap/recv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_recv: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {"application/x-protobuf", "application/json",
                                        "application/json; charset=utf-8", "text/plain"};
    struct sm_recv_request req;
    struct sm_recv_reply reply;
    struct sm_batch batch;
    unsigned shape;
    int s;

    if (size < 1)
        return 0;
    shape = data[0];
    memset(&req, 0, sizeof(req));
    req.method = (shape & 0x40) ? "GET" : "POST";
    req.path = (shape & 0x20) ? "/api/v2/spans" : "/v1/traces";
    req.content_type = types[shape & 3];
    req.content_encoding = (shape & 4) ? "gzip" : NULL;
    req.max_body_bytes = (shape & 8) ? 4096 : 0;
    req.body = data + 1;
    req.len = size - 1;
    sm_batch_init(&batch);
    sm_recv_reply_init(&reply);
    sm_recv_decode(&req, &batch, &reply);
    s = reply.http_status;
    if (s != 200 && s != 202 && s != 400 && s != 404 && s != 405 && s != 413 && s != 415)
        fail("a status the specification does not list");
    if (s >= 300 && (batch.len > 0 || reply.body.len == 0 || !reply.content_type))
        fail("a failure with spans or without a reply body");
    if (reply.encoding == SM_RECV_OTLP_JSON) {
        json_t *v = json_loadb(reply.body.data, reply.body.len, 0, NULL);

        if (!v)
            fail("a JSON reply that does not parse");
        json_decref(v);
    }
    if (batch.len > 0) {
        struct sm_buf line;
        struct sm_batch again;
        struct sm_error err;
        json_t *doc;

        sm_buf_init(&line);
        sm_batch_init(&again);
        sm_error_init(&err);
        sm_recv_batch_to_otlp_json(&batch, &line);
        doc = json_loadb(line.data, line.len, 0, NULL);
        if (!doc)
            fail("--save-spans wrote a line that is not JSON");
        if (sm_reader_otlp.parse(NULL, doc, &again, &err) < 0) {
            fprintf(stderr, "%s\n%s\n", err.text, line.data);
            fail("--save-spans wrote spans the OTLP reader refuses");
        }
        if (again.len != batch.len)
            fail("--save-spans lost spans");
        json_decref(doc);
        sm_batch_release(&again);
        sm_buf_release(&line);
    }
    sm_recv_reply_release(&reply);
    sm_batch_release(&batch);
    return 0;
}
