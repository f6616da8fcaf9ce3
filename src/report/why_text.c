/* why_text.c: `svcmap why` as a table (terminal) and as Markdown, and the display names
 * both use.
 *
 * Per entry: a heading line with the traces and the entry's latency, then one row per
 * contributor, most critical time first: its share of the entry's time, the median and
 * p99 of its per-trace share, its critical time and its name. Names are escaped for
 * where they land (sm_escape_terminal, sm_escape_markdown).
 */
#include <string.h>

#include "svcmap/escape.h"
#include "svcmap/why_report.h"

static void node_name(struct sm_buf *out, const char *id, size_t len)
{
    static const char prefix[] = "service:";

    if (len >= sizeof(prefix) - 1 && !memcmp(id, prefix, sizeof(prefix) - 1)) {
        id += sizeof(prefix) - 1;
        len -= sizeof(prefix) - 1;
    }
    sm_buf_add(out, id, len);
}

void sm_why_display_name(struct sm_buf *out, const char *id)
{
    const char *sep = strstr(id, SM_WHY_WIRE_SEPARATOR);

    if (!sep) {
        node_name(out, id, strlen(id));
        return;
    }
    node_name(out, id, (size_t)(sep - id));
    sm_buf_adds(out, " -> ");
    sep += strlen(SM_WHY_WIRE_SEPARATOR);
    node_name(out, sep, strlen(sep));
}

static void escaped_name(struct sm_buf *out, const char *id, bool markdown)
{
    struct sm_buf name;

    sm_buf_init(&name);
    sm_why_display_name(&name, id);
    if (markdown)
        sm_escape_markdown(out, name.data ? name.data : "", name.len);
    else
        sm_escape_terminal(out, name.data ? name.data : "", name.len, false);
    sm_buf_release(&name);
}

static void heading(struct sm_buf *out, const struct sm_why_report *r, const struct sm_why_entry *e,
                    bool markdown)
{
    struct sm_latency_summary lat;

    sm_buf_adds(out, markdown ? "### " : "");
    escaped_name(out, e->entry, markdown);
    if (e->operation) {
        struct sm_buf op;

        sm_buf_init(&op);
        sm_buf_adds(&op, e->operation);
        sm_buf_adds(out, " ");
        if (markdown)
            sm_escape_markdown(out, op.data, op.len);
        else
            sm_escape_terminal(out, op.data, op.len, false);
        sm_buf_release(&op);
    }
    sm_buf_printf(out, ": %llu trace%s", (unsigned long long)e->traces, e->traces == 1 ? "" : "s");
    if (r->slowest_pct > 0.0)
        sm_buf_printf(out, " (the slowest %g %%)", r->slowest_pct);
    if (sm_why_latency(e, &lat))
        sm_buf_printf(out, ", latency p50 %.1f ms, p99 %.1f ms, max %.1f ms", lat.p50, lat.p99,
                      lat.max);
    sm_buf_adds(out, markdown ? "\n\n" : "\n");
}

static void write_text(const struct sm_why_report *r, struct sm_buf *out, bool markdown)
{
    if (!r->nentries)
        sm_buf_adds(out, markdown ? "No entry points: the inputs hold no traces.\n"
                                  : "no entry points: the inputs hold no traces\n");
    for (size_t i = 0; i < r->nentries; i++) {
        const struct sm_why_entry *e = r->entries[i];

        if (i)
            sm_buf_addc(out, '\n');
        heading(out, r, e, markdown);
        sm_buf_adds(out, markdown
                             ? "| share | p50 share | p99 share | critical ms | contributor |\n"
                               "|---:|---:|---:|---:|---|\n"
                             : "   share  p50 share  p99 share  critical ms  contributor\n");
        for (size_t k = 0; k < e->nparts; k++) {
            const struct sm_why_part *p = &e->parts[k];
            double share = sm_why_share(p->critical_ns, e->total_ns) * 100.0;
            double p50 = sm_why_share_quantile(p, 0.50) * 100.0;
            double p99 = sm_why_share_quantile(p, 0.99) * 100.0;
            double ms = (double)p->critical_ns / 1e6;

            if (markdown)
                sm_buf_printf(out, "| %.1f %% | %.1f %% | %.1f %% | %.1f | ", share, p50, p99, ms);
            else
                sm_buf_printf(out, "  %5.1f %%    %5.1f %%    %5.1f %%  %11.1f  ", share, p50, p99,
                              ms);
            escaped_name(out, p->id, markdown);
            if (p->kind == SM_WHY_WIRE)
                sm_buf_adds(out, markdown ? " (wire)" : "  (wire)");
            sm_buf_adds(out, markdown ? " |\n" : "\n");
        }
    }
}

void sm_why_write_table(const struct sm_why_report *r, struct sm_buf *out)
{
    write_text(r, out, false);
}

void sm_why_write_markdown(const struct sm_why_report *r, struct sm_buf *out)
{
    sm_buf_adds(out, "## Where the time goes\n\n");
    write_text(r, out, true);
}
