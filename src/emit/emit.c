/* emit.c: the emitter registry and what every picture shares: style, labels, colour.
 *
 * Each format lives in its own emit_*.c file as one const struct sm_emitter; this file
 * lists them, finds one by -f word or by output file extension, and holds the parts of
 * the visual language that all formats must agree on: the default style, the edge label
 * template expansion and the warn/crit severity of an edge. Numbers in labels are
 * printed with fixed rules so that output is the same bytes on every run.
 */
#include "svcmap/emit.h"

#include "emit_priv.h"
#include "svcmap/shape.h"
#include "svcmap/why.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const struct sm_emitter *const sm_emitters[] = {
    &sm_emit_json, &sm_emit_table, &sm_emit_csv,     &sm_emit_dot, &sm_emit_svg,
    &sm_emit_png,  &sm_emit_html,  &sm_emit_mermaid, NULL,
};

void sm_style_init(struct sm_style *style)
{
    memset(style, 0, sizeof(*style));
    style->direction = SM_DIR_LR;
    style->edge_label = NULL;
    style->latency = SM_LATENCY_CLIENT;
    /* The checkout story: fast calls in tens of milliseconds, a few percent of them
     * failing as they do in any busy system, and one edge whose p99 is a 30-second wait.
     * 500 ms / 2 s keep ordinary web calls normal and make anything that stalls for
     * seconds at the tail red; 5 % / 10 % colour failures well above that background. */
    style->warn_p99_ms = 500;
    style->crit_p99_ms = 2000;
    style->warn_error_rate = 0.05;
    style->crit_error_rate = 0.10;
    /* Edge shares are inclusive: every edge above the slow one carries its time too, so
     * the edge into the entry's first callee is near 100 % on every map. A quarter of
     * what users wait for is worth a look, half is where the time goes. */
    style->weight = SM_WEIGHT_CALLS;
    style->critical = NULL;
    style->warn_critical = 0.25;
    style->crit_critical = 0.50;
    style->group_by = NULL;
    style->legend = true;
    style->title = NULL;
}

const struct sm_emitter *sm_emitter_find(const char *name)
{
    size_t i;

    for (i = 0; sm_emitters[i]; i++) {
        if (!strcmp(sm_emitters[i]->name, name))
            return sm_emitters[i];
    }
    return NULL;
}

const struct sm_emitter *sm_emitter_for_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    size_t i, j;

    if (!dot)
        return NULL;
    for (i = 0; sm_emitters[i]; i++) {
        const char *const *ext = sm_emitters[i]->extensions;

        for (j = 0; ext && ext[j]; j++) {
            if (!sm_strcasecmp(ext[j], dot))
                return sm_emitters[i];
        }
    }
    return NULL;
}

/* The side chosen by the style, else the other one; false when neither has figures. */
static bool edge_latency(const struct sm_edge *e, const struct sm_style *style,
                         struct sm_latency_summary *out)
{
    enum sm_side first = style->latency == SM_LATENCY_SERVER ? SM_SIDE_SERVER : SM_SIDE_CLIENT;
    enum sm_side second = first == SM_SIDE_CLIENT ? SM_SIDE_SERVER : SM_SIDE_CLIENT;

    return sm_edge_latency(e, first, out) || sm_edge_latency(e, second, out);
}

/* Milliseconds for people: "420 µs", "7.5 ms", "280 ms", "1.2 s", "30 s", "2.5 min". */
static void add_duration(struct sm_buf *out, double ms)
{
    if (!isfinite(ms) || ms < 0)
        sm_buf_adds(out, "-");
    else if (ms == 0)
        sm_buf_adds(out, "0 \xc2\xb5s");
    else if (ms < 0.0005)
        sm_buf_adds(out, "<1 \xc2\xb5s");
    else if (ms < 0.9995)
        sm_buf_printf(out, "%.0f \xc2\xb5s", ms * 1000);
    else if (ms < 9.95)
        sm_buf_printf(out, "%.1f ms", ms);
    else if (ms < 999.5)
        sm_buf_printf(out, "%.0f ms", ms);
    else if (ms < 9999.5)
        sm_buf_printf(out, "%.1f s", ms / 1000);
    else if (ms < 599500)
        sm_buf_printf(out, "%.0f s", ms / 1000);
    else
        sm_buf_printf(out, "%.1f min", ms / 60000);
}

static void add_rate(struct sm_buf *out, double rate)
{
    double pct = rate * 100;

    if (pct > 0 && pct < 0.1)
        sm_buf_adds(out, "<0.1 %");
    else
        sm_buf_printf(out, "%.1f %%", pct);
}

