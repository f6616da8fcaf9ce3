/* emit_html.c: the map as one self-contained, interactive HTML page (-f html).
 *
 * The page is the SVG picture that Graphviz lays out in process (as -f svg does, through
 * sm_emit_graphviz_render), the map's figures as a JSON data block, and the stylesheet
 * and script of src/emit/html/, compiled in at build time, inline. Graphviz is asked to
 * give every node and edge an element id made from the node ids ("node:service:cart",
 * "edge:service:web__service:cart__rpc"; any byte outside [A-Za-z0-9.:-] is written as
 * _XX), and the <title> of each becomes a plain-text summary, so that the picture says
 * the essentials even without script.
 *
 * Safety: a Content-Security-Policy meta allows the one inline stylesheet and the one
 * inline script by their SHA-256 hashes (computed here, so the page is the same bytes
 * on every run) and nothing else: no request leaves the page, and no script a hostile
 * name might carry can run. The data block writes every '<', '>' and '&' as \u00XX, so
 * no name can close it; the script reads it with JSON.parse and shows names only
 * through textContent. Text in the page itself is escaped for HTML.
 */
#include "svcmap/emit.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emit_priv.h"
#include "svcmap/sha256.h"
#include "svcmap/why.h"

static void add_base64(struct sm_buf *out, const unsigned char *p, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;

    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

        sm_buf_addc(out, alphabet[v >> 18]);
        sm_buf_addc(out, alphabet[(v >> 12) & 63]);
        sm_buf_addc(out, alphabet[(v >> 6) & 63]);
        sm_buf_addc(out, alphabet[v & 63]);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;

        sm_buf_addc(out, alphabet[v >> 18]);
        sm_buf_addc(out, alphabet[(v >> 12) & 63]);
        sm_buf_adds(out, "==");
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

        sm_buf_addc(out, alphabet[v >> 18]);
        sm_buf_addc(out, alphabet[(v >> 12) & 63]);
        sm_buf_addc(out, alphabet[(v >> 6) & 63]);
        sm_buf_addc(out, '=');
    }
}

/* "'sha256-BASE64'" of text, for a CSP source list. */
static void add_csp_hash(struct sm_buf *out, const char *text)
{
    unsigned char digest[32];

    sm_sha256(text, strlen(text), digest);
    sm_buf_adds(out, "'sha256-");
    add_base64(out, digest, sizeof(digest));
    sm_buf_addc(out, '\'');
}

/* ---- element ids ---- */

static void add_id_part(struct sm_buf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;

    for (; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '.' || *p == ':' || *p == '-') {
            sm_buf_addc(out, (char)*p);
        } else {
            sm_buf_addc(out, '_');
            sm_buf_addc(out, hex[*p >> 4]);
            sm_buf_addc(out, hex[*p & 15]);
        }
    }
}

void sm_emit_node_elid(const struct sm_map *map, size_t i, struct sm_buf *out)
{
    sm_buf_adds(out, "node:");
    add_id_part(out, map->nodes[i].id);
}

/* '_' is always followed by two hex digits inside a part, so "__" cannot occur there and
 * separates the parts unambiguously. */
void sm_emit_edge_elid(const struct sm_map *map, size_t j, struct sm_buf *out)
{
    const struct sm_edge *e = &map->edges[j];

    sm_buf_adds(out, "edge:");
    add_id_part(out, map->nodes[e->from].id);
    sm_buf_adds(out, "__");
    add_id_part(out, map->nodes[e->to].id);
    sm_buf_adds(out, "__");
    sm_buf_adds(out, sm_edge_kind_name(e->kind));
}

/* ---- escaping ---- */

