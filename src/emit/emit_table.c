/* emit_table.c: the edges as an aligned text table and as CSV.
 *
 * Both list one edge a row, busiest first (ties by from, to, kind), with calls, errors,
 * error rate and latency quantiles of the side the style picks (client by default,
 * falling back to the other side when that side has no spans).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/emit.h"
#include "svcmap/escape.h"

static const struct sm_map *sort_map;

static int cmp_calls(const void *a, const void *b)
{
    const struct sm_edge *x = &sort_map->edges[*(const size_t *)a];
    const struct sm_edge *y = &sort_map->edges[*(const size_t *)b];

    if (x->calls != y->calls)
        return x->calls > y->calls ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Edge positions, busiest first (map edges are already in canonical order). */
static size_t *edges_by_calls(const struct sm_map *map)
{
    size_t *order = sm_xmalloc((map->nedges ? map->nedges : 1) * sizeof(size_t));
    size_t i;

    for (i = 0; i < map->nedges; i++)
        order[i] = i;
    sort_map = map;
    qsort(order, map->nedges, sizeof(size_t), cmp_calls);
    sort_map = NULL;
    return order;
}

static bool latency(const struct sm_edge *e, const struct sm_style *style,
                    struct sm_latency_summary *s)
{
    enum sm_side first =
        style && style->latency == SM_LATENCY_SERVER ? SM_SIDE_SERVER : SM_SIDE_CLIENT;

    if (sm_edge_latency(e, first, s))
        return true;
    return sm_edge_latency(e, first == SM_SIDE_CLIENT ? SM_SIDE_SERVER : SM_SIDE_CLIENT, s);
}

/* "~" marks figures estimated from histogram buckets (pre-aggregated inputs). */
static void format_ms(char *buf, size_t size, bool have, bool estimated, double v)
{
    const char *mark = estimated ? "~" : "";

    if (!have)
        snprintf(buf, size, "-");
    else if (v >= 1000.0)
        snprintf(buf, size, "%s%.2f s", mark, v / 1000.0);
    else if (v >= 100.0)
        snprintf(buf, size, "%s%.0f ms", mark, v);
    else if (v >= 10.0)
        snprintf(buf, size, "%s%.1f ms", mark, v);
    else
        snprintf(buf, size, "%s%.2f ms", mark, v);
}

/* Display width of a UTF-8 string, counting code points (good enough for names). */
static size_t width(const char *s)
{
    size_t w = 0;

    for (; *s; s++) {
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    }
    return w;
}

#define NCOLS 9

/* s escaped for a terminal (svcmap/escape.h), as a string the caller frees. */
static char *terminal_text(const char *s)
{
    struct sm_buf b;
    char *t;

    sm_buf_init(&b);
    sm_escape_terminal(&b, s, strlen(s), false);
    t = sm_xstrdup(b.data ? b.data : "");
    sm_buf_release(&b);
    return t;
}

static void pad(struct sm_buf *out, const char *s, size_t w, bool right)
{
    size_t n = width(s);

    if (right)
        while (n++ < w)
            sm_buf_addc(out, ' ');
    sm_buf_adds(out, s);
    if (!right)
        while (n++ < w)
            sm_buf_addc(out, ' ');
}

static int emit_table(const struct sm_map *map, const struct sm_style *style, struct sm_buf *out,
                      struct sm_error *err)
{
    static const char *const head[NCOLS] = {"FROM", "TO",  "KIND", "CALLS", "ERRORS",
                                            "ERR%", "P50", "P95",  "P99"};
    static const bool right[NCOLS] = {false, false, false, true, true, true, true, true, true};
    size_t *order = edges_by_calls(map);
    char ***cells = sm_xcalloc(map->nedges + 1, sizeof(char **));
    size_t w[NCOLS], i, c;

