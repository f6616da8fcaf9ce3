/* check_json.c: the check report as the svcmap.check/v1 document.
 *
 * The rules file, the size of the map, the gate (the kinds that fail and how many did),
 * counts by kind and every violation with its rule, edge or node and reason; names are
 * JSON strings, escaped by the JSON string writer.
 */
#include "report_priv.h"

void sm_check_write_json(const struct sm_check *c, unsigned mask, struct sm_buf *out)
{
    const struct sm_map *m = c->map;
    size_t i, k;
    bool first = true;

    sm_buf_adds(out, "{\n  \"schema\": \"" SM_CHECK_SCHEMA "\",\n  \"rules\": {\"file\": ");
    sm_buf_add_json_string(out, c->rules->file);
    sm_buf_printf(out, ", \"statements\": %zu},\n", c->rules->nrules);
    sm_buf_printf(out,
                  "  \"map\": {\"nodes\": %zu, \"edges\": %zu, \"edges_checked\": %zu, "
                  "\"edges_ignored\": %zu},\n",
                  m->nnodes, m->nedges, c->edges_checked, c->edges_ignored);
    sm_buf_adds(out, "  \"gate\": {\"fail_on\": [");
    for (k = 0; k < SM_VIOLATION_NKINDS; k++) {
        if (!(mask & (1u << k)))
            continue;
        sm_buf_printf(out, "%s\"%s\"", first ? "" : ", ",
                      sm_violation_kind_name((enum sm_violation_kind)k));
        first = false;
    }
    sm_buf_printf(out, "], \"tripped\": %zu},\n", sm_check_tripped(c, mask));
    sm_buf_adds(out, "  \"counts\": {");
    for (k = 0; k < SM_VIOLATION_NKINDS; k++)
        sm_buf_printf(out, "%s\"%s\": %zu", k ? ", " : "",
                      sm_violation_kind_name((enum sm_violation_kind)k), c->counts[k]);
    sm_buf_adds(out, "},\n  \"violations\": [");
    for (i = 0; i < c->nviolations; i++) {
        const struct sm_violation *v = &c->violations[i];
        const struct sm_rule *r = &c->rules->rules[v->rule];

        sm_buf_adds(out, i ? ",\n    " : "\n    ");
        sm_buf_printf(out, "{\"kind\": \"%s\", \"rule\": {\"line\": %ld, \"text\": ",
                      sm_violation_kind_name(v->kind), r->line);
        sm_buf_add_json_string(out, r->text);
        sm_buf_adds(out, "}, ");
        if (v->edge != (size_t)-1) {
            const struct sm_edge *e = &m->edges[v->edge];

            sm_buf_adds(out, "\"from\": ");
            sm_buf_add_json_string(out, m->nodes[e->from].id);
            sm_buf_adds(out, ", \"to\": ");
            sm_buf_add_json_string(out, m->nodes[e->to].id);
            sm_buf_printf(out, ", \"edge_kind\": \"%s\", \"calls\": %llu, \"errors\": %llu, ",
                          sm_edge_kind_name(e->kind), (unsigned long long)e->calls,
                          (unsigned long long)e->errors);
        } else {
            sm_buf_adds(out, "\"node\": ");
            sm_buf_add_json_string(out, m->nodes[v->node].id);
            sm_buf_adds(out, ", ");
        }
        sm_buf_adds(out, "\"why\": ");
        sm_buf_add_json_string(out, v->why);
        sm_buf_printf(out, ", \"fails_gate\": %s}", (mask & (1u << v->kind)) ? "true" : "false");
    }
    sm_buf_adds(out, c->nviolations ? "\n  ]\n}\n" : "]\n}\n");
}
