/* options.c: the one argument loop and the one help printer, driven by option tables.
 *
 * Lookup walks the table in order, descending into included tables, so a command's own
 * row can stand in front of a shared one with the same name. Values are checked where
 * they are read; a bad one is reported with the option's name and the table's words for
 * what it takes, so the same mistake reads the same in every command.
 */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define HELP_COLUMN 26

void cli_list_release(struct cli_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* The row for a long name (len bytes of name) or a short one, or NULL. */
static const struct cli_option *find(const struct cli_option *o, const char *name, size_t len,
                                     char short_name)
{
    for (; o->kind != CLI_OPT_END; o++) {
        const struct cli_option *hit;

        if (o->kind == CLI_OPT_INCLUDE) {
            if ((hit = find(o->nested, name, len, short_name)))
                return hit;
            continue;
        }
        if (o->kind == CLI_OPT_GROUP || o->kind == CLI_OPT_TEXT)
            continue;
        if (short_name && o->short_name == short_name)
            return o;
        if (name && o->long_name && strlen(o->long_name) == len &&
            !strncmp(o->long_name, name, len))
            return o;
    }
    return NULL;
}

static bool takes_value(const struct cli_option *o)
{
    return o->kind != CLI_OPT_SET_INT && o->kind != CLI_OPT_BOOL &&
           o->kind != CLI_OPT_CALLBACK_FLAG;
}

/* "--name" or "-n", for messages. */
static void spell(const struct cli_option *o, char *buf, size_t size)
{
    if (o->long_name)
        snprintf(buf, size, "--%s", o->long_name);
    else
        snprintf(buf, size, "-%c", o->short_name);
}

/* The words of a choice, "a, b or c". */
static void choice_words(const struct cli_option *o, char *buf, size_t size)
{
    size_t n = 0, k, used = 0;

    while (o->words[n].word)
        n++;
    buf[0] = '\0';
    for (k = 0; k < n && used < size; k++) {
        int w = snprintf(buf + used, size - used, "%s%s",
                         k == 0       ? ""
                         : k + 1 == n ? " or "
                                      : ", ",
                         o->words[k].word);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int bad_value(const char *cmd, const struct cli_option *o, const char *arg)
{
    char name[80], what[256];

    spell(o, name, sizeof(name));
    if (o->what)
        snprintf(what, sizeof(what), "%s", o->what);
    else if (o->kind == CLI_OPT_CHOICE)
        choice_words(o, what, sizeof(what));
    else if (o->kind == CLI_OPT_SIZE)
        snprintf(what, sizeof(what), "a positive size such as 64M");
    else
        snprintf(what, sizeof(what), "a whole number");
    return cli_usage_error(cmd, "%s takes %s, got '%s'", name, what, arg);
}

static int parse_count(const char *text, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!*text || *text == '-' || *text == '+' || *text == ' ')
        return -1;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno || *end || (max && v > max))
        return -1;
    *out = v;
    return 0;
}

static int parse_size(const char *text, size_t *out)
{
    char *end;
    unsigned long long v;

    if (!*text || *text == '-') /* strtoull would wrap it around to a huge size */
        return -1;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno || end == text)
        return -1;
    if (*end == 'k' || *end == 'K')
        v <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        v <<= 20, end++;
    else if (*end == 'G' || *end == 'g')
        v <<= 30, end++;
    if (*end || v == 0)
        return -1;
    *out = (size_t)v;
    return 0;
}

/* Stores the value arg (NULL for a flag) of option o. 0, or 2 after a usage error. */
static int store(const char *cmd, const struct cli_option *o, const char *arg)
{
    size_t k;

    switch (o->kind) {
    case CLI_OPT_BOOL:
        *(bool *)o->value = o->defval != 0;
        return 0;
    case CLI_OPT_SET_INT:
        *(int *)o->value = o->defval;
        return 0;
    case CLI_OPT_STRING:
        *(const char **)o->value = arg;
        return 0;
    case CLI_OPT_LIST: {
        struct cli_list *l = o->value;

        l->items = sm_xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
        l->items[l->n++] = arg;
        return 0;
    }
    case CLI_OPT_COUNT:
        return parse_count(arg, o->max, o->value) ? bad_value(cmd, o, arg) : 0;
    case CLI_OPT_SIZE:
        return parse_size(arg, o->value) ? bad_value(cmd, o, arg) : 0;
    case CLI_OPT_CHOICE:
        for (k = 0; o->words[k].word; k++) {
            if (!strcmp(o->words[k].word, arg)) {
                *(int *)o->value = o->words[k].value;
                return 0;
            }
        }
        return bad_value(cmd, o, arg);
    case CLI_OPT_CALLBACK:
        return o->callback(o->value, arg) ? bad_value(cmd, o, arg) : 0;
    case CLI_OPT_CALLBACK_FLAG:
        o->callback(o->value, NULL);
        return 0;
    default:
        return 0;
    }
}

