/* emit_dot.c: the map as a Graphviz graph: DOT text, and SVG/PNG laid out in process.
 *
 * The map becomes a cgraph graph (agopen, agnode, agedge, agsafeset): nodes get
 * generated names n0, n1, ... and carry the service name only in their label, so no
 * name can collide with another or with DOT syntax; quoting is left to Graphviz's own
 * writer. The DOT emitter writes the graph with agwrite into a memory stream; the SVG
 * and PNG emitters (emit_svg.c) lay it out with gvLayout and render it with
 * gvRenderData, never by running `dot`. Big maps switch to cheaper layout settings.
 *
 * Graphviz 2.42/2.43 takes `char *` where it means `const char *`: every cast that
 * hides this lives in this file, in the small wrappers below.
 */
#include "svcmap/emit.h"

#include <errno.h>
#include <gvc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emit_priv.h"

/* Graphviz reports problems through a callback; the core never prints, so the last
 * message is kept here and turned into the sm_error of the failing call. */
static char graphviz_message[256];

static int keep_graphviz_message(char *text)
{
    size_t len;

    snprintf(graphviz_message, sizeof(graphviz_message), "%s", text);
    len = strlen(graphviz_message);
    while (len > 0 && (graphviz_message[len - 1] == '\n' || graphviz_message[len - 1] == ' '))
        graphviz_message[--len] = '\0';
    return 0;
}

/* Object ids in creation order. cgraph's default id discipline uses the address of the
 * interned name as a named object's id, and agwrite orders subgraphs by id: clusters
 * would come out in malloc order. This discipline numbers names as they are first seen
 * (even ids, 2, 4, ...; anonymous objects get odd ones, as in cgraph), so the DOT text
 * is the same bytes on every run. */
struct id_names {
    Agraph_t *g;
    char **names; /* names[k] has id 2 (k + 1); cgraph reference-counted strings */
    size_t n, cap;
    size_t *slots; /* open addressing: index + 1 into names, 0 empty */
    size_t nslots;
    IDTYPE next_anonymous;
};

static void *ids_open(Agraph_t *g, Agdisc_t *disc)
{
    struct id_names *ids = sm_xcalloc(1, sizeof(*ids));

    (void)disc;
    ids->g = g;
    ids->nslots = 64;
    ids->slots = sm_xcalloc(ids->nslots, sizeof(*ids->slots));
    ids->next_anonymous = 1;
    return ids;
}

static size_t *ids_slot(struct id_names *ids, const char *name)
{
    size_t i = (size_t)sm_hash_str(name) & (ids->nslots - 1);

    while (ids->slots[i] && strcmp(ids->names[ids->slots[i] - 1], name))
        i = (i + 1) & (ids->nslots - 1);
    return &ids->slots[i];
}

static void ids_grow(struct id_names *ids)
{
    size_t k;

    free(ids->slots);
    ids->nslots *= 2;
    ids->slots = sm_xcalloc(ids->nslots, sizeof(*ids->slots));
    for (k = 0; k < ids->n; k++)
        *ids_slot(ids, ids->names[k]) = k + 1;
}

static long ids_map(void *state, int objtype, char *str, IDTYPE *id, int createflag)
{
    struct id_names *ids = state;
    size_t *slot;

    (void)objtype;
    if (!str) {
        *id = ids->next_anonymous;
        ids->next_anonymous += 2;
        return 1;
    }
    slot = ids_slot(ids, str);
    if (!*slot) {
        if (!createflag)
            return 0;
        if (2 * (ids->n + 1) > ids->nslots) {
            ids_grow(ids);
            slot = ids_slot(ids, str);
        }
        sm_grow(&ids->names, &ids->cap, ids->n + 1, sizeof(*ids->names));
        /* agwrite asks the string's header whether it is an HTML label: names must
         * be cgraph strings, not plain copies. */
        ids->names[ids->n++] = agstrdup(ids->g, str);
        *slot = ids->n;
    }
    *id = (IDTYPE)(2 * *slot);
    return 1;
}