void sm_html_add_text(struct sm_buf *out, const char *text)
{
    struct sm_buf clean;
    const char *p;

    sm_buf_init(&clean);
    sm_emit_clean_text(&clean, text ? text : "");
    for (p = clean.data ? clean.data : ""; *p; p++) {
        switch (*p) {
        case '&':
            sm_buf_adds(out, "&amp;");
            break;
        case '<':
            sm_buf_adds(out, "&lt;");
            break;
        case '>':
            sm_buf_adds(out, "&gt;");
            break;
        case '"':
            sm_buf_adds(out, "&quot;");
            break;
        case '\'':
            sm_buf_adds(out, "&#39;");
            break;
        default:
            sm_buf_addc(out, *p);
        }
    }
    sm_buf_release(&clean);
}

void sm_html_add_json_string(struct sm_buf *out, const char *text)
{
    struct sm_buf clean;
    const unsigned char *p;

    sm_buf_init(&clean);
    sm_emit_clean_text(&clean, text ? text : "");
    sm_buf_addc(out, '"');
    for (p = (const unsigned char *)(clean.data ? clean.data : ""); *p; p++) {
        if (*p == '"' || *p == '\\') {
            sm_buf_addc(out, '\\');
            sm_buf_addc(out, (char)*p);
        } else if (*p == '\n') {
            sm_buf_adds(out, "\\n");
        } else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') {
            sm_buf_printf(out, "\\u%04x", *p);
        } else if (*p == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            /* U+2028, U+2029: line breaks to older JavaScript parsers */
            sm_buf_printf(out, "\\u%04x", p[2] == 0xa8 ? 0x2028 : 0x2029);
            p += 2;
        } else {
            sm_buf_addc(out, (char)*p);
        }
    }
    sm_buf_addc(out, '"');
    sm_buf_release(&clean);
}

/* ---- figures ---- */

static void add_ms(struct sm_buf *out, double v)
{
    /* rounded to the microsecond, as the map document prints them */
    sm_buf_add_number(out, round(v * 1000.0) / 1000.0);
}

void sm_html_add_latency(struct sm_buf *out, const struct sm_edge *e, enum sm_side side)
{
    struct sm_latency_summary s;

    if (!sm_edge_latency(e, side, &s)) {
        sm_buf_adds(out, "null");
        return;
    }
    sm_buf_printf(out, "{\"count\":%llu,\"p50\":", (unsigned long long)s.count);
    add_ms(out, s.p50);
    sm_buf_adds(out, ",\"p90\":");
    add_ms(out, s.p90);
    sm_buf_adds(out, ",\"p95\":");
    add_ms(out, s.p95);
    sm_buf_adds(out, ",\"p99\":");
    add_ms(out, s.p99);
    sm_buf_adds(out, ",\"max\":");
    add_ms(out, s.max);
    sm_buf_addc(out, '}');
}

/* Error rate as a fraction, to six places. */
static void add_rate(struct sm_buf *out, double rate)
{
    sm_buf_add_number(out, round(rate * 1e6) / 1e6);
}

static void add_opt_attr(struct sm_buf *out, const char *key, const char *value)
{
    if (!value)
        return;
    sm_buf_printf(out, ",\"%s\":", key);
    sm_html_add_json_string(out, value);
}

/* A share (fraction) to six places, as the map document prints them. */
static void add_share(struct sm_buf *out, double share)
{
    sm_buf_add_number(out, round(share * 1e6) / 1e6);
}

/* The element ids a contributor lights up on the map: its node, or for wire time the
 * edges between its two nodes (every kind), as a JSON array. */
