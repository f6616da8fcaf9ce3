/* check.c: the check model: parsing the rules file and holding a map against it.
 *
 * The rules file is line-oriented: each line is split into tokens (blank-separated
 * words, "quoted strings" with \" and \\, the arrow "->" even without blanks around
 * it, a '#' that starts a word starts a comment) and the first token names the
 * statement. Every statement keeps its line so that a violation can name it.
 *
 * Checking is a pass per rule over the map's edges, in rule order, so the violations
 * come out grouped by rule and, for a sorted map, in the map's order. Allow rules are
 * computed first as a mask of excepted edges. Cycles are the strongly connected
 * components of the call graph (Tarjan's algorithm, iterative); for each edge inside
 * one, the shortest way back (breadth-first, edges in map order) names the cycle.
 * The violations are an array of structs; the gate is a mask of violation kinds. The
 * report writers (check_text.c, check_markdown.c, check_json.c) put them into words.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/check.h"
#include "svcmap/input.h"

/* ---- rules file ---- */

void sm_rules_init(struct sm_rules *r)
{
    memset(r, 0, sizeof(*r));
}

static void patterns_free(struct sm_pattern *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(p[i].glob);
    free(p);
}

void sm_rules_release(struct sm_rules *r)
{
    size_t i;

    for (i = 0; i < r->nrules; i++) {
        free(r->rules[i].text);
        free(r->rules[i].name);
        patterns_free(r->rules[i].from, r->rules[i].nfrom);
        patterns_free(r->rules[i].to, r->rules[i].nto);
    }
    free(r->rules);
    free(r->file);
    sm_rules_init(r);
}

struct token {
    char *text; /* owned, unescaped */
    long column;
    bool quoted;
};

struct line {
    struct token *t;
    size_t n, cap;
    const char *name;
    long number;
    long end; /* the column just past the last token: where a missing word was expected */
};

static void line_release(struct line *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->t[i].text);
    free(l->t);
    l->t = NULL;
    l->n = l->cap = 0;
    l->end = 0;
}

