/* link.c: trace assembly and the edge rules: from spans to calls between nodes.
 *
 * Every span becomes a compact record (struct rec, 80 bytes) whose strings are interned
 * ids, and waits in one array until its trace is finished: at sm_linker_finish, or, for
 * records of trace-grouped inputs, when the window of waiting spans is full and its
 * trace has been idle longest (link.h states the rule). Linking a trace follows the shape of
 * Zipkin's DependencyLinker: duplicates and split client/server halves are merged, a tree is built
 * (spans whose parent is missing hang from the root, or from a synthetic root), and a
 * breadth-first walk turns each remote span into at most one call. On top of that svcmap
 * names peers that send no spans (databases, queues, external APIs), links producers and
 * consumers through queue nodes, links kind-less spans across services, takes failures
 * from status, error tags and HTTP codes, and records latency from both sides.
 *
 * Calls are first added up in an internal table keyed by interned names, because whether
 * a peer is an instrumented service or an external one is known only at the end; the
 * finish step turns that table into map nodes and edges.
 */
/* madvise's MADV_POPULATE_WRITE is not POSIX */
#define _DEFAULT_SOURCE
#include "svcmap/link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "critical.h"
#include "pages.h"
#include "svcmap/hexid.h"

#define NO_NAME 0u
#define NONE    ((size_t)-1)

enum rec_flags {
    REC_ERROR = 1 << 0,
    REC_SHARED = 1 << 1,
    REC_HAS_DURATION = 1 << 2,
    REC_PEER_DB = 1 << 3,
    REC_PEER_QUEUE = 1 << 4,
    REC_HTTP_4XX = 1 << 5,
    REC_HTTP_5XX = 1 << 6,
    REC_LOOSE = 1 << 7, /* from an input in no particular order: waits until the end */
};

/* One span as the linker needs it: 80 bytes. */
struct rec {
    uint64_t trace_key;  /* low 64 bits of a hex trace id, else a hash */
    uint64_t trace_hi;   /* the high 64 bits of a 128-bit hex id; 0 for a shorter one */
    uint64_t span_key;   /* never 0 */
    uint64_t parent_key; /* 0: no parent */
    int64_t duration_ns;
    int64_t start_ns; /* 0: unknown; for the critical path (critical.c) */
    uint32_t service; /* interned local service name */
    uint32_t remote;  /* interned Zipkin remoteEndpoint.serviceName */
    uint32_t peer;    /* interned peer name by DESIGN rule 3 */
    uint32_t peer_system;
    uint32_t seq;      /* arrival order within the run, for a stable sort */
    uint32_t op;       /* interned span name, only with by_operation */
    uint32_t endpoint; /* interned (service, address): the local endpoint's identity;
                          equal to service when the span has no address */
    uint8_t kind;
    uint8_t flags;
    uint8_t pad[2];
};

/* DESIGN's budget is 100 bytes per waiting span; docs/performance.md says what it is. */
_Static_assert(sizeof(struct rec) == 80, "a waiting span costs 80 bytes");

/* Interned strings: id 0 is "no name". */
struct intern {
    char **strs;
    size_t len, cap;
    uint32_t *slots; /* id per slot, 0 empty */
    size_t nslots;
};

/* Aggregated calls between two named ends. A kind of -1 is "service or external,
 * decided at the end". */
struct agg_key {
    int from_kind;
    uint32_t from;
    int to_kind;
    uint32_t to;
    int edge_kind; /* -1: derived from the node kinds */
};

struct agg {
    struct agg_key key;
    uint64_t calls, errors;
    struct sm_sketch client, server;
};

/* Trace keys (low, high half) linked before the end of the input, to tell spans that
 * arrive later (late spans) from new traces: open addressing by the low half, so that
 * every key with one low half sits on one probe path. */
struct linked_set {
    uint64_t *lo, *hi;
    uint8_t *used;
    size_t len, cap; /* cap: a power of 2, or 0 */
};

/* Trace keys per generation of the set of traces linked early: late spans are told
 * apart for at least the last 131,072 traces linked early, at most 2 generations of
 * 2^18 slots of 17 bytes (9 MB). */
#define EARLY_GENERATION ((size_t)1 << 17)

/* A run of waiting records with one low trace key, and the age of its newest record. */
struct group {
    size_t start, len;
    uint32_t newest_age;
    bool link;
};

struct service_info {
    uint32_t namespace_, version;
    uint64_t entry_calls;
    bool seen;
};

struct sm_linker {
    struct sm_map *map;
    struct sm_link_options opt;
    struct intern names;
    struct rec *pending;         /* every waiting record, loose or from trace-grouped inputs */
    struct sm_pages pending_mem; /* where pending is: pending_cap records */
    uintptr_t prefault_base, prefault_end; /* pending's pages mapped ahead (prefault) */
    size_t page_bytes;                     /* 0: no prefaulting */
    size_t npending, pending_cap;
    size_t nloose;        /* waiting records with REC_LOOSE */
    size_t window_spans;  /* opt.window_spans or the default */
    struct group *groups; /* scratch of link_window */
    struct rec *gathered; /* scratch: one trace's records, copied in order */
    size_t gathered_cap;
    size_t groups_cap;
    /* traces linked by link_window, in two generations: early[cur] fills up to
     * EARLY_GENERATION keys, then replaces the older one, so memory stays bounded
     * however many tiny traces an input holds */
    struct linked_set early[2];
    int cur;
    uint64_t late; /* spans of those traces that arrived afterwards, not linked */
    uint32_t seq;
    struct agg *aggs;
    size_t naggs, aggs_cap;
    size_t *agg_slots; /* index + 1 */
    size_t nagg_slots;
    struct service_info *services; /* indexed by interned id */
    size_t services_cap;
    /* DESIGN rule 3: for a peer name made from a host field with a port
     * ("checkout:8080"), the host alone ("checkout"); indexed by interned id, 0: none */
    uint32_t *host_of;
    size_t host_of_cap;
    uint64_t traces;
    uint64_t unresolved;
    uint64_t oversized; /* traces over max_trace_spans, not linked */
    bool failed;        /* strict: an oversized trace; fail_err says which */
    struct sm_error fail_err;
    size_t max_trace_spans;
    /* scratch for linking one trace */
    size_t *parent, *child_start, *children, *queue;
    uint8_t *used_client;
    size_t scratch_cap;
    struct slot *key_slots;
    size_t key_slots_cap;
    /* critical paths (NULL with no_critical), and their per-trace scratch */
    struct sm_crit *crit;
    struct sm_crit_span *crit_spans;
    size_t crit_cap;
};

/* ---- interning ---- */

/* Only where a name sits in the table depends on this (ids go in order of first use),
 * so it reads the name a word at a time: every span interns three to five names. */
static uint64_t name_hash(const char *s)
{
    size_t len = strlen(s), i;
    uint64_t h = len, w;

    for (i = 0; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 32;
    }
    if (i < len) {
        w = 0;
        memcpy(&w, s + i, len - i);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    }
    return sm_mix64(h);
}

static uint32_t intern(struct intern *t, const char *s)
{
    uint64_t h;
    size_t i;

    if (!s || !*s)
        return NO_NAME;
    if ((t->len + 1) * 2 >= t->nslots) {
        size_t n = t->nslots ? t->nslots * 2 : 256;
        uint32_t *slots = sm_xcalloc(n, sizeof(uint32_t));

        for (i = 1; i < t->len; i++) {
            size_t j = name_hash(t->strs[i]) & (n - 1);

            while (slots[j])
                j = (j + 1) & (n - 1);
            slots[j] = (uint32_t)i;
        }
        free(t->slots);
        t->slots = slots;
        t->nslots = n;
    }
    if (t->len == 0) {
        sm_grow(&t->strs, &t->cap, 1, sizeof(char *));
        t->strs[0] = NULL;
        t->len = 1;
    }
    h = name_hash(s);
    i = h & (t->nslots - 1);
    while (t->slots[i]) {
        if (!strcmp(t->strs[t->slots[i]], s))
            return t->slots[i];
        i = (i + 1) & (t->nslots - 1);
    }
    sm_grow(&t->strs, &t->cap, t->len + 1, sizeof(char *));
    t->strs[t->len] = sm_xstrdup(s);
    t->slots[i] = (uint32_t)t->len;
    return (uint32_t)t->len++;
}

static const char *name_of(const struct sm_linker *l, uint32_t id)
{
    return id ? l->names.strs[id] : NULL;
}

/* ---- ids ---- */

/* One more than the value of each hex digit; 0 for every other byte (the NUL too). */
static const unsigned char hex_digit1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* Hex ids of up to 32 digits: the value of the last 16 digits, and in *hi (may be NULL)
 * the value of the digits before them, 0 for a 64-bit id (a 64-bit id and the low half
 * of a 128-bit one compare equal, DESIGN rule 1; the high half tells 128-bit ids apart).
 * Anything else: a hash, with *hi 0. One pass over the id: every span has three, so
 * this runs for every span (it was a strlen, a validating pass and a value pass). */
static uint64_t id_key2(const char *id, uint64_t *hi)
{
    const unsigned char *p = (const unsigned char *)id;
    uint64_t v = 0, h = 0;
    size_t len = 0;
    unsigned d;

    if (hi)
        *hi = 0;
    if (!id || !*id)
        return 0;
    len = strlen(id);
    if (len == 16 || len == 32) {
        /* the ids the readers normalized: whole words of digits (all zero, or a high
         * half that is not hex: hashed below) */
        if (sm_hex_value16(id + len - 16, &v) && (len == 16 || sm_hex_value16(id, &h)) && v) {
            if (hi)
                *hi = h;
            return v;
        }
        v = sm_hash_str(id);
        return v ? v : 1;
    }
    len = 0;
    /* the digits shift through v into h: after the loop v holds the last 16, h the
     * ones before (at most 16 of them, or the id is hashed) */
    while ((d = hex_digit1[p[len]]) != 0) {
        h = (h << 4) | (v >> 60);
        v = (v << 4) | (d - 1);
        if (++len > 32)
            break;
    }
    if (!p[len] && len <= 32 && v) {
        if (hi)
            *hi = h;
        return v;
    }
    v = sm_hash_str(id);
    return v ? v : 1;
}

static uint64_t id_key(const char *id)
{
    return id_key2(id, NULL);
}

/* ---- DESIGN rule 3: the name of a peer that may send no spans ---- */

/* The host of a "host:port" name: its length without a trailing ":digits" (an IPv6
 * address keeps its colons unless bracketed), or the whole length. */