/* A critical share for people: "47 %", "3.5 %", "<0.1 %"; "-" for none (negative). */
static void add_share(struct sm_buf *out, double share)
{
    double pct = share * 100;

    if (!(share >= 0))
        sm_buf_adds(out, "-");
    else if (pct >= 9.95)
        sm_buf_printf(out, "%.0f %%", pct);
    else if (pct >= 0.05 || pct == 0)
        sm_buf_printf(out, "%.1f %%", pct);
    else
        sm_buf_adds(out, "<0.1 %");
}

/* The critical share of e from the style, or -1; e must point into map->edges. */
static double edge_share(const struct sm_map *map, const struct sm_edge *e,
                         const struct sm_style *style)
{
    if (!style->critical || !map || e < map->edges || e >= map->edges + map->nedges)
        return -1;
    return style->critical[e - map->edges];
}

/* Expands one field name (without braces); false if it is not a field. */
static bool add_field(struct sm_buf *out, const char *name, size_t len, const struct sm_map *map,
                      const struct sm_edge *e, const struct sm_style *style)
{
    static const struct {
        const char *name;
        size_t offset;
    } latency_fields[] = {
        {"p50", offsetof(struct sm_latency_summary, p50)},
        {"p90", offsetof(struct sm_latency_summary, p90)},
        {"p95", offsetof(struct sm_latency_summary, p95)},
        {"p99", offsetof(struct sm_latency_summary, p99)},
        {"max", offsetof(struct sm_latency_summary, max)},
        {"min", offsetof(struct sm_latency_summary, min)},
        {"mean", offsetof(struct sm_latency_summary, mean)},
    };
    struct sm_latency_summary lat;
    size_t i;

    if (len == 5 && !memcmp(name, "calls", 5)) {
        sm_buf_printf(out, "%llu", (unsigned long long)e->calls);
        return true;
    }
    if (len == 6 && !memcmp(name, "errors", 6)) {
        sm_buf_printf(out, "%llu", (unsigned long long)e->errors);
        return true;
    }
    if (len == 10 && !memcmp(name, "error_rate", 10)) {
        add_rate(out, sm_edge_error_rate(e));
        return true;
    }
    if (len == 4 && !memcmp(name, "kind", 4)) {
        sm_buf_adds(out, sm_edge_kind_name(e->kind));
        return true;
    }
    if (len == 8 && !memcmp(name, "critical", 8)) {
        add_share(out, edge_share(map, e, style));
        return true;
    }
    for (i = 0; i < sizeof(latency_fields) / sizeof(latency_fields[0]); i++) {
        if (strlen(latency_fields[i].name) != len || memcmp(latency_fields[i].name, name, len))
            continue;
        if (edge_latency(e, style, &lat)) {
            double v;

            memcpy(&v, (const char *)&lat + latency_fields[i].offset, sizeof(v));
            if (e->latency_estimated)
                sm_buf_addc(out, '~');
            add_duration(out, v);
        } else {
            sm_buf_adds(out, "-");
        }
        return true;
    }
    return false;
}

void sm_edge_label(const struct sm_map *map, const struct sm_edge *e, const struct sm_style *style,
                   struct sm_buf *out)
{
    const char *t = style->edge_label;
    struct sm_latency_summary lat;

    if (!t) {
        sm_buf_printf(out, "%llu call%s", (unsigned long long)e->calls, e->calls == 1 ? "" : "s");
        if (edge_latency(e, style, &lat)) {
            /* Interpolated from histogram buckets (pre-aggregated inputs): say so. */
            sm_buf_adds(out, e->latency_estimated ? ", p99 ~" : ", p99 ");
            add_duration(out, lat.p99);
        }
        if (e->errors > 0) {
            sm_buf_adds(out, ", ");
            add_rate(out, sm_edge_error_rate(e));
            sm_buf_adds(out, " errors");
        }
        return;
    }
    /* Fields in braces; anything else, unknown fields included, is copied as it is. */
    while (*t) {
        const char *close;

        if (*t == '{' && (close = strchr(t + 1, '}')) != NULL &&
            add_field(out, t + 1, (size_t)(close - t - 1), map, e, style)) {
            t = close + 1;
            continue;
        }
        sm_buf_addc(out, *t++);
    }
}