static void add_token(struct line *l, const char *s, size_t n, long column, bool quoted)
{
    sm_grow(&l->t, &l->cap, l->n + 1, sizeof(*l->t));
    l->t[l->n].text = sm_xstrndup(s, n);
    l->t[l->n].column = column;
    l->t[l->n].quoted = quoted;
    l->n++;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Splits one line (without its newline) into tokens. */
static int tokenize(struct line *l, const char *s, size_t len, struct sm_error *err)
{
    size_t i = 0;

    while (i < len) {
        size_t start;

        if (blank(s[i])) {
            i++;
            continue;
        }
        if (s[i] == '#')
            break;
        start = i;
        if (s[i] == '"') {
            struct sm_buf b;

            sm_buf_init(&b);
            sm_buf_add(&b, "", 0);
            for (i++; i < len && s[i] != '"'; i++) {
                if (s[i] == '\\' && i + 1 < len && (s[i + 1] == '"' || s[i + 1] == '\\'))
                    i++;
                sm_buf_addc(&b, s[i]);
            }
            if (i >= len) {
                sm_buf_release(&b);
                return sm_error_at(err, SM_EINPUT, l->name, l->number, (long)start + 1, -1,
                                   "unterminated quoted name");
            }
            i++;
            add_token(l, b.data, b.len, (long)start + 1, true);
            l->end = (long)i + 1;
            sm_buf_release(&b);
            continue;
        }
        if (s[i] == '-' && i + 1 < len && s[i + 1] == '>') {
            add_token(l, "->", 2, (long)i + 1, false);
            i += 2;
            l->end = (long)i + 1;
            continue;
        }
        while (i < len && !blank(s[i]) && s[i] != '"' &&
               !(s[i] == '-' && i + 1 < len && s[i + 1] == '>'))
            i++;
        add_token(l, s + start, i - start, (long)start + 1, false);
        l->end = (long)i + 1;
    }
    return 0;
}

static int bad(const struct line *l, long column, struct sm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(const struct line *l, long column, struct sm_error *err, const char *fmt, ...)
{
    char text[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return sm_error_at(err, SM_EINPUT, l->name, l->number, column, -1, "%s", text);
}

static int parse_pattern(const struct line *l, const struct token *t, struct sm_pattern *p,
                         struct sm_error *err)
{
    const char *colon = strchr(t->text, ':');

    p->any_kind = true;
    p->kind = SM_NODE_SERVICE;
    p->glob = NULL;
    if (!t->quoted && !strcmp(t->text, "->"))
        return bad(l, t->column, err, "expected a node pattern, found '%s'", "->");
    if (colon) {
        char word[16];
        size_t n = (size_t)(colon - t->text);
        enum sm_node_kind kind;

        if (n < sizeof(word)) {
            memcpy(word, t->text, n);
            word[n] = '\0';
            if (!strcmp(word, "*")) {
                p->glob = sm_xstrdup(colon + 1);
            } else if (sm_node_kind_parse(word, &kind) == 0) {
                p->any_kind = false;
                p->kind = kind;
                p->glob = sm_xstrdup(colon + 1);
            }
        }
    }
    if (!p->glob)
        p->glob = sm_xstrdup(t->text);
    if (!*p->glob) {
        free(p->glob);
        p->glob = NULL;
        return bad(l, t->column, err, "empty name in pattern '%s'", t->text);
    }
    return 0;
}

static int parse_patterns(const struct line *l, size_t first, struct sm_pattern **out, size_t *n,
                          struct sm_error *err)
{
    size_t i;
    int rc;

    *out = NULL;
    *n = 0;
    if (first >= l->n)
        return 0;
    *out = sm_xcalloc(l->n - first, sizeof(**out));
    for (i = first; i < l->n; i++) {
        if ((rc = parse_pattern(l, &l->t[i], &(*out)[*n], err)))
            return rc;
        ++*n;
    }
    return 0;
}

static bool valid_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    }
    return true;
}

static int parse_statement(struct line *l, const char *s, struct sm_rules *rules,
                           struct sm_error *err)
{
    const char *kw = l->t[0].text;
    struct sm_rule *r;
    size_t i;
    int rc = 0;

    sm_grow(&rules->rules, &rules->cap, rules->nrules + 1, sizeof(*rules->rules));
    r = &rules->rules[rules->nrules];
    memset(r, 0, sizeof(*r));
    r->line = l->number;
    r->text = sm_xstrndup(s + l->t[0].column - 1, (size_t)(l->end - l->t[0].column));
    rules->nrules++; /* owned by rules from here on: released with them on error */

    if (!strcmp(kw, "allow") || !strcmp(kw, "forbid")) {
        r->kind = kw[0] == 'a' ? SM_RULE_ALLOW : SM_RULE_FORBID;
        if (l->n < 2)
            return bad(l, l->end, err, "expected a caller pattern after '%s'", kw);
        if (!strcmp(l->t[1].text, "->") && !l->t[1].quoted)
            return bad(l, l->t[1].column, err, "expected a caller pattern before '%s'", "->");
        if (l->n < 3 || strcmp(l->t[2].text, "->") || l->t[2].quoted)
            return bad(l, l->n < 3 ? l->end : l->t[2].column, err, "expected '->' after '%s'",
                       l->t[1].text);
        if (l->n < 4)
            return bad(l, l->end, err, "expected a callee pattern after '%s'", "->");
        if (l->n > 4)
            return bad(l, l->t[4].column, err, "unexpected '%s' after the callee pattern",
                       l->t[4].text);
        r->from = sm_xcalloc(1, sizeof(*r->from));
        r->to = sm_xcalloc(1, sizeof(*r->to));
        if ((rc = parse_pattern(l, &l->t[1], r->from, err)))
            return rc;
        r->nfrom = 1;
        if ((rc = parse_pattern(l, &l->t[3], r->to, err)))
            return rc;
        r->nto = 1;
        return 0;
    }
    if (!strcmp(kw, "layer")) {
        char *name;
        size_t first;

        r->kind = SM_RULE_LAYER;
        if (l->n < 2 || l->t[1].quoted)
            return bad(l, l->n < 2 ? l->end : l->t[1].column, err,
                       "expected a layer name after '%s'", kw);
        name = sm_xstrdup(l->t[1].text);
        if (*name && name[strlen(name) - 1] == ':') {
            name[strlen(name) - 1] = '\0';
            first = 2;
        } else if (l->n > 2 && !strcmp(l->t[2].text, ":")) {
            first = 3;
        } else {
            free(name);
            return bad(l, l->n > 2 ? l->t[2].column : l->end, err,
                       "expected ':' after the layer name '%s'", l->t[1].text);
        }
        r->name = name;
        if (!valid_name(name))
            return bad(l, l->t[1].column, err,
                       "a layer name is letters, digits, '-', '_' and '.', not '%s'", name);
        for (i = 0; i + 1 < rules->nrules; i++) {
            if (rules->rules[i].kind == SM_RULE_LAYER && !strcmp(rules->rules[i].name, name))
                return bad(l, l->t[1].column, err, "layer '%s' is declared twice", name);
        }
        if (first >= l->n)
            return bad(l, l->end, err, "layer '%s' needs at least one pattern", name);
        return parse_patterns(l, first, &r->from, &r->nfrom, err);
    }
    if (!strcmp(kw, "no-cycles")) {
        r->kind = SM_RULE_NO_CYCLES;
        return parse_patterns(l, 1, &r->from, &r->nfrom, err);
    }
    if (!strcmp(kw, "max-fan-out")) {
        char *end;
        unsigned long long v;

        r->kind = SM_RULE_MAX_FAN_OUT;
        if (l->n < 2)
            return bad(l, l->end, err, "expected a number after '%s'", kw);
        v = strtoull(l->t[1].text, &end, 10);
        if (*end || l->t[1].text[0] < '0' || l->t[1].text[0] > '9' || l->t[1].quoted)
            return bad(l, l->t[1].column, err, "max-fan-out wants a whole number, not '%s'",
                       l->t[1].text);
        r->limit = v;
        return parse_patterns(l, 2, &r->from, &r->nfrom, err);
    }
    if (!strcmp(kw, "no-external")) {
        r->kind = SM_RULE_NO_EXTERNAL;
        if (l->n < 2)
            return bad(l, l->end, err,
                       "expected the patterns of the nodes that must not call external nodes "
                       "after '%s'",
                       kw);
        return parse_patterns(l, 1, &r->from, &r->nfrom, err);
    }
    if (!strcmp(kw, "default")) {
        if (l->n < 2 || (strcmp(l->t[1].text, "deny") && strcmp(l->t[1].text, "allow")))
            return bad(l, l->n < 2 ? l->end : l->t[1].column, err,
                       "expected 'deny' or 'allow' after '%s'", kw);
        if (l->n > 2)
            return bad(l, l->t[2].column, err, "unexpected '%s' after 'default'", l->t[2].text);
        if (!strcmp(l->t[1].text, "allow")) {
            /* the default: says so, checks nothing */
            free(r->text);
            rules->nrules--;
            return 0;
        }
        r->kind = SM_RULE_DEFAULT_DENY;
        return 0;
    }
    free(r->text);
    rules->nrules--;
    return bad(l, l->t[0].column, err,
               "unknown statement '%s' (allow, forbid, layer, no-cycles, max-fan-out, "
               "no-external, default)",
               kw);
}

int sm_rules_parse(const char *text, size_t len, const char *name, struct sm_rules *r,
                   struct sm_error *err)
{
    const char *p = text, *end = text + len;
    struct line l;
    int rc = 0;

    memset(&l, 0, sizeof(l));
    free(r->file);
    r->file = sm_xstrdup(name);
    l.name = name;
    l.number = 0;
    /* a UTF-8 byte order mark (Windows editors write one) is not part of the first line */
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

        l.number++;
        if (memchr(p, '\0', n)) {
            rc = sm_error_at(err, SM_EINPUT, name, l.number, 0, -1, "a NUL byte in a rules file");
            break;
        }
        rc = tokenize(&l, p, n, err);
        if (rc == 0 && l.n > 0)
            rc = parse_statement(&l, p, r, err);
        line_release(&l);
        p = nl ? nl + 1 : end;
    }
    line_release(&l);
    return rc;
}