static void add_part_elements(struct sm_buf *out, const struct sm_map *map,
                              const struct sm_why_part *p, struct sm_buf *scratch)
{
    const char *arrow = p->kind == SM_WHY_WIRE ? strstr(p->id, SM_WHY_WIRE_SEPARATOR) : NULL;
    size_t i, from, to, j;
    int kind, n = 0;

    sm_buf_addc(out, '[');
    if (!arrow) {
        i = sm_map_find_node_id(map, p->id);
        if (i != (size_t)-1) {
            sm_buf_reset(scratch);
            sm_emit_node_elid(map, i, scratch);
            sm_html_add_json_string(out, scratch->data);
        }
        sm_buf_addc(out, ']');
        return;
    }
    sm_buf_reset(scratch);
    sm_buf_add(scratch, p->id, (size_t)(arrow - p->id));
    from = sm_map_find_node_id(map, scratch->data ? scratch->data : "");
    to = sm_map_find_node_id(map, arrow + strlen(SM_WHY_WIRE_SEPARATOR));
    for (kind = SM_EDGE_RPC; from != (size_t)-1 && to != (size_t)-1 && kind <= SM_EDGE_EXTERNAL;
         kind++) {
        j = sm_map_find_edge(map, from, to, (enum sm_edge_kind)kind);
        if (j == (size_t)-1)
            continue;
        sm_buf_reset(scratch);
        sm_emit_edge_elid(map, j, scratch);
        if (n++)
            sm_buf_addc(out, ',');
        sm_html_add_json_string(out, scratch->data);
    }
    sm_buf_addc(out, ']');
}

/* The why section for the panel: per entry its node, traces, latency and contributors
 * (most critical time first, as the model keeps them). */
static void add_why(struct sm_buf *out, const struct sm_map *map)
{
    struct sm_buf scratch;
    struct sm_latency_summary lat;
    size_t k, i;

    sm_buf_init(&scratch);
    sm_buf_adds(out, ",\n\"why\":[");
    for (k = 0; k < map->nwhy; k++) {
        const struct sm_why_entry *w = &map->why[k];

        sm_buf_adds(out, k ? ",\n{\"entry\":" : "\n{\"entry\":");
        sm_html_add_json_string(out, w->entry);
        sm_buf_adds(out, ",\"operation\":");
        if (w->operation)
            sm_html_add_json_string(out, w->operation);
        else
            sm_buf_adds(out, "null");
        /* the entry's node: per operation, ENTRY::OPERATION */
        sm_buf_reset(&scratch);
        sm_buf_adds(&scratch, w->entry);
        if (w->operation) {
            sm_buf_adds(&scratch, "::");
            sm_buf_adds(&scratch, w->operation);
        }
        sm_buf_adds(out, ",\"node\":");
        sm_html_add_json_string(out, scratch.data);
        sm_buf_printf(out, ",\"traces\":%llu,\"total_ms\":", (unsigned long long)w->traces);
        add_ms(out, (double)w->total_ns / 1e6);
        sm_buf_adds(out, ",\"latency_ms\":");
        if (sm_why_latency(w, &lat)) {
            sm_buf_printf(out, "{\"count\":%llu,\"p50\":", (unsigned long long)lat.count);
            add_ms(out, lat.p50);
            sm_buf_adds(out, ",\"p90\":");
            add_ms(out, lat.p90);
            sm_buf_adds(out, ",\"p95\":");
            add_ms(out, lat.p95);
            sm_buf_adds(out, ",\"p99\":");
            add_ms(out, lat.p99);
            sm_buf_adds(out, ",\"max\":");
            add_ms(out, lat.max);
            sm_buf_addc(out, '}');
        } else {
            sm_buf_adds(out, "null");
        }
        sm_buf_adds(out, ",\"contributors\":[");
        for (i = 0; i < w->nparts; i++) {
            const struct sm_why_part *p = &w->parts[i];

            sm_buf_adds(out, i ? ",{\"id\":" : "{\"id\":");
            sm_html_add_json_string(out, p->id);
            sm_buf_printf(out, ",\"kind\":\"%s\",\"critical_ms\":", sm_why_kind_name(p->kind));
            add_ms(out, (double)p->critical_ns / 1e6);
            sm_buf_adds(out, ",\"share\":");
            add_share(out, sm_why_share(p->critical_ns, w->total_ns));
            /* the quantiles as the map document prints them (to 1e-4), so that the
             * panel and the document say the same */
            if (p->share->count) {
                sm_buf_adds(out, ",\"share_p50\":");
                sm_buf_add_number(out, round(sm_why_share_quantile(p, 0.50) * 1e4) / 1e4);
                sm_buf_adds(out, ",\"share_p99\":");
                sm_buf_add_number(out, round(sm_why_share_quantile(p, 0.99) * 1e4) / 1e4);
            } else {
                sm_buf_adds(out, ",\"share_p50\":null,\"share_p99\":null");
            }
            sm_buf_adds(out, ",\"els\":");
            add_part_elements(out, map, p, &scratch);
            sm_buf_addc(out, '}');
        }
        sm_buf_adds(out, "]}");
    }
    sm_buf_adds(out, "]");
    sm_buf_release(&scratch);
}