static long ids_alloc(void *state, int objtype, IDTYPE request)
{
    (void)state;
    (void)objtype;
    (void)request;
    return 0;
}

static void ids_free(void *state, int objtype, IDTYPE id)
{
    (void)state;
    (void)objtype;
    (void)id;
}

static char *ids_print(void *state, int objtype, IDTYPE id)
{
    struct id_names *ids = state;

    (void)objtype;
    if (id % 2 != 0 || id == 0 || id / 2 > ids->n)
        return NULL;
    return ids->names[id / 2 - 1];
}

/* The names themselves go with the graph's string dictionary, right after this. */
static void ids_close(void *state)
{
    struct id_names *ids = state;

    free(ids->names);
    free(ids->slots);
    free(ids);
}

static void ids_register(void *state, int objtype, void *obj)
{
    (void)state;
    (void)objtype;
    (void)obj;
}

static Agiddisc_t creation_order_ids = {
    ids_open, ids_map, ids_alloc, ids_free, ids_print, ids_close, ids_register,
};

static Agdisc_t svcmap_disc = {&AgMemDisc, &creation_order_ids, &AgIoDisc};

/* The const-correct face of cgraph. */
static Agraph_t *gv_open(const char *name)
{
    return agopen((char *)name, Agdirected, &svcmap_disc);
}

static Agraph_t *gv_subgraph(Agraph_t *g, const char *name)
{
    return agsubg(g, (char *)name, 1);
}

static Agnode_t *gv_node(Agraph_t *g, const char *name)
{
    return agnode(g, (char *)name, 1);
}

static Agedge_t *gv_edge(Agraph_t *g, Agnode_t *t, Agnode_t *h)
{
    return agedge(g, t, h, NULL, 1);
}

static void gv_default(Agraph_t *g, int kind, const char *name, const char *value)
{
    agattr(g, kind, (char *)name, (char *)value);
}

static void gv_set(void *obj, const char *name, const char *value)
{
    agsafeset(obj, (char *)name, (char *)value, (char *)"");
}

/* Graphviz label strings are escString: a backslash starts an escape (\n, \l, \N,
 * \G, ...), and Graphviz decodes HTML entities (&amp;, &#60;) in every label. Doubling
 * every backslash and writing '&' as &amp; keeps names as written; a newline in a
 * name becomes the centred line break \n. */
static void add_label_text(struct sm_buf *out, const char *text)
{
    for (; *text; text++) {
        if (*text == '\\')
            sm_buf_adds(out, "\\\\");
        else if (*text == '\n')
            sm_buf_adds(out, "\\n");
        else if (*text == '&')
            sm_buf_adds(out, "&amp;");
        else
            sm_buf_addc(out, *text);
    }
}

/* Sets attribute name of obj to text, made safe as a Graphviz label. */
static void gv_set_label(void *obj, const char *name, const char *text)
{
    struct sm_buf b;

    sm_buf_init(&b);
    add_label_text(&b, text);
    gv_set(obj, name, b.data ? b.data : "");
    sm_buf_release(&b);
}

static const char *node_shape(enum sm_node_kind kind)
{
    switch (kind) {
    case SM_NODE_DATABASE:
        return "cylinder";
    case SM_NODE_QUEUE:
        return "cds";
    case SM_NODE_EXTERNAL:
        return "box";
    case SM_NODE_CLIENT:
        return "ellipse";
    case SM_NODE_SERVICE:
    default:
        return "box";
    }
}

static const char *node_fill(enum sm_node_kind kind)
{
    switch (kind) {
    case SM_NODE_DATABASE:
        return "#e8f0fe";
    case SM_NODE_QUEUE:
        return "#fef3e0";
    case SM_NODE_EXTERNAL:
        return "#f5f5f5";
    case SM_NODE_CLIENT:
        return "#ffffff";
    case SM_NODE_SERVICE:
    default:
        return "#eef7ee";
    }
}

/* A map is "big" when the dot engine's network simplex and spline routing would take
 * too long: there we fall back to straight lines and bounded iteration. */
