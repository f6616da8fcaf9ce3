/* check.h: architecture rules a team writes down, and the edges of a map that break them.
 *
 * A rules file (grammar in docs/rules.md) is a list of statements, one a line:
 *   allow PATTERN -> PATTERN          an exception to forbid, layer, no-external, deny
 *   forbid PATTERN -> PATTERN         matching edges are violations
 *   layer NAME: PATTERN...            layers top-down in file order; a call may only stay
 *                                     in its layer or go down
 *   no-cycles [PATTERN...]            no directed cycle among (the matching) nodes
 *   max-fan-out N [PATTERN...]        no (matching) node calls more than N distinct nodes
 *   no-external PATTERN...            matching nodes never call an external node
 *   default deny                      every edge no allow matches is a violation
 * A PATTERN is [KIND:]GLOB: KIND one of service, database, queue, external, client or
 * *, GLOB matched against the node name with * and ?. Without a kind it matches nodes
 * of every kind.
 *
 * sm_check_run holds a map against parsed rules and lists the violations, each with the
 * rule (and its line) that fired and the edge or node it fired on. Gates (--fail-on)
 * pick the violation kinds that fail a build; reports come as text, Markdown or JSON
 * (schema svcmap.check/v1), deterministic for a sorted map.
 *
 * The model (rules, sm_check_run, the gate) is src/report/check.c; each report writer
 * has a file of its own: check_text.c, check_markdown.c and check_json.c. Writers escape
 * every name for where it lands (svcmap/escape.h).
 */
#ifndef SVCMAP_CHECK_H
#define SVCMAP_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/error.h"
#include "svcmap/map.h"
#include "svcmap/util.h"

#define SM_CHECK_SCHEMA "svcmap.check/v1"

enum sm_rule_kind {
    SM_RULE_ALLOW = 0,
    SM_RULE_FORBID,
    SM_RULE_LAYER,
    SM_RULE_NO_CYCLES,
    SM_RULE_MAX_FAN_OUT,
    SM_RULE_NO_EXTERNAL,
    SM_RULE_DEFAULT_DENY,
};

/* [KIND:]GLOB */
struct sm_pattern {
    bool any_kind;
    enum sm_node_kind kind;
    char *glob; /* owned */
};

struct sm_rule {
    enum sm_rule_kind kind;
    long line;  /* 1-based line in the rules file */
    char *text; /* owned: the statement as written, comment and edge blanks trimmed */
    char *name; /* owned: the layer's name (SM_RULE_LAYER), else NULL */
    /* allow/forbid: from[0] -> to[0]; layer, no-cycles, max-fan-out, no-external: the
     * node patterns in from (none: every node) */
    struct sm_pattern *from, *to; /* owned */
    size_t nfrom, nto;
    uint64_t limit; /* max-fan-out */
};

struct sm_rules {
    struct sm_rule *rules; /* owned, in file order */
    size_t nrules, cap;
    char *file; /* owned: the name used in messages and reports */
};

void sm_rules_init(struct sm_rules *r);
void sm_rules_release(struct sm_rules *r);

/* Parses a rules file held in memory into an initialised, empty r. name is used in
 * messages. SM_EINPUT with name:line:column and what was expected on a bad line. */
int sm_rules_parse(const char *text, size_t len, const char *name, struct sm_rules *r,
                   struct sm_error *err);
/* Reads and parses a rules file ("-" is standard input). */
int sm_rules_read(const char *path, struct sm_rules *r, struct sm_error *err);

/* True when a node matches a pattern. */
bool sm_pattern_match(const struct sm_pattern *p, const struct sm_node *n);

enum sm_violation_kind {
    SM_VIOLATION_FORBID = 0, /* a forbid rule matched */
    SM_VIOLATION_LAYER,      /* a call goes up a layer */
    SM_VIOLATION_CYCLE,      /* an edge on a directed cycle */
    SM_VIOLATION_FAN_OUT,    /* a node calls too many nodes */
    SM_VIOLATION_EXTERNAL,   /* a no-external node calls an external node */
    SM_VIOLATION_UNLISTED,   /* default deny: an edge no allow matches */
};
#define SM_VIOLATION_NKINDS 6
/* "forbid", "layer", "cycle", "fan-out", "external", "unlisted". */
const char *sm_violation_kind_name(enum sm_violation_kind kind);

struct sm_violation {
    enum sm_violation_kind kind;
    size_t rule; /* index into rules->rules */
    size_t edge; /* index into map->edges, or (size_t)-1 for a node violation (fan-out) */
    size_t node; /* fan-out: the node; else the edge's caller */
    char *why;   /* owned: one line, e.g. "core -> edge goes up a layer" */
};

struct sm_check_options {
    uint64_t min_calls; /* edges with fewer calls are left out (default 0: none) */
};
void sm_check_options_init(struct sm_check_options *o);

struct sm_check {
    const struct sm_rules *rules;    /* borrowed: valid while the check is used */
    const struct sm_map *map;        /* borrowed: likewise */
    struct sm_violation *violations; /* owned, by rule line, then edge/node order */
    size_t nviolations, cap;
    size_t counts[SM_VIOLATION_NKINDS];
    size_t edges_checked, edges_ignored;
};

void sm_check_init(struct sm_check *c);
void sm_check_release(struct sm_check *c);

/* Holds map (sorted, see sm_map_sort, for deterministic output) against rules into an
 * initialised c (old contents released). Cannot fail. */
void sm_check_run(struct sm_check *c, const struct sm_rules *rules, const struct sm_map *map,
                  const struct sm_check_options *o);

/* --fail-on: a comma-separated list of "any", "none" or violation kinds (rule keywords
 * are accepted too: no-cycles = cycle, max-fan-out = fan-out, no-external = external,
 * default-deny = unlisted). Adds bits (1 << kind) to *mask; "none" clears it.
 * SM_EUSAGE with a message for an unknown word. */
int sm_check_gate_parse(const char *list, unsigned *mask, struct sm_error *err);

/* How many violations the gate mask selects. */
size_t sm_check_tripped(const struct sm_check *c, unsigned mask);

/* Reports appended to out. Text is one line per violation
 * ("RULES:LINE: KIND: FROM -> TO (N calls): WHY") and a summary; Markdown a summary
 * line and a table; JSON the svcmap.check/v1 document. mask marks which violations
 * fail the gate. */
void sm_check_write_text(const struct sm_check *c, unsigned mask, struct sm_buf *out);
void sm_check_write_markdown(const struct sm_check *c, unsigned mask, struct sm_buf *out);
void sm_check_write_json(const struct sm_check *c, unsigned mask, struct sm_buf *out);

#endif