static void add_data(struct sm_buf *out, const struct sm_map *map, const struct sm_style *style,
                     const struct sm_html_extra *extra)
{
    uint64_t *in = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(*in));
    uint64_t *outc = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(*outc));
    struct sm_buf id;
    size_t i, j;

    sm_buf_init(&id);
    for (j = 0; j < map->nedges; j++) {
        outc[map->edges[j].from] += map->edges[j].calls;
        in[map->edges[j].to] += map->edges[j].calls;
    }
    sm_buf_printf(out, "{\"page\":\"%s\",\"latency\":\"%s\",\"thresholds\":{\"warn_p99_ms\":",
                  extra && extra->page ? extra->page : "map",
                  style->latency == SM_LATENCY_SERVER ? "server" : "client");
    sm_buf_add_number(out, style->warn_p99_ms);
    sm_buf_adds(out, ",\"crit_p99_ms\":");
    sm_buf_add_number(out, style->crit_p99_ms);
    sm_buf_adds(out, ",\"warn_error_rate\":");
    sm_buf_add_number(out, style->warn_error_rate);
    sm_buf_adds(out, ",\"crit_error_rate\":");
    sm_buf_add_number(out, style->crit_error_rate);
    sm_buf_adds(out, "}");
    sm_buf_printf(out, ",\"weight\":\"%s\"",
                  style->weight == SM_WEIGHT_CRITICAL ? "critical" : "calls");
    if (extra && extra->top) {
        sm_buf_addc(out, ',');
        sm_buf_adds(out, extra->top);
    }
    /* the map page's "why is this entry slow" panel; a diff page's union has no one
     * release's entries to explain */
    if (map->nwhy > 0 && !(extra && extra->page && !strcmp(extra->page, "diff")))
        add_why(out, map);
    sm_buf_adds(out, ",\n\"nodes\":[");
    for (i = 0; i < map->nnodes; i++) {
        const struct sm_node *n = &map->nodes[i];

        sm_buf_reset(&id);
        sm_emit_node_elid(map, i, &id);
        sm_buf_adds(out, i ? ",\n{\"id\":" : "\n{\"id\":");
        sm_html_add_json_string(out, n->id);
        sm_buf_printf(out, ",\"el\":\"%s\",\"name\":", id.data);
        sm_html_add_json_string(out, n->name);
        sm_buf_printf(out, ",\"kind\":\"%s\"", sm_node_kind_name(n->kind));
        add_opt_attr(out, "namespace", n->namespace_);
        add_opt_attr(out, "version", n->version);
        add_opt_attr(out, "system", n->system);
        sm_buf_printf(out, ",\"entry_calls\":%llu,\"calls_in\":%llu,\"calls_out\":%llu",
                      (unsigned long long)n->entry_calls, (unsigned long long)in[i],
                      (unsigned long long)outc[i]);
        if (extra && extra->nodes && extra->nodes[i]) {
            sm_buf_addc(out, ',');
            sm_buf_adds(out, extra->nodes[i]);
        }
        sm_buf_addc(out, '}');
    }
    sm_buf_adds(out, "],\n\"edges\":[");
    for (j = 0; j < map->nedges; j++) {
        const struct sm_edge *e = &map->edges[j];

        sm_buf_reset(&id);
        sm_emit_edge_elid(map, j, &id);
        sm_buf_adds(out, j ? ",\n{\"el\":\"" : "\n{\"el\":\"");
        sm_buf_adds(out, id.data);
        sm_buf_adds(out, "\",\"from\":");
        sm_html_add_json_string(out, map->nodes[e->from].id);
        sm_buf_adds(out, ",\"to\":");
        sm_html_add_json_string(out, map->nodes[e->to].id);
        sm_buf_printf(out, ",\"kind\":\"%s\",\"calls\":%llu,\"errors\":%llu,\"error_rate\":",
                      sm_edge_kind_name(e->kind), (unsigned long long)e->calls,
                      (unsigned long long)e->errors);
        add_rate(out, sm_edge_error_rate(e));
        sm_buf_printf(out, ",\"severity\":%d,\"estimated\":%s", sm_edge_severity(e, style),
                      e->latency_estimated ? "true" : "false");
        if (style->critical) {
            sm_buf_adds(out, ",\"critical\":");
            if (style->critical[j] >= 0)
                add_share(out, style->critical[j]);
            else
                sm_buf_adds(out, "null");
        }
        sm_buf_adds(out, ",\"client\":");
        sm_html_add_latency(out, e, SM_SIDE_CLIENT);
        sm_buf_adds(out, ",\"server\":");
        sm_html_add_latency(out, e, SM_SIDE_SERVER);
        if (extra && extra->edges && extra->edges[j]) {
            sm_buf_addc(out, ',');
            sm_buf_adds(out, extra->edges[j]);
        }
        sm_buf_addc(out, '}');
    }
    sm_buf_adds(out, "]}");
    sm_buf_release(&id);
    free(in);
    free(outc);
}