/* One option at argv[*i]. 0 taken (its value consumed), 2 after a usage error. */
static int one(const char *cmd, const struct cli_option *options, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *value = NULL;
    const struct cli_option *o;
    char name[80];

    if (arg[1] == '-') {
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);

        o = find(options, arg + 2, len, 0);
        if (!o)
            return cli_usage_error(cmd, "unknown option '%s'", arg);
        if (eq && !takes_value(o))
            return cli_usage_error(cmd, "option '--%s' takes no value", o->long_name);
        value = eq ? eq + 1 : NULL;
    } else {
        o = find(options, NULL, 0, arg[1]);
        if (!o)
            return cli_usage_error(cmd, "unknown option '%s'", arg);
        if (arg[2] && !takes_value(o))
            return cli_usage_error(cmd, "unknown option '%s'", arg);
        value = arg[2] ? arg + 2 : NULL;
    }
    if (takes_value(o) && !value) {
        if (*i + 1 >= argc) {
            spell(o, name, sizeof(name));
            if (arg[1] != '-')
                snprintf(name, sizeof(name), "-%c", o->short_name);
            return cli_usage_error(cmd, "option '%s' needs a value", name);
        }
        value = argv[++*i];
    }
    return store(cmd, o, value);
}

int cli_options_parse(const char *cmd, const struct cli_option *options, int argc, char **argv,
                      const char *usage, char **args, int *nargs)
{
    bool only_args = false;
    int i, rc;

    *nargs = 0;
    for (i = 1; i < argc; i++) {
        if (only_args || argv[i][0] != '-' || !strcmp(argv[i], "-")) {
            args[(*nargs)++] = argv[i];
            continue;
        }
        if (!strcmp(argv[i], "--")) {
            only_args = true;
            continue;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            cli_options_help(stdout, usage, options);
            return 0;
        }
        if ((rc = one(cmd, options, argc, argv, &i)))
            return rc;
    }
    return -1;
}

/* Prints text from the help column, continuation lines indented to it. */
static void help_text(FILE *out, const char *text)
{
    for (; *text; text++) {
        fputc(*text, out);
        if (*text == '\n')
            fprintf(out, "%*s", HELP_COLUMN, "");
    }
    fputc('\n', out);
}

static void help_rows(FILE *out, const struct cli_option *o)
{
    for (; o->kind != CLI_OPT_END; o++) {
        char left[128];
        int n = 0;

        if (o->kind == CLI_OPT_INCLUDE) {
            help_rows(out, o->nested);
            continue;
        }
        if (o->kind == CLI_OPT_GROUP) {
            fprintf(out, "\n%s\n", o->help);
            continue;
        }
        if (o->kind == CLI_OPT_TEXT) {
            fputs(o->help, out);
            continue;
        }
        if (!o->help)
            continue; /* a spelling kept for old scripts, not shown */
        if (o->short_name && o->long_name)
            n = snprintf(left, sizeof(left), "-%c, --%s", o->short_name, o->long_name);
        else if (o->short_name)
            n = snprintf(left, sizeof(left), "-%c", o->short_name);
        else
            n = snprintf(left, sizeof(left), "--%s", o->long_name);
        if (o->argh && n >= 0 && (size_t)n < sizeof(left))
            n += snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->argh);
        if (n + 3 <= HELP_COLUMN)
            fprintf(out, "  %-*s", HELP_COLUMN - 2, left);
        else
            fprintf(out, "  %s\n%*s", left, HELP_COLUMN, "");
        help_text(out, o->help);
    }
}

void cli_options_help(FILE *out, const char *usage, const struct cli_option *options)
{
    if (usage)
        fputs(usage, out);
    help_rows(out, options);
}
