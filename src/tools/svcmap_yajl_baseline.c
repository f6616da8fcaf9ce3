/* svcmap_yajl_baseline.c: the bare-yajl baseline of the benchmark: one streaming walk.
 *
 * Feeds the whole (decompressed) file through one yajl parser in 1 MiB reads, with
 * callbacks that only count the events: no scanner, no element copies, nothing kept.
 * That is the floor a streaming reader can get near, the row scripts/bench measures
 * `svcmap map -j 1` against (issue 16: at least 40 % of its speed). JSON lines and
 * documents one after another are read as a stream of values. Prints one line of
 * key=value figures; exit status 3 when the file is not JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_parse.h>

#include "svcmap/error.h"
#include "svcmap/input.h"
#include "svcmap/util.h"

#define READ_BYTES ((size_t)1 << 20)

static unsigned long long events;

static int on_event(void *ctx)
{
    (void)ctx;
    events++;
    return 1;
}

static int on_boolean(void *ctx, int b)
{
    (void)b;
    return on_event(ctx);
}

static int on_text(void *ctx, const char *s, size_t len)
{
    (void)s;
    (void)len;
    return on_event(ctx);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    (void)s;
    (void)len;
    return on_event(ctx);
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_event,
    .yajl_boolean = on_boolean,
    .yajl_number = on_text,
    .yajl_string = on_string,
    .yajl_start_map = on_event,
    .yajl_map_key = on_string,
    .yajl_end_map = on_event,
    .yajl_start_array = on_event,
    .yajl_end_array = on_event,
};

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
    fputs("usage: svcmap-yajl-baseline FILE\n"
          "\n"
          "Walks FILE with one streaming yajl parser whose callbacks only count the events:\n"
          "the bare-yajl floor of scripts/bench. Prints events, bytes, seconds and MB/s\n"
          "(10^6 bytes of decompressed input per second).\n",
          out);
}

int main(int argc, char **argv)
{
    struct sm_input *in = NULL;
    struct sm_error err;
    yajl_handle h = NULL;
    yajl_status st = yajl_status_ok;
    unsigned long long bytes = 0;
    unsigned char *buf = NULL;
    double t0, secs;
    int status = 0;

    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc != 2) {
        usage(stderr);
        return 2;
    }
    t0 = now_s();
    sm_error_init(&err);
    if (sm_input_open(&in, argv[1], &err) < 0) {
        char msg[1024];

        sm_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "svcmap-yajl-baseline: %s\n", msg);
        return sm_status_exit_code(err.status);
    }
    buf = sm_xmalloc(READ_BYTES);
    h = yajl_alloc(&callbacks, NULL, NULL);
    if (!h) {
        fputs("svcmap-yajl-baseline: out of memory\n", stderr);
        abort();
    }
    yajl_config(h, yajl_allow_multiple_values, 1);
    for (;;) {
        ssize_t n = sm_input_read(in, buf, READ_BYTES, &err);

        if (n < 0) {
            char msg[1024];

            sm_error_format(&err, msg, sizeof(msg));
            fprintf(stderr, "svcmap-yajl-baseline: %s\n", msg);
            status = sm_status_exit_code(err.status);
            goto out;
        }
        if (n == 0)
            break;
        bytes += (unsigned long long)n;
        st = yajl_parse(h, buf, (size_t)n);
        if (st != yajl_status_ok)
            break;
    }
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st != yajl_status_ok) {
        unsigned char *msg = yajl_get_error(h, 0, NULL, 0);

        fprintf(stderr, "svcmap-yajl-baseline: %s: %s\n", argv[1], (const char *)msg);
        yajl_free_error(h, msg);
        status = 3;
        goto out;
    }
    secs = now_s() - t0;
    if (secs <= 0)
        secs = 1e-9;
    printf("events=%llu bytes=%llu seconds=%.3f MB_per_s=%.1f\n", events, bytes, secs,
           (double)bytes / 1e6 / secs);
out:
    if (h)
        yajl_free(h);
    free(buf);
    sm_input_free(in);
    return status;
}