/* ---- the picture ---- */

/* Milliseconds for the plain <title> text. */
static void add_title_ms(struct sm_buf *out, double ms)
{
    sm_buf_add_number(out, round(ms * 1000.0) / 1000.0);
    sm_buf_adds(out, " ms");
}

static void node_title(const struct sm_map *map, size_t i, const uint64_t *in, const uint64_t *outc,
                       struct sm_buf *t)
{
    const struct sm_node *n = &map->nodes[i];

    sm_buf_printf(t, "%s\n%s", n->name, sm_node_kind_name(n->kind));
    if (n->namespace_)
        sm_buf_printf(t, ", namespace %s", n->namespace_);
    if (n->version)
        sm_buf_printf(t, ", version %s", n->version);
    if (n->system)
        sm_buf_printf(t, ", %s", n->system);
    sm_buf_printf(t, "\ncalls in %llu, out %llu", (unsigned long long)in[i],
                  (unsigned long long)outc[i]);
    if (n->entry_calls)
        sm_buf_printf(t, ", entry %llu", (unsigned long long)n->entry_calls);
}

static void edge_title(const struct sm_map *map, size_t j, struct sm_buf *t)
{
    const struct sm_edge *e = &map->edges[j];
    static const char *const sides[2] = {"client", "server"};
    struct sm_latency_summary s;
    int k;

    sm_buf_printf(t, "%s \xe2\x86\x92 %s (%s)\n%llu calls, %llu errors (", map->nodes[e->from].id,
                  map->nodes[e->to].id, sm_edge_kind_name(e->kind), (unsigned long long)e->calls,
                  (unsigned long long)e->errors);
    sm_buf_add_number(t, round(sm_edge_error_rate(e) * 10000) / 100);
    sm_buf_adds(t, " %)");
    for (k = 0; k < 2; k++) {
        if (!sm_edge_latency(e, k ? SM_SIDE_SERVER : SM_SIDE_CLIENT, &s))
            continue;
        sm_buf_printf(t, "\n%s p50 ", sides[k]);
        add_title_ms(t, s.p50);
        sm_buf_adds(t, ", p99 ");
        add_title_ms(t, s.p99);
        sm_buf_adds(t, ", max ");
        add_title_ms(t, s.max);
    }
}