static size_t host_length(const char *name)
{
    size_t len = strlen(name), i = len, colons = 0;

    while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
        i--;
    if (i == len || i < 2 || name[i - 1] != ':')
        return len;
    for (size_t k = 0; k < i; k++)
        colons += name[k] == ':';
    if (colons > 1 && name[i - 2] != ']')
        return len;
    return i - 1;
}

/* The peer's name; *from_host is true when it came from a host field (server.address,
 * net.peer.name, http.host), whose host alone may name an instrumented service. */
static const char *peer_name(const struct sm_span *s, char *tmp, size_t tmpsize, bool *from_host)
{
    *from_host = false;
    if (s->remote_service)
        return s->remote_service;
    if (s->peer_service)
        return s->peer_service;
    if (s->db_system) {
        if (s->db_namespace)
            return s->db_namespace;
        if (s->db_name)
            return s->db_name;
        return s->db_system;
    }
    if (s->messaging_system) {
        if (s->messaging_destination)
            return s->messaging_destination;
        return s->messaging_system;
    }
    *from_host = s->server_address || s->net_peer_name || s->http_host;
    if (s->server_address) {
        if (s->server_port) {
            size_t a = strlen(s->server_address), b = strlen(s->server_port);

            if (a + b + 2 <= tmpsize) {
                memcpy(tmp, s->server_address, a);
                tmp[a] = ':';
                memcpy(tmp + a + 1, s->server_port, b + 1);
                return tmp;
            }
        }
        return s->server_address;
    }
    if (s->net_peer_name)
        return s->net_peer_name;
    if (s->http_host)
        return s->http_host;
    return NULL;
}

/* ---- the aggregate table ---- */

static uint64_t agg_hash(const struct agg_key *k)
{
    uint64_t a = ((uint64_t)k->from << 32) | k->to;
    uint64_t b = ((uint64_t)(uint8_t)k->from_kind << 16) | ((uint64_t)(uint8_t)k->to_kind << 8) |
                 (uint64_t)(uint8_t)k->edge_kind;

    return sm_mix64(a ^ sm_mix64(b));
}

static bool agg_key_eq(const struct agg_key *a, const struct agg_key *b)
{
    return a->from_kind == b->from_kind && a->from == b->from && a->to_kind == b->to_kind &&
           a->to == b->to && a->edge_kind == b->edge_kind;
}

static struct agg *agg_get(struct sm_linker *l, int from_kind, uint32_t from, int to_kind,
                           uint32_t to, int edge_kind)
{
    struct agg_key k;
    size_t i;

    memset(&k, 0, sizeof(k));
    k.from_kind = from_kind;
    k.from = from;
    k.to_kind = to_kind;
    k.to = to;
    k.edge_kind = edge_kind;
    if ((l->naggs + 1) * 2 >= l->nagg_slots) {
        size_t n = l->nagg_slots ? l->nagg_slots * 2 : 64;

        free(l->agg_slots);
        l->agg_slots = sm_xcalloc(n, sizeof(size_t));
        l->nagg_slots = n;
        for (i = 0; i < l->naggs; i++) {
            size_t j = agg_hash(&l->aggs[i].key) & (n - 1);

            while (l->agg_slots[j])
                j = (j + 1) & (n - 1);
            l->agg_slots[j] = i + 1;
        }
    }
    i = agg_hash(&k) & (l->nagg_slots - 1);
    while (l->agg_slots[i]) {
        struct agg *a = &l->aggs[l->agg_slots[i] - 1];

        if (agg_key_eq(&a->key, &k))
            return a;
        i = (i + 1) & (l->nagg_slots - 1);
    }
    sm_grow(&l->aggs, &l->aggs_cap, l->naggs + 1, sizeof(*l->aggs));
    l->agg_slots[i] = l->naggs + 1;
    memset(&l->aggs[l->naggs], 0, sizeof(struct agg));
    l->aggs[l->naggs].key = k;
    sm_sketch_init(&l->aggs[l->naggs].client);
    sm_sketch_init(&l->aggs[l->naggs].server);
    return &l->aggs[l->naggs++];
}

#define RESOLVE (-1)

/* One call from -> to. Latencies are taken from the given records (NULL: none). */
static void add_call(struct sm_linker *l, int from_kind, uint32_t from, int to_kind, uint32_t to,
                     int edge_kind, bool error, const struct rec *client, const struct rec *server)
{
    struct agg *a;

    if (from == NO_NAME || to == NO_NAME)
        return;
    a = agg_get(l, from_kind, from, to_kind, to, edge_kind);
    a->calls++;
    if (error)
        a->errors++;
    if (client && (client->flags & REC_HAS_DURATION))
        sm_sketch_add(&a->client, (double)client->duration_ns / 1e6);
    if (server && (server->flags & REC_HAS_DURATION))
        sm_sketch_add(&a->server, (double)server->duration_ns / 1e6);
}

/* ---- public: lifecycle and intake ---- */

static uint32_t why_group(void *ctx, int kind, uint32_t name);

struct sm_linker *sm_linker_new(struct sm_map *map, const struct sm_link_options *opt)
{
    struct sm_linker *l = sm_xcalloc(1, sizeof(*l));
    long page = sysconf(_SC_PAGESIZE);

    l->map = map;
    sm_pages_init(&l->pending_mem);
    if (opt)
        l->opt = *opt;
    l->max_trace_spans =
        l->opt.max_trace_spans ? l->opt.max_trace_spans : SM_DEFAULT_MAX_TRACE_SPANS;
    if (!l->opt.no_critical) {
        l->crit = sm_crit_new(l->opt.slowest_pct > 0.0 && l->opt.slowest_pct < 100.0);
        sm_crit_set_group(l->crit, why_group, l);
    }
    l->window_spans = l->opt.window_spans ? l->opt.window_spans : SM_DEFAULT_WINDOW_SPANS;
    /* a power of two, or no prefaulting */
    if (page > 0 && !((unsigned long)page & ((unsigned long)page - 1)))
        l->page_bytes = (size_t)page;
    return l;
}

size_t sm_linker_record_bytes(void)
{
    return sizeof(struct rec);
}

uint64_t sm_linker_oversized_traces(const struct sm_linker *l)
{
    return l->oversized;
}

uint64_t sm_linker_late_spans(const struct sm_linker *l)
{
    return l->late;
}

size_t sm_linker_pending(const struct sm_linker *l)
{
    return l->npending;
}

static struct service_info *service_info(struct sm_linker *l, uint32_t id)
{
    if (id >= l->services_cap) {
        size_t old = l->services_cap, n = old ? old : 64;

        while (n <= id)
            n *= 2;
        l->services = sm_xrealloc(l->services, n * sizeof(*l->services));
        memset(l->services + old, 0, (n - old) * sizeof(*l->services));
        l->services_cap = n;
    }
    return &l->services[id];
}

static bool is_remote_kind(uint8_t kind)
{
    return kind == SM_KIND_SERVER || kind == SM_KIND_CLIENT || kind == SM_KIND_PRODUCER ||
           kind == SM_KIND_CONSUMER;
}

/* Remembers the host of a peer named "host:port" (see host_of). */
static void note_host(struct sm_linker *l, uint32_t peer, const char *name)
{
    size_t n;
    char host[512];

    if (!peer || (peer < l->host_of_cap && l->host_of[peer]))
        return; /* known already: every client span of a peer names it */
    n = host_length(name);
    if (n == strlen(name) || n == 0 || n >= sizeof(host))
        return;
    if (peer >= l->host_of_cap) {
        size_t old = l->host_of_cap, cap = old ? old : 64;

        while (cap <= peer)
            cap *= 2;
        l->host_of = sm_xrealloc(l->host_of, cap * sizeof(*l->host_of));
        memset(l->host_of + old, 0, (cap - old) * sizeof(*l->host_of));
        l->host_of_cap = cap;
    }
    memcpy(host, name, n);
    host[n] = '\0';
    /* interning may grow the table of names, not host_of */
    l->host_of[peer] = intern(&l->names, host);
}

static uint32_t host_of(const struct sm_linker *l, uint32_t name)
{
    return name < l->host_of_cap ? l->host_of[name] : NO_NAME;
}

static bool instrumented(const struct sm_linker *l, uint32_t name)
{
    return name && name < l->services_cap && l->services[name].seen;
}

static void to_rec(struct sm_linker *l, const struct sm_span *s, struct rec *r)
{
    char tmp[512];
    bool from_host;
    const char *peer = peer_name(s, tmp, sizeof(tmp), &from_host);
    struct service_info *si;

    memset(r, 0, sizeof(*r));
    r->trace_key = id_key2(s->trace_id, &r->trace_hi);
    r->span_key = id_key(s->span_id);
    if (!r->span_key)
        r->span_key = 1;
    r->parent_key = id_key(s->parent_id);
    r->duration_ns = s->duration_ns;
    r->start_ns = s->start_ns;
    r->service = intern(&l->names, s->service);
    r->remote = intern(&l->names, s->remote_service);
    r->peer = intern(&l->names, peer);
    if (from_host)
        note_host(l, r->peer, peer);
    r->kind = (uint8_t)s->kind;
    r->seq = l->seq++;
    if (s->error)
        r->flags |= REC_ERROR;
    /* only the server half of an RPC can share its client's id */
    if (s->shared && s->kind != SM_KIND_CLIENT)
        r->flags |= REC_SHARED;
    if (s->has_duration && s->duration_ns >= 0)
        r->flags |= REC_HAS_DURATION;
    if (s->db_system) {
        r->flags |= REC_PEER_DB;
        r->peer_system = intern(&l->names, s->db_system);
    } else if (s->messaging_system) {
        r->flags |= REC_PEER_QUEUE;
        r->peer_system = intern(&l->names, s->messaging_system);
    }
    if (s->http_status >= 400)
        r->flags |= REC_HTTP_4XX;
    if (s->http_status >= 500)
        r->flags |= REC_HTTP_5XX;
    if (l->opt.by_operation)
        r->op = intern(&l->names, s->name);
    if (s->local_address) {
        char key[1024];

        snprintf(key, sizeof(key), "%s\x1f%s", s->service ? s->service : "", s->local_address);
        r->endpoint = intern(&l->names, key);
    } else {
        r->endpoint = r->service;
    }
    if (r->service) {
        si = service_info(l, r->service);
        si->seen = true;
        if (!si->namespace_)
            si->namespace_ = intern(&l->names, s->service_namespace);
        if (!si->version)
            si->version = intern(&l->names, s->service_version);
    }
}

