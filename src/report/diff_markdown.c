/* diff_markdown.c: the diff report as a pull-request comment: a heading, a summary line,
 * the gates that tripped as a list, and the changes as a table.
 *
 * Every name goes through the Markdown escape, so no name can end a cell or a line, or
 * open HTML, code, emphasis or a link. The words around the names are svcmap's own
 * (summaries, figures, the --fail-on rule, which its parser has validated).
 */
#include <string.h>

#include "report_priv.h"
#include "svcmap/escape.h"

#define NONE SM_DIFF_NONE

void sm_diff_write_markdown(const struct sm_diff *d, const struct sm_gate_hits *hits,
                            struct sm_buf *out)
{
    size_t i, nhits = hits ? hits->nhits : 0;

    sm_buf_adds(out, "### svcmap diff");
    if (d->options.base_name && d->options.head_name) {
        sm_buf_adds(out, ": ");
        sm_escape_markdown(out, d->options.base_name, strlen(d->options.base_name));
        sm_buf_adds(out, " -> ");
        sm_escape_markdown(out, d->options.head_name, strlen(d->options.head_name));
    }
    sm_buf_adds(out, "\n\n");
    sm_buf_adds(out, nhits ? "**Failed:** " : "**Summary:** ");
    sm_diff_add_summary(out, d);
    sm_buf_adds(out, ".\n");
    if (nhits) {
        sm_buf_printf(out, "\n**%zu gate%s tripped:**\n\n", nhits, nhits == 1 ? "" : "s");
        for (i = 0; i < nhits; i++) {
            sm_buf_adds(out, "- ");
            sm_report_hit(out, d, &hits->hits[i], sm_escape_markdown);
            sm_buf_adds(out, "\n");
        }
    }
    if (sm_diff_shares_moved(d) > 0) {
        sm_buf_printf(out,
                      "\n**Critical path:** shares of entry time that moved %g pp or more\n\n"
                      "| | entry | contributor | before | after | change |\n"
                      "|---|---|---|---|---|---|\n",
                      d->options.share_threshold * 100.0);
        for (i = 0; i < d->nshares; i++) {
            const struct sm_share_diff *s = &d->shares[i];

            if (!sm_diff_share_moved(d, i))
                continue;
            bool entry_row =
                s->presence == SM_SHARE_ENTRY_NEW || s->presence == SM_SHARE_ENTRY_GONE;

            sm_buf_printf(out, "| %s | ", sm_report_share_mark(s));
            sm_report_share_entry(out, s, sm_escape_markdown);
            sm_buf_adds(out, " | ");
            if (entry_row)
                sm_buf_adds(out, "(the entry point)");
            else
                sm_report_share_subject(out, s, sm_escape_markdown);
            sm_buf_adds(out, " | ");
            sm_report_share_side(out, s, false);
            sm_buf_adds(out, " | ");
            sm_report_share_side(out, s, true);
            if (entry_row)
                sm_buf_printf(out, " | %s |\n", sm_report_share_title(s));
            else
                sm_buf_printf(out, " | %+.1f pp |\n", s->delta * 100.0 + 0.0);
        }
    }
    if (!d->nchanges)
        return;
    sm_buf_adds(out, "\n| | change | from | to | details |\n|---|---|---|---|---|\n");
    for (i = 0; i < d->nchanges; i++) {
        const struct sm_change *c = &d->changes[i];

        sm_buf_printf(out, "| %s | %s | ", sm_diff_change_mark(c), sm_diff_change_title(c));
        if (c->edge != NONE)
            sm_report_node_label(out, &d->map.nodes[d->map.edges[c->edge].from],
                                 sm_escape_markdown);
        else
            sm_report_node_label(out, &d->map.nodes[c->node], sm_escape_markdown);
        sm_buf_adds(out, " | ");
        if (c->edge != NONE) {
            sm_report_node_label(out, &d->map.nodes[d->map.edges[c->edge].to], sm_escape_markdown);
        }
        sm_buf_adds(out, " | ");
        sm_diff_add_change_detail(out, d, c);
        sm_buf_adds(out, " |\n");
    }
}