/* Element id -> title text, looked up while the SVG is copied. */
struct title_table {
    char **ids;    /* owned */
    char **texts;  /* owned */
    size_t *slots; /* open addressing: index + 1, 0 empty */
    size_t n, nslots;
};

static void titles_build(struct title_table *tt, const struct sm_map *map)
{
    uint64_t *in = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(*in));
    uint64_t *outc = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(*outc));
    size_t total = map->nnodes + map->nedges, k, j;
    struct sm_buf b;

    sm_buf_init(&b);
    for (j = 0; j < map->nedges; j++) {
        outc[map->edges[j].from] += map->edges[j].calls;
        in[map->edges[j].to] += map->edges[j].calls;
    }
    tt->n = total;
    tt->ids = sm_xcalloc(total ? total : 1, sizeof(char *));
    tt->texts = sm_xcalloc(total ? total : 1, sizeof(char *));
    for (tt->nslots = 16; tt->nslots < 2 * total; tt->nslots *= 2)
        ;
    tt->slots = sm_xcalloc(tt->nslots, sizeof(size_t));
    for (k = 0; k < total; k++) {
        size_t slot;

        sm_buf_reset(&b);
        if (k < map->nnodes)
            sm_emit_node_elid(map, k, &b);
        else
            sm_emit_edge_elid(map, k - map->nnodes, &b);
        tt->ids[k] = sm_xstrdup(b.data);
        sm_buf_reset(&b);
        if (k < map->nnodes)
            node_title(map, k, in, outc, &b);
        else
            edge_title(map, k - map->nnodes, &b);
        tt->texts[k] = sm_xstrdup(b.data);
        slot = (size_t)sm_hash_str(tt->ids[k]) & (tt->nslots - 1);
        while (tt->slots[slot])
            slot = (slot + 1) & (tt->nslots - 1);
        tt->slots[slot] = k + 1;
    }
    sm_buf_release(&b);
    free(in);
    free(outc);
}

static const char *titles_find(const struct title_table *tt, const char *id, size_t len)
{
    char *key = sm_xstrndup(id, len);
    size_t slot = (size_t)sm_hash_str(key) & (tt->nslots - 1);
    const char *found = NULL;

    while (tt->slots[slot]) {
        if (!strcmp(tt->ids[tt->slots[slot] - 1], key)) {
            found = tt->texts[tt->slots[slot] - 1];
            break;
        }
        slot = (slot + 1) & (tt->nslots - 1);
    }
    free(key);
    return found;
}

static void titles_release(struct title_table *tt)
{
    size_t k;

    for (k = 0; k < tt->n; k++) {
        free(tt->ids[k]);
        free(tt->texts[k]);
    }
    free(tt->ids);
    free(tt->texts);
    free(tt->slots);
}

/* Copies the <svg> element of Graphviz's document into out: without the XML prolog,
 * without the fixed width and height (the page sizes it), and with each node's and
 * edge's <title> replaced by its summary. Graphviz wrote the ids we gave it as they
 * are (they hold no character XML escapes). */
