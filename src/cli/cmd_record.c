/* cmd_record.c: `svcmap record -- CMD`: run a command and map the spans it sends.
 *
 * Starts the receiver (src/cli/receive.c) on a free loopback port, points the
 * OpenTelemetry SDK variables of CMD's environment at it (OTEL_EXPORTER_OTLP_ENDPOINT,
 * ..._TRACES_ENDPOINT, OTEL_TRACES_EXPORTER=otlp, http/protobuf unless the protocol is
 * set, and Zipkin's endpoint), runs CMD, passes on the signals svcmap is sent, waits for
 * CMD, then a grace period for its last batches, and writes the map. The exit status is
 * CMD's (128 + the signal when a signal ended it), or svcmap's own when svcmap failed.
 * A terminal's Ctrl-C reaches CMD directly (one process group), so that one is not sent
 * again.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
static volatile sig_atomic_t child_pid;

static void forward(int sig, siginfo_t *info, void *uctx)
{
    (void)uctx;
    /* SI_USER/SI_QUEUE: sent by a process to svcmap alone; a terminal's signal
     * (SI_KERNEL) went to the whole foreground group, CMD included */
    if (child_pid > 0 && info && info->si_code <= 0)
        kill((pid_t)child_pid, sig);
}

static const char usage[] =
    "usage: svcmap record [options] [-o FILE] -- CMD [ARGS...]\n"
    "\n"
    "Runs CMD with its OpenTelemetry exporter pointed at a receiver on a free\n"
    "loopback port (OTEL_EXPORTER_OTLP_ENDPOINT and friends), receives its spans\n"
    "over OTLP/HTTP, and when CMD has exited writes the service dependency map.\n"
    "Exits with CMD's status (svcmap's own when svcmap failed). Signals sent to\n"
    "svcmap reach CMD.\n";

static void set_env(const struct cli_recv_options *o, unsigned port)
{
    const char *addr = o->recv.address ? o->recv.address : "127.0.0.1";
    const char *proto = getenv("OTEL_EXPORTER_OTLP_PROTOCOL");
    char base[320], url[352];

    if (!strcmp(addr, "0.0.0.0"))
        addr = "127.0.0.1";
    else if (!strcmp(addr, "::"))
        addr = "::1";
    snprintf(base, sizeof(base), strchr(addr, ':') ? "http://[%s]:%u" : "http://%s:%u", addr, port);
    setenv("OTEL_EXPORTER_OTLP_ENDPOINT", base, 1);
    snprintf(url, sizeof(url), "%s/v1/traces", base);
    setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url, 1);
    snprintf(url, sizeof(url), "%s/api/v2/spans", base);
    setenv("OTEL_EXPORTER_ZIPKIN_ENDPOINT", url, 1);
    setenv("OTEL_TRACES_EXPORTER", "otlp", 1);
    /* gRPC is not spoken here: SDKs that default to it (Python, .NET, the Java SDK)
     * are told http/protobuf unless the protocol was chosen */
    if (!proto || !*proto)
        setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", 1);
    else if (!strcmp(proto, "grpc") && !o->quiet)
        cli_message("warning: OTEL_EXPORTER_OTLP_PROTOCOL=grpc: svcmap receives only "
                    "http/protobuf and http/json");
    if (o->recv.token) {
        char header[512];

        snprintf(header, sizeof(header), "Authorization=Bearer %s", o->recv.token);
        setenv("OTEL_EXPORTER_OTLP_HEADERS", header, 1);
    }
}

static void pause_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};

    while (nanosleep(&t, &t) && errno == EINTR)
        ;
}

int cmd_record(int argc, char **argv)
{
    struct cli_recv_options o;
    struct cli_receiver rc;
    struct sigaction sa, old[sizeof(forwarded) / sizeof(forwarded[0])];
    char **args = sm_xcalloc((size_t)argc + 1, sizeof(char *));
    int nargs = 0, status, cmd_at = -1, i, wstatus = 0, child_status = -1;
    size_t k;
    pid_t pid;
    int64_t waited;

    cli_recv_options_init(&o);
    const struct cli_option options[] = {
        OPT_GROUP("options:"),
        OPT_CALLBACK(0, "grace", &o.grace_ms, cli_set_recv_grace, "DURATION",
                     "a duration from 0 to 1h such as 500ms or 2s",
                     "wait this long after CMD exits for its last batches\n"
                     "(default 1s)"),
        OPT_STRING(0, "listen", &o.listen, "ADDR:PORT",
                   "listen there instead of a free loopback port"),
        OPT_INCLUDE(cli_recv_option_table(&o)),
        OPT_END(),
    };
    memset(&rc, 0, sizeof(rc));
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            cmd_at = i;
            break;
        }
    }
    for (i = 1; i < (cmd_at < 0 ? argc : cmd_at); i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            cmd_at = -1;
    }
    if ((status = cli_options_parse("record", options, cmd_at < 0 ? argc : cmd_at, argv, usage,
                                    args, &nargs)) >= 0)
        goto out;
    if (cmd_at < 0 || cmd_at + 1 >= argc) {
        status = cli_usage_error("record", "record needs a command: svcmap record -o map.svg -- "
                                           "CMD [ARGS...]");
        goto out;
    }
    if (nargs > 0) {
        status = cli_usage_error("record", "unexpected argument '%s' before '--'", args[0]);
        goto out;
    }
    if ((status = cli_recv_begin("record", &o, &rc)))
        goto out;
    set_env(&o, sm_recv_port(rc.recv));
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        cli_message("cannot start '%s': %s", argv[cmd_at + 1], strerror(errno));
        cli_recv_end("record", &o, &rc, false);
        status = 4;
        goto out;
    }
    if (pid == 0) {
        execvp(argv[cmd_at + 1], argv + cmd_at + 1);
        fprintf(stderr, "svcmap: cannot run '%s': %s\n", argv[cmd_at + 1], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    child_pid = pid;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (k = 0; k < sizeof(forwarded) / sizeof(forwarded[0]); k++)
        sigaction(forwarded[k], &sa, &old[k]);
    for (waited = 0;; waited += 100) {
        pid_t got = waitpid(pid, &wstatus, WNOHANG);

        if (got == pid)
            break;
        if (got < 0 && errno != EINTR) {
            cli_message("lost track of '%s': %s", argv[cmd_at + 1], strerror(errno));
            break;
        }
        pause_ms(100);
        if (waited % 250 < 100)
            sm_recv_tick(rc.recv);
    }
    child_pid = 0;
    if (WIFEXITED(wstatus))
        child_status = WEXITSTATUS(wstatus);
    else if (WIFSIGNALED(wstatus))
        child_status = 128 + WTERMSIG(wstatus);
    for (waited = 0; waited < o.grace_ms; waited += 100) {
        pause_ms(100);
        sm_recv_tick(rc.recv);
    }
    status = cli_recv_end("record", &o, &rc, true);
    for (k = 0; k < sizeof(forwarded) / sizeof(forwarded[0]); k++)
        sigaction(forwarded[k], &old[k], NULL);
    if (status == 0)
        status = child_status < 0 ? 4 : child_status;
out:
    cli_recv_release(&rc);
    cli_recv_options_release(&o);
    free(args);
    return status;
}
