/* check_markdown.c: the check report as a pull-request comment: a heading with the
 * tally, the scope, and a table of the violations.
 *
 * The rules file name, the rule text, node ids and reasons are escaped for Markdown.
 */
#include <string.h>

#include "report_priv.h"
#include "svcmap/escape.h"

static void add_md(struct sm_buf *out, const char *s)
{
    sm_escape_markdown(out, s, strlen(s));
}

void sm_check_write_markdown(const struct sm_check *c, unsigned mask, struct sm_buf *out)
{
    const struct sm_map *m = c->map;
    size_t i;

    sm_buf_adds(out, "### svcmap check: ");
    sm_check_add_tally(out, c);
    sm_buf_adds(out, "\n\n");
    sm_check_add_scope(out, c, mask);
    sm_buf_adds(out, ".\n");
    if (!c->nviolations)
        return;
    sm_buf_adds(out, "\n| rule | kind | edge or node | calls | why | gate |\n"
                     "|---|---|---|---:|---|---|\n");
    for (i = 0; i < c->nviolations; i++) {
        const struct sm_violation *v = &c->violations[i];
        const struct sm_rule *r = &c->rules->rules[v->rule];

        sm_buf_adds(out, "| ");
        add_md(out, c->rules->file);
        sm_buf_printf(out, ":%ld ", r->line);
        add_md(out, r->text);
        sm_buf_printf(out, " | %s | ", sm_violation_kind_name(v->kind));
        if (v->edge != (size_t)-1) {
            const struct sm_edge *e = &m->edges[v->edge];

            add_md(out, m->nodes[e->from].id);
            sm_buf_adds(out, " → ");
            add_md(out, m->nodes[e->to].id);
            sm_buf_printf(out, " | %llu | ", (unsigned long long)e->calls);
        } else {
            add_md(out, m->nodes[v->node].id);
            sm_buf_adds(out, " |  | ");
        }
        add_md(out, v->why);
        sm_buf_adds(out, (mask & (1u << v->kind)) ? " | fails |\n" : " | |\n");
    }
}