static void add_svg(struct sm_buf *out, const char *svg, const struct title_table *tt)
{
    const char *p = strstr(svg, "<svg");
    const char *tag_end, *current = NULL;
    size_t current_len = 0;

    if (!p)
        return;
    tag_end = strchr(p, '>');
    if (!tag_end)
        return;
    sm_buf_adds(out, "<svg id=\"svcmap-svg\"");
    p += 4;
    /* the opening tag, attribute by attribute, dropping width and height */
    while (p < tag_end) {
        const char *name, *q;

        while (p < tag_end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
            p++;
        if (p >= tag_end)
            break;
        name = p;
        q = memchr(p, '"', (size_t)(tag_end - p));
        if (!q || !(q = memchr(q + 1, '"', (size_t)(tag_end - q - 1))))
            break;
        q++;
        if (strncmp(name, "width=", 6) && strncmp(name, "height=", 7)) {
            sm_buf_addc(out, ' ');
            sm_buf_add(out, name, (size_t)(q - name));
        }
        p = q;
    }
    sm_buf_addc(out, '>');
    p = tag_end + 1;
    while (*p) {
        const char *next = strchr(p, '<');

        if (!next) {
            sm_buf_adds(out, p);
            break;
        }
        sm_buf_add(out, p, (size_t)(next - p));
        p = next;
        if (!strncmp(p, "<g id=\"", 7)) {
            const char *q = strchr(p + 7, '"');

            if (q) {
                current = p + 7;
                current_len = (size_t)(q - current);
            }
        } else if (!strncmp(p, "<title>", 7) && current) {
            const char *text = titles_find(tt, current, current_len);
            const char *close = strstr(p, "</title>");

            current = NULL;
            if (text && close) {
                sm_buf_adds(out, "<title>");
                sm_html_add_text(out, text);
                sm_buf_adds(out, "</title>");
                p = close + 8;
                continue;
            }
        }
        sm_buf_addc(out, '<');
        p++;
    }
}

/* ---- the page ---- */

static void add_legend(struct sm_buf *out, const struct sm_map *map, const struct sm_style *style,
                       const char *page)
{
    struct sm_buf t;
    int level;

    sm_buf_init(&t);
    sm_buf_adds(out, "<div id=\"svcmap-legend\"><span class=\"lg-title\">legend</span>");
    if (page && !strcmp(page, "diff")) {
        sm_buf_adds(out, "<span class=\"lg lg-added\">added</span>"
                         "<span class=\"lg lg-removed\">removed (dashed)</span>"
                         "<span class=\"lg lg-changed\">changed</span>");
    } else {
        for (level = 1; level <= 2; level++) {
            sm_buf_reset(&t);
            sm_emit_legend_text(style, level, &t);
            sm_buf_printf(out, "<span class=\"lg lg-%s\">", level == 1 ? "warn" : "crit");
            sm_html_add_text(out, t.data);
            sm_buf_adds(out, "</span>");
        }
    }
    sm_buf_adds(out, "<span class=\"lg lg-service\">service</span>"
                     "<span class=\"lg lg-database\">database</span>"
                     "<span class=\"lg lg-queue\">queue</span>"
                     "<span class=\"lg lg-external\">external</span>"
                     "<span class=\"lg lg-msg\">dashed edge: messaging</span>"
                     "<span class=\"lg lg-width\">line width: ");
    sm_buf_adds(out, style->weight == SM_WEIGHT_CRITICAL ? "critical share" : "calls");
    sm_buf_adds(out, "</span>");
    if (page && strcmp(page, "diff") && map->nwhy > 0)
        sm_buf_adds(out, "<span class=\"lg lg-entry\">thick border: an entry, click it for "
                         "where its time goes</span>");
    sm_buf_adds(out, "</div>\n");
    sm_buf_release(&t);
}

static const char page_controls[] =
    "<div id=\"svcmap-bar\">"
    "<label>search <input id=\"svcmap-search\" type=\"search\" placeholder=\"service name\" "
    "autocomplete=\"off\"></label>"
    "<label><input id=\"svcmap-regex\" type=\"checkbox\"> regex</label>"
    "<span id=\"svcmap-count\" aria-live=\"polite\"></span>"
    "<label>hops <input id=\"svcmap-hops\" type=\"number\" min=\"0\" max=\"20\" value=\"1\">"
    "</label>"
    "<label>edges: p99 \xe2\x89\xa5 <input id=\"svcmap-min-p99\" type=\"number\" min=\"0\" "
    "step=\"any\" value=\"0\"> ms</label>"
    "<label>errors \xe2\x89\xa5 <input id=\"svcmap-min-errors\" type=\"number\" min=\"0\" "
    "max=\"100\" step=\"any\" value=\"0\"> %</label>"
    "<label>calls \xe2\x89\xa5 <input id=\"svcmap-min-calls\" type=\"number\" min=\"0\" "
    "value=\"0\"></label>"
    "<select id=\"svcmap-filter-mode\"><option value=\"fade\">fade the rest</option>"
    "<option value=\"hide\">hide the rest</option></select>"
    "<button id=\"svcmap-fit\" type=\"button\">fit</button>"
    "</div>\n";

int sm_emit_html_page(const struct sm_map *map, const struct sm_style *style,
                      const struct sm_html_extra *extra, struct sm_buf *out, struct sm_error *err)
{
    struct sm_style picture = *style;
    struct sm_buf svg;
    struct title_table tt;
    const char *page = extra && extra->page ? extra->page : "map";
    int rc;

    memset(&tt, 0, sizeof(tt));
    sm_buf_init(&svg);
    /* The page has its own legend and title; Graphviz draws only the map. */
    picture.element_ids = true;
    picture.legend = false;
    picture.title = NULL;
    rc = sm_emit_graphviz_render(map, &picture, "svg", &svg, err);
    if (rc < 0)
        goto out;
    titles_build(&tt, map);

    sm_buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                     "script-src ");
    add_csp_hash(out, sm_html_script);
    sm_buf_adds(out, "; style-src ");
    add_csp_hash(out, sm_html_style);
    sm_buf_adds(out, "; img-src 'none'; base-uri 'none'; form-action 'none'\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<meta name=\"generator\" content=\"svcmap\">\n<title>");
    sm_html_add_text(out, style->title && *style->title ? style->title
                          : !strcmp(page, "diff")       ? "svcmap diff"
                                                        : "svcmap map");
    sm_buf_adds(out, "</title>\n<style>");
    sm_buf_adds(out, sm_html_style);
    sm_buf_printf(out, "</style>\n</head>\n<body class=\"page-%s\">\n<header>",
                  !strcmp(page, "diff") ? "diff" : "map");
    if (style->title && *style->title) {
        sm_buf_adds(out, "<h1>");
        sm_html_add_text(out, style->title);
        sm_buf_adds(out, "</h1>");
    }
    if (extra && extra->banner) {
        sm_buf_printf(out, "<div id=\"svcmap-gate\" class=\"%s\">",
                      extra->banner_failed ? "gate-failed" : "gate-passed");
        sm_html_add_text(out, extra->banner);
        sm_buf_adds(out, "</div>");
    }
    sm_buf_printf(out, "<p id=\"svcmap-summary\">%zu nodes, %zu edges</p></header>\n", map->nnodes,
                  map->nedges);
    sm_buf_adds(out, page_controls);
    add_legend(out, map, style, page);
    sm_buf_adds(out, "<div id=\"svcmap-map\">");
    add_svg(out, svg.data ? svg.data : "", &tt);
    sm_buf_adds(out, "</div>\n<div id=\"svcmap-tip\" role=\"tooltip\" hidden></div>\n"
                     "<aside id=\"svcmap-why\" aria-live=\"polite\" hidden></aside>\n"
                     "<section id=\"svcmap-edges\"><h2>Edges</h2><table id=\"svcmap-table\">"
                     "</table></section>\n<script type=\"application/json\" id=\"svcmap-data\">");
    add_data(out, map, style, extra);
    sm_buf_adds(out, "</script>\n<script>");
    sm_buf_adds(out, sm_html_script);
    sm_buf_adds(out, "</script>\n</body>\n</html>\n");
out:
    titles_release(&tt);
    sm_buf_release(&svg);
    return rc;
}

static int emit_html(const struct sm_map *map, const struct sm_style *style, struct sm_buf *out,
                     struct sm_error *err)
{
    return sm_emit_html_page(map, style, NULL, out, err);
}

static const char *const html_extensions[] = {".html", ".htm", NULL};

const struct sm_emitter sm_emit_html = {
    .name = "html",
    .extensions = html_extensions,
    .binary = false,
    .emit = emit_html,
};
