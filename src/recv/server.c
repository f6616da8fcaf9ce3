/* server.c: the OTLP/HTTP receiver: libmicrohttpd in front of a linker.
 *
 * libmicrohttpd runs one internal thread that accepts, reads and answers; the request
 * handler checks a request as soon as its headers are in (token, path, method, content
 * type, Content-Length, pending-span budget) and answers at once when it is refused, so
 * a refused body is never read. Accepted bodies are buffered up to the body limit (and
 * a limit on all buffered bodies together), decoded by sm_recv_decode and handed to the
 * linker under one lock. The caller's thread calls sm_recv_tick: it links traces that
 * have had no new span for trace_idle_ms (marks of the linker's arrival counter, one
 * per tick, tell which spans arrived before then) and shuts down connections that took
 * longer than the request timeout for one request, whose bytes may trickle in slowly
 * enough to keep libmicrohttpd's idle timeout from ever firing.
 */
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "svcmap/recv.h"

/* All bodies being read at once together; past it new bodies get 503. */
#define MAX_BUFFERED_FACTOR 2

struct conn {
    int fd;
    int64_t deadline_ns; /* of the request under way (or the wait for the next) */
    struct conn *prev, *next;
};

struct request {
    struct sm_buf body;
    bool answered;  /* refused early: what still arrives is thrown away */
    bool too_large; /* the body passed the limit: read to its end unkept, then 413 */
};

struct mark {
    int64_t at_ns;
    uint32_t mark;
};

struct sm_recv {
    struct sm_recv_options opt;
    struct MHD_Daemon *daemon;
    unsigned port;
    pthread_mutex_t lock; /* linker, stats, marks */
    struct sm_linker *linker;
    struct sm_map unused; /* the linker's own map: everything leaves by snapshot */
    struct sm_recv_stats stats;
    unsigned formats;
    int64_t start_ns, end_ns;
    struct mark *marks;
    size_t nmarks, marks_cap;
    int64_t linked_at_ns; /* last sm_linker_link_idle: it sorts every waiting span */
    bool stopping;
    /* only the server thread touches these */
    struct sm_batch batch;
    size_t buffered_bytes;
    /* connections, under conn_lock */
    pthread_mutex_t conn_lock;
    struct conn *conns;
};

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void sm_recv_options_init(struct sm_recv_options *opt)
{
    memset(opt, 0, sizeof(*opt));
}

/* ---- answers ---- */

static enum MHD_Result send_reply(struct sm_recv *r, struct MHD_Connection *c,
                                  const struct sm_recv_reply *reply, int retry_after_s)
{
    struct MHD_Response *resp;
    enum MHD_Result ok;
    char secs[32];

    static char empty[1];

    /* MUST_COPY: the buffer is only read, whatever the prototype says */
    resp = MHD_create_response_from_buffer(
        reply->body.len, reply->body.data ? reply->body.data : empty, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", reply->content_type);
    if (reply->http_status == 405)
        MHD_add_response_header(resp, "Allow", "POST");
    if (reply->http_status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    if (retry_after_s > 0) {
        snprintf(secs, sizeof(secs), "%d", retry_after_s);
        MHD_add_response_header(resp, "Retry-After", secs);
    }
    ok = MHD_queue_response(c, (unsigned)reply->http_status, resp);
    MHD_destroy_response(resp);
    pthread_mutex_lock(&r->lock);
    r->stats.requests++;
    if (reply->http_status >= 0 && reply->http_status < 600)
        r->stats.by_status[reply->http_status]++;
    if (reply->http_status == 400)
        r->stats.bad_requests++;
    r->stats.spans_rejected += reply->rejected_spans;
    if (reply->http_status == 200)
        r->stats.spans_bad += reply->rejected_spans;
    pthread_mutex_unlock(&r->lock);
    return ok;
}

static int retry_after_s(const struct sm_recv *r)
{
    int64_t s = (r->opt.trace_idle_ms + 999) / 1000;

    return s < 1 ? 1 : s > 60 ? 60 : (int)s;
}

/* An answer before the body: the body (if any) is never read. */
static enum MHD_Result refuse(struct sm_recv *r, struct MHD_Connection *c, struct request *q,
                              enum sm_recv_encoding enc, int status, const char *message, int retry)
{
    struct sm_recv_reply reply;
    enum MHD_Result ok;

    sm_recv_reply_init(&reply);
    sm_recv_error_reply(&reply, enc, status, message);
    ok = send_reply(r, c, &reply, retry);
    sm_recv_reply_release(&reply);
    q->answered = true;
    return ok;
}

/* Constant time in the token's length, so that a wrong token teaches nothing. */
static bool token_ok(const char *want, const char *header)
{
    size_t n = strlen(want), i;
    unsigned char diff = 0;

    if (!header || strncasecmp(header, "Bearer ", 7))
        return false;
    header += 7;
    while (*header == ' ')
        header++;
    if (strlen(header) != n)
        return false;
    for (i = 0; i < n; i++)
        diff |= (unsigned char)(header[i] ^ want[i]);
    return diff == 0;
}

static bool budget_full(struct sm_recv *r, bool *stopping)
{
    bool full;

    pthread_mutex_lock(&r->lock);
    full = sm_linker_pending(r->linker) >= r->opt.max_pending_spans;
    *stopping = r->stopping;
    pthread_mutex_unlock(&r->lock);
    return full;
}

/* The request's headers are in: refuse it now, or return MHD_YES to read its body
 * (q->answered tells which). */
static enum MHD_Result on_headers(struct sm_recv *r, struct MHD_Connection *c, struct request *q,
                                  const char *url, const char *method)
{
    struct sm_recv_request req;
    struct sm_recv_reply reply;
    const char *length;
    enum MHD_Result ok = MHD_YES;
    bool stopping = false;

    if (r->opt.token &&
        !token_ok(r->opt.token,
                  MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION)))
        return refuse(r, c, q, SM_RECV_NONE, 401, "unauthorized: send Authorization: Bearer TOKEN",
                      0);
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = url;
    req.content_type =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    req.content_encoding =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
    req.max_body_bytes = r->opt.max_body_bytes;
    length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length) {
        unsigned long long n = strtoull(length, NULL, 10);

        req.len = n > SIZE_MAX ? SIZE_MAX : (size_t)n;
    }
    sm_recv_reply_init(&reply);
    if (sm_recv_check(&req, &reply)) {
        ok = send_reply(r, c, &reply, 0);
        q->answered = true;
    } else if (budget_full(r, &stopping) || stopping) {
        ok = refuse(r, c, q, reply.encoding, stopping ? 503 : 429,
                    stopping ? "shutting down" : "too many spans waiting for their traces",
                    retry_after_s(r));
    } else if (r->buffered_bytes > MAX_BUFFERED_FACTOR * r->opt.max_body_bytes) {
        ok = refuse(r, c, q, reply.encoding, 503, "too many request bodies being read at once", 1);
    }
    sm_recv_reply_release(&reply);
    return ok;
}