/* A rules file is written by hand: 16 MiB is far more than any. */
#define MAX_RULES_BYTES ((size_t)16 << 20)

int sm_rules_read(const char *path, struct sm_rules *r, struct sm_error *err)
{
    struct sm_input *in = NULL;
    struct sm_buf buf;
    int rc;

    sm_buf_init(&buf);
    rc = sm_input_open(&in, path, err);
    if (rc)
        return rc;
    rc = sm_input_read_rest(in, &buf, MAX_RULES_BYTES, err);
    if (rc == 0)
        rc = sm_rules_parse(buf.data ? buf.data : "", buf.len, sm_input_name(in), r, err);
    sm_input_free(in);
    sm_buf_release(&buf);
    return rc;
}

bool sm_pattern_match(const struct sm_pattern *p, const struct sm_node *n)
{
    if (!p->any_kind && p->kind != n->kind)
        return false;
    return sm_glob_match(p->glob, n->name);
}

/* True when the node matches one of the patterns, or there are none. */
static bool match_any(const struct sm_pattern *p, size_t n, const struct sm_node *node)
{
    size_t i;

    if (n == 0)
        return true;
    for (i = 0; i < n; i++) {
        if (sm_pattern_match(&p[i], node))
            return true;
    }
    return false;
}

/* ---- checking ---- */

