/* why_json.c: `svcmap why -f json`, schema svcmap.why/v1.
 *
 * {"schema", "source": {files, spans, traces}, "slowest_pct": null or P, "entries":
 * [{"entry", "operation", "traces", "total_ms", "latency_ms": {count, min, p50, p90,
 * p95, p99, max, mean}, "contributors": [{"id", "kind", "critical_ms", "share",
 * "share_p50", "share_p99"}], "edges": [{"from", "to", "critical_ms", "share"}]}]}.
 * Times in milliseconds rounded to the microsecond, shares as fractions rounded to 1e-4,
 * keys in a fixed order: the same model gives the same bytes.
 */
#include <math.h>

#include "svcmap/why_report.h"

static void ms(struct sm_buf *b, uint64_t ns)
{
    sm_buf_add_number(b, round((double)ns / 1e3) / 1e3);
}

static void ms_value(struct sm_buf *b, double v)
{
    sm_buf_add_number(b, round(v * 1e3) / 1e3);
}

static void share(struct sm_buf *b, double v)
{
    sm_buf_add_number(b, round(v * 1e4) / 1e4);
}

static void latency(struct sm_buf *b, const struct sm_why_entry *e)
{
    struct sm_latency_summary l;

    if (!sm_why_latency(e, &l)) {
        sm_buf_adds(b, "null");
        return;
    }
    sm_buf_printf(b, "{\"count\": %llu, \"min\": ", (unsigned long long)l.count);
    ms_value(b, l.min);
    sm_buf_adds(b, ", \"p50\": ");
    ms_value(b, l.p50);
    sm_buf_adds(b, ", \"p90\": ");
    ms_value(b, l.p90);
    sm_buf_adds(b, ", \"p95\": ");
    ms_value(b, l.p95);
    sm_buf_adds(b, ", \"p99\": ");
    ms_value(b, l.p99);
    sm_buf_adds(b, ", \"max\": ");
    ms_value(b, l.max);
    sm_buf_adds(b, ", \"mean\": ");
    ms_value(b, l.mean);
    sm_buf_addc(b, '}');
}

void sm_why_write_json(const struct sm_why_report *r, struct sm_buf *out)
{
    const struct sm_source *src = &r->map->source;

    sm_buf_adds(out, "{\n  \"schema\": \"" SM_WHY_SCHEMA "\",\n  \"source\": {\"files\": [");
    for (size_t i = 0; i < src->nfiles; i++) {
        if (i)
            sm_buf_adds(out, ", ");
        sm_buf_add_json_string(out, src->files[i]);
    }
    sm_buf_printf(out, "], \"spans\": %llu, \"traces\": %llu},\n  \"slowest_pct\": ",
                  (unsigned long long)src->spans, (unsigned long long)src->traces);
    if (r->slowest_pct > 0.0)
        sm_buf_add_number(out, r->slowest_pct);
    else
        sm_buf_adds(out, "null");
    sm_buf_adds(out, ",\n  \"entries\": [");
    for (size_t i = 0; i < r->nentries; i++) {
        const struct sm_why_entry *e = r->entries[i];

        sm_buf_adds(out, i ? ",\n    {\"entry\": " : "\n    {\"entry\": ");
        sm_buf_add_json_string(out, e->entry);
        sm_buf_adds(out, ", \"operation\": ");
        if (e->operation)
            sm_buf_add_json_string(out, e->operation);
        else
            sm_buf_adds(out, "null");
        sm_buf_printf(out, ", \"traces\": %llu, \"total_ms\": ", (unsigned long long)e->traces);
        ms(out, e->total_ns);
        sm_buf_adds(out, ",\n     \"latency_ms\": ");
        latency(out, e);
        sm_buf_adds(out, ",\n     \"contributors\": [");
        for (size_t k = 0; k < e->nparts; k++) {
            const struct sm_why_part *p = &e->parts[k];

            sm_buf_adds(out, k ? ",\n       {\"id\": " : "\n       {\"id\": ");
            sm_buf_add_json_string(out, p->id);
            sm_buf_printf(out, ", \"kind\": \"%s\", \"critical_ms\": ", sm_why_kind_name(p->kind));
            ms(out, p->critical_ns);
            sm_buf_adds(out, ", \"share\": ");
            share(out, sm_why_share(p->critical_ns, e->total_ns));
            sm_buf_adds(out, ", \"share_p50\": ");
            share(out, sm_why_share_quantile(p, 0.50));
            sm_buf_adds(out, ", \"share_p99\": ");
            share(out, sm_why_share_quantile(p, 0.99));
            sm_buf_addc(out, '}');
        }
        sm_buf_adds(out, e->nparts ? "\n     ],\n     \"edges\": [" : "],\n     \"edges\": [");
        for (size_t k = 0; k < e->nedges; k++) {
            const struct sm_why_edge *w = &e->edges[k];

            sm_buf_adds(out, k ? ",\n       {\"from\": " : "\n       {\"from\": ");
            sm_buf_add_json_string(out, w->from);
            sm_buf_adds(out, ", \"to\": ");
            sm_buf_add_json_string(out, w->to);
            sm_buf_adds(out, ", \"critical_ms\": ");
            ms(out, w->critical_ns);
            sm_buf_adds(out, ", \"share\": ");
            share(out, sm_why_share(w->critical_ns, e->total_ns));
            sm_buf_addc(out, '}');
        }
        sm_buf_adds(out, e->nedges ? "\n     ]}" : "]}");
    }
    sm_buf_adds(out, r->nentries ? "\n  ]\n}\n" : "]\n}\n");
}