    (void)err;
    for (c = 0; c < NCOLS; c++)
        w[c] = strlen(head[c]);
    for (i = 0; i < map->nedges; i++) {
        const struct sm_edge *e = &map->edges[order[i]];
        struct sm_latency_summary s;
        bool have = latency(e, style, &s);
        char tmp[NCOLS][64];

        snprintf(tmp[3], 64, "%llu", (unsigned long long)e->calls);
        snprintf(tmp[4], 64, "%llu", (unsigned long long)e->errors);
        snprintf(tmp[5], 64, "%.1f", 100.0 * sm_edge_error_rate(e));
        format_ms(tmp[6], 64, have, e->latency_estimated, s.p50);
        format_ms(tmp[7], 64, have, e->latency_estimated, s.p95);
        format_ms(tmp[8], 64, have, e->latency_estimated, s.p99);
        cells[i] = sm_xcalloc(NCOLS, sizeof(char *));
        /* the table is read on a terminal: names are escaped for it before the columns
         * are measured */
        cells[i][0] = terminal_text(map->nodes[e->from].id);
        cells[i][1] = terminal_text(map->nodes[e->to].id);
        cells[i][2] = sm_xstrdup(sm_edge_kind_name(e->kind));
        for (c = 3; c < NCOLS; c++)
            cells[i][c] = sm_xstrdup(tmp[c]);
        for (c = 0; c < NCOLS; c++) {
            if (width(cells[i][c]) > w[c])
                w[c] = width(cells[i][c]);
        }
    }
    for (c = 0; c < NCOLS; c++) {
        pad(out, head[c], w[c], right[c]);
        sm_buf_adds(out, c + 1 < NCOLS ? "  " : "\n");
    }
    for (i = 0; i < map->nedges; i++) {
        for (c = 0; c < NCOLS; c++) {
            pad(out, cells[i][c], w[c], right[c]);
            sm_buf_adds(out, c + 1 < NCOLS ? "  " : "\n");
            free(cells[i][c]);
        }
        free(cells[i]);
    }
    if (map->nedges == 0)
        sm_buf_adds(out, "(no edges)\n");
    for (i = 0; i < map->nedges; i++) {
        if (map->edges[i].latency_estimated) {
            sm_buf_adds(out, "~ estimated from histogram buckets (see -f json for the bounds)\n");
            break;
        }
    }
    free(cells);
    free(order);
    return 0;
}

static void csv_field(struct sm_buf *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n")) {
        sm_buf_addc(out, '"');
        for (; *s; s++) {
            if (*s == '"')
                sm_buf_addc(out, '"');
            sm_buf_addc(out, *s);
        }
        sm_buf_addc(out, '"');
    } else {
        sm_buf_adds(out, s);
    }
}

static void csv_ms(struct sm_buf *out, bool have, double v)
{
    sm_buf_addc(out, ',');
    if (have)
        sm_buf_printf(out, "%.3f", v);
}

static int emit_csv(const struct sm_map *map, const struct sm_style *style, struct sm_buf *out,
                    struct sm_error *err)
{
    size_t *order = edges_by_calls(map);
    size_t i;

    (void)err;
    sm_buf_adds(out, "from,to,kind,calls,errors,error_rate,p50_ms,p90_ms,p95_ms,p99_ms,max_ms,"
                     "latency_estimated\r\n");
    for (i = 0; i < map->nedges; i++) {
        const struct sm_edge *e = &map->edges[order[i]];
        struct sm_latency_summary s;
        bool have = latency(e, style, &s);

        csv_field(out, map->nodes[e->from].id);
        sm_buf_addc(out, ',');
        csv_field(out, map->nodes[e->to].id);
        sm_buf_printf(out, ",%s,%llu,%llu,%.4f", sm_edge_kind_name(e->kind),
                      (unsigned long long)e->calls, (unsigned long long)e->errors,
                      sm_edge_error_rate(e));
        csv_ms(out, have, s.p50);
        csv_ms(out, have, s.p90);
        csv_ms(out, have, s.p95);
        csv_ms(out, have, s.p99);
        csv_ms(out, have, s.max);
        sm_buf_adds(out, e->latency_estimated ? ",true\r\n" : ",false\r\n");
    }
    free(order);
    return 0;
}

static const char *const table_extensions[] = {".txt", NULL};
static const char *const csv_extensions[] = {".csv", NULL};

const struct sm_emitter sm_emit_table = {
    .name = "table",
    .extensions = table_extensions,
    .binary = false,
    .emit = emit_table,
};

const struct sm_emitter sm_emit_csv = {
    .name = "csv",
    .extensions = csv_extensions,
    .binary = false,
    .emit = emit_csv,
};