const char *sm_violation_kind_name(enum sm_violation_kind kind)
{
    static const char *const names[SM_VIOLATION_NKINDS] = {"forbid",  "layer",    "cycle",
                                                           "fan-out", "external", "unlisted"};

    return (unsigned)kind < SM_VIOLATION_NKINDS ? names[kind] : "unknown";
}

void sm_check_options_init(struct sm_check_options *o)
{
    memset(o, 0, sizeof(*o));
}

void sm_check_init(struct sm_check *c)
{
    memset(c, 0, sizeof(*c));
}

void sm_check_release(struct sm_check *c)
{
    size_t i;

    for (i = 0; i < c->nviolations; i++)
        free(c->violations[i].why);
    free(c->violations);
    sm_check_init(c);
}

static void add_violation(struct sm_check *c, enum sm_violation_kind kind, size_t rule, size_t edge,
                          size_t node, struct sm_buf *why)
{
    struct sm_violation *v;

    sm_grow(&c->violations, &c->cap, c->nviolations + 1, sizeof(*c->violations));
    v = &c->violations[c->nviolations++];
    v->kind = kind;
    v->rule = rule;
    v->edge = edge;
    v->node = node;
    v->why = sm_xstrdup(why->data ? why->data : "");
    c->counts[kind]++;
    sm_buf_reset(why);
}

/* The live edges by caller, in map order: node v's are edge[off[v]] .. edge[off[v+1]-1]. */
struct adjacency {
    size_t *off;  /* owned, nnodes + 1 entries */
    size_t *edge; /* owned, indexes into map->edges */
};

static void adjacency_build(struct adjacency *a, const struct sm_map *m, const bool *live)
{
    size_t i, e, *fill = sm_xcalloc(m->nnodes + 1, sizeof(*fill));

    a->off = sm_xcalloc(m->nnodes + 2, sizeof(*a->off));
    a->edge = sm_xmalloc((m->nedges + 1) * sizeof(*a->edge));
    for (e = 0; e < m->nedges; e++) {
        if (live[e])
            a->off[m->edges[e].from + 1]++;
    }
    for (i = 0; i < m->nnodes; i++)
        a->off[i + 1] += a->off[i];
    for (e = 0; e < m->nedges; e++) {
        size_t v = m->edges[e].from;

        if (live[e])
            a->edge[a->off[v] + fill[v]++] = e;
    }
    free(fill);
}

static void adjacency_release(struct adjacency *a)
{
    free(a->off);
    free(a->edge);
}

/* Strongly connected components over the live edges between nodes in `in`: comp[i]
 * for each such node. Iterative Tarjan, so deep call chains need no deep C stack. */
