/* diff_json.c: the diff report as the svcmap.diff/v1 document.
 *
 * Deterministic like the map document: the options, a summary, the changes most severe
 * first with both sides' figures, and the gates that tripped, each as its reason line.
 * Names are JSON strings, escaped by the JSON string writer.
 */
#include <string.h>

#include "report_priv.h"

#define NONE SM_DIFF_NONE

static void json_latency(struct sm_buf *out, const struct sm_edge_figures *f)
{
    int q;

    sm_buf_adds(out, "{");
    for (q = 0; q < SM_DIFF_NQUANTILES; q++) {
        sm_buf_printf(out, "%s\"%s\":", q ? "," : "", sm_diff_quantile_names[q]);
        sm_buf_add_number(out, sm_report_tidy(sm_report_quantile(&f->latency, q)));
    }
    sm_buf_adds(out, "}");
}

static void json_figures(struct sm_buf *out, const struct sm_edge_figures *f)
{
    if (!f->present) {
        sm_buf_adds(out, "null");
        return;
    }
    sm_buf_printf(out,
                  "{\"calls\":%llu,\"errors\":%llu,\"error_rate\":", (unsigned long long)f->calls,
                  (unsigned long long)f->errors);
    sm_buf_add_number(out, sm_report_tidy(f->error_rate));
    if (f->has_latency) {
        sm_buf_adds(out, ",\"latency_ms\":");
        json_latency(out, f);
    }
    sm_buf_adds(out, "}");
}

void sm_diff_write_json(const struct sm_diff *d, const struct sm_gate_hits *hits,
                        struct sm_buf *out)
{
    struct sm_diff_tally t;
    struct sm_buf line;
    size_t i, nhits = hits ? hits->nhits : 0;

