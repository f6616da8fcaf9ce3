/* test_emit_html.c: unit tests of the HTML page (-f html): the SHA-256 behind its
 * Content-Security-Policy, escaping into the data block and the page, element ids made
 * from node ids, and the page's shape (one script, one data block, same bytes twice).
 *
 * What the page does in a browser is tested by tests/integration/browser_html.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svcmap/emit.h"
#include "svcmap/sha256.h"
#include "svcmap/map.h"

static void hex(const unsigned char *d, char *out)
{
    int i;

    for (i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

/* FIPS 180-2 examples, and lengths around the padding boundary. */
static void test_sha256(void **state)
{
    unsigned char d[32];
    char h[65];
    char *million = malloc(1000000);

    (void)state;
    sm_sha256("abc", 3, d);
    hex(d, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sm_sha256("", 0, d);
    hex(d, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sm_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
    hex(d, h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    memset(million, 'a', 1000000);
    sm_sha256(million, 1000000, d);
    hex(d, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

static void test_json_string(void **state)
{
    struct sm_buf b;

    (void)state;
    sm_buf_init(&b);
    sm_html_add_json_string(&b, "</script><!--\"\\\n&\x01\xff\xe2\x80\xa8");
    assert_string_equal(b.data, "\"\\u003c/script\\u003e\\u003c!--\\\"\\\\\\n\\u0026\xef\xbf\xbd"
                                "\xef\xbf\xbd\\u2028\"");
    sm_buf_reset(&b);
    sm_html_add_text(&b, "<img src=x onerror='a'>&\"");
    assert_string_equal(b.data, "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;");
    sm_buf_release(&b);
}

static void test_page(void **state)
{
    struct sm_map m;
    struct sm_style style;
    struct sm_buf one, two;
    struct sm_error err;
    size_t a, b;
    struct sm_edge *e;
    const char *p;
    int scripts = 0;

    (void)state;
    sm_map_init(&m);
    a = sm_map_node(&m, SM_NODE_SERVICE, "web</script><script>alert(1)</script>");
    b = sm_map_node(&m, SM_NODE_DATABASE, "orders_db");
    e = sm_map_edge(&m, a, b, SM_EDGE_DATABASE);
    e->calls = 10;
    e->errors = 1;
    sm_sketch_add(&e->client, 12.5);
    sm_map_sort(&m);
    sm_style_init(&style);
    style.title = "<b>title</b>";
    sm_buf_init(&one);
    sm_buf_init(&two);
    sm_error_init(&err);
    assert_int_equal(sm_emit_html.emit(&m, &style, &one, &err), 0);
    assert_int_equal(sm_emit_html.emit(&m, &style, &two, &err), 0);
    assert_int_equal(one.len, two.len);
    assert_memory_equal(one.data, two.data, one.len);
    /* the page's two scripts, and no other: a name closes nothing */
    for (p = one.data; (p = strstr(p, "</script>")) != NULL; p++)
        scripts++;
    assert_int_equal(scripts, 2);
    assert_null(strstr(one.data, "<b>title"));
    assert_non_null(strstr(one.data, "&lt;b&gt;title"));
    assert_non_null(strstr(one.data, "Content-Security-Policy\" content=\"default-src 'none'; "
                                     "script-src 'sha256-"));
    /* ids from node ids: '<', '/', '(' ... and '_' itself as _XX */
    assert_non_null(strstr(one.data, "id=\"node:database:orders_5fdb\""));
    assert_non_null(strstr(one.data, "id=\"node:service:web_3c_2fscript_3e_3cscript_3ealert_28"
                                     "1_29_3c_2fscript_3e\""));
    assert_non_null(strstr(one.data, "id=\"edge:service:web_3c"));
    assert_non_null(strstr(one.data, "__database:orders_5fdb__database\""));
    /* no fixed size: the page fits the picture to the window */
    assert_null(strstr(one.data, "<svg width="));
    sm_buf_release(&one);
    sm_buf_release(&two);
    sm_map_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_page),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