int sm_edge_severity(const struct sm_edge *e, const struct sm_style *style)
{
    struct sm_latency_summary lat;
    double rate = sm_edge_error_rate(e);
    int level = 0;

    if (edge_latency(e, style, &lat)) {
        if (style->crit_p99_ms > 0 && lat.p99 >= style->crit_p99_ms)
            level = 2;
        else if (style->warn_p99_ms > 0 && lat.p99 >= style->warn_p99_ms)
            level = 1;
    }
    if (e->errors > 0) {
        if (style->crit_error_rate > 0 && rate >= style->crit_error_rate)
            level = 2;
        else if (style->warn_error_rate > 0 && rate >= style->warn_error_rate && level < 1)
            level = 1;
    }
    return level;
}

/* Whether a why entry is one that --entry NAME names: its node id, or its service's
 * name (every operation of it when entries are per operation). */
static bool entry_named(const struct sm_why_entry *w, const char *entry)
{
    size_t n;

    if (!entry || !strcmp(w->entry, entry) ||
        (!strncmp(w->entry, "service:", 8) && !strcmp(w->entry + 8, entry)))
        return true;
    /* one operation's node id: "service:frontend::GET /checkout" */
    n = strlen(w->entry);
    return w->operation && !strncmp(entry, w->entry, n) && !strncmp(entry + n, "::", 2) &&
           !strcmp(entry + n + 2, w->operation);
}

/* The entries of map as a list for a message: "service:frontend, service:admin". */
static void add_entry_list(struct sm_buf *out, const struct sm_map *map)
{
    size_t k;

    for (k = 0; k < map->nwhy; k++) {
        if (k > 0 && !strcmp(map->why[k].entry, map->why[k - 1].entry))
            continue; /* operations of one service */
        if (out->len > 0)
            sm_buf_adds(out, ", ");
        if (out->len > 200) {
            sm_buf_adds(out, "...");
            break;
        }
        sm_emit_clean_text(out, map->why[k].entry);
    }
}

int sm_emit_critical_shares(const struct sm_map *map, const char *entry, double *shares,
                            struct sm_error *err)
{
    uint64_t total_ns = 0, *critical_ns = NULL;
    size_t j, k, m, matched = 0;
    int rc = 0;

    if (map->nwhy == 0)
        return sm_error_set(err, SM_EUSAGE,
                            "the map has no critical-path figures: they come from the spans of "
                            "entry requests, which pre-aggregated dependencies do not carry");
    critical_ns = sm_xcalloc(map->nedges ? map->nedges : 1, sizeof(*critical_ns));
    for (k = 0; k < map->nwhy; k++) {
        const struct sm_why_entry *w = &map->why[k];

        if (!entry_named(w, entry))
            continue;
        matched++;
        total_ns = sm_count_add(total_ns, w->total_ns);
        for (m = 0; m < w->nedges; m++) {
            size_t from = sm_map_find_node_id(map, w->edges[m].from);
            size_t to = sm_map_find_node_id(map, w->edges[m].to);
            int kind;

            if (from == (size_t)-1 || to == (size_t)-1)
                continue; /* shaped away */
            /* the why section knows nodes, not edge kinds: every kind between them */
            for (kind = SM_EDGE_RPC; kind <= SM_EDGE_EXTERNAL; kind++) {
                j = sm_map_find_edge(map, from, to, (enum sm_edge_kind)kind);
                if (j != (size_t)-1)
                    critical_ns[j] = sm_count_add(critical_ns[j], w->edges[m].critical_ns);
            }
        }
    }
    if (matched == 0) {
        struct sm_buf list;

        sm_buf_init(&list);
        add_entry_list(&list, map);
        rc = sm_error_set(err, SM_EUSAGE, "no entry '%s' in the map; its entries: %s", entry,
                          list.data ? list.data : "");
        sm_buf_release(&list);
        goto out;
    }
    for (j = 0; j < map->nedges; j++) {
        if (critical_ns[j] == 0 || total_ns == 0)
            shares[j] = -1;
        else
            shares[j] = (double)critical_ns[j] / (double)total_ns;
    }
out:
    free(critical_ns);
    return rc;
}

int sm_emit_edge_level(const struct sm_map *map, size_t j, const struct sm_style *style)
{
    double share;

    if (style->weight != SM_WEIGHT_CRITICAL)
        return sm_edge_severity(&map->edges[j], style);
    share = edge_share(map, &map->edges[j], style);
    if (style->crit_critical > 0 && share >= style->crit_critical)
        return 2;
    if (style->warn_critical > 0 && share >= style->warn_critical)
        return 1;
    return 0;
}

double sm_emit_edge_width(const struct sm_map *map, size_t j, const struct sm_style *style)
{
    double share;

    if (style->weight != SM_WEIGHT_CRITICAL)
        return sm_emit_width(map->edges[j].calls);
    /* 1 for none, 5 for all of the entries' time, in quarter steps like the call scale */
    share = edge_share(map, &map->edges[j], style);
    if (!(share > 0))
        return 1;
    if (share > 1)
        share = 1;
    return round((1 + 4 * share) * 4) / 4;
}

