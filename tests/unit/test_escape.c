/* test_escape.c: unit tests of the escaping helpers for Markdown and terminals.
 *
 * Each helper is fed the attacks it exists for (cell and line breaks, HTML, links,
 * autolinks, fences; escape sequences, C1 controls, bidi overrides, broken UTF-8) and
 * ordinary names that must pass unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svcmap/escape.h"

static void md_is(const char *in, const char *want)
{
    struct sm_buf b;

    sm_buf_init(&b);
    sm_escape_markdown(&b, in, strlen(in));
    assert_string_equal(b.data ? b.data : "", want);
    sm_buf_release(&b);
}

static void term_is(const char *in, bool line, const char *want)
{
    struct sm_buf b;

    sm_buf_init(&b);
    sm_escape_terminal(&b, in, strlen(in), line);
    assert_string_equal(b.data ? b.data : "", want);
    sm_buf_release(&b);
}

static void test_markdown(void **state)
{
    (void)state;
    md_is("payments-api.v2 (eu)", "payments-api.v2 (eu)");
    md_is("a|b", "a\\|b");
    md_is("two\nlines\r\nand\rmore", "two lines and more");
    md_is("<script>x</script>", "\\<script>x\\</script>");
    md_is("[click](javascript:alert(1))", "\\[click\\](javascript:alert(1))");
    md_is("![i](x.png)", "!\\[i\\](x.png)");
    md_is("`code` *em* _em_ ~~s~~", "\\`code\\` \\*em\\* \\_em\\_ \\~\\~s\\~\\~");
    md_is("a&amp;b", "a\\&amp;b");
    md_is("back\\slash", "back\\\\slash");
    /* GitHub's autolinks: scheme://, www., e-mail */
    md_is("https://evil.example/x", "https\\://evil.example/x");
    md_is("WWW.evil.example", "WWW\\.evil.example");
    md_is("user@evil.example", "user\\@evil.example");
    /* a colon that starts no link stays */
    md_is("external:api.example:443", "external:api.example:443");
}

static void test_fence(void **state)
{
    struct sm_buf b;
    static const char csv[] = "from,to\nfront,\"fence\n```\n# heading\"\n";

    (void)state;
    sm_buf_init(&b);
    sm_escape_fenced(&b, "csv", "a,b\n", 4);
    assert_string_equal(b.data, "```csv\na,b\n```\n");
    sm_buf_reset(&b);
    sm_escape_fenced(&b, "", "no line end", 11);
    assert_string_equal(b.data, "```\nno line end\n```\n");
    sm_buf_reset(&b);
    /* a run of three backticks in the text: a fence of four */
    sm_escape_fenced(&b, "csv", csv, strlen(csv));
    assert_true(!strncmp(b.data, "````csv\n", 8));
    assert_string_equal(b.data + b.len - 6, "\n````\n");
    sm_buf_reset(&b);
    sm_escape_fenced(&b, "json", "\"``````\"", 8);
    assert_string_equal(b.data, "```````json\n\"``````\"\n```````\n");
    sm_buf_release(&b);
}

static void test_terminal(void **state)
{
    (void)state;
    term_is("café → 東京 🚀 עברית", false, "café → 東京 🚀 עברית");
    term_is("\x1b]0;pwned\x07title", false, "\\x1b]0;pwned\\x07title");
    term_is("\x1b[2J", false, "\\x1b[2J");
    term_is("tab\there\r\nline", false, "tab\\there\\r\\nline");
    term_is("two\nlines", true, "two\nlines");
    term_is("del\x7f", false, "del\\x7f");
    /* U+009B, the one-character CSI, as UTF-8 */
    term_is("c1\xc2\x9b"
            "31m",
            false, "c1\\u009b31m");
    /* bidi: override, embedding, isolates, marks */
    term_is("evil\xe2\x80\xaegnp.exe", false, "evil\\u202egnp.exe");
    term_is("\xe2\x80\xaa\xe2\x81\xa6x\xe2\x81\xa9\xe2\x80\x8f\xd8\x9c", false,
            "\\u202a\\u2066x\\u2069\\u200f\\u061c");
    /* not UTF-8: a lone continuation, a raw C1 byte, an overlong '/', a surrogate, a
     * sequence cut short */
    term_is("\x80\x9b", false, "\\x80\\x9b");
    term_is("\xc0\xaf", false, "\\xc0\\xaf");
    term_is("\xed\xa0\x80", false, "\\xed\\xa0\\x80");
    term_is("cut\xe2\x80", false, "cut\\xe2\\x80");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_fence),
        cmocka_unit_test(test_terminal),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