static void tarjan(const struct sm_map *m, const struct adjacency *adj, const bool *in,
                   size_t *comp)
{
    size_t n = m->nnodes, i, counter = 0, ncomp = 0, sp = 0, cp = 0;
    size_t *index = sm_xmalloc((n + 1) * sizeof(*index));
    size_t *low = sm_xmalloc((n + 1) * sizeof(*low));
    bool *on = sm_xcalloc(n + 1, sizeof(*on));
    size_t *stack = sm_xmalloc((n + 1) * sizeof(*stack));
    size_t *call = sm_xmalloc((n + 1) * sizeof(*call)); /* DFS: node */
    size_t *iter = sm_xmalloc((n + 1) * sizeof(*iter)); /* DFS: next adjacency slot */
    size_t unset = (size_t)-1;

    for (i = 0; i < n; i++)
        index[i] = unset;
    for (i = 0; i < n; i++) {
        if (index[i] != unset || !in[i])
            continue;
        call[cp] = i;
        iter[cp] = adj->off[i];
        cp++;
        index[i] = low[i] = counter++;
        stack[sp++] = i;
        on[i] = true;
        while (cp > 0) {
            size_t v = call[cp - 1], k;
            bool descended = false;

            for (k = iter[cp - 1]; k < adj->off[v + 1]; k++) {
                size_t w = m->edges[adj->edge[k]].to;

                if (!in[w])
                    continue;
                if (index[w] == unset) {
                    iter[cp - 1] = k + 1;
                    call[cp] = w;
                    iter[cp] = adj->off[w];
                    cp++;
                    index[w] = low[w] = counter++;
                    stack[sp++] = w;
                    on[w] = true;
                    descended = true;
                    break;
                }
                if (on[w] && index[w] < low[v])
                    low[v] = index[w];
            }
            if (descended)
                continue;
            if (low[v] == index[v]) {
                size_t w;

                do {
                    w = stack[--sp];
                    on[w] = false;
                    comp[w] = ncomp;
                } while (w != v);
                ncomp++;
            }
            cp--;
            if (cp > 0 && low[v] < low[call[cp - 1]])
                low[call[cp - 1]] = low[v];
        }
    }
    free(index);
    free(low);
    free(on);
    free(stack);
    free(call);
    free(iter);
}

/* The shortest path from node a back to node b inside a's component, appended to why
 * as " -> id" steps. Breadth-first, edges in map order, so the path is the same on
 * every run. prev and queue are scratch arrays of nnodes entries. */
static void path_back(const struct sm_map *m, const struct adjacency *adj, const size_t *comp,
                      size_t a, size_t b, size_t *prev, size_t *queue, struct sm_buf *why)
{
    size_t head = 0, tail = 0, i, unset = (size_t)-1, np = 0, v;

    for (i = 0; i < m->nnodes; i++)
        prev[i] = unset;
    prev[a] = a;
    queue[tail++] = a;
    while (head < tail && prev[b] == unset) {
        size_t u = queue[head++], k;

        for (k = adj->off[u]; k < adj->off[u + 1]; k++) {
            size_t w = m->edges[adj->edge[k]].to;

            if (comp[w] != comp[a] || prev[w] != unset)
                continue;
            prev[w] = u;
            queue[tail++] = w;
        }
    }
    /* the path from b back to a, reversed into queue */
    for (v = b; v != a && prev[v] != unset; v = prev[v])
        queue[np++] = v;
    while (np > 0) {
        sm_buf_adds(why, " -> ");
        sm_buf_adds(why, m->nodes[queue[--np]].id);
    }
}

static void check_cycles(struct sm_check *c, size_t ri, const bool *live,
                         const struct adjacency *adj)
{
    const struct sm_map *m = c->map;
    const struct sm_rule *r = &c->rules->rules[ri];
    bool *in = sm_xcalloc(m->nnodes + 1, sizeof(*in));
    size_t *comp = sm_xmalloc((m->nnodes + 1) * sizeof(*comp)), i, e;
    size_t *prev = sm_xmalloc((m->nnodes + 1) * sizeof(*prev));
    size_t *queue = sm_xmalloc((m->nnodes + 1) * sizeof(*queue));
    struct sm_buf why;

    sm_buf_init(&why);
    for (i = 0; i < m->nnodes; i++) {
        in[i] = match_any(r->from, r->nfrom, &m->nodes[i]);
        comp[i] = (size_t)-1;
    }
    tarjan(m, adj, in, comp);
    for (e = 0; e < m->nedges; e++) {
        const struct sm_edge *ed = &m->edges[e];

        if (!live[e] || !in[ed->from] || !in[ed->to] || comp[ed->from] != comp[ed->to])
            continue;
        if (ed->from == ed->to) {
            sm_buf_printf(&why, "calls itself");
        } else {
            sm_buf_printf(&why, "on the cycle %s -> %s", m->nodes[ed->from].id,
                          m->nodes[ed->to].id);
            path_back(m, adj, comp, ed->to, ed->from, prev, queue, &why);
        }
        add_violation(c, SM_VIOLATION_CYCLE, ri, e, ed->from, &why);
    }
    sm_buf_release(&why);
    free(in);
    free(comp);
    free(prev);
    free(queue);
}

