/* layout.c: what a picture will cost before Graphviz is asked, and a layout that
 * costs nothing.
 *
 * Graphviz lays out each connected component on its own and then packs them; with
 * thousands of small components (disjoint pairs: 500 take dot 24 s, 2,000 take sfdp
 * minutes) that per-component work dominates. sm_layout_components counts components
 * with a union-find over the edges. sm_layout_grid places every node itself, in time
 * linear in nodes and edges: inside a component, a node's column is its breadth-first
 * distance from the component's entry nodes (those without callers) and nodes of one
 * column are stacked; components are then packed into rows (shelves) of about the
 * picture's square width. Graphviz then only draws (the "nop2" engine).
 */
#include "emit_priv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t find_root(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/* parent[] of a union-find over the edges; caller frees. */
static size_t *union_components(const struct sm_map *map)
{
    size_t *parent = sm_xmalloc((map->nnodes ? map->nnodes : 1) * sizeof(*parent));
    size_t i;

    for (i = 0; i < map->nnodes; i++)
        parent[i] = i;
    for (i = 0; i < map->nedges; i++) {
        size_t a = find_root(parent, map->edges[i].from), b = find_root(parent, map->edges[i].to);

        if (a != b)
            parent[a > b ? a : b] = a > b ? b : a;
    }
    return parent;
}

void sm_layout_components(const struct sm_map *map, size_t *ncomponents, size_t *largest)
{
    size_t *parent = union_components(map), *size, i;

    size = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(*size));
    *ncomponents = 0;
    *largest = 0;
    for (i = 0; i < map->nnodes; i++) {
        size_t r = find_root(parent, i);

        if (r == i)
            ++*ncomponents;
        if (++size[r] > *largest)
            *largest = size[r];
    }
    free(size);
    free(parent);
}

/* Width of a node's box in points, from its label: Helvetica 11 averages under 7
 * points a character, plus the box's margins. */
static double node_width(const struct sm_node *n)
{
    return 7.0 * (double)strlen(n->name) + 30.0;
}

#define ROW_PT        54.0 /* height of one stacked node, gap included */
#define COLUMN_GAP    70.0 /* room between columns for the arrow and its label */
#define COMPONENT_GAP 30.0