    sm_diff_tally(d, &t);
    sm_buf_adds(out, "{\"schema\":\"svcmap.diff/v1\",\"options\":{\"min_calls\":");
    sm_buf_printf(out, "%llu,\"latency_side\":\"%s\",\"calls_threshold\":",
                  (unsigned long long)d->options.min_calls,
                  d->options.side == SM_SIDE_CLIENT ? "client" : "server");
    sm_buf_add_number(out, d->options.calls_threshold);
    sm_buf_adds(out, ",\"errors_threshold_pp\":");
    sm_buf_add_number(out, sm_report_tidy(d->options.errors_threshold * 100.0));
    sm_buf_adds(out, ",\"latency_threshold\":");
    sm_buf_add_number(out, d->options.latency_threshold);
    sm_buf_adds(out, ",\"latency_min_ms\":");
    sm_buf_add_number(out, d->options.latency_min_ms);
    if (d->has_why) {
        sm_buf_adds(out, ",\"share_threshold_pp\":");
        sm_buf_add_number(out, sm_report_tidy(d->options.share_threshold * 100.0));
    }
    if (d->options.base_name && d->options.head_name) {
        sm_buf_adds(out, ",\"base\":");
        sm_buf_add_json_string(out, d->options.base_name);
        sm_buf_adds(out, ",\"head\":");
        sm_buf_add_json_string(out, d->options.head_name);
    }
    sm_buf_printf(out,
                  "},\"summary\":{\"nodes_added\":%zu,\"nodes_removed\":%zu,\"edges_added\":%zu,"
                  "\"edges_removed\":%zu,\"edges_changed\":%zu,\"ignored_edges\":%zu,"
                  "\"changes\":%zu,\"gates_tripped\":%zu},\n\"changes\":[",
                  t.nodes_added, t.nodes_removed, t.edges_added, t.edges_removed, t.edges_changed,
                  d->ignored_edges, d->nchanges, nhits);
    for (i = 0; i < d->nchanges; i++) {
        const struct sm_change *c = &d->changes[i];

        sm_buf_printf(out, "%s\n{\"kind\":\"%s\",\"regression\":%s", i ? "," : "",
                      sm_change_kind_name(c->kind), c->regression ? "true" : "false");
        if (c->edge == NONE) {
            const struct sm_node *n = &d->map.nodes[c->node];

            sm_buf_adds(out, ",\"node\":");
            sm_buf_add_json_string(out, n->id);
            sm_buf_adds(out, ",\"calls\":");
            sm_buf_add_number(out, c->kind == SM_CHANGE_ADDED_NODE ? c->head : c->base);
        } else {
            const struct sm_edge *e = &d->map.edges[c->edge];
            const struct sm_edge_diff *ed = &d->edges[c->edge];

            sm_buf_adds(out, ",\"from\":");
            sm_buf_add_json_string(out, d->map.nodes[e->from].id);
            sm_buf_adds(out, ",\"to\":");
            sm_buf_add_json_string(out, d->map.nodes[e->to].id);
            sm_buf_printf(out, ",\"edge_kind\":\"%s\"", sm_edge_kind_name(e->kind));
            if (c->kind == SM_CHANGE_LATENCY)
                sm_buf_printf(out, ",\"quantile\":\"%s\",\"latency_side\":\"%s\"",
                              sm_diff_quantile_names[c->quantile],
                              ed->side == SM_SIDE_CLIENT ? "client" : "server");
            if (c->kind == SM_CHANGE_LATENCY || c->kind == SM_CHANGE_CALLS ||
                c->kind == SM_CHANGE_ERRORS) {
                /* calls and latency: relative (0.5 = +50 %); errors: percentage points */
                sm_buf_adds(out, ",\"delta\":");
                sm_buf_add_number(out, c->delta);
            }
            sm_buf_adds(out, ",\"base\":");
            json_figures(out, &ed->base);
            sm_buf_adds(out, ",\"head\":");
            json_figures(out, &ed->head);
        }
        sm_buf_adds(out, "}");
    }
    sm_buf_adds(out, "]");
    /* only when both maps have critical-path figures: a diff of maps without them keeps
     * the document it always had */
    if (d->has_why) {
        sm_buf_adds(out, ",\n\"critical\":[");
        for (i = 0; i < d->nshares; i++) {
            const struct sm_share_diff *s = &d->shares[i];

            sm_buf_adds(out, i ? ",\n{\"entry\":" : "\n{\"entry\":");
            sm_buf_add_json_string(out, s->entry);
            sm_buf_adds(out, ",\"operation\":");
            if (s->operation)
                sm_buf_add_json_string(out, s->operation);
            else
                sm_buf_adds(out, "null");
            sm_buf_adds(out, ",\"id\":");
            sm_buf_add_json_string(out, s->id);
            sm_buf_printf(out, ",\"kind\":\"%s\",\"presence\":\"%s\"",
                          s->kind == SM_WHY_WIRE ? "wire" : "node", sm_report_share_presence(s));
            if (s->presence == SM_SHARE_ENTRY_NEW || s->presence == SM_SHARE_ENTRY_GONE) {
                /* no share moved: the entry is on one side only */
                sm_buf_printf(out, ",\"traces\":%llu,\"base\":null,\"head\":null,\"delta_pp\":null",
                              (unsigned long long)s->traces);
            } else {
                sm_buf_adds(out, ",\"base\":");
                sm_buf_add_number(out, sm_report_tidy(s->base));
                sm_buf_adds(out, ",\"head\":");
                sm_buf_add_number(out, sm_report_tidy(s->head));
                sm_buf_adds(out, ",\"delta_pp\":");
                sm_buf_add_number(out, sm_report_tidy(s->delta * 100.0));
            }
            sm_buf_printf(out, ",\"reported\":%s}", sm_diff_share_moved(d, i) ? "true" : "false");
        }
        sm_buf_adds(out, "]");
    }
    sm_buf_adds(out, ",\n\"gates\":[");
    sm_buf_init(&line);
    for (i = 0; i < nhits; i++) {
        sm_buf_reset(&line);
        sm_gate_hit_describe(d, &hits->hits[i], &line);
        if (i)
            sm_buf_adds(out, ",");
        sm_buf_add_json_string(out, line.data);
    }
    sm_buf_release(&line);
    sm_buf_adds(out, "]}\n");
}