static bool is_big(const struct sm_map *map)
{
    return map->nnodes > 150 || map->nedges > 250;
}

static bool is_huge(const struct sm_map *map)
{
    return map->nnodes > 250 || map->nedges > 800;
}

static void set_graph_defaults(Agraph_t *g, const struct sm_map *map, const struct sm_style *style)
{
    gv_default(g, AGRAPH, "rankdir", style->direction == SM_DIR_TB ? "TB" : "LR");
    gv_default(g, AGRAPH, "fontname", "Helvetica");
    gv_default(g, AGRAPH, "bgcolor", "white");
    gv_default(g, AGRAPH, "label", "");
    gv_default(g, AGRAPH, "style", "");
    gv_default(g, AGRAPH, "color", "");
    /* Rank the whole graph at once, so a cluster does not pull a consumer in front of
     * its queue. */
    gv_default(g, AGRAPH, "newrank", "true");
    if (is_huge(map)) {
        /* sfdp places thousands of nodes in seconds where dot takes minutes. */
        gv_default(g, AGRAPH, "layout", "sfdp");
        gv_default(g, AGRAPH, "overlap", "scale");
        gv_default(g, AGRAPH, "splines", "false");
        gv_default(g, AGRAPH, "outputorder", "edgesfirst");
    } else if (is_big(map)) {
        gv_default(g, AGRAPH, "layout", "dot");
        gv_default(g, AGRAPH, "splines", "line");
        gv_default(g, AGRAPH, "nslimit", "2");
        gv_default(g, AGRAPH, "nslimit1", "2");
        gv_default(g, AGRAPH, "mclimit", "0.2");
        gv_default(g, AGRAPH, "searchsize", "10");
    } else {
        gv_default(g, AGRAPH, "nodesep", "0.35");
        gv_default(g, AGRAPH, "ranksep", "0.6");
    }
    gv_default(g, AGNODE, "fontname", "Helvetica");
    gv_default(g, AGNODE, "fontsize", "11");
    gv_default(g, AGNODE, "shape", "box");
    gv_default(g, AGNODE, "style", "rounded,filled");
    gv_default(g, AGNODE, "fillcolor", "#eef7ee");
    gv_default(g, AGNODE, "color", "#333333");
    gv_default(g, AGNODE, "fontcolor", "black");
    gv_default(g, AGNODE, "penwidth", "1");
    gv_default(g, AGNODE, "label", "\\N");
    gv_default(g, AGEDGE, "fontname", "Helvetica");
    gv_default(g, AGEDGE, "fontsize", "9");
    gv_default(g, AGEDGE, "color", SM_COLOR_NORMAL);
    gv_default(g, AGEDGE, "fontcolor", SM_COLOR_NORMAL);
    gv_default(g, AGEDGE, "penwidth", "1");
    gv_default(g, AGEDGE, "style", "solid");
    gv_default(g, AGEDGE, "arrowhead", "normal");
    gv_default(g, AGEDGE, "label", "");
}

static void style_node(Agnode_t *n, const struct sm_map *map, size_t i,
                       const struct sm_style *style)
{
    const struct sm_node *node = &map->nodes[i];
    const struct sm_decor *d = sm_emit_node_decor(style, i);
    struct sm_buf text, st;

    sm_buf_init(&text);
    sm_buf_init(&st);
    sm_emit_node_text(map, i, style, &text);
    gv_set_label(n, "label", text.data ? text.data : "");
    if (style->element_ids) {
        sm_buf_reset(&st);
        sm_emit_node_elid(map, i, &st);
        gv_set(n, "id", st.data);
        sm_buf_reset(&st);
    }
    gv_set(n, "shape", node_shape(node->kind));
    gv_set(n, "fillcolor", node_fill(node->kind));
    /* Kinds differ by shape and by line: externals dashed, clients plain. */
    sm_buf_adds(&st, node->kind == SM_NODE_SERVICE ? "rounded,filled" : "filled");
    if (node->kind == SM_NODE_EXTERNAL || (d && d->dashed))
        sm_buf_adds(&st, ",dashed");
    if (d && d->bold)
        sm_buf_adds(&st, ",bold");
    gv_set(n, "style", st.data);
    if (d && d->color) {
        gv_set(n, "color", d->color);
        gv_set(n, "fontcolor", d->color);
        gv_set(n, "penwidth", "2");
    }
    sm_buf_release(&text);
    sm_buf_release(&st);
}