static void link_trace(struct sm_linker *l, struct rec *r, size_t n);
static void why_trace(struct sm_linker *l, const struct rec *r, size_t n);

static int cmp_trace(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;

    if (x->trace_key != y->trace_key)
        return x->trace_key < y->trace_key ? -1 : 1;
    if (x->trace_hi != y->trace_hi)
        return x->trace_hi < y->trace_hi ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The sort by trace (cmp_trace's order) without qsort: glibc sorts records larger than
 * 32 bytes through an array of pointers and calls cmp_trace through a pointer for every
 * comparison, which was a tenth of a run of OTLP lines. Instead a 16-byte key per record
 * (low trace key, arrival, position) is sorted with the comparison inlined, the records
 * are moved to their places in one pass, and only a run of one low key holding several
 * high halves (rare: 128-bit ids that differ in their high half alone, or 64-bit ids
 * mixed with 128-bit ones) is sorted again by cmp_trace. The keys take 16 bytes per
 * record, as much as glibc's pointer array did. */
struct trace_order {
    uint64_t lo;
    uint32_t seq;
    uint32_t at; /* the record's position before the sort */
};

static inline bool order_less(const struct trace_order *a, const struct trace_order *b)
{
    if (a->lo != b->lo)
        return a->lo < b->lo;
    if (a->seq != b->seq)
        return a->seq < b->seq;
    return a->at < b->at;
}

static inline void order_swap(struct trace_order *a, struct trace_order *b)
{
    struct trace_order t = *a;

    *a = *b;
    *b = t;
}

static void order_insertion(struct trace_order *a, size_t n)
{
    size_t i, j;

    for (i = 1; i < n; i++) {
        struct trace_order x = a[i];

        for (j = i; j > 0 && order_less(&x, &a[j - 1]); j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

static void order_sift(struct trace_order *a, size_t root, size_t n)
{
    struct trace_order x = a[root];
    size_t c;

    while ((c = 2 * root + 1) < n) {
        if (c + 1 < n && order_less(&a[c], &a[c + 1]))
            c++;
        if (!order_less(&x, &a[c]))
            break;
        a[root] = a[c];
        root = c;
    }
    a[root] = x;
}

static void order_heapsort(struct trace_order *a, size_t n)
{
    size_t i;

    for (i = n / 2; i-- > 0;)
        order_sift(a, i, n);
    for (i = n; i-- > 1;) {
        order_swap(&a[0], &a[i]);
        order_sift(a, 0, i);
    }
}

/* Introsort: quicksort with a median of three, heapsort when the partitions go bad
 * (depth is the budget of partitioning rounds), insertion sort for short ranges. The
 * keys are distinct (at is), which the partition loop relies on for its sentinels. */
static void order_sort(struct trace_order *a, size_t n, unsigned depth)
{
    while (n > 16) {
        struct trace_order *m = a + n / 2, *z = a + n - 1, pivot;
        size_t i = 0, j = n - 1;

        if (depth-- == 0) {
            order_heapsort(a, n);
            return;
        }
        if (order_less(m, a))
            order_swap(m, a);
        if (order_less(z, m)) {
            order_swap(z, m);
            if (order_less(m, a))
                order_swap(m, a);
        }
        pivot = *m; /* a[0] <= pivot <= a[n - 1]: both scans stop inside */
        for (;;) {
            do
                i++;
            while (order_less(&a[i], &pivot));
            do
                j--;
            while (order_less(&pivot, &a[j]));
            if (i >= j)
                break;
            order_swap(&a[i], &a[j]);
        }
        /* [0, i) <= pivot <= [i, n); recurse into the smaller side */
        if (i < n - i) {
            order_sort(a, i, depth);
            a += i;
            n -= i;
        } else {
            order_sort(a + i, n - i, depth);
            n = i;
        }
    }
    order_insertion(a, n);
}

/* The keys of r[0..n) in order: first into buckets by the highest bits in which the low
 * trace keys differ (about four keys a bucket: every bit above those is the same in all
 * keys, so the buckets are in key order), then each bucket sorted. Trace keys of hex ids
 * are random, so this is two passes over the records and many sorts of a few keys, where
 * one sort of all keys compared each key about log2(n) times. Keys in few buckets (ids
 * of some other shape) are still sorted by order_sort, only in larger pieces. */
#define ORDER_BUCKET_BITS_MAX 16

static void order_fill(struct trace_order *keys, const struct rec *r, size_t n, unsigned depth)
{
    uint64_t diff = 0, mask;
    unsigned bits = 0, top, shift;
    uint32_t *end;
    size_t i, b, begin;

    for (i = 1; i < n; i++)
        diff |= r[i].trace_key ^ r[0].trace_key;
    while (bits < ORDER_BUCKET_BITS_MAX && ((size_t)4 << bits) < n)
        bits++;
    if (!diff || !bits) {
        for (i = 0; i < n; i++) {
            keys[i].lo = r[i].trace_key;
            keys[i].seq = r[i].seq;
            keys[i].at = (uint32_t)i;
        }
        order_sort(keys, n, depth);
        return;
    }
    top = 64 - (unsigned)__builtin_clzll(diff); /* bits up to the highest that differs */
    shift = top > bits ? top - bits : 0;
    mask = ((uint64_t)1 << bits) - 1;
    /* end[b + 1] counts bucket b, then end[b] is where bucket b starts, then ends */
    end = sm_xcalloc(((size_t)1 << bits) + 1, sizeof(*end));
    for (i = 0; i < n; i++)
        end[((r[i].trace_key >> shift) & mask) + 1]++;
    for (b = 1; b <= mask; b++)
        end[b] += end[b - 1];
    for (i = 0; i < n; i++) {
        struct trace_order *k = &keys[end[(r[i].trace_key >> shift) & mask]++];

        k->lo = r[i].trace_key;
        k->seq = r[i].seq;
        k->at = (uint32_t)i;
    }
    for (b = 0, begin = 0; b <= mask; begin = end[b++]) {
        if (end[b] - begin > 1)
            order_sort(keys + begin, end[b] - begin, depth);
    }
    free(end);
}

/* Records of one low key are linked from a copy (gathered in order) when no such run
 * is longer than this; otherwise the records are put in order in place. */
#define GATHER_MAX_SPANS 4096

/* The waiting records in cmp_trace's order: keys[i].at is the record at place i. */
struct order {
    struct trace_order *keys;
    uint32_t *at;        /* after order_compact: keys[i].at alone, keys is NULL */
    bool in_place;       /* the records themselves were sorted: keys[i].at == i */
    struct sm_pages mem; /* where keys, then at, are */
};

/* Sorts the keys of r[0..n). Moving the records is left to gather, one trace at a time:
 * following the cycles of the permutation over the whole array waits on two cache
 * misses per record, one after the other, where reading each trace's records in order
 * lets the misses overlap. A run of one low key longer than GATHER_MAX_SPANS (a huge
 * trace) would need as large a copy, so then the records are moved in place. */
static void order_make(struct order *o, struct rec *r, size_t n)
{
    struct trace_order *keys;
    size_t i, j, k;
    unsigned depth = 0;

    o->keys = NULL;
    o->at = NULL;
    o->in_place = true;
    sm_pages_init(&o->mem);
    if (n < 2)
        return;
    if (n > UINT32_MAX) {
        qsort(r, n, sizeof(*r), cmp_trace);
        return;
    }
    sm_pages_make(&o->mem, n * sizeof(*keys));
    keys = o->mem.data;
    for (i = n; i > 1; i >>= 1)
        depth += 2;
    order_fill(keys, r, n, depth);
    o->keys = keys;
    o->in_place = false;
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && keys[j].lo == keys[i].lo; j++)
            ;
        if (j - i > GATHER_MAX_SPANS)
            break;
    }
    if (i >= n)
        return;
    /* move the records along the cycles of the permutation: keys[i].at is the record
     * that belongs at i; a key whose at is its own index is done, and so all are */
    for (i = 0; i < n; i++) {
        struct rec tmp;

        if (keys[i].at == i)
            continue;
        tmp = r[i];
        for (j = i; (k = keys[j].at) != i; j = k) {
            r[j] = r[k];
            keys[j].at = (uint32_t)j;
        }
        r[j] = tmp;
        keys[j].at = (uint32_t)j;
    }
    o->in_place = true;
}

/* Keeps only the places (4 bytes a record instead of 16) for a pass that needs no more:
 * the records of unordered inputs all wait until the end, and what the linking of each
 * trace allocates (critical paths, sketches) must not come on top of the whole key
 * array (glibc's qsort freed its buffer before linking began). */
static void order_compact(struct order *o, size_t n)
{
    uint32_t *at = (uint32_t *)o->keys;
    size_t i;

    if (o->in_place)
        return;
    /* at[i] overwrites bytes of keys[i / 4] and before, which have been read */
    for (i = 0; i < n; i++)
        at[i] = o->keys[i].at;
    sm_pages_shrink(&o->mem, n * sizeof(*at));
    o->at = o->mem.data;
    o->keys = NULL;
}

static void order_release(struct order *o)
{
    sm_pages_release(&o->mem);
    o->keys = NULL;
    o->at = NULL;
}

/* The record that belongs at place i (not in place). */
static inline size_t place_of(const struct order *o, size_t i)
{
    return o->at ? o->at[i] : o->keys[i].at;
}

/* The length of the run of one low key that starts at place i of n. */
static size_t order_run(const struct order *o, const struct rec *r, size_t i, size_t n)
{
    size_t j = i + 1;

    if (o->keys) {
        while (j < n && o->keys[j].lo == o->keys[i].lo)
            j++;
    } else if (o->at) {
        while (j < n && r[o->at[j]].trace_key == r[o->at[i]].trace_key)
            j++;
    } else {
        while (j < n && r[j].trace_key == r[i].trace_key)
            j++;
    }
    return j - i;
}

/* The records of places [i, i + len), one low key, in cmp_trace's order: in place, or
 * copied into the linker's gather buffer. Within a run the keys are in arrival order;
 * cmp_trace puts the high half first, which matters only when the run holds several
 * (rare: 128-bit ids that differ in their high half alone, or 64-bit ids mixed with
 * 128-bit ones). */
static struct rec *gather(struct sm_linker *l, const struct order *o, struct rec *r, size_t i,
                          size_t len, size_t n)
{
    struct rec *out = r + i;
    bool mixed = false;
    size_t k;

    if (!o->in_place) {
        size_t ahead = n - i;

        sm_grow(&l->gathered, &l->gathered_cap, len, sizeof(*l->gathered));
        out = l->gathered;
        for (k = 0; k < len; k++) {
            if (k + 8 < ahead)
                __builtin_prefetch(&r[place_of(o, i + k + 8)]);
            out[k] = r[place_of(o, i + k)];
        }
    }
    for (k = 1; k < len; k++)
        mixed |= out[k].trace_hi != out[0].trace_hi;
    if (mixed)
        qsort(out, len, sizeof(*out), cmp_trace);
    return out;
}

/* Drops the records at the places marked in gone, keeping the others in array order
 * (any order will do: every sort by trace is total); returns how many are left. */
static size_t compact(struct rec *r, size_t n, const uint8_t *gone)
{
    size_t i, kept = 0;

    for (i = 0; i < n; i++) {
        if (gone[i])
            continue;
        if (kept != i)
            r[kept] = r[i];
        kept++;
    }
    return kept;
}

/* Links r[0..n), records with one low trace key sorted by cmp_trace, as the traces they
 * are (DESIGN rule 1): with at most one distinct high half among them, one trace (a
 * 64-bit id is the low half of the 128-bit one). With several, each 128-bit id is a
 * trace of its own, and the spans with a 64-bit id, which could belong to any of them,
 * one more. */
static void link_low_run(struct sm_linker *l, struct rec *r, size_t n)
{
    size_t i, j, first_hi = 0;

    while (first_hi < n && r[first_hi].trace_hi == 0)
        first_hi++;
    if (first_hi == n || r[first_hi].trace_hi == r[n - 1].trace_hi) {
        link_trace(l, r, n);
        return;
    }
    link_trace(l, r, first_hi); /* nothing when every id had 128 bits */
    for (i = first_hi; i < n; i = j) {
        for (j = i + 1; j < n && r[j].trace_hi == r[i].trace_hi; j++)
            ;
        link_trace(l, r + i, j - i);
    }
}

/* At most one chain per this many records on average (and CHAIN_FREE more), or
 * link_chains gives up: its memory is then at most 7 bytes a record where order_make's
 * keys take 16. */
#define CHAIN_MIN_SPANS 8
#define CHAIN_FREE      1024
#define CHAIN_END       UINT32_MAX

/* The record after *j in gathering order: the one before it in its chain, else the last
 * of the next chain; CHAIN_END at the end. */
static inline void advance(const struct trace_order *chains, size_t nchains, const uint32_t *prev,
                           size_t *k, uint32_t *j)
{
    if (*j == CHAIN_END)
        return;
    *j = prev[*j];
    if (*j == CHAIN_END && ++*k < nchains)
        *j = chains[*k].at;
}

/* Links every waiting record as link_grouped's sort would, without sorting them: one
 * pass links each record to the one before it of its low key (what the records' arrival
 * order says within a low key, checked), the chains alone are sorted by low key, and each
 * trace is gathered along its links. That reads the records once in order and once by
 * trace, where order_make reads them three times, and keeps 4 bytes a record (and 16 a
 * trace) instead of 16 a record; those often fit in what the records' last huge page
 * holds beyond them. A chain is a trace_order: lo its low key, seq its length, at its
 * last record. False, with nothing linked, for what the sort does better: a chain longer
 * than GATHER_MAX_SPANS (sorted in place there), many tiny traces, records out of arrival
 * order within a key (a wrapped seq). */
static bool link_chains(struct sm_linker *l, struct rec *r, size_t n)
{
    size_t max_chains = n / CHAIN_MIN_SPANS + CHAIN_FREE, nchains = 0, nslots = 1024;
    size_t chains_cap = 0, spare_bytes = 0, ahead_k, i, k, m;
    struct trace_order *chains = NULL;
    uint32_t *slots = NULL, *prev = NULL, ahead;
    void *spare = NULL;
    unsigned depth = 0;
    bool done = false, chains_spare = false;

    if (n < 2 || n >= CHAIN_END)
        return false;
    if (r == l->pending_mem.data)
        spare = sm_pages_spare(&l->pending_mem, n * sizeof(*r), &spare_bytes);
    if (spare_bytes >= n * sizeof(*prev)) {
        uintptr_t at = ((uintptr_t)spare + n * sizeof(*prev) + 15) & ~(uintptr_t)15;
        size_t used = (size_t)(at - (uintptr_t)spare);

        prev = spare;
        if (spare_bytes > used) {
            chains = (struct trace_order *)at;
            chains_cap = (spare_bytes - used) / sizeof(*chains);
            chains_spare = true;
        }
    } else {
        prev = sm_xmalloc(n * sizeof(*prev));
    }
    slots = sm_xcalloc(nslots, sizeof(*slots)); /* chain index + 1, 0: empty */
    for (i = 0; i < n; i++) {
        uint64_t lo = r[i].trace_key;
        size_t at = (size_t)sm_mix64(lo) & (nslots - 1);
        struct trace_order *h;

        /* the array in arrival order (as it is unless a window sorted records in place,
         * or seq wrapped) puts every chain in arrival order */
        if (i && r[i].seq <= r[i - 1].seq)
            goto out;
        while (slots[at] != 0 && chains[slots[at] - 1].lo != lo)
            at = (at + 1) & (nslots - 1);
        if (slots[at]) {
            h = &chains[slots[at] - 1];
            if (h->seq == GATHER_MAX_SPANS)
                goto out;
            prev[i] = h->at;
            h->at = (uint32_t)i;
            h->seq++;
            continue;
        }
        if (nchains == max_chains)
            goto out;
        if (nchains == chains_cap) {
            size_t cap = chains_cap * 2 > 1024 ? chains_cap * 2 : 1024;
            struct trace_order *moved = sm_xmalloc(cap * sizeof(*moved));

            if (nchains)
                memcpy(moved, chains, nchains * sizeof(*chains));
            if (!chains_spare)
                free(chains);
            chains = moved;
            chains_cap = cap;
            chains_spare = false;
        }
        prev[i] = CHAIN_END;
        chains[nchains].lo = lo;
        chains[nchains].seq = 1;
        chains[nchains].at = (uint32_t)i;
        slots[at] = (uint32_t)++nchains;
        if (nchains * 2 > nslots) { /* at most half full */
            free(slots);
            nslots *= 2;
            slots = sm_xcalloc(nslots, sizeof(*slots));
            for (k = 0; k < nchains; k++) {
                at = (size_t)sm_mix64(chains[k].lo) & (nslots - 1);
                while (slots[at])
                    at = (at + 1) & (nslots - 1);
                slots[at] = (uint32_t)(k + 1);
            }
        }
    }
    free(slots);
    slots = NULL;
    for (k = nchains; k > 1; k >>= 1)
        depth += 2;
    order_sort(chains, nchains, depth); /* by low key: distinct */
    /* The records are far apart: the cursor ahead runs 8 records in front along the
     * links (from each trace's last record back) and on into the next traces, asking for
     * both cache lines of each record. */
    ahead_k = 0;
    ahead = nchains ? chains[0].at : CHAIN_END;
    for (m = 0; m < 8; m++)
        advance(chains, nchains, prev, &ahead_k, &ahead);
    for (k = 0; k < nchains; k++) {
        size_t len = chains[k].seq;
        uint32_t j = chains[k].at;
        struct rec *out;
        bool mixed = false;

        sm_grow(&l->gathered, &l->gathered_cap, len, sizeof(*l->gathered));
        out = l->gathered;
        for (m = len; m-- > 0;) {
            if (ahead != CHAIN_END) {
                __builtin_prefetch(&r[ahead]);
                __builtin_prefetch((const char *)&r[ahead] + 64);
                advance(chains, nchains, prev, &ahead_k, &ahead);
            }
            out[m] = r[j];
            mixed |= r[j].trace_hi != r[chains[k].at].trace_hi;
            j = prev[j];
        }
        if (mixed)
            qsort(out, len, sizeof(*out), cmp_trace);
        link_low_run(l, out, len);
    }
    done = true;
out:
    if (prev != spare)
        free(prev);
    if (!chains_spare)
        free(chains);
    free(slots);
    return done;
}

static void link_grouped(struct sm_linker *l, struct rec *r, size_t n)
{
    struct order o;
    size_t i, len;

    if (link_chains(l, r, n))
        return;
    order_make(&o, r, n);
    order_compact(&o, n);
    for (i = 0; i < n; i += len) {
        len = order_run(&o, r, i, n);
        link_low_run(l, gather(l, &o, r, i, len, n), len);
    }
    order_release(&o);
}
/* ---- traces linked before the end, and the spans that come too late for them ---- */

static size_t linked_slot(const struct linked_set *t, uint64_t lo)
{
    return (size_t)sm_mix64(lo) & (t->cap - 1);
}

static void linked_put(struct linked_set *t, uint64_t lo, uint64_t hi)
{
    size_t i;

    if ((t->len + 1) * 4 >= t->cap * 3) {
        struct linked_set big = {0};
        size_t k;

        big.cap = t->cap ? t->cap * 2 : 1024;
        big.lo = sm_xmalloc(big.cap * sizeof(uint64_t));
        big.hi = sm_xmalloc(big.cap * sizeof(uint64_t));
        big.used = sm_xcalloc(big.cap, 1);
        for (k = 0; k < t->cap; k++) {
            if (t->used[k])
                linked_put(&big, t->lo[k], t->hi[k]);
        }
        free(t->lo);
        free(t->hi);
        free(t->used);
        *t = big;
    }
    for (i = linked_slot(t, lo); t->used[i]; i = (i + 1) & (t->cap - 1)) {
        if (t->lo[i] == lo && t->hi[i] == hi)
            return;
    }
    t->used[i] = 1;
    t->lo[i] = lo;
    t->hi[i] = hi;
    t->len++;
}

/* True when a span with this trace key belongs to a trace linked already: the same
 * low half, and the same high half or a 64-bit id on either side (DESIGN rule 1). */
static bool linked_has(const struct linked_set *t, uint64_t lo, uint64_t hi)
{
    size_t i;

    if (!t->len)
        return false;
    for (i = linked_slot(t, lo); t->used[i]; i = (i + 1) & (t->cap - 1)) {
        if (t->lo[i] == lo && (t->hi[i] == hi || t->hi[i] == 0 || hi == 0))
            return true;
    }
    return false;
}

static void linked_release(struct linked_set *t)
{
    free(t->lo);
    free(t->hi);
    free(t->used);
    memset(t, 0, sizeof(*t));
}

static int cmp_group_age(const void *a, const void *b)
{
    const struct group *x = a, *y = b;

    /* the oldest newest record first; ages are distinct (one seq per record) */
    return x->newest_age < y->newest_age ? 1 : x->newest_age > y->newest_age ? -1 : 0;
}

/* The window of trace-grouped records is full: link the traces idle longest (whose
 * newest span arrived longest ago) until at most half the window waits, and remember
 * their keys so that a span arriving for them later is told apart (late_spans). Only
 * called with no loose record waiting, so that no trace of an unordered input is cut. */
static void link_window(struct sm_linker *l)
{
    struct rec *r = l->pending;
    size_t n = l->npending, ngroups = 0, waiting = n, i, k;
    uint8_t *gone;
    struct order o;

    order_make(&o, r, n);
    for (i = 0; i < n; i += l->groups[ngroups++].len) {
        struct group *g;

        sm_grow(&l->groups, &l->groups_cap, ngroups + 1, sizeof(*l->groups));
        g = &l->groups[ngroups];
        g->start = i;
        g->len = order_run(&o, r, i, n);
        g->link = false;
        g->newest_age = UINT32_MAX;
        for (k = i; k < i + g->len; k++) {
            uint32_t seq = o.keys ? o.keys[k].seq : r[k].seq;
            uint32_t age = l->seq - seq; /* wraps: meaningful below 2^31 */

            if (age < g->newest_age)
                g->newest_age = age;
        }
    }
    qsort(l->groups, ngroups, sizeof(*l->groups), cmp_group_age);
    for (i = 0; i < ngroups && waiting > l->window_spans / 2; i++) {
        l->groups[i].link = true;
        waiting -= l->groups[i].len;
    }
    /* link in age order, which is the order the traces finished in */
    gone = sm_xcalloc(n ? n : 1, 1);
    for (i = 0; i < ngroups; i++) {
        const struct group *g = &l->groups[i];
        struct rec *t;

        if (!g->link)
            continue;
        if (l->early[l->cur].len >= EARLY_GENERATION) {
            l->cur = !l->cur;
            linked_release(&l->early[l->cur]);
        }
        t = gather(l, &o, r, g->start, g->len, n);
        for (k = 0; k < g->len; k++) {
            linked_put(&l->early[l->cur], t[k].trace_key, t[k].trace_hi);
            gone[o.keys ? o.keys[g->start + k].at : g->start + k] = 1;
        }
        link_low_run(l, t, g->len);
    }
    /* keep the rest (linking touched only the records it linked, or their copies) */
    l->npending = compact(r, n, gone);
    free(gone);
    order_release(&o);
}
/* How far ahead of the records the array is mapped, and from what size of array on. */
#define PREFAULT_AHEAD_BYTES ((size_t)128 << 10)
#define PREFAULT_MIN_BYTES   ((size_t)4 << 20)

/* The waiting records fill one array page by page (23 MB at 200 MB of OTLP, 120 MB at
 * 1 GB): a fault per 4 KiB page, and on a virtual machine a fault costs more than
 * writing the page. Where the kernel can (MADV_POPULATE_WRITE, Linux 5.14), the next
 * 128 KiB of the array are mapped in one call before the records reach them: about two
 * hundred calls instead of 6,000 faults, with at most those 128 KiB resident early. */
static void prefault(struct sm_linker *l, size_t need)
{
#if defined(MADV_POPULATE_WRITE)
    size_t bytes = l->pending_cap * sizeof(*l->pending), page = l->page_bytes;
    uintptr_t base = (uintptr_t)l->pending, want, from, to;

    if (!page || bytes < PREFAULT_MIN_BYTES)
        return;
    if (l->prefault_base != base) { /* new or moved: what is written is mapped */
        l->prefault_base = base;
        l->prefault_end = base + l->npending * sizeof(*l->pending);
    }
    want = base + need * sizeof(*l->pending);
    if (want <= l->prefault_end)
        return;
    from = l->prefault_end & ~(uintptr_t)(page - 1);
    to = want + PREFAULT_AHEAD_BYTES < base + bytes ? want + PREFAULT_AHEAD_BYTES : base + bytes;
    to &= ~(uintptr_t)(page - 1);
    if (to > from && madvise((void *)from, to - from, MADV_POPULATE_WRITE) != 0)
        l->page_bytes = 0; /* not offered here: leave it to the faults */
    l->prefault_end = to > want ? to : want;
#else
    (void)l;
    (void)need;
#endif
}

int sm_linker_add(struct sm_linker *l, const struct sm_batch *batch, struct sm_error *err)
{
    size_t i;

    if (l->failed) {
        *err = l->fail_err;
        return SM_EINPUT;
    }
    if (l->npending + batch->len > l->pending_cap) {
        /* records of unordered inputs all wait until the end: they go on huge pages;
         * a window of trace-grouped ones is written over and over, so small pages do */
        sm_pages_grow(&l->pending_mem, (l->npending + batch->len) * sizeof(*l->pending),
                      l->nloose > 0 || !batch->whole_traces);
        l->pending = l->pending_mem.data;
        l->pending_cap = l->pending_mem.bytes / sizeof(*l->pending);
    }
    prefault(l, l->npending + batch->len);
    for (i = 0; i < batch->len; i++) {
        struct rec *r = &l->pending[l->npending];

        if (l->early[0].len || l->early[1].len) {
            uint64_t hi, lo = id_key2(batch->spans[i].trace_id, &hi);

            /* dropped before to_rec, which would make its service a node */
            if (linked_has(&l->early[0], lo, hi) || linked_has(&l->early[1], lo, hi)) {
                l->late++;
                if (l->opt.strict && !l->failed) {
                    l->failed = true;
                    sm_error_init(&l->fail_err);
                    sm_error_set(&l->fail_err, SM_EINPUT,
                                 "trace %s: a span arrived after its trace was linked (more "
                                 "than %zu spans of whole traces waited in between)",
                                 batch->spans[i].trace_id, l->window_spans / 2);
                }
                continue;
            }
        }
        to_rec(l, &batch->spans[i], r);
        if (!batch->whole_traces) {
            r->flags |= REC_LOOSE;
            l->nloose++;
        }
        l->npending++;
    }
    /* whole traces wait in the window too, because an element of a list of traces is
     * no trace boundary: the rest of a trace may follow in a later element or file */
    if (l->nloose == 0 && l->npending >= l->window_spans)
        link_window(l);
    if (l->failed) {
        *err = l->fail_err;
        return SM_EINPUT;
    }
    return 0;
}

/* ---- linking one trace ---- */

/* Merge order (Zipkin's clean-up order): by span id, unshared before shared, clients
 * first, spans without a service first, then by service; arrival order last. */
static int cmp_merge(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    int xs = !!(x->flags & REC_SHARED), ys = !!(y->flags & REC_SHARED);

    if (x->span_key != y->span_key)
        return x->span_key < y->span_key ? -1 : 1;
    if (xs != ys)
        return xs - ys;
    if (!xs) {
        int xc = x->kind == SM_KIND_CLIENT, yc = y->kind == SM_KIND_CLIENT;

        if (xc != yc)
            return yc - xc;
    }
    if (x->endpoint != y->endpoint && (!x->endpoint || !y->endpoint))
        return x->endpoint ? 1 : -1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A span sent in pieces: fill what the first piece lacks from the second. */
static void merge_into(struct rec *a, const struct rec *b)
{
    if (!a->service)
        a->service = b->service;
    if (!a->op)
        a->op = b->op;
    if (!a->endpoint || a->endpoint == a->service)
        a->endpoint = b->endpoint ? b->endpoint : a->endpoint;
    if (!a->remote)
        a->remote = b->remote;
    if (!a->peer)
        a->peer = b->peer;
    if (!a->peer_system)
        a->peer_system = b->peer_system;
    if (!a->parent_key)
        a->parent_key = b->parent_key;
    if (a->kind == SM_KIND_UNSET)
        a->kind = b->kind;
    if (!(a->flags & REC_HAS_DURATION) && (b->flags & REC_HAS_DURATION))
        a->duration_ns = b->duration_ns;
    if (!a->start_ns)
        a->start_ns = b->start_ns;
    a->flags |= b->flags;
}

#define MERGE_INSERTION_SPANS 32

static size_t merge_duplicates(struct rec *r, size_t n)
{
    size_t out = 0, i;

    if (n > MERGE_INSERTION_SPANS) {
        qsort(r, n, sizeof(*r), cmp_merge);
    } else {
        /* most traces are short: an insertion sort with cmp_merge inlined beats
         * glibc's pointer sort; cmp_merge is a total order, so the result is the same */
        for (i = 1; i < n; i++) {
            struct rec x = r[i];
            size_t j;

            for (j = i; j > 0 && cmp_merge(&x, &r[j - 1]) < 0; j--)
                r[j] = r[j - 1];
            r[j] = x;
        }
    }
    for (i = 0; i < n; i++) {
        struct rec *last = out ? &r[out - 1] : NULL;

        if (last && last->span_key == r[i].span_key &&
            (last->flags & REC_SHARED) == (r[i].flags & REC_SHARED) &&
            (!last->service || !r[i].service || last->service == r[i].service) &&
            (last->endpoint == last->service || r[i].endpoint == r[i].service ||
             last->endpoint == r[i].endpoint) &&
            (last->kind == r[i].kind || last->kind == SM_KIND_UNSET ||
             r[i].kind == SM_KIND_UNSET)) {
            merge_into(last, &r[i]);
            continue;
        }
        if (out != i)
            r[out] = r[i];
        /* Servers that reuse their client's span id without saying so are shared;
         * a shared server missing its parent id takes the client's. */
        if (last && last->span_key == r[out].span_key) {
            if (last->kind == SM_KIND_CLIENT && r[out].kind == SM_KIND_SERVER)
                r[out].flags |= REC_SHARED;
            if ((r[out].flags & REC_SHARED) && !r[out].parent_key)
                r[out].parent_key = last->parent_key;
        }
        out++;
    }
    return out;
}

/* Lookup keys for tree building: (id, shared, service); service 0 with shared set is
 * the "any endpoint" key of a shared span. */
struct slot {
    uint64_t id;
    uint32_t service;
    uint8_t shared;
    uint8_t used;
    size_t node;
};

static size_t key_hash(uint64_t id, uint32_t service, int shared, size_t mask)
{
    return (size_t)sm_mix64(id ^ sm_mix64(((uint64_t)service << 1) | (uint64_t)shared)) & mask;
}

static struct slot *key_find(struct slot *t, size_t mask, uint64_t id, uint32_t service, int shared)
{
    size_t i = key_hash(id, service, shared, mask);

    while (t[i].used) {
        if (t[i].id == id && t[i].service == service && t[i].shared == shared)
            return &t[i];
        i = (i + 1) & mask;
    }
    return NULL;
}

static void key_put(struct slot *t, size_t mask, uint64_t id, uint32_t service, int shared,
                    size_t node)
{
    size_t i = key_hash(id, service, shared, mask);

    while (t[i].used) {
        if (t[i].id == id && t[i].service == service && t[i].shared == shared)
            return; /* the first span keeps the key: clients sort first, so a shared
                       server finds its client rather than a local span reusing the id */
        i = (i + 1) & mask;
    }
    t[i].used = 1;
    t[i].id = id;
    t[i].service = service;
    t[i].shared = (uint8_t)shared;
    t[i].node = node;
}

static void ensure_scratch(struct sm_linker *l, size_t n)
{
    size_t slots = 16;

    if (n + 1 > l->scratch_cap) {
        size_t cap = n + 1;

        l->parent = sm_xrealloc(l->parent, cap * sizeof(size_t));
        l->child_start = sm_xrealloc(l->child_start, (cap + 1) * sizeof(size_t));
        l->children = sm_xrealloc(l->children, cap * sizeof(size_t));
        l->queue = sm_xrealloc(l->queue, cap * sizeof(size_t));
        l->used_client = sm_xrealloc(l->used_client, cap);
        l->scratch_cap = cap;
    }
    while (slots < n * 4 + 4)
        slots *= 2;
    if (slots > l->key_slots_cap) {
        l->key_slots = sm_xrealloc(l->key_slots, slots * sizeof(struct slot));
        l->key_slots_cap = slots;
    }
    memset(l->key_slots, 0, slots * sizeof(struct slot));
    l->key_slots_cap = slots;
}

/* The nearest ancestor with a remote kind (local spans between are skipped). */
static size_t rpc_ancestor(const struct sm_linker *l, const struct rec *r, size_t i)
{
    size_t p = l->parent[i];

    while (p != NONE) {
        if (is_remote_kind(r[p].kind))
            return p;
        p = l->parent[p];
    }
    return NONE;
}

static bool has_child_kind(const struct sm_linker *l, const struct rec *r, size_t i, int kind)
{
    size_t c;

    for (c = l->child_start[i]; c < l->child_start[i + 1]; c++) {
        if (r[l->children[c]].kind == kind)
            return true;
    }
    return false;
}

/* A client is counted at its callee when the call continues in a span of another
 * process: a child with a remote kind, or a kind-less child of another service. */
static bool client_continues(const struct sm_linker *l, const struct rec *r, size_t i)
{
    size_t c;

    for (c = l->child_start[i]; c < l->child_start[i + 1]; c++) {
        const struct rec *k = &r[l->children[c]];

        if (is_remote_kind(k->kind))
            return true;
        if (k->service && r[i].service && k->service != r[i].service)
            return true;
    }
    return false;
}

static int peer_kind(const struct rec *r)
{
    if (r->flags & REC_PEER_DB)
        return SM_NODE_DATABASE;
    if (r->flags & REC_PEER_QUEUE)
        return SM_NODE_QUEUE;
    return RESOLVE;
}

/* ---- node names: services, or (service, operation) pairs with by_operation ---- */

static uint32_t combine(struct sm_linker *l, uint32_t service, uint32_t op)
{
    char buf[1024];

    if (!l->opt.by_operation || !service)
        return service;
    snprintf(buf, sizeof(buf), "%s" SM_OPERATION_SEPARATOR "%s", name_of(l, service),
             op ? name_of(l, op) : "?");
    return intern(&l->names, buf);
}

/* The node a span stands for as a callee. */
static uint32_t callee_node(struct sm_linker *l, const struct rec *r, size_t i)
{
    return combine(l, r[i].service, r[i].op);
}

/* The node that calls made from span i come from: its service, or with by_operation
 * the operation of the nearest server (or consumer) span of the same service above it,
 * else of the top-most span of that service above it. */
static uint32_t caller_node(struct sm_linker *l, const struct rec *r, size_t i)
{
    size_t p = i, top = i;

    if (!l->opt.by_operation)
        return r[i].service;
    while (p != NONE && r[p].service == r[i].service) {
        if (r[p].kind == SM_KIND_SERVER || r[p].kind == SM_KIND_CONSUMER)
            return combine(l, r[p].service, r[p].op);
        top = p;
        p = l->parent[p];
    }
    return combine(l, r[top].service, r[top].op);
}

static void link_server(struct sm_linker *l, struct rec *r, size_t i)
{
    struct rec *s = &r[i];
    size_t anc = rpc_ancestor(l, r, i);
    const struct rec *client = NULL;
    uint32_t caller = s->remote;
    int caller_kind = RESOLVE;
    bool error = (s->flags & REC_ERROR) || (s->flags & REC_HTTP_5XX);

    if (anc != NONE && r[anc].service) {
        caller = caller_node(l, r, anc);
        caller_kind = SM_NODE_SERVICE;
        /* the client half of the same call: the direct parent */
        if (l->parent[i] == anc &&
            (r[anc].kind == SM_KIND_CLIENT || r[anc].kind == SM_KIND_PRODUCER)) {
            if (r[anc].kind == SM_KIND_CLIENT &&
                ((r[anc].flags & REC_ERROR) || (r[anc].flags & REC_HTTP_4XX)))
                error = true;
            if (!l->used_client[anc]) {
                client = &r[anc];
                l->used_client[anc] = 1;
            }
        }
    } else if (!s->parent_key && !(s->flags & REC_SHARED) && !caller) {
        /* a request from outside (DESIGN rule 8) */
        if (s->service) {
            uint32_t to = callee_node(l, r, i);

            service_info(l, to)->entry_calls++;
            add_call(l, SM_NODE_CLIENT, intern(&l->names, "client"), SM_NODE_SERVICE, to,
                     SM_EDGE_RPC, error, NULL, s);
        }
        return;
    }
    if (!s->service || !caller)
        return;
    add_call(l, caller_kind, caller, SM_NODE_SERVICE, callee_node(l, r, i), SM_EDGE_RPC, error,
             client, s);
}

/* The span that answered client i: a SERVER child, or a kind-less child in another
 * service (client_continues without the nested clients); NONE when nothing did. */
static size_t answer_of(const struct sm_linker *l, const struct rec *r, size_t i)
{
    size_t c;

    for (c = l->child_start[i]; c < l->child_start[i + 1]; c++) {
        const struct rec *k = &r[l->children[c]];

        if (k->kind == SM_KIND_SERVER)
            return l->children[c];
        if ((k->kind == SM_KIND_UNSET || k->kind == SM_KIND_INTERNAL) && k->service &&
            r[i].service && k->service != r[i].service)
            return l->children[c];
    }
    return NONE;
}

/* DESIGN rule 3: a CLIENT with no answer, inside another CLIENT of its own service whose
 * call reached a server, is that call's transport (an HTTP client under an RPC client,
 * say) when it names the same peer, the answering service (by host, port dropped), or
 * no peer at all: it is not a second call. Local spans between them are looked
 * through; a span of another kind ends the search. Returns that client, or NONE. */
static size_t transport_of(const struct sm_linker *l, const struct rec *r, size_t i)
{
    size_t p = l->parent[i];

    if (!r[i].service)
        return NONE;
    while (p != NONE && r[p].service == r[i].service) {
        if (r[p].kind == SM_KIND_CLIENT) {
            size_t answer = answer_of(l, r, p);

            if (answer != NONE &&
                (!r[i].peer || r[i].peer == r[p].peer || r[i].peer == r[answer].service ||
                 (host_of(l, r[i].peer) && host_of(l, r[i].peer) == r[answer].service)))
                return p;
        } else if (r[p].kind != SM_KIND_UNSET && r[p].kind != SM_KIND_INTERNAL) {
            break;
        }
        p = l->parent[p];
    }
    return NONE;
}

static void link_client(struct sm_linker *l, struct rec *r, size_t i)
{
    struct rec *s = &r[i];
    size_t anc;
    uint32_t caller = caller_node(l, r, i);
    bool error = (s->flags & REC_ERROR) || (s->flags & REC_HTTP_4XX);
    int kind;

    if (client_continues(l, r, i) || transport_of(l, r, i) != NONE)
        return;
    anc = rpc_ancestor(l, r, i);
    if (anc != NONE && r[anc].service) {
        /* a client span in a service whose server span was never sent: the nearest
         * remote ancestor called that service (no figures known for that call) */
        if (s->service && r[anc].service != s->service)
            add_call(l, SM_NODE_SERVICE, caller_node(l, r, anc), SM_NODE_SERVICE, caller,
                     SM_EDGE_RPC, false, NULL, NULL);
        if (!caller)
            caller = caller_node(l, r, anc);
    }
    if (!caller)
        return;
    if (!s->peer) {
        l->unresolved++;
        return;
    }
    kind = peer_kind(s);
    add_call(l, SM_NODE_SERVICE, caller, kind, s->peer,
             kind == SM_NODE_DATABASE ? SM_EDGE_DATABASE
             : kind == SM_NODE_QUEUE  ? SM_EDGE_MESSAGING
                                      : -1,
             error, s, NULL);
}

/* Messaging (DESIGN rule 4, as Zipkin's stated cases require): each side links to the
 * queue it names itself; only when neither side names one does the consumer link
 * straight from the producer. */
static void link_producer(struct sm_linker *l, struct rec *r, size_t i)
{
    struct rec *s = &r[i];

    if (has_child_kind(l, r, i, SM_KIND_SERVER))
        return; /* a producer whose child is a server is an RPC, counted there */
    if (!s->peer) {
        if (!has_child_kind(l, r, i, SM_KIND_CONSUMER))
            l->unresolved++;
        return;
    }
    if (!s->service)
        return;
    add_call(l, SM_NODE_SERVICE, caller_node(l, r, i), SM_NODE_QUEUE, s->peer, SM_EDGE_MESSAGING,
             (s->flags & REC_ERROR) != 0, s, NULL);
}

static void link_consumer(struct sm_linker *l, struct rec *r, size_t i)
{
    struct rec *s = &r[i];
    size_t anc = rpc_ancestor(l, r, i);
    const struct rec *producer = anc != NONE && r[anc].kind == SM_KIND_PRODUCER ? &r[anc] : NULL;
    bool error = (s->flags & REC_ERROR) != 0;

    if (!s->service)
        return;
    if (s->peer) {
        add_call(l, SM_NODE_QUEUE, s->peer, SM_NODE_SERVICE, callee_node(l, r, i),
                 SM_EDGE_MESSAGING, error, NULL, s);
        return;
    }
    if (producer && producer->service && !producer->peer) {
        if (producer->flags & REC_ERROR)
            error = true;
        add_call(l, SM_NODE_SERVICE, caller_node(l, r, anc), SM_NODE_SERVICE, callee_node(l, r, i),
                 SM_EDGE_MESSAGING, error, producer, s);
        return;
    }
    if (!producer)
        l->unresolved++;
}

/* Spans without a remote kind: a span naming both its service and a remote one is a
 * client call (old Zipkin instrumentation); a kind-less child in another service than
 * its kind-less parent is a call from the parent's service. */
static void link_kindless(struct sm_linker *l, struct rec *r, size_t i)
{
    struct rec *s = &r[i];
    size_t p = l->parent[i];

    if (s->service && s->remote) {
        add_call(l, SM_NODE_SERVICE, caller_node(l, r, i), RESOLVE, s->remote, -1,
                 (s->flags & REC_ERROR) || (s->flags & REC_HTTP_4XX), s, NULL);
        return;
    }
    if (p == NONE || is_remote_kind(r[p].kind))
        return;
    if (r[p].remote == s->service && r[p].service && r[p].remote)
        return; /* the parent's client-like span already counted this call */
    if (!s->service || !r[p].service || s->service == r[p].service)
        return;
    add_call(l, SM_NODE_SERVICE, caller_node(l, r, p), SM_NODE_SERVICE, callee_node(l, r, i),
             SM_EDGE_RPC, (s->flags & REC_ERROR) || (s->flags & REC_HTTP_5XX), NULL, s);
}

static void link_trace(struct sm_linker *l, struct rec *r, size_t n)
{
    size_t i, mask, root = NONE, head = 0, tail = 0;
    size_t *parent_ref;

    if (n == 0)
        return;
    l->traces++;
    if (n > l->max_trace_spans) {
        struct sm_error e;

        l->oversized++;
        if (l->failed || (!l->opt.strict && !l->opt.on_skip))
            return;
        /* a hex id's key is its value: enough to find the trace */
        sm_error_init(&e);
        sm_error_set(&e, SM_EINPUT,
                     "trace %.0llx%016llx has %zu spans, more than --max-trace-spans %zu: not "
                     "linked",
                     (unsigned long long)r[0].trace_hi, (unsigned long long)r[0].trace_key, n,
                     l->max_trace_spans);
        if (l->opt.strict) {
            l->failed = true;
            l->fail_err = e;
        } else {
            l->opt.on_skip(l->opt.ctx, &e);
        }
        return;
    }
    n = merge_duplicates(r, n);
    ensure_scratch(l, n);
    mask = l->key_slots_cap - 1;
    parent_ref = l->queue; /* reused: the parent key kind per span, before the walk */

    /* index: which shared spans exist, per (id, service) */
    for (i = 0; i < n; i++) {
        if (r[i].flags & REC_SHARED)
            key_put(l->key_slots, mask, r[i].span_key, r[i].endpoint, 2, i);
    }
    /* decide each span's parent key, pick the root, register lookup keys */
    for (i = 0; i < n; i++) {
        bool shared = (r[i].flags & REC_SHARED) != 0;

        parent_ref[i] = 0;
        if (shared) {
            parent_ref[i] = 1; /* the unshared span with my id (the client) */
        } else if (r[i].parent_key) {
            /* a child of a shared server span on my own service comes first */
            if (key_find(l->key_slots, mask, r[i].parent_key, r[i].endpoint, 2))
                parent_ref[i] = 2;
            else
                parent_ref[i] = 1;
        } else if (root == NONE) {
            root = i;
            continue;
        }
        if (shared) {
            key_put(l->key_slots, mask, r[i].span_key, r[i].endpoint, 1, i);
            key_put(l->key_slots, mask, r[i].span_key, 0, 1, i);
        } else {
            key_put(l->key_slots, mask, r[i].span_key, 0, 0, i);
        }
    }
    for (i = 0; i < n; i++) {
        struct slot *s = NULL;

        l->used_client[i] = 0;
        if (i == root) {
            l->parent[i] = NONE;
            continue;
        }
        if (parent_ref[i] == 1 && (r[i].flags & REC_SHARED))
            s = key_find(l->key_slots, mask, r[i].span_key, 0, 0);
        else if (parent_ref[i] == 1)
            s = key_find(l->key_slots, mask, r[i].parent_key, 0, 0);
        else if (parent_ref[i] == 2)
            s = key_find(l->key_slots, mask, r[i].parent_key, r[i].endpoint, 1);
        if (s && s->node != i)
            l->parent[i] = s->node;
        else
            l->parent[i] = root; /* headless: hang from the root (NONE: synthetic) */
    }
    /* children lists (counting sort keeps the merge order) */
    memset(l->child_start, 0, (n + 1) * sizeof(size_t));
    for (i = 0; i < n; i++) {
        if (l->parent[i] != NONE)
            l->child_start[l->parent[i] + 1]++;
    }
    for (i = 0; i < n; i++)
        l->child_start[i + 1] += l->child_start[i];
    {
        size_t *fill = sm_xmalloc((n + 1) * sizeof(size_t));

        memcpy(fill, l->child_start, (n + 1) * sizeof(size_t));
        for (i = 0; i < n; i++) {
            if (l->parent[i] != NONE)
                l->children[fill[l->parent[i]]++] = i;
        }
        free(fill);
    }
    /* breadth-first from the root, or from every span that hangs from the synthetic
     * root; spans in a parent cycle are never reached, so the walk ends */
    if (root != NONE) {
        l->queue[tail++] = root;
    } else {
        for (i = 0; i < n; i++) {
            if (l->parent[i] == NONE)
                l->queue[tail++] = i;
        }
    }
    while (head < tail) {
        size_t cur = l->queue[head++], c;

        for (c = l->child_start[cur]; c < l->child_start[cur + 1]; c++)
            l->queue[tail++] = l->children[c];
        switch (r[cur].kind) {
        case SM_KIND_SERVER:
            link_server(l, r, cur);
            break;
        case SM_KIND_CLIENT:
            link_client(l, r, cur);
            break;
        case SM_KIND_PRODUCER:
            link_producer(l, r, cur);
            break;
        case SM_KIND_CONSUMER:
            link_consumer(l, r, cur);
            break;
        default:
            link_kindless(l, r, cur);
        }
    }
    if (l->crit)
        why_trace(l, r, n);
}

/* ---- critical paths: what each span's time is, in the names above (critical.c) ---- */

static bool is_clientish(const struct rec *s)
{
    return s->kind == SM_KIND_CLIENT || s->kind == SM_KIND_PRODUCER ||
           (s->kind == SM_KIND_UNSET && s->service && s->remote);
}

/* The span that answered a client or producer: answer_of's, or a CONSUMER child. */
static size_t why_answer(const struct sm_linker *l, const struct rec *r, size_t i)
{
    size_t a = answer_of(l, r, i);

    for (size_t c = l->child_start[i]; a == NONE && c < l->child_start[i + 1]; c++) {
        if (r[i].kind == SM_KIND_PRODUCER && r[l->children[c]].kind == SM_KIND_CONSUMER)
            a = l->children[c];
    }
    return a;
}

/* The wire of the call client i made and span a answered: to the callee's node, or to
 * the queue a producer names. SM_CRIT_NONE when the callee has no name. */
static uint32_t why_wire(struct sm_linker *l, const struct rec *r, size_t i, size_t a)
{
    uint32_t to = callee_node(l, r, a);

    if (r[i].kind == SM_KIND_PRODUCER && r[i].peer && r[a].kind == SM_KIND_CONSUMER)
        return sm_crit_wire(l->crit, SM_NODE_SERVICE, caller_node(l, r, i), SM_NODE_QUEUE,
                            r[i].peer);
    if (!to)
        return SM_CRIT_NONE;
    return sm_crit_wire(l->crit, SM_NODE_SERVICE, caller_node(l, r, i), SM_NODE_SERVICE, to);
}

/* Whether span i hangs from the span that its ids name (not from the root by default,
 * as spans whose parent is missing do). */
static bool has_real_parent(const struct sm_linker *l, const struct rec *r, size_t i)
{
    size_t p = l->parent[i];

    if (p == NONE)
        return false;
    if (r[i].flags & REC_SHARED)
        return r[p].span_key == r[i].span_key;
    return r[i].parent_key && r[p].span_key == r[i].parent_key;
}

/* Names one span for the walk (docs/critical-path.md, "Who owns a section"). */
static void why_name(struct sm_linker *l, const struct rec *r, size_t i, struct sm_crit_span *cs)
{
    const struct rec *s = &r[i];
    uint32_t self = s->service ? caller_node(l, r, i) : NO_NAME;
    size_t a, t;

    if (!self)
        return; /* no service: its time is its parent's */
    if (!is_clientish(s)) {
        cs->owner = cs->frame = sm_crit_node(l->crit, SM_NODE_SERVICE, self);
        if (s->kind != SM_KIND_SERVER && s->kind != SM_KIND_CONSUMER)
            return;
        /* a call that reached this span without a client span of its own */
        a = cs->parent;
        if (a != SM_CRIT_NO_SPAN && is_clientish(&r[a]) && why_answer(l, r, a) == i)
            return;
        if (s->kind == SM_KIND_CONSUMER && s->peer) {
            cs->call = sm_crit_wire(l->crit, SM_NODE_QUEUE, s->peer, SM_NODE_SERVICE,
                                    callee_node(l, r, i));
        } else if (cs->parent != SM_CRIT_NO_SPAN) {
            a = rpc_ancestor(l, r, i);
            if (a != NONE && r[a].service)
                cs->call = sm_crit_wire(l->crit, SM_NODE_SERVICE, caller_node(l, r, a),
                                        SM_NODE_SERVICE, callee_node(l, r, i));
        }
        return;
    }
    a = why_answer(l, r, i);
    if (a != NONE) {
        cs->owner = cs->call = why_wire(l, r, i, a);
        if (cs->owner == SM_CRIT_NONE)
            cs->owner = cs->frame = sm_crit_node(l->crit, SM_NODE_SERVICE, self);
    } else if ((t = transport_of(l, r, i)) != NONE) {
        cs->owner = why_wire(l, r, t, why_answer(l, r, t));
        if (cs->owner == SM_CRIT_NONE)
            cs->owner = cs->frame = sm_crit_node(l->crit, SM_NODE_SERVICE, self);
    } else if (s->kind == SM_KIND_UNSET) {
        cs->owner = cs->frame = sm_crit_node(l->crit, RESOLVE, s->remote);
        cs->call = sm_crit_wire(l->crit, SM_NODE_SERVICE, self, RESOLVE, s->remote);
    } else if (s->peer) {
        cs->owner = cs->frame = sm_crit_node(l->crit, peer_kind(s), s->peer);
        cs->call = sm_crit_wire(l->crit, SM_NODE_SERVICE, self, peer_kind(s), s->peer);
    } else {
        cs->owner = cs->frame = sm_crit_node(l->crit, SM_NODE_SERVICE, self);
    }
}

/* The hook: one linked trace (merged, with its tree) to the critical-path walk. */
static void why_trace(struct sm_linker *l, const struct rec *r, size_t n)
{
    struct sm_crit_span *cs;
    size_t i;

    sm_grow(&l->crit_spans, &l->crit_cap, n, sizeof(*l->crit_spans));
    cs = l->crit_spans;
    for (i = 0; i < n; i++) {
        memset(&cs[i], 0, sizeof(cs[i]));
        cs[i].parent = has_real_parent(l, r, i) ? l->parent[i] : SM_CRIT_NO_SPAN;
        cs[i].owner = cs[i].frame = cs[i].call = SM_CRIT_NONE;
        cs[i].timed = r[i].start_ns && (r[i].flags & REC_HAS_DURATION);
        cs[i].start_ns = r[i].start_ns;
        cs[i].end_ns = r[i].duration_ns > INT64_MAX - r[i].start_ns
                           ? INT64_MAX
                           : r[i].start_ns + r[i].duration_ns;
    }
    for (i = 0; i < n; i++) {
        why_name(l, r, i, &cs[i]);
        if ((r[i].kind == SM_KIND_SERVER || r[i].kind == SM_KIND_CONSUMER) && r[i].service &&
            cs[i].parent == SM_CRIT_NO_SPAN) {
            cs[i].entry_service = r[i].service;
            if (l->opt.by_operation)
                cs[i].entry_op = r[i].op ? r[i].op : intern(&l->names, "?");
        }
    }
    sm_crit_trace(l->crit, cs, n);
}

/* ---- finish: the aggregate table becomes map nodes and edges ---- */

static size_t node_for(struct sm_linker *l, int kind, uint32_t name, uint32_t system)
{
    const char *s = name_of(l, name);
    size_t idx;

    if (kind == RESOLVE) {
        /* a "host:port" peer whose host is an instrumented service is that service */
        if (!instrumented(l, name) && instrumented(l, host_of(l, name))) {
            name = host_of(l, name);
            s = name_of(l, name);
        }
        kind = instrumented(l, name) ? SM_NODE_SERVICE : SM_NODE_EXTERNAL;
    }
    idx = sm_map_node(l->map, (enum sm_node_kind)kind, s);
    if (system && (kind == SM_NODE_DATABASE || kind == SM_NODE_QUEUE))
        sm_node_set_attr(&l->map->nodes[idx].system, name_of(l, system));
    return idx;
}

/* The map id of node (kind, name) as node_for would name it, without adding it: a
 * contributor is always a node of some call, but by operation a service's own time can
 * be on a (service, operation) pair that no call made a node of. */
static const char *why_node_id(void *ctx, int kind, uint32_t name)
{
    struct sm_linker *l = ctx;
    static char buf[4096];

    if (kind == RESOLVE) {
        if (!instrumented(l, name) && instrumented(l, host_of(l, name)))
            name = host_of(l, name);
        kind = instrumented(l, name) ? SM_NODE_SERVICE : SM_NODE_EXTERNAL;
    }
    /* what snprintf(buf, sizeof(buf), "%s:%s", ...) writes, without the format parsing:
     * this names every edge and part of every entry at the end */
    {
        const char *k = sm_node_kind_name((enum sm_node_kind)kind);
        const char *s = name_of(l, name) ? name_of(l, name) : "";
        size_t a = strlen(k), b = strlen(s);

        if (a > sizeof(buf) - 1)
            a = sizeof(buf) - 1;
        memcpy(buf, k, a);
        if (a < sizeof(buf) - 1)
            buf[a++] = ':';
        if (b > sizeof(buf) - 1 - a)
            b = sizeof(buf) - 1 - a;
        memcpy(buf + a, s, b);
        buf[a + b] = '\0';
    }
    return buf;
}

/* The group of a contributor's node for the critical-path module: node_for may make a
 * peer named "host:port" (or "host") the instrumented service host, so such peers and the
 * service of that name are one group, named by the host. */
static uint32_t why_group(void *ctx, int kind, uint32_t name)
{
    struct sm_linker *l = ctx;
    uint32_t host;

    if (kind == SM_NODE_SERVICE)
        return name;
    if (kind != RESOLVE)
        return SM_CRIT_NONE;
    host = host_of(l, name);
    return host != NO_NAME ? host : name;
}

static const char *why_text(void *ctx, uint32_t name)
{
    const char *s = name_of(ctx, name);

    return s ? s : "";
}

int sm_linker_finish(struct sm_linker *l, struct sm_error *err)
{
    size_t i;

    link_grouped(l, l->pending, l->npending);
    sm_pages_release(&l->pending_mem);
    l->pending = NULL;
    l->npending = l->pending_cap = 0;
    l->nloose = 0;
    if (l->failed) {
        *err = l->fail_err;
        return SM_EINPUT;
    }

    for (i = 1; i < l->names.len && i < l->services_cap; i++) {
        struct service_info *si = &l->services[i];
        size_t idx;

        /* by operation, a node is a (service, operation) pair: plain service names
         * stand for no node; pairs exist through their calls and entry calls */
        if (l->opt.by_operation ? !si->entry_calls : !si->seen)
            continue;
        idx = sm_map_node(l->map, SM_NODE_SERVICE, l->names.strs[i]);
        sm_node_set_attr(&l->map->nodes[idx].namespace_, name_of(l, si->namespace_));
        sm_node_set_attr(&l->map->nodes[idx].version, name_of(l, si->version));
        l->map->nodes[idx].entry_calls += si->entry_calls;
    }
    for (i = 0; i < l->naggs; i++) {
        struct agg *a = &l->aggs[i];
        size_t from = node_for(l, a->key.from_kind, a->key.from, 0);
        size_t to = node_for(l, a->key.to_kind, a->key.to, 0);
        enum sm_node_kind fk = l->map->nodes[from].kind, tk = l->map->nodes[to].kind;
        int ek = a->key.edge_kind;
        struct sm_edge *e;

        if (ek < 0) {
            if (tk == SM_NODE_DATABASE)
                ek = SM_EDGE_DATABASE;
            else if (tk == SM_NODE_QUEUE || fk == SM_NODE_QUEUE)
                ek = SM_EDGE_MESSAGING;
            else if (tk == SM_NODE_EXTERNAL)
                ek = SM_EDGE_EXTERNAL;
            else
                ek = SM_EDGE_RPC;
        }
        e = sm_map_edge(l->map, from, to, (enum sm_edge_kind)ek);
        e->calls += a->calls;
        e->errors += a->errors;
        sm_sketch_merge(&e->client, &a->client);
        sm_sketch_merge(&e->server, &a->server);
    }
    if (l->crit) {
        struct sm_crit_names names = {why_node_id, why_text, l};

        sm_crit_emit(l->crit, l->map, l->opt.slowest_pct, &names);
    }
    l->map->source.traces += l->traces;
    l->map->source.unresolved_calls += l->unresolved;
    l->map->source.skipped_records += l->oversized;
    l->map->source.late_spans += l->late;
    return 0;
}

uint32_t sm_linker_mark(const struct sm_linker *l)
{
    return l->seq;
}

void sm_linker_link_idle(struct sm_linker *l, uint32_t mark)
{
    struct rec *r = l->pending;
    size_t n = l->npending, i, k, len, loose = 0;
    uint8_t *gone;
    struct order o;

    order_make(&o, r, n);
    gone = sm_xcalloc(n ? n : 1, 1);
    for (i = 0; i < n; i += len) {
        bool idle = true;

        len = order_run(&o, r, i, n);
        for (k = i; k < i + len && idle; k++)
            idle = (int32_t)((o.keys ? o.keys[k].seq : r[k].seq) - mark) < 0;
        if (!idle)
            continue;
        for (k = i; k < i + len; k++)
            gone[o.keys ? o.keys[k].at : k] = 1;
        link_low_run(l, gather(l, &o, r, i, len, n), len);
    }
    l->npending = compact(r, n, gone);
    for (i = 0; i < l->npending; i++)
        loose += (r[i].flags & REC_LOOSE) != 0;
    free(gone);
    order_release(&o);
    l->nloose = loose;
}
int sm_linker_snapshot(struct sm_linker *l, struct sm_map *out, struct sm_error *err)
{
    struct sm_map *map = l->map;
    struct rec *pending = l->pending;
    struct sm_pages mem = l->pending_mem;
    size_t npending = l->npending, cap = l->pending_cap, nloose = l->nloose;
    int rc;

    /* finish with nothing waiting only reads the linked calls: run it into out with
     * the waiting spans set aside, then put them back */
    l->map = out;
    l->pending = NULL;
    sm_pages_init(&l->pending_mem);
    l->npending = l->pending_cap = 0;
    rc = sm_linker_finish(l, err);
    l->map = map;
    l->pending = pending;
    l->pending_mem = mem;
    l->npending = npending;
    l->pending_cap = cap;
    l->nloose = nloose;
    return rc;
}

void sm_linker_free(struct sm_linker *l)
{
    size_t i;

    if (!l)
        return;
    for (i = 1; i < l->names.len; i++)
        free(l->names.strs[i]);
    free(l->names.strs);
    free(l->names.slots);
    sm_pages_release(&l->pending_mem);
    free(l->groups);
    free(l->gathered);
    linked_release(&l->early[0]);
    linked_release(&l->early[1]);
    for (i = 0; i < l->naggs; i++) {
        sm_sketch_release(&l->aggs[i].client);
        sm_sketch_release(&l->aggs[i].server);
    }
    free(l->aggs);
    free(l->agg_slots);
    free(l->services);
    free(l->host_of);
    free(l->parent);
    free(l->child_start);
    free(l->children);
    free(l->queue);
    free(l->used_client);
    free(l->key_slots);
    sm_crit_free(l->crit);
    free(l->crit_spans);
    free(l);
}
