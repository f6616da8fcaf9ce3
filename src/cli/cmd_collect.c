/* cmd_collect.c: `svcmap collect`: an OTLP/HTTP receiver that runs until stopped.
 *
 * Starts the receiver (src/cli/receive.c) on --listen (loopback unless an address is
 * given), ticks it four times a second, and on SIGINT or SIGTERM stops it and writes the
 * map. With --every, a map of the traces linked so far is also written at that interval
 * (atomically, and into --db), so that a crash loses at most one interval.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

static const char usage[] =
    "usage: svcmap collect --listen ADDR:PORT [options] [-o FILE]\n"
    "\n"
    "Receives spans over OTLP/HTTP (POST /v1/traces, protobuf or JSON, gzip or\n"
    "not) and Zipkin (POST /api/v2/spans) until SIGINT or SIGTERM, then writes the\n"
    "service dependency map. Listens on loopback unless ADDR says otherwise.\n";

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cmd_collect(int argc, char **argv)
{
    struct cli_recv_options o;
    struct cli_receiver rc;
    struct sigaction sa;
    char **args = sm_xcalloc((size_t)argc + 1, sizeof(char *));
    int nargs = 0, status;
    int64_t next_write;

    cli_recv_options_init(&o);
    const struct cli_option options[] = {
        OPT_GROUP("options:"),
        OPT_STRING(0, "listen", &o.listen, "ADDR:PORT",
                   "where to listen (e.g. 127.0.0.1:4318, [::1]:4318,\n"
                   "0.0.0.0:4318; ':4318' is loopback)"),
        OPT_CALLBACK(0, "every", &o.every_ms, cli_set_recv_duration, "DURATION",
                     "a duration such as 500ms, 2s or 1m",
                     "also write the map (and the --db snapshot) this often"),
        OPT_INCLUDE(cli_recv_option_table(&o)),
        OPT_END(),
    };

    memset(&rc, 0, sizeof(rc));
    if ((status = cli_options_parse("collect", options, argc, argv, usage, args, &nargs)) >= 0)
        goto out;
    if (nargs > 0) {
        status = cli_usage_error("collect", "unexpected argument '%s'", args[0]);
        goto out;
    }
    if (!o.listen) {
        status = cli_usage_error("collect", "collect needs --listen ADDR:PORT");
        goto out;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if ((status = cli_recv_begin("collect", &o, &rc)))
        goto out;
    if (!o.quiet)
        cli_message("collecting on %s port %u (POST /v1/traces); stop with Ctrl-C",
                    o.recv.address ? o.recv.address : "127.0.0.1", sm_recv_port(rc.recv));
    next_write = now_ms() + o.every_ms;
    while (!stop_signal) {
        struct timespec pause = {0, 250 * 1000000};

        nanosleep(&pause, NULL);
        sm_recv_tick(rc.recv);
        if (o.every_ms && now_ms() >= next_write) {
            struct sm_map map;
            struct sm_error err;

            sm_map_init(&map);
            sm_error_init(&err);
            if (sm_recv_snapshot(rc.recv, &map, &err))
                status = cli_report(&err);
            else
                status = cli_recv_write("collect", &o, &rc, &map);
            sm_map_release(&map);
            if (status) /* a disk that is full now is full at the end too: stop */
                break;
            next_write = now_ms() + o.every_ms;
        }
    }
    if (status == 0) {
        status = cli_recv_end("collect", &o, &rc, true);
    } else {
        cli_recv_end("collect", &o, &rc, false);
    }
out:
    cli_recv_release(&rc);
    cli_recv_options_release(&o);
    free(args);
    return status;
}