static void style_edge(Agedge_t *ge, const struct sm_map *map, size_t j,
                       const struct sm_style *style)
{
    const struct sm_edge *e = &map->edges[j];
    const struct sm_decor *d = sm_emit_edge_decor(style, j);
    int level = sm_emit_edge_level(map, j, style);
    const char *color = d && d->color ? d->color : sm_emit_severity_color(level);
    struct sm_buf text, st;
    char width[32];
    double w = sm_emit_edge_width(map, j, style);

    sm_buf_init(&text);
    sm_buf_init(&st);
    sm_emit_edge_text(map, j, style, &text);
    gv_set_label(ge, "label", text.data ? text.data : "");
    if (style->element_ids) {
        sm_emit_edge_elid(map, j, &st);
        gv_set(ge, "id", st.data);
        sm_buf_reset(&st);
    }
    if (d && d->bold)
        w += 1.5;
    snprintf(width, sizeof(width), "%g", w);
    if (strcmp(width, "1"))
        gv_set(ge, "penwidth", width);
    if (strcmp(color, SM_COLOR_NORMAL)) {
        gv_set(ge, "color", color);
        gv_set(ge, "fontcolor", color);
    }
    /* Messages are asynchronous: dashed, with an open arrow. */
    if (e->kind == SM_EDGE_MESSAGING || (d && d->dashed))
        sm_buf_adds(&st, "dashed");
    if (st.len)
        gv_set(ge, "style", st.data);
    if (e->kind == SM_EDGE_MESSAGING)
        gv_set(ge, "arrowhead", "vee");
    sm_buf_release(&text);
    sm_buf_release(&st);
}

/* Clusters for --group-by, in the order their values first appear among the sorted
 * nodes; each node's graph is its cluster or the root. */
static void make_clusters(Agraph_t *g, const struct sm_map *map, const struct sm_style *style,
                          Agraph_t **home)
{
    const char **values = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(*values));
    Agraph_t **subs = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(*subs));
    size_t nvalues = 0, i, k;

    for (i = 0; i < map->nnodes; i++) {
        const char *v = sm_emit_group_of(&map->nodes[i], style->group_by);

        home[i] = g;
        if (!v)
            continue;
        for (k = 0; k < nvalues && strcmp(values[k], v); k++)
            ;
        if (k == nvalues) {
            char name[48];

            snprintf(name, sizeof(name), "cluster_%zu", k);
            values[k] = v;
            subs[k] = gv_subgraph(g, name);
            {
                struct sm_buf text;

                sm_buf_init(&text);
                sm_emit_clean_text(&text, v);
                gv_set_label(subs[k], "label", text.data ? text.data : "");
                sm_buf_release(&text);
            }
            gv_set(subs[k], "style", "rounded,dashed");
            gv_set(subs[k], "color", "#999999");
            nvalues++;
        }
        home[i] = subs[k];
    }
    free(values);
    free(subs);
}

static void add_legend(Agraph_t *g, const struct sm_style *style)
{
    Agraph_t *sub = gv_subgraph(g, "cluster_legend");
    int level;

    gv_set(sub, "label", "legend");
    gv_set(sub, "style", "rounded");
    gv_set(sub, "color", "#bbbbbb");
    for (size_t i = 0; i < style->nlegend_items; i++) {
        char name[32];
        Agnode_t *n;

        snprintf(name, sizeof(name), "legend_%zu", i);
        n = gv_node(sub, name);
        gv_set_label(n, "label", style->legend_items[i].text);
        gv_set(n, "shape", "plaintext");
        gv_set(n, "style", "");
        gv_set(n, "height", "0.2");
        gv_set(n, "margin", "0.05,0.02");
        gv_set(n, "fontcolor", style->legend_items[i].color);
    }
    for (level = 1; level <= 2 && style->nlegend_items == 0; level++) {
        Agnode_t *n = gv_node(sub, level == 1 ? "legend_warn" : "legend_crit");
        struct sm_buf text;

        sm_buf_init(&text);
        sm_emit_legend_text(style, level, &text);
        gv_set_label(n, "label", text.data);
        gv_set(n, "shape", "plaintext");
        gv_set(n, "style", "");
        gv_set(n, "height", "0.2");
        gv_set(n, "margin", "0.05,0.02");
        gv_set(n, "fontcolor", sm_emit_severity_color(level));
        sm_buf_release(&text);
    }
}