static void check_fan_out(struct sm_check *c, size_t ri, const struct adjacency *adj)
{
    const struct sm_map *m = c->map;
    const struct sm_rule *r = &c->rules->rules[ri];
    bool *seen = sm_xcalloc(m->nnodes + 1, sizeof(*seen));
    struct sm_buf why, list;
    size_t i, k;

    sm_buf_init(&why);
    sm_buf_init(&list);
    for (i = 0; i < m->nnodes; i++) {
        uint64_t count = 0;

        if (!match_any(r->from, r->nfrom, &m->nodes[i]))
            continue;
        sm_buf_reset(&list);
        for (k = adj->off[i]; k < adj->off[i + 1]; k++) {
            size_t to = m->edges[adj->edge[k]].to;

            if (to == i || seen[to])
                continue;
            seen[to] = true;
            sm_buf_adds(&list, count ? ", " : "");
            sm_buf_adds(&list, m->nodes[to].id);
            count++;
        }
        for (k = adj->off[i]; k < adj->off[i + 1]; k++)
            seen[m->edges[adj->edge[k]].to] = false;
        if (count > r->limit) {
            sm_buf_printf(&why, "calls %llu nodes, more than %llu: %s", (unsigned long long)count,
                          (unsigned long long)r->limit, list.data);
            add_violation(c, SM_VIOLATION_FAN_OUT, ri, (size_t)-1, i, &why);
        }
    }
    sm_buf_release(&why);
    sm_buf_release(&list);
    free(seen);
}

/* The layer index of each node: the first layer statement with a matching pattern,
 * (size_t)-1 for none; layer_rule maps a layer index to its rule. */
static void assign_layers(const struct sm_rules *rules, const struct sm_map *m, size_t *layer,
                          size_t *layer_rule, size_t *nlayers)
{
    size_t i, r;

    *nlayers = 0;
    for (i = 0; i < m->nnodes; i++)
        layer[i] = (size_t)-1;
    for (r = 0; r < rules->nrules; r++) {
        if (rules->rules[r].kind != SM_RULE_LAYER)
            continue;
        layer_rule[*nlayers] = r;
        for (i = 0; i < m->nnodes; i++) {
            if (layer[i] == (size_t)-1 &&
                match_any(rules->rules[r].from, rules->rules[r].nfrom, &m->nodes[i]))
                layer[i] = *nlayers;
        }
        ++*nlayers;
    }
}

static bool edge_matches(const struct sm_rule *r, const struct sm_map *m, const struct sm_edge *e)
{
    return sm_pattern_match(r->from, &m->nodes[e->from]) &&
           sm_pattern_match(r->to, &m->nodes[e->to]);
}