const char *sm_emit_severity_color(int level)
{
    return level >= 2 ? SM_COLOR_CRIT : level == 1 ? SM_COLOR_WARN : SM_COLOR_NORMAL;
}

const char *sm_emit_group_of(const struct sm_node *n, const char *group_by)
{
    /* one list of attribute names, shared with --collapse */
    return sm_shape_group_of(n, group_by);
}

double sm_emit_width(uint64_t calls)
{
    double w;

    /* An absolute scale, so that the same volume draws the same width on every map
     * (and on both sides of a diff): 1 call 1, 100 calls 2.5, 10,000 calls 4. */
    if (calls <= 1)
        return 1;
    w = 1 + 0.75 * log10((double)calls);
    if (w > 5)
        w = 5;
    /* Quarter steps keep the printed number short and the same across libms. */
    return round(w * 4) / 4;
}

bool sm_emit_wants_legend(const struct sm_map *map, const struct sm_style *style)
{
    size_t j;

    if (style->nlegend_items > 0)
        return true;
    if (!style->legend)
        return false;
    for (j = 0; j < map->nedges; j++) {
        if (sm_emit_edge_level(map, j, style) > 0)
            return true;
    }
    return false;
}

static void add_threshold_ms(struct sm_buf *out, double ms)
{
    if (ms >= 1000)
        sm_buf_printf(out, "%g s", ms / 1000);
    else
        sm_buf_printf(out, "%g ms", ms);
}

void sm_emit_legend_text(const struct sm_style *style, int level, struct sm_buf *out)
{
    double p99 = level >= 2 ? style->crit_p99_ms : style->warn_p99_ms;
    double rate = level >= 2 ? style->crit_error_rate : style->warn_error_rate;
    const char *side = style->latency == SM_LATENCY_SERVER ? "server" : "client";

    sm_buf_adds(out, level >= 2 ? "red: " : "amber: ");
    if (style->weight == SM_WEIGHT_CRITICAL) {
        sm_buf_printf(out, "critical share \xe2\x89\xa5 %g %%",
                      (level >= 2 ? style->crit_critical : style->warn_critical) * 100);
        return;
    }
    if (p99 > 0) {
        sm_buf_printf(out, "%s p99 \xe2\x89\xa5 ", side);
        add_threshold_ms(out, p99);
    }
    if (rate > 0) {
        if (p99 > 0)
            sm_buf_adds(out, " or ");
        sm_buf_printf(out, "errors \xe2\x89\xa5 %g %%", rate * 100);
    }
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n, i;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not text. */
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    /* U+FFFE and U+FFFF are not XML characters either. */
    if (cp == 0xfffe || cp == 0xffff)
        return 0;
    return n;
}

void sm_emit_clean_text(struct sm_buf *out, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;

    while (*s) {
        size_t n = utf8_len(s);

        if (n == 0 || (n == 1 && ((*s < 0x20 && *s != '\n') || *s == 0x7f))) {
            sm_buf_adds(out, "\xef\xbf\xbd");
            s++;
            continue;
        }
        sm_buf_add(out, s, n);
        s += n;
    }
}

const struct sm_decor *sm_emit_node_decor(const struct sm_style *style, size_t i)
{
    return style->node_decor ? &style->node_decor[i] : NULL;
}

const struct sm_decor *sm_emit_edge_decor(const struct sm_style *style, size_t j)
{
    return style->edge_decor ? &style->edge_decor[j] : NULL;
}

void sm_emit_node_text(const struct sm_map *map, size_t i, const struct sm_style *style,
                       struct sm_buf *out)
{
    const struct sm_decor *d = sm_emit_node_decor(style, i);

    sm_emit_clean_text(out, map->nodes[i].name);
    if (d && d->note && *d->note) {
        sm_buf_addc(out, '\n');
        sm_emit_clean_text(out, d->note);
    }
}

void sm_emit_edge_text(const struct sm_map *map, size_t j, const struct sm_style *style,
                       struct sm_buf *out)
{
    const struct sm_decor *d = sm_emit_edge_decor(style, j);
    struct sm_buf raw;

    sm_buf_init(&raw);
    sm_edge_label(map, &map->edges[j], style, &raw);
    sm_emit_clean_text(out, raw.data ? raw.data : "");
    if (d && d->note && *d->note) {
        sm_buf_addc(out, '\n');
        sm_emit_clean_text(out, d->note);
    }
    sm_buf_release(&raw);
}
