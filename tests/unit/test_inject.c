/* test_inject.c: unit tests of rewriting the block between svcmap markers.
 *
 * The central property: every byte outside the block is unchanged, checked by
 * comparing the prefix up to the begin marker and the suffix from the end marker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svcmap/inject.h"

static int inject(const char *doc, const char *name, const char *block, struct sm_buf *out,
                  struct sm_error *err)
{
    sm_buf_init(out);
    sm_error_init(err);
    return sm_inject(doc, strlen(doc), name, block, strlen(block), out, err);
}

static void test_replaces_only_the_block(void **state)
{
    static const char doc[] = "# Title\r\n\nText before \xff\xfe bytes.\n"
                              "<!-- svcmap:begin other -->\nkeep\n<!-- svcmap:end other -->\n"
                              "<!-- svcmap:begin map -->\nold\nlines\n<!-- svcmap:end map -->"
                              "\ntrailing text, no final newline";
    static const char expected[] = "# Title\r\n\nText before \xff\xfe bytes.\n"
                                   "<!-- svcmap:begin other -->\nkeep\n<!-- svcmap:end other -->\n"
                                   "<!-- svcmap:begin map -->\n```mermaid\nflowchart LR\n```\n"
                                   "<!-- svcmap:end map -->"
                                   "\ntrailing text, no final newline";
    struct sm_buf out;
    struct sm_error err;
    struct sm_buf again;

    (void)state;
    assert_int_equal(inject(doc, "map", "```mermaid\nflowchart LR\n```", &out, &err), 0);
    assert_string_equal(out.data, expected);
    /* Idempotent: injecting the same block again changes nothing. */
    assert_int_equal(inject(out.data, "map", "```mermaid\nflowchart LR\n```\n", &again, &err), 0);
    assert_string_equal(again.data, expected);
    sm_buf_release(&again);
    sm_buf_release(&out);
}

static void test_inline_and_empty(void **state)
{
    struct sm_buf out;
    struct sm_error err;

    (void)state;
    assert_int_equal(
        inject("a <!-- svcmap:begin x --><!-- svcmap:end x --> b", "x", "new", &out, &err), 0);
    assert_string_equal(out.data, "a <!-- svcmap:begin x -->\nnew\n<!-- svcmap:end x --> b");
    sm_buf_release(&out);
}

static void expect_error(const char *doc, const char *name, int status, long line,
                         const char *words)
{
    struct sm_buf out;
    struct sm_error err;

    assert_int_equal(inject(doc, name, "x", &out, &err), status);
    assert_int_equal(err.status, status);
    assert_int_equal(err.line, line);
    assert_non_null(strstr(err.text, words));
    assert_int_equal(out.len, 0);
    sm_buf_release(&out);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("no markers\n", "map", SM_EINPUT, 0, "no '<!-- svcmap:begin map -->' marker");
    expect_error("<!-- svcmap:begin map -->\n", "map", SM_EINPUT, 0,
                 "no '<!-- svcmap:end map -->' marker after line 1");
    expect_error("<!-- svcmap:begin map -->\n<!-- svcmap:end map -->\n<!-- svcmap:begin map -->\n",
                 "map", SM_EINPUT, 3, "appears a second time (first on line 1)");
    expect_error("<!-- svcmap:begin map -->\n<!-- svcmap:end map -->\n\n<!-- svcmap:end map -->\n",
                 "map", SM_EINPUT, 4, "appears a second time (first on line 2)");
    expect_error("<!-- svcmap:end map -->\n<!-- svcmap:begin map -->\n", "map", SM_EINPUT, 1,
                 "comes before");
    /* A marker of another name is not this block's. */
    expect_error("<!-- svcmap:begin map2 -->\n<!-- svcmap:end map2 -->\n", "map", SM_EINPUT, 0,
                 "no '<!-- svcmap:begin map -->'");
    expect_error("x", "bad name", SM_EUSAGE, 0, "block name");
    expect_error("x", "", SM_EUSAGE, 0, "block name");
    expect_error("x", "a-->b", SM_EUSAGE, 0, "block name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replaces_only_the_block),
        cmocka_unit_test(test_inline_and_empty),
        cmocka_unit_test(test_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
