/* diff_text.c: the diff report for a terminal: a summary line, a line per change, and
 * the gates that tripped.
 *
 * Colours are ANSI escapes when asked for; every name (and the side names) goes through
 * the terminal escape, so a name cannot emit escapes of its own or reorder the line.
 */
#include <string.h>

#include "report_priv.h"
#include "svcmap/escape.h"

#define NONE SM_DIFF_NONE

static void term(struct sm_buf *out, const char *s, size_t len)
{
    sm_escape_terminal(out, s, len, false);
}

void sm_diff_write_text(const struct sm_diff *d, const struct sm_gate_hits *hits, bool color,
                        struct sm_buf *out)
{
    const char *red = color ? "\033[31m" : "", *green = color ? "\033[32m" : "";
    const char *yellow = color ? "\033[33m" : "", *bold = color ? "\033[1m" : "";
    const char *reset = color ? "\033[0m" : "";
    size_t i, nhits = hits ? hits->nhits : 0;
    sm_buf_printf(out, "%ssvcmap diff", bold);
    if (d->options.base_name && d->options.head_name) {
        sm_buf_adds(out, " ");
        term(out, d->options.base_name, strlen(d->options.base_name));
        sm_buf_adds(out, " -> ");
        term(out, d->options.head_name, strlen(d->options.head_name));
    }
    sm_buf_printf(out, ":%s ", reset);
    sm_diff_add_summary(out, d);
    sm_buf_adds(out, "\n");
    for (i = 0; i < d->nchanges; i++) {
        const struct sm_change *c = &d->changes[i];
        const char *mark = sm_diff_change_mark(c), *col;

        if (*mark == '+')
            col = green;
        else if (*mark == '-')
            col = red;
        else
            col = c->regression ? yellow : "";
        sm_buf_printf(out, "%s%s %-12s%s ", col, mark, sm_diff_change_title(c),
                      color && *col ? reset : "");
        sm_diff_add_change_subject(out, d, c, term);
        sm_buf_adds(out, "  ");
        sm_diff_add_change_detail(out, d, c);
        sm_buf_adds(out, "\n");
    }
    if (sm_diff_shares_moved(d) > 0) {
        sm_buf_printf(out, "%scritical path: shares of entry time that moved %g pp or more%s\n",
                      bold, d->options.share_threshold * 100.0, reset);
        for (i = 0; i < d->nshares; i++) {
            const char *mark = sm_report_share_mark(&d->shares[i]);
            const char *col = *mark == '!'   ? yellow
                              : *mark == '+' ? green
                              : *mark == '-' ? red
                                             : "";

            if (!sm_diff_share_moved(d, i))
                continue;
            sm_buf_printf(out, "%s%s %-12s%s ", col, mark, sm_report_share_title(&d->shares[i]),
                          color && *col ? reset : "");
            sm_report_share_move(out, &d->shares[i], term);
            sm_buf_adds(out, "\n");
        }
    }
    if (nhits) {
        sm_buf_printf(out, "%s%zu gate%s tripped:%s\n", color ? "\033[1;31m" : "", nhits,
                      nhits == 1 ? "" : "s", reset);
        for (i = 0; i < nhits; i++) {
            sm_buf_adds(out, "  ");
            sm_report_hit(out, d, &hits->hits[i], term);
            sm_buf_adds(out, "\n");
        }
    }
}
