/* test_pages.c: the linker's large arrays (src/link/pages.h) keep their contents.
 *
 * An array grows from malloc onto a 2 MiB-aligned mapping and then moves with mremap
 * several times: every byte written before a move must read back after it, the array
 * must hold what was asked for, and shrinking and releasing (twice) must be safe. The
 * build with SM_DEBUG_ARENA runs the same on malloc alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/link/pages.h"

/* A word that depends on where it is, so that a moved or lost piece shows. */
static uint64_t pattern(size_t i)
{
    return (uint64_t)i * 0x9e3779b97f4a7c15u + 7;
}

static void check(const struct sm_pages *p, size_t from, size_t to)
{
    const uint64_t *w = p->data;
    size_t i;

    for (i = from; i < to; i++) {
        if (w[i] != pattern(i))
            fail_msg("word %zu of %zu lost", i, to);
    }
}

static void grows_keeping_contents(void **state)
{
    struct sm_pages p;
    size_t words = 0, need;

    (void)state;
    sm_pages_init(&p);
    /* from 8 bytes to 40 MiB in uneven steps: malloc, then the mapping, then mremap */
    for (need = 8; need <= ((size_t)40 << 20); need = need * 3 / 2 + 8) {
        size_t want = need / sizeof(uint64_t), i;
        uint64_t *w;

        sm_pages_grow(&p, want * sizeof(uint64_t), true);
        assert_true(p.bytes >= want * sizeof(uint64_t));
        check(&p, 0, words);
        w = p.data;
        for (i = words; i < want; i++)
            w[i] = pattern(i);
        words = want;
    }
    assert_true(p.bytes >= SM_PAGES_MIN_BYTES);
    sm_pages_shrink(&p, 1000 * sizeof(uint64_t) + 3);
    assert_true(p.bytes >= 1000 * sizeof(uint64_t) + 3);
    check(&p, 0, 1000);
    sm_pages_grow(&p, (size_t)9 << 20, false); /* on huge pages already: stays mapped */
    check(&p, 0, 1000);
    sm_pages_release(&p);
    assert_null(p.data);
    assert_int_equal(p.bytes, 0);
    sm_pages_release(&p);
}

static void small_pages_when_not_asked(void **state)
{
    struct sm_pages p;

    (void)state;
    sm_pages_init(&p);
    sm_pages_grow(&p, (size_t)6 << 20, false);
    assert_false(p.mapped);
    memset(p.data, 0xab, (size_t)6 << 20);
    sm_pages_shrink(&p, 0);
    assert_null(p.data);
    sm_pages_release(&p);
}

static void made_to_size(void **state)
{
    static const size_t sizes[] = {1, 4096, (size_t)5 << 20, ((size_t)6 << 20) + 17};
    size_t k;

    (void)state;
    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        struct sm_pages p;

        sm_pages_init(&p);
        sm_pages_make(&p, sizes[k]);
        assert_non_null(p.data);
        assert_true(p.bytes >= sizes[k]);
        memset(p.data, 0x5a, sizes[k]);
        assert_int_equal(((unsigned char *)p.data)[sizes[k] - 1], 0x5a);
        sm_pages_shrink(&p, sizes[k] / 2 + 1);
        assert_int_equal(((unsigned char *)p.data)[sizes[k] / 2], 0x5a);
        sm_pages_release(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grows_keeping_contents),
        cmocka_unit_test(small_pages_when_not_asked),
        cmocka_unit_test(made_to_size),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