void sm_check_run(struct sm_check *c, const struct sm_rules *rules, const struct sm_map *map,
                  const struct sm_check_options *o)
{
    size_t ne = map->nedges, nn = map->nnodes, ri, e, nlayers = 0;
    bool *live = sm_xcalloc(ne + 1, sizeof(*live));
    bool *allowed = sm_xcalloc(ne + 1, sizeof(*allowed));
    size_t *layer = sm_xmalloc((nn + 1) * sizeof(*layer));
    size_t *layer_rule = sm_xmalloc((rules->nrules + 1) * sizeof(*layer_rule));
    struct adjacency adj;
    struct sm_buf why;

    sm_check_release(c);
    c->rules = rules;
    c->map = map;
    sm_buf_init(&why);
    for (e = 0; e < ne; e++) {
        live[e] = map->edges[e].calls >= o->min_calls;
        if (live[e])
            c->edges_checked++;
        else
            c->edges_ignored++;
    }
    for (ri = 0; ri < rules->nrules; ri++) {
        if (rules->rules[ri].kind != SM_RULE_ALLOW)
            continue;
        for (e = 0; e < ne; e++)
            allowed[e] = allowed[e] || edge_matches(&rules->rules[ri], map, &map->edges[e]);
    }
    assign_layers(rules, map, layer, layer_rule, &nlayers);
    adjacency_build(&adj, map, live);

    for (ri = 0; ri < rules->nrules; ri++) {
        const struct sm_rule *r = &rules->rules[ri];

        switch (r->kind) {
        case SM_RULE_ALLOW:
            break;
        case SM_RULE_FORBID:
            for (e = 0; e < ne; e++) {
                if (!live[e] || allowed[e] || !edge_matches(r, map, &map->edges[e]))
                    continue;
                sm_buf_printf(&why, "forbidden by '%s'", r->text);
                add_violation(c, SM_VIOLATION_FORBID, ri, e, map->edges[e].from, &why);
            }
            break;
        case SM_RULE_LAYER:
            /* an upward call is reported at the caller's layer */
            for (e = 0; e < ne; e++) {
                size_t lf = layer[map->edges[e].from], lt = layer[map->edges[e].to];

                if (!live[e] || allowed[e] || lf == (size_t)-1 || lt == (size_t)-1 ||
                    layer_rule[lf] != ri || lt >= lf)
                    continue;
                sm_buf_printf(&why, "layer %s calls up into layer %s", r->name,
                              rules->rules[layer_rule[lt]].name);
                add_violation(c, SM_VIOLATION_LAYER, ri, e, map->edges[e].from, &why);
            }
            break;
        case SM_RULE_NO_CYCLES:
            check_cycles(c, ri, live, &adj);
            break;
        case SM_RULE_MAX_FAN_OUT:
            check_fan_out(c, ri, &adj);
            break;
        case SM_RULE_NO_EXTERNAL:
            for (e = 0; e < ne; e++) {
                const struct sm_edge *ed = &map->edges[e];

                if (!live[e] || allowed[e] ||
                    (map->nodes[ed->to].kind != SM_NODE_EXTERNAL && ed->kind != SM_EDGE_EXTERNAL) ||
                    !match_any(r->from, r->nfrom, &map->nodes[ed->from]))
                    continue;
                sm_buf_printf(&why, "%s must not call external nodes", map->nodes[ed->from].name);
                add_violation(c, SM_VIOLATION_EXTERNAL, ri, e, ed->from, &why);
            }
            break;
        case SM_RULE_DEFAULT_DENY:
            for (e = 0; e < ne; e++) {
                if (!live[e] || allowed[e])
                    continue;
                sm_buf_adds(&why, "no allow rule matches it");
                add_violation(c, SM_VIOLATION_UNLISTED, ri, e, map->edges[e].from, &why);
            }
            break;
        }
    }
    sm_buf_release(&why);
    adjacency_release(&adj);
    free(live);
    free(allowed);
    free(layer);
    free(layer_rule);
}

/* ---- gates ---- */

int sm_check_gate_parse(const char *list, unsigned *mask, struct sm_error *err)
{
    static const struct {
        const char *word;
        int kind; /* -1 any, -2 none */
    } words[] = {
        {"any", -1},
        {"none", -2},
        {"forbid", SM_VIOLATION_FORBID},
        {"layer", SM_VIOLATION_LAYER},
        {"cycle", SM_VIOLATION_CYCLE},
        {"no-cycles", SM_VIOLATION_CYCLE},
        {"fan-out", SM_VIOLATION_FAN_OUT},
        {"max-fan-out", SM_VIOLATION_FAN_OUT},
        {"external", SM_VIOLATION_EXTERNAL},
        {"no-external", SM_VIOLATION_EXTERNAL},
        {"unlisted", SM_VIOLATION_UNLISTED},
        {"default-deny", SM_VIOLATION_UNLISTED},
    };
    const char *p = list;

    while (*p) {
        const char *start, *stop;
        size_t n, i;

        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        start = p;
        while (*p && *p != ',')
            p++;
        stop = p;
        while (stop > start && stop[-1] == ' ')
            stop--;
        n = (size_t)(stop - start);
        for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
            if (strlen(words[i].word) == n && !strncmp(words[i].word, start, n))
                break;
        }
        if (i == sizeof(words) / sizeof(words[0]))
            return sm_error_set(err, SM_EUSAGE,
                                "unknown --fail-on word '%.*s' (any, none, forbid, layer, cycle, "
                                "fan-out, external, unlisted)",
                                (int)n, start);
        if (words[i].kind == -1)
            *mask = (1u << SM_VIOLATION_NKINDS) - 1;
        else if (words[i].kind == -2)
            *mask = 0;
        else
            *mask |= 1u << words[i].kind;
    }
    return 0;
}

size_t sm_check_tripped(const struct sm_check *c, unsigned mask)
{
    size_t i, n = 0;

    for (i = 0; i < c->nviolations; i++) {
        if (mask & (1u << c->violations[i].kind))
            n++;
    }
    return n;
}