void sm_layout_grid(const struct sm_map *map, bool top_to_bottom, double *x, double *y)
{
    size_t n = map->nnodes, i, j, head, tail;
    size_t *parent = union_components(map), *depth, *queue, *first_out, *out_edges;
    size_t *members, *member_start, *slot, *comp_of;
    size_t ncomp = 0;
    double *column_x, *col_width;
    size_t *col_count;
    double shelf_x = 0, shelf_y = 0, shelf_h = 0, total_area = 0, row_limit;

    if (n == 0) {
        free(parent);
        return;
    }
    depth = sm_xmalloc(n * sizeof(*depth));
    queue = sm_xmalloc(n * sizeof(*queue));
    first_out = sm_xcalloc(n + 1, sizeof(*first_out));
    out_edges = sm_xmalloc((map->nedges ? map->nedges : 1) * sizeof(*out_edges));
    comp_of = sm_xmalloc(n * sizeof(*comp_of));
    member_start = sm_xcalloc(n + 1, sizeof(*member_start));
    members = sm_xmalloc(n * sizeof(*members));
    slot = sm_xmalloc(n * sizeof(*slot));
    column_x = sm_xcalloc(n + 1, sizeof(*column_x));
    col_width = sm_xcalloc(n + 1, sizeof(*col_width));
    col_count = sm_xcalloc(n + 1, sizeof(*col_count));

    /* adjacency (callees of each node) in compressed rows */
    for (j = 0; j < map->nedges; j++)
        first_out[map->edges[j].from + 1]++;
    for (i = 0; i < n; i++)
        first_out[i + 1] += first_out[i];
    for (i = 0; i < n; i++)
        slot[i] = first_out[i];
    for (j = 0; j < map->nedges; j++)
        out_edges[slot[map->edges[j].from]++] = map->edges[j].to;

    /* components numbered by their smallest node, members listed in node order */
    for (i = 0; i < n; i++) {
        size_t r = find_root(parent, i);

        comp_of[i] = r == i ? ncomp++ : comp_of[r];
        member_start[comp_of[i] + 1]++;
    }
    for (i = 0; i < ncomp; i++)
        member_start[i + 1] += member_start[i];
    for (i = 0; i < ncomp; i++)
        slot[i] = member_start[i];
    for (i = 0; i < n; i++)
        members[slot[comp_of[i]]++] = i;

    /* columns: breadth-first distance from nodes nobody calls (then from any node not
     * reached yet, for cycles) */
    for (i = 0; i < n; i++)
        depth[i] = SIZE_MAX;
    {
        bool *called = sm_xcalloc(n, sizeof(*called));

        for (j = 0; j < map->nedges; j++)
            if (map->edges[j].from != map->edges[j].to)
                called[map->edges[j].to] = true;
        for (int pass = 0; pass < 2; pass++) {
            for (i = 0; i < n; i++) {
                if (depth[i] != SIZE_MAX || (pass == 0 && called[i]))
                    continue;
                depth[i] = 0;
                head = tail = 0;
                queue[tail++] = i;
                while (head < tail) {
                    size_t u = queue[head++], k;

                    for (k = first_out[u]; k < first_out[u + 1]; k++) {
                        size_t v = out_edges[k];

                        if (depth[v] == SIZE_MAX) {
                            depth[v] = depth[u] + 1;
                            queue[tail++] = v;
                        }
                    }
                }
            }
        }
        free(called);
    }

    for (i = 0; i < n; i++)
        total_area += (node_width(&map->nodes[i]) + COLUMN_GAP) * ROW_PT;
    row_limit = sqrt(total_area) * 1.6;

    for (size_t c = 0; c < ncomp; c++) {
        size_t from = member_start[c], to = member_start[c + 1], k, ncols = 0;
        double w = 0, h = 0;

        for (k = from; k < to; k++) {
            size_t d = depth[members[k]];
            double nw = node_width(&map->nodes[members[k]]);

            if (d + 1 > ncols)
                ncols = d + 1;
            if (nw > col_width[d])
                col_width[d] = nw;
            slot[members[k]] = col_count[d]++;
        }
        for (k = 0; k < ncols; k++) {
            column_x[k] = w;
            w += col_width[k] + COLUMN_GAP;
            if ((double)col_count[k] * ROW_PT > h)
                h = (double)col_count[k] * ROW_PT;
        }
        w -= COLUMN_GAP;
        if (top_to_bottom) {
            double t = w;

            w = h;
            h = t;
        }
        if (shelf_x > 0 && shelf_x + w > row_limit) {
            shelf_y += shelf_h + COMPONENT_GAP;
            shelf_x = 0;
            shelf_h = 0;
        }
        for (k = from; k < to; k++) {
            size_t v = members[k], d = depth[v];
            double along = column_x[d] + col_width[d] / 2, across = (double)slot[v] * ROW_PT;

            /* Graphviz's y grows upwards: shelves go down the page */
            if (top_to_bottom) {
                x[v] = shelf_x + across + ROW_PT / 2;
                y[v] = -(shelf_y + along);
            } else {
                x[v] = shelf_x + along;
                y[v] = -(shelf_y + across + ROW_PT / 2);
            }
        }
        for (k = 0; k < ncols; k++) {
            col_width[k] = 0;
            col_count[k] = 0;
        }
        shelf_x += w + COMPONENT_GAP;
        if (h > shelf_h)
            shelf_h = h;
    }
    free(parent);
    free(depth);
    free(queue);
    free(first_out);
    free(out_edges);
    free(comp_of);
    free(member_start);
    free(members);
    free(slot);
    free(column_x);
    free(col_width);
    free(col_count);
}