static void count_spans(struct sm_recv *r, const struct sm_batch *b)
{
    size_t i;

    r->stats.spans_accepted += b->len;
    r->formats |= 1u << b->format;
    for (i = 0; i < b->len; i++) {
        const struct sm_span *sp = &b->spans[i];
        int64_t end;

        if (!sp->start_ns)
            continue;
        end = sp->start_ns;
        if (sp->duration_ns > 0)
            end = sp->duration_ns > INT64_MAX - end ? INT64_MAX : end + sp->duration_ns;
        if (!r->start_ns || sp->start_ns < r->start_ns)
            r->start_ns = sp->start_ns;
        if (end > r->end_ns)
            r->end_ns = end;
    }
}

/* The whole body is in: decode, link, answer. */
static enum MHD_Result on_body(struct sm_recv *r, struct MHD_Connection *c, struct request *q,
                               const char *url, const char *method)
{
    struct sm_recv_request req;
    struct sm_recv_reply reply;
    struct sm_error err;
    enum MHD_Result ok;
    int retry = 0;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = url;
    req.content_type =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    req.content_encoding =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
    req.body = q->body.data ? q->body.data : "";
    req.len = q->body.len;
    req.max_body_bytes = r->opt.max_body_bytes;
    sm_recv_reply_init(&reply);
    sm_batch_reset(&r->batch);
    sm_recv_decode(&req, &r->batch, &reply);
    if (reply.http_status < 300 && r->batch.len > 0) {
        pthread_mutex_lock(&r->lock);
        if (r->stopping || sm_linker_pending(r->linker) >= r->opt.max_pending_spans) {
            /* filled up while the body arrived: the client sends it again */
            reply.rejected_spans = r->batch.len;
            sm_recv_error_reply(&reply, reply.encoding, r->stopping ? 503 : 429,
                                r->stopping ? "shutting down"
                                            : "too many spans waiting for their traces");
            retry = retry_after_s(r);
        } else {
            sm_error_init(&err);
            sm_linker_add(r->linker, &r->batch, &err);
            count_spans(r, &r->batch);
            if (sm_linker_pending(r->linker) > r->stats.peak_pending_spans)
                r->stats.peak_pending_spans = sm_linker_pending(r->linker);
            if (r->opt.on_spans)
                r->opt.on_spans(r->opt.ctx, &r->batch);
        }
        pthread_mutex_unlock(&r->lock);
    }
    ok = send_reply(r, c, &reply, retry);
    sm_recv_reply_release(&reply);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **ctx)
{
    struct sm_recv *r = cls;
    struct request *q = *ctx;

    (void)version;
    if (!q) {
        q = sm_xcalloc(1, sizeof(*q));
        sm_buf_init(&q->body);
        *ctx = q;
        return on_headers(r, c, q, url, method);
    }
    if (q->answered) {
        *size = 0;
        return MHD_YES;
    }
    if (*size) {
        size_t n = *size;

        *size = 0;
        if (q->too_large)
            return MHD_YES;
        if (n > r->opt.max_body_bytes - q->body.len) {
            /* libmicrohttpd takes an answer only before the body or after it: drop what
             * came so far and the rest as it arrives (the request timeout bounds how
             * long), and answer 413 at the end */
            q->too_large = true;
            r->buffered_bytes -= q->body.len;
            sm_buf_release(&q->body);
            return MHD_YES;
        }
        sm_buf_add(&q->body, data, n);
        r->buffered_bytes += n;
        return MHD_YES;
    }
    if (q->too_large) {
        char text[96];

        snprintf(text, sizeof(text), "request body is larger than %zu bytes",
                 r->opt.max_body_bytes);
        return refuse(r, c, q, SM_RECV_NONE, 413, text, 0);
    }
    return on_body(r, c, q, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctx,
                         enum MHD_RequestTerminationCode toe)
{
    struct sm_recv *r = cls;
    struct request *q = *ctx;
    const union MHD_ConnectionInfo *info;

    (void)toe;
    if (q) {
        r->buffered_bytes -= q->body.len;
        sm_buf_release(&q->body);
        free(q);
        *ctx = NULL;
    }
    /* the next request on this connection gets a full timeout of its own */
    info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (info && info->socket_context) {
        struct conn *k = info->socket_context;

        pthread_mutex_lock(&r->conn_lock);
        k->deadline_ns = now_ns() + (int64_t)r->opt.request_timeout_s * 1000000000;
        pthread_mutex_unlock(&r->conn_lock);
    }
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct sm_recv *r = cls;
    struct conn *k = *socket_ctx;

    pthread_mutex_lock(&r->conn_lock);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

        k = sm_xcalloc(1, sizeof(*k));
        k->fd = info ? info->connect_fd : -1;
        k->deadline_ns = now_ns() + (int64_t)r->opt.request_timeout_s * 1000000000;
        k->next = r->conns;
        if (r->conns)
            r->conns->prev = k;
        r->conns = k;
        *socket_ctx = k;
    } else if (k) {
        /* closed: libmicrohttpd closes the socket after this returns, so the watchdog,
         * which holds this lock, never shuts down a reused descriptor */
        if (k->prev)
            k->prev->next = k->next;
        else
            r->conns = k->next;
        if (k->next)
            k->next->prev = k->prev;
        free(k);
        *socket_ctx = NULL;
    }
    pthread_mutex_unlock(&r->conn_lock);
}

