/* options.h: command-line options declared as tables, one per command, as git's
 * parse-options does.
 *
 * A command lists its options in an array of struct cli_option built with the OPT_*
 * macros below: the long and short name, the kind of value, where it is stored, the
 * value's placeholder and the help line. cli_options_parse walks argv against the table,
 * and cli_options_help prints the help from the same table, so an option cannot exist
 * without its help line, and every mistake reads the same in every command:
 *   unknown option '--x'
 *   option '--db' needs a value
 *   --depth takes a number from 0 to 1000, got 'x'
 * Tables nest (OPT_INCLUDE) so that the input and rendering options are declared once.
 *
 * Long options take their value as "--name VALUE" or "--name=VALUE", short ones as
 * "-n VALUE" or "-nVALUE"; flags take none. Arguments that do not start with '-', a lone
 * "-", and everything after "--" are positional; -h and --help print the help.
 */
#ifndef SVCMAP_CLI_OPTIONS_H
#define SVCMAP_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cli_option_kind {
    CLI_OPT_END = 0,      /* closes a table */
    CLI_OPT_GROUP,        /* a heading in the help, no option */
    CLI_OPT_TEXT,         /* lines printed in the help as they are, no option */
    CLI_OPT_INCLUDE,      /* the options of another table (value: const struct cli_option *) */
    CLI_OPT_BOOL,         /* a flag: stores defval (true or false) into the bool at value */
    CLI_OPT_SET_INT,      /* a flag: stores defval into the int at value */
    CLI_OPT_STRING,       /* const char * at value: the argument, borrowed from argv */
    CLI_OPT_LIST,         /* struct cli_list at value: every occurrence appended */
    CLI_OPT_COUNT,        /* uint64_t at value: a whole number from 0 to max */
    CLI_OPT_SIZE,         /* size_t at value: a positive number, k, M or G suffix */
    CLI_OPT_CHOICE,       /* int at value: the number of the word given, from words */
    CLI_OPT_CALLBACK,     /* callback(value, arg): parses arg and stores it at value */
    CLI_OPT_CALLBACK_FLAG /* a flag: callback(value, NULL) */
};

/* A repeatable option's values, in order (borrowed from argv; the array is owned: free
 * with cli_list_release). */
struct cli_list {
    const char **items;
    size_t n;
};
void cli_list_release(struct cli_list *l);

/* One word of a CLI_OPT_CHOICE option and the number stored for it. */
struct cli_choice {
    const char *word;
    int value;
};

struct cli_option {
    enum cli_option_kind kind;
    char short_name;       /* 'o' for -o, or 0 */
    const char *long_name; /* "output" for --output, or NULL */
    void *value;           /* where the value goes; see the kinds */
    const char *argh;      /* the value's placeholder in the help ("FILE"), NULL for flags */
    const char *help;      /* the help text; '\n' starts an indented continuation line */
    /* what a value must be, for the message "--NAME takes WHAT, got 'VALUE'"; NULL: the
     * kind's own words */
    const char *what;
    int defval;                      /* CLI_OPT_SET_INT: the number stored */
    uint64_t max;                    /* CLI_OPT_COUNT: the largest accepted (0: none) */
    const struct cli_choice *words;  /* CLI_OPT_CHOICE: ends with a NULL word */
    const struct cli_option *nested; /* CLI_OPT_INCLUDE */
    /* CLI_OPT_CALLBACK: 0 when arg was taken, -1 when it is not a valid value (the
     * parser then prints the "takes WHAT" message) */
    int (*callback)(void *value, const char *arg);
};

#define OPT_END()                                                                                  \
    {                                                                                              \
        .kind = CLI_OPT_END                                                                        \
    }
#define OPT_GROUP(title)                                                                           \
    {                                                                                              \
        .kind = CLI_OPT_GROUP, .help = (title)                                                     \
    }
#define OPT_TEXT(text)                                                                             \
    {                                                                                              \
        .kind = CLI_OPT_TEXT, .help = (text)                                                       \
    }
#define OPT_INCLUDE(table)                                                                         \
    {                                                                                              \
        .kind = CLI_OPT_INCLUDE, .nested = (table)                                                 \
    }
#define OPT_BOOL(s, l, v, h)                                                                       \
    {                                                                                              \
        .kind = CLI_OPT_BOOL, .short_name = (s), .long_name = (l), .value = (v), .help = (h),      \
        .defval = 1                                                                                \
    }
#define OPT_BOOL_OFF(s, l, v, h)                                                                   \
    {                                                                                              \
        .kind = CLI_OPT_BOOL, .short_name = (s), .long_name = (l), .value = (v), .help = (h),      \
        .defval = 0                                                                                \
    }
#define OPT_SET_INT(s, l, v, n, h)                                                                 \
    {                                                                                              \
        .kind = CLI_OPT_SET_INT, .short_name = (s), .long_name = (l), .value = (v), .help = (h),   \
        .defval = (n)                                                                              \
    }
#define OPT_STRING(s, l, v, a, h)                                                                  \
    {                                                                                              \
        .kind = CLI_OPT_STRING, .short_name = (s), .long_name = (l), .value = (v), .argh = (a),    \
        .help = (h)                                                                                \
    }
#define OPT_LIST(s, l, v, a, h)                                                                    \
    {                                                                                              \
        .kind = CLI_OPT_LIST, .short_name = (s), .long_name = (l), .value = (v), .argh = (a),      \
        .help = (h)                                                                                \
    }
#define OPT_COUNT(s, l, v, a, m, w, h)                                                             \
    {                                                                                              \
        .kind = CLI_OPT_COUNT, .short_name = (s), .long_name = (l), .value = (v), .argh = (a),     \
        .max = (m), .what = (w), .help = (h)                                                       \
    }
#define OPT_SIZE(s, l, v, a, w, h)                                                                 \
    {                                                                                              \
        .kind = CLI_OPT_SIZE, .short_name = (s), .long_name = (l), .value = (v), .argh = (a),      \
        .what = (w), .help = (h)                                                                   \
    }
#define OPT_CHOICE(s, l, v, a, ws, h)                                                              \
    {                                                                                              \
        .kind = CLI_OPT_CHOICE, .short_name = (s), .long_name = (l), .value = (v), .argh = (a),    \
        .words = (ws), .help = (h)                                                                 \
    }
#define OPT_CALLBACK_FLAG(s, l, v, fn, h)                                                          \
    {                                                                                              \
        .kind = CLI_OPT_CALLBACK_FLAG, .short_name = (s), .long_name = (l), .value = (v),          \
        .callback = (fn), .help = (h)                                                              \
    }
#define OPT_CALLBACK(s, l, v, fn, a, w, h)                                                         \
    {                                                                                              \
        .kind = CLI_OPT_CALLBACK, .short_name = (s), .long_name = (l), .value = (v),               \
        .callback = (fn), .argh = (a), .what = (w), .help = (h)                                    \
    }

/* Parses argv[1..argc) against options. Positional arguments go into args (room for
 * argc entries), *nargs of them. Returns -1 when the command should go on, 0 after
 * printing the help (usage, then the table) on stdout, 2 after a usage error. */
int cli_options_parse(const char *cmd, const struct cli_option *options, int argc, char **argv,
                      const char *usage, char **args, int *nargs);

/* Prints usage (a text that ends with a line end, may be NULL) and the help lines of the
 * options to out. */
void cli_options_help(FILE *out, const char *usage, const struct cli_option *options);

#endif
