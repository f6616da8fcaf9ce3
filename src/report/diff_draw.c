/* diff_draw.c: the change drawn on the union map, as decorations for the emitters.
 *
 * Added nodes and edges are green and bold, removed ones red and dashed, regressed edges
 * orange with a short note of what got worse; nodes whose share of an entry's critical
 * path moved by 5 pp or more (and the reporting threshold) carry that move as a note,
 * orange when it rose. The ordinary emitters (Mermaid, DOT, SVG, PNG) draw them and
 * escape the notes like any label.
 */
#include <stdlib.h>
#include <string.h>

#include "report_priv.h"

#define NONE SM_DIFF_NONE

#define COLOR_ADDED     "#2e7d32"
#define COLOR_REMOVED   "#c62828"
#define COLOR_REGRESSED "#ef6c00"

static const struct sm_legend_item legend[] = {
    {COLOR_ADDED, "added (green, bold)"},
    {COLOR_REMOVED, "removed (red, dashed)"},
    {COLOR_REGRESSED, "worse (orange): the label says what changed"},
};

const struct sm_legend_item *sm_diff_legend(size_t *n)
{
    *n = sizeof(legend) / sizeof(legend[0]);
    return legend;
}

void sm_diff_decorate(const struct sm_diff *d, struct sm_decor *node_decor,
                      struct sm_decor *edge_decor, struct sm_buf *notes)
{
    size_t *note_at = sm_xcalloc(d->map.nedges ? d->map.nedges : 1, sizeof(size_t));
    size_t *node_note_at = sm_xcalloc(d->map.nnodes ? d->map.nnodes : 1, sizeof(size_t));
    double floor = d->options.share_threshold > 0.05 ? d->options.share_threshold : 0.05;
    size_t i;

    memset(node_decor, 0, d->map.nnodes * sizeof(*node_decor));
    memset(edge_decor, 0, d->map.nedges * sizeof(*edge_decor));
    sm_buf_reset(notes);
    sm_buf_addc(notes, '\0'); /* offset 0 means "no note" */
    for (i = 0; i < d->nchanges; i++) {
        const struct sm_change *c = &d->changes[i];
        struct sm_decor *dec = c->edge != NONE ? &edge_decor[c->edge] : &node_decor[c->node];
        const struct sm_edge_diff *ed = c->edge != NONE ? &d->edges[c->edge] : NULL;

        switch (c->kind) {
        case SM_CHANGE_ADDED_NODE:
        case SM_CHANGE_ADDED_EDGE:
            dec->color = COLOR_ADDED;
            dec->bold = true;
            continue;
        case SM_CHANGE_REMOVED_NODE:
        case SM_CHANGE_REMOVED_EDGE:
            dec->color = COLOR_REMOVED;
            dec->dashed = true;
            continue;
        default:
            break;
        }
        if (!c->regression)
            continue;
        dec->color = COLOR_REGRESSED;
        dec->bold = true;
        /* notes of one edge are joined; changes of one edge are not adjacent in the
         * list, so an edge's note is rebuilt whole when a later change extends it */
        {
            struct sm_buf one;
            size_t prev = note_at[c->edge];

            sm_buf_init(&one);
            if (prev) {
                sm_buf_adds(&one, notes->data + prev);
                sm_buf_adds(&one, ", ");
            }
            if (c->kind == SM_CHANGE_LATENCY) {
                sm_buf_printf(&one, "%s ", sm_diff_quantile_names[c->quantile]);
                sm_report_ms(&one, c->base);
                sm_buf_adds(&one, " -> ");
                sm_report_ms(&one, c->head);
                sm_buf_adds(&one, " ms");
            } else if (c->kind == SM_CHANGE_ERRORS) {
                sm_buf_adds(&one, "errors ");
                sm_report_rate(&one, ed->base.error_rate);
                sm_buf_adds(&one, " -> ");
                sm_report_rate(&one, ed->head.error_rate);
            } else {
                sm_buf_printf(&one, "calls %llu -> %llu", (unsigned long long)ed->base.calls,
                              (unsigned long long)ed->head.calls);
            }
            note_at[c->edge] = notes->len;
            sm_buf_add(notes, one.data, one.len);
            sm_buf_addc(notes, '\0');
            sm_buf_release(&one);
        }
    }
    /* critical-path moves on the contributor's node, largest first (the share order) */
    for (i = 0; i < d->nshares; i++) {
        const struct sm_share_diff *s = &d->shares[i];
        size_t n = s->kind == SM_WHY_NODE ? sm_map_find_node_id(&d->map, s->id) : NONE;
        struct sm_buf one;

        if (s->presence == SM_SHARE_ENTRY_NEW || s->presence == SM_SHARE_ENTRY_GONE)
            continue;
        if (n == NONE || !(s->delta >= floor - 1e-12 || s->delta <= -floor + 1e-12))
            continue;
        if (s->delta > 0 && !node_decor[n].color) {
            node_decor[n].color = COLOR_REGRESSED;
            node_decor[n].bold = true;
        }
        sm_buf_init(&one);
        if (node_note_at[n]) {
            sm_buf_adds(&one, notes->data + node_note_at[n]);
            sm_buf_adds(&one, "\n");
        }
        sm_buf_adds(&one, "critical ");
        sm_report_share_side(&one, s, false);
        sm_buf_adds(&one, " -> ");
        sm_report_share_side(&one, s, true);
        sm_buf_adds(&one, " of ");
        sm_report_share_entry(&one, s, NULL);
        node_note_at[n] = notes->len;
        sm_buf_add(notes, one.data, one.len);
        sm_buf_addc(notes, '\0');
        sm_buf_release(&one);
    }
    /* the buffer has stopped moving: turn offsets into pointers */
    for (i = 0; i < d->map.nedges; i++) {
        if (note_at[i])
            edge_decor[i].note = notes->data + note_at[i];
    }
    for (i = 0; i < d->map.nnodes; i++) {
        if (node_note_at[i])
            node_decor[i].note = notes->data + node_note_at[i];
    }
    free(note_at);
    free(node_note_at);
}