/* ---- life ---- */

static int resolve(const char *address, unsigned port, struct sockaddr_storage *out,
                   struct sm_error *err)
{
    struct addrinfo hints, *res = NULL;
    char service[16];
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(service, sizeof(service), "%u", port);
    rc = getaddrinfo(address, service, &hints, &res);
    if (rc != 0 || !res)
        return sm_error_set(err, SM_EUSAGE, "cannot listen on '%s': %s", address,
                            rc ? gai_strerror(rc) : "no address");
    memset(out, 0, sizeof(*out));
    memcpy(out, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

int sm_recv_start(struct sm_recv **out, const struct sm_recv_options *opt, struct sm_error *err)
{
    struct sm_recv *r = sm_xcalloc(1, sizeof(*r));
    struct sockaddr_storage addr;
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    int rc;

    *out = NULL;
    r->opt = *opt;
    if (!r->opt.address)
        r->opt.address = "127.0.0.1";
    if (!r->opt.max_body_bytes)
        r->opt.max_body_bytes = SM_RECV_DEFAULT_MAX_BODY_BYTES;
    if (!r->opt.max_pending_spans)
        r->opt.max_pending_spans = SM_RECV_DEFAULT_MAX_PENDING_SPANS;
    if (!r->opt.max_connections)
        r->opt.max_connections = SM_RECV_DEFAULT_MAX_CONNECTIONS;
    if (!r->opt.request_timeout_s)
        r->opt.request_timeout_s = SM_RECV_DEFAULT_REQUEST_TIMEOUT_S;
    if (!r->opt.trace_idle_ms)
        r->opt.trace_idle_ms = SM_RECV_DEFAULT_TRACE_IDLE_MS;
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->conn_lock, NULL);
    sm_map_init(&r->unused);
    sm_batch_init(&r->batch);
    r->linker = sm_linker_new(&r->unused, &r->opt.link);
    rc = resolve(r->opt.address, r->opt.port, &addr, err);
    if (rc)
        goto fail;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    r->daemon = MHD_start_daemon(
        flags, (uint16_t)r->opt.port, NULL, NULL, on_request, r, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT, r->opt.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, r->opt.request_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)64 * 1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, r,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, r, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
        MHD_OPTION_END);
    if (!r->daemon) {
        rc = sm_error_set(err, SM_ESYSTEM,
                          "cannot listen on %s port %u (in use, or not an "
                          "address of this machine?)",
                          r->opt.address, r->opt.port);
        goto fail;
    }
    info = MHD_get_daemon_info(r->daemon, MHD_DAEMON_INFO_BIND_PORT);
    r->port = info ? info->port : r->opt.port;
    *out = r;
    return 0;
fail:
    sm_recv_free(r);
    return rc;
}