/* Builds the whole graph; caller closes it with agclose. */
static Agraph_t *build_graph(const struct sm_map *map, const struct sm_style *style)
{
    Agraph_t *g = gv_open("svcmap");
    Agraph_t **home = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(*home));
    Agnode_t **nodes = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(*nodes));
    size_t i, j;

    set_graph_defaults(g, map, style);
    if (style->title && *style->title) {
        struct sm_buf text;

        sm_buf_init(&text);
        sm_emit_clean_text(&text, style->title);
        gv_set_label(g, "label", text.data ? text.data : "");
        gv_set(g, "labelloc", "t");
        gv_set(g, "fontsize", "16");
        sm_buf_release(&text);
    }
    make_clusters(g, map, style, home);
    for (i = 0; i < map->nnodes; i++) {
        char name[32];

        snprintf(name, sizeof(name), "n%zu", i);
        nodes[i] = gv_node(home[i], name);
        style_node(nodes[i], map, i, style);
    }
    for (j = 0; j < map->nedges; j++) {
        const struct sm_edge *e = &map->edges[j];
        Agedge_t *ge = gv_edge(g, nodes[e->from], nodes[e->to]);

        style_edge(ge, map, j, style);
    }
    if (map->nedges == 0) {
        /* an empty map still draws something that says so (DOT, SVG, PNG alike) */
        Agnode_t *n = gv_node(g, "empty");

        gv_set_label(n, "label", SM_EMIT_EMPTY_NOTE);
        gv_set(n, "shape", "note");
        gv_set(n, "style", "dashed");
        gv_set(n, "color", "#999999");
        gv_set(n, "fontcolor", "#555555");
    }
    if (sm_emit_wants_legend(map, style))
        add_legend(g, style);
    free(home);
    free(nodes);
    return g;
}

static int emit_dot(const struct sm_map *map, const struct sm_style *style, struct sm_buf *out,
                    struct sm_error *err)
{
    Agraph_t *g = NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = NULL;
    int rc = 0;

    agseterrf(keep_graphviz_message);
    graphviz_message[0] = '\0';
    g = build_graph(map, style);
    mem = open_memstream(&text, &len);
    if (!mem) {
        rc = sm_error_set(err, SM_ESYSTEM, "cannot open a memory stream for the DOT text");
        goto out_close_graph;
    }
    if (agwrite(g, mem) != 0) {
        rc = sm_error_set(err, SM_ESYSTEM, "graphviz could not write the graph: %s",
                          graphviz_message[0] ? graphviz_message : "unknown error");
    }
    if (fclose(mem) != 0 && rc == 0)
        rc = sm_error_set(err, SM_ESYSTEM, "cannot write the DOT text to memory");
    if (rc == 0)
        sm_buf_add(out, text, len);
    free(text);
out_close_graph:
    agclose(g);
    return rc;
}

/* One Graphviz context for the life of the process. Graphviz 2.42's pango plugin keeps
 * a pointer to the last font name, which lives in the context's font dictionary: a
 * second context after gvFreeContext reads freed memory. Keeping one context avoids
 * that and loads the plugins once. Not thread-safe, like the rest of cgraph. */
static GVC_t *graphviz_context(void)
{
    static GVC_t *gvc;

    if (!gvc)
        gvc = gvContext();
    return gvc;
}

