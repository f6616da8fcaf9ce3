/* check_text.c: the check report for a terminal: one line per violation and a summary.
 *
 * "RULES:LINE: KIND: FROM -> TO (KIND, N calls): WHY"; the rules file name, the node ids
 * and the reason go through the terminal escape.
 */
#include "report_priv.h"
#include "svcmap/escape.h"

void sm_check_write_text(const struct sm_check *c, unsigned mask, struct sm_buf *out)
{
    const struct sm_map *m = c->map;
    struct sm_buf line;
    size_t i;

    sm_buf_init(&line);
    for (i = 0; i < c->nviolations; i++) {
        const struct sm_violation *v = &c->violations[i];
        const struct sm_rule *r = &c->rules->rules[v->rule];

        sm_buf_reset(&line);
        sm_buf_printf(&line, "%s:%ld: %s: ", c->rules->file, r->line,
                      sm_violation_kind_name(v->kind));
        if (v->edge != (size_t)-1) {
            const struct sm_edge *e = &m->edges[v->edge];

            sm_buf_printf(&line, "%s -> %s (%s, %llu call%s): ", m->nodes[e->from].id,
                          m->nodes[e->to].id, sm_edge_kind_name(e->kind),
                          (unsigned long long)e->calls, e->calls == 1 ? "" : "s");
        } else {
            sm_buf_printf(&line, "%s: ", m->nodes[v->node].id);
        }
        sm_buf_adds(&line, v->why);
        sm_escape_terminal(out, line.data, line.len, false);
        sm_buf_addc(out, '\n');
    }
    sm_buf_release(&line);
    sm_check_add_tally(out, c);
    sm_buf_adds(out, ": ");
    sm_check_add_scope(out, c, mask);
    sm_buf_addc(out, '\n');
}