unsigned sm_recv_port(const struct sm_recv *r)
{
    return r->port;
}

void sm_recv_tick(struct sm_recv *r)
{
    int64_t now = now_ns(), idle_before = now - r->opt.trace_idle_ms * 1000000;
    struct conn *k;
    size_t i, use = 0;
    bool found = false;

    pthread_mutex_lock(&r->lock);
    sm_grow(&r->marks, &r->marks_cap, r->nmarks + 1, sizeof(*r->marks));
    r->marks[r->nmarks].at_ns = now;
    r->marks[r->nmarks].mark = sm_linker_mark(r->linker);
    r->nmarks++;
    /* the newest mark taken trace_idle_ms ago or earlier: spans before it are idle */
    for (i = 0; i < r->nmarks && r->marks[i].at_ns <= idle_before; i++) {
        use = i;
        found = true;
    }
    /* once a second is enough: traces wait trace_idle_ms anyway, and each call sorts
     * every waiting span */
    if (found && now - r->linked_at_ns >= 1000000000) {
        r->linked_at_ns = now;
        sm_linker_link_idle(r->linker, r->marks[use].mark);
        memmove(r->marks, r->marks + use, (r->nmarks - use) * sizeof(*r->marks));
        r->nmarks -= use;
    }
    pthread_mutex_unlock(&r->lock);

    pthread_mutex_lock(&r->conn_lock);
    for (k = r->conns; k; k = k->next) {
        if (k->fd >= 0 && now > k->deadline_ns) {
            /* libmicrohttpd sees the connection end and cleans it up itself */
            shutdown(k->fd, SHUT_RDWR);
            k->deadline_ns = INT64_MAX;
            pthread_mutex_lock(&r->lock);
            r->stats.dropped_connections++;
            pthread_mutex_unlock(&r->lock);
        }
    }
    pthread_mutex_unlock(&r->conn_lock);
}

static void add_source(struct sm_recv *r, struct sm_map *out)
{
    out->source.formats |= r->formats;
    out->source.spans += r->stats.spans_accepted;
    out->source.skipped_spans += r->stats.spans_bad;
    if (r->start_ns && (!out->source.start_ns || r->start_ns < out->source.start_ns))
        out->source.start_ns = r->start_ns;
    if (r->end_ns > out->source.end_ns)
        out->source.end_ns = r->end_ns;
}

int sm_recv_snapshot(struct sm_recv *r, struct sm_map *out, struct sm_error *err)
{
    int rc;

    pthread_mutex_lock(&r->lock);
    rc = sm_linker_snapshot(r->linker, out, err);
    if (rc == 0) {
        add_source(r, out);
        /* the spans still waiting are counted once they are linked */
        out->source.spans -= sm_linker_pending(r->linker);
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

int sm_recv_stop(struct sm_recv *r, struct sm_map *out, struct sm_error *err)
{
    int rc;

    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_mutex_unlock(&r->lock);
    if (r->daemon) {
        MHD_stop_daemon(r->daemon);
        r->daemon = NULL;
    }
    pthread_mutex_lock(&r->lock);
    r->stats.pending_spans = sm_linker_pending(r->linker);
    sm_linker_link_idle(r->linker, sm_linker_mark(r->linker));
    rc = sm_linker_snapshot(r->linker, out, err);
    if (rc == 0)
        add_source(r, out);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

void sm_recv_stats(struct sm_recv *r, struct sm_recv_stats *out)
{
    pthread_mutex_lock(&r->lock);
    *out = r->stats;
    if (!r->stopping || r->daemon)
        out->pending_spans = sm_linker_pending(r->linker);
    pthread_mutex_unlock(&r->lock);
}

void sm_recv_free(struct sm_recv *r)
{
    struct conn *k;

    if (!r)
        return;
    if (r->daemon)
        MHD_stop_daemon(r->daemon);
    sm_linker_free(r->linker);
    sm_map_release(&r->unused);
    sm_batch_release(&r->batch);
    free(r->marks);
    while ((k = r->conns)) {
        r->conns = k->next;
        free(k);
    }
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->conn_lock);
    free(r);
}
