/* test_format.c: every row of the format table is where a user looks for it.
 *
 * The --input-format words are the names of the rows of sm_formats. `svcmap map --help`
 * prints them from the table; the man page (docs/svcmap.1) is written by hand. Both are
 * checked against the table here: the man page's --input-format paragraph names every
 * row, in the table's order, and nothing else, and the help has one line per row with
 * its name and summary. A format added to the table without the man page fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svcmap/format.h"

/* The whole of a file or a command's output, NUL-terminated; caller frees. */
static char *slurp(FILE *f)
{
    char *text = NULL;
    size_t len = 0, cap = 0, n;

    do {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 65536;
            text = realloc(text, cap);
            assert_non_null(text);
        }
        n = fread(text + len, 1, cap - len - 1, f);
        len += n;
    } while (n > 0);
    text[len] = '\0';
    return text;
}

/* name as roff writes it: every '-' as "\-". */
static void man_escape(const char *name, char *out, size_t size)
{
    size_t o = 0;

    for (; *name && o + 3 < size; name++) {
        if (*name == '-')
            out[o++] = '\\';
        out[o++] = *name;
    }
    out[o] = '\0';
}

static void man_page_lists_every_format(void **state)
{
    FILE *f = fopen(SVCMAP_SOURCE_DIR "/docs/svcmap.1", "r");
    char *man, *para, *end, word[64];
    const char *at;
    size_t i, rows = 0, commas = 0;

    (void)state;
    assert_non_null(f);
    man = slurp(f);
    fclose(f);
    /* the paragraph after the .BI line of the option, up to the next request */
    para = strstr(man, ".BI \\-\\-input\\-format \" FMT\"\n");
    assert_non_null(para);
    para = strchr(para, '\n') + 1;
    end = strstr(para, "\n.");
    assert_non_null(end);
    *end = '\0';
    at = para;
    for (i = 0; sm_formats[i]; i++) {
        const char *hit;

        man_escape(sm_formats[i]->name, word, sizeof(word));
        hit = strstr(at, word);
        if (!hit)
            fail_msg("docs/svcmap.1 does not list --input-format %s after the row before it",
                     sm_formats[i]->name);
        /* a whole word: "zipkin" must not be found inside "zipkin1" */
        hit += strlen(word);
        if (*hit != ',' && *hit != ' ' && *hit != '.')
            fail_msg("docs/svcmap.1: '%s' is not followed by a separator", sm_formats[i]->name);
        at = hit;
        rows++;
    }
    /* nothing more than the rows: n names take n - 2 commas and one "or" */
    for (at = para; *at; at++)
        commas += *at == ',';
    assert_int_equal(commas, rows - 2);
    assert_non_null(strstr(para, " or "));
    free(man);
}

static void help_lists_every_format(void **state)
{
    FILE *p = popen(SVCMAP_BINARY_DIR "/svcmap map --help", "r");
    char *help, line[512];
    size_t i;

    (void)state;
    assert_non_null(p);
    help = slurp(p);
    assert_int_equal(pclose(p), 0);
    for (i = 0; sm_formats[i]; i++) {
        snprintf(line, sizeof(line), "\n      %-13s %s\n", sm_formats[i]->name,
                 sm_formats[i]->summary);
        if (!strstr(help, line))
            fail_msg("svcmap map --help has no line for --input-format %s", sm_formats[i]->name);
    }
    free(help);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(man_page_lists_every_format),
        cmocka_unit_test(help_lists_every_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