/* More components than this and Graphviz's per-component layout and packing would take
 * minutes (500 disjoint pairs: dot 24 s; 2,000: sfdp more than a minute): lay out with
 * sm_layout_grid straight away. */
#define MANY_COMPONENTS 100

/* More nodes than this make a picture nobody can read and Graphviz needs gigabytes to
 * draw (100,000 pairs: 1.1 GB); such maps are refused with advice. */
#define MAX_PICTURE_NODES 20000

/* Lays out g with engine and renders it into out, in this process. */
static int render_here(GVC_t *gvc, Agraph_t *g, const char *engine, const char *format,
                       struct sm_buf *out, struct sm_error *err)
{
    char *data = NULL;
    unsigned int len = 0;
    int rc = 0;

    graphviz_message[0] = '\0';
    if (gvLayout(gvc, g, engine) != 0)
        return sm_error_set(err, SM_ESYSTEM, "graphviz layout '%s' failed: %s", engine,
                            graphviz_message[0] ? graphviz_message : "unknown error");
    if (gvRenderData(gvc, g, format, &data, &len) != 0) {
        rc = sm_error_set(err, SM_ESYSTEM, "graphviz cannot render %s: %s", format,
                          graphviz_message[0] ? graphviz_message : "unknown error");
    } else {
        sm_buf_add(out, data, len);
        gvFreeRenderData(data);
    }
    gvFreeLayout(gvc, g);
    return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static double seconds_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* render_here in a child process that is killed when it takes longer than seconds.
 * The child sends one status byte ('0' picture follows, '1' error text follows).
 * Returns 0, a negative status (the child's error), or 1 when the time ran out or the
 * child died (nothing in out). When no child can be started it renders here. */
static int render_bounded(GVC_t *gvc, Agraph_t *g, const char *engine, const char *format,
                          double seconds, struct sm_buf *out, struct sm_error *err)
{
    struct sm_buf got;
    double deadline;
    int fds[2], status = 0, rc = 0;
    bool timed_out = false;
    pid_t pid;

    if (seconds <= 0 || pipe(fds) != 0)
        return render_here(gvc, g, engine, format, out, err);
    fflush(NULL); /* nothing buffered is written twice */
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return render_here(gvc, g, engine, format, out, err);
    }
    if (pid == 0) {
        struct sm_buf picture;
        struct sm_error child_err;
        char tag;

        close(fds[0]);
        sm_buf_init(&picture);
        sm_error_init(&child_err);
        tag = render_here(gvc, g, engine, format, &picture, &child_err) == 0 ? '0' : '1';
        if (write_all(fds[1], &tag, 1) == 0) {
            if (tag == '0')
                write_all(fds[1], picture.data ? picture.data : "", picture.len);
            else
                write_all(fds[1], child_err.text, strlen(child_err.text));
        }
        _exit(0);
    }
    close(fds[1]);
    sm_buf_init(&got);
    deadline = seconds_now() + seconds;
    for (;;) {
        struct pollfd p = {fds[0], POLLIN, 0};
        double left = deadline - seconds_now();
        char chunk[65536];
        ssize_t n;
        int r;

        if (left <= 0) {
            timed_out = true;
            break;
        }
        r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            continue; /* the deadline check above ends the wait */
        n = read(fds[0], chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        sm_buf_add(&got, chunk, (size_t)n);
    }
    close(fds[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (timed_out || !WIFEXITED(status) || got.len == 0) {
        rc = 1;
    } else if (got.data[0] == '0') {
        sm_buf_add(out, got.data + 1, got.len - 1);
    } else {
        rc = sm_error_set(err, SM_ESYSTEM, "%.*s", (int)(got.len - 1), got.data + 1);
    }
    sm_buf_release(&got);
    return rc;
}

/* Lays g out with sm_layout_grid's positions and the "nop2" engine, which only routes
 * straight edges and draws. Clusters are not drawn in this layout. */
static int render_grid(GVC_t *gvc, Agraph_t *g, const struct sm_map *map,
                       const struct sm_style *style, const char *format, struct sm_buf *out,
                       struct sm_error *err)
{
    double *x = sm_xmalloc((map->nnodes ? map->nnodes : 1) * sizeof(*x));
    double *y = sm_xmalloc((map->nnodes ? map->nnodes : 1) * sizeof(*y));
    char name[32], pos[64];
    Agnode_t *n;
    size_t i;
    int rc;

    sm_layout_grid(map, style->direction == SM_DIR_TB, x, y);
    gv_default(g, AGNODE, "pos", "");
    gv_default(g, AGRAPH, "splines", "false");
    /* the positions do not overlap; removing overlaps again is what costs minutes */
    gv_default(g, AGRAPH, "overlap", "true");
    /* gvLayout lets the graph's own layout attribute override the engine it is given */
    gv_default(g, AGRAPH, "layout", "nop2");
    gv_set(g, "layout", "nop2");
    for (i = 0; i < map->nnodes; i++) {
        snprintf(name, sizeof(name), "n%zu", i);
        n = agnode(g, name, 0);
        if (!n)
            continue;
        snprintf(pos, sizeof(pos), "%.1f,%.1f", x[i], y[i]);
        gv_set(n, "pos", pos);
    }
    /* the legend, if any, above the top left corner */
    for (i = 0; i < 2; i++) {
        n = agnode(g, (char *)(i == 0 ? "legend_warn" : "legend_crit"), 0);
        if (!n)
            continue;
        snprintf(pos, sizeof(pos), "%.1f,%.1f", 80.0, 40.0 + 22.0 * (double)(1 - i));
        gv_set(n, "pos", pos);
    }
    free(x);
    free(y);
    rc = render_here(gvc, g, "nop2", format, out, err);
    return rc;
}

int sm_emit_graphviz_render(const struct sm_map *map, const struct sm_style *style,
                            const char *format, struct sm_buf *out, struct sm_error *err)
{
    GVC_t *gvc = NULL;
    Agraph_t *g = NULL;
    const char *engine = is_huge(map) ? "sfdp" : "dot";
    size_t ncomponents = 0, largest = 0;
    int rc = 0;

    if (map->nnodes > MAX_PICTURE_NODES)
        return sm_error_set(err, SM_EUSAGE,
                            "%zu nodes are too many to draw (at most %d): shape the map with "
                            "--focus, --include, --exclude or --min-calls, or write json, csv "
                            "or table",
                            map->nnodes, MAX_PICTURE_NODES);
    agseterrf(keep_graphviz_message);
    graphviz_message[0] = '\0';
    gvc = graphviz_context();
    if (!gvc)
        return sm_error_set(err, SM_ESYSTEM, "cannot start graphviz");
    g = build_graph(map, style);
    /* A bitmap grows with the drawing: cap it at 60 inches (4,320 pixels at 72 dpi) a
     * side, scaling big maps down, so a 1,000-service PNG is megabytes, not gigabytes. */
    if (!strcmp(format, "png"))
        gv_set(g, "size", "60,60");
    sm_layout_components(map, &ncomponents, &largest);
    if (ncomponents > MANY_COMPONENTS) {
        rc = render_grid(gvc, g, map, style, format, out, err);
        if (rc == 0)
            sm_error_set(err, 0,
                         "note: %zu separate groups of services: drawn in a simple layered "
                         "layout (%s would take minutes)",
                         ncomponents, engine);
        goto out_close_graph;
    }
    rc = render_bounded(gvc, g, engine, format, style->layout_seconds, out, err);
    if (rc == 1) {
        rc = render_grid(gvc, g, map, style, format, out, err);
        if (rc == 0)
            sm_error_set(err, 0,
                         "note: the %s layout took longer than %g s: drawn in a simple "
                         "layered layout instead (SVCMAP_LAYOUT_SECONDS sets the limit)",
                         engine, style->layout_seconds);
    }
out_close_graph:
    agclose(g);
    return rc;
}

static const char *const dot_extensions[] = {".dot", ".gv", NULL};

const struct sm_emitter sm_emit_dot = {
    .name = "dot",
    .extensions = dot_extensions,
    .binary = false,
    .emit = emit_dot,
};
