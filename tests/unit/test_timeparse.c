/* test_timeparse.c: unit tests of reading --since/--until times.
 *
 * The regressions of issue 11 item 5: a year past 2262 wrapped the int64 nanoseconds
 * (so "--until 9999-12-31" mapped nothing), "1e10" seconds kept everything, and a short
 * offset such as "+1:1" was read past the end of the text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svcmap/timeparse.h"

static void assert_time(const char *text, int64_t expected)
{
    int64_t ns = -12345;

    if (sm_time_parse(text, &ns) != 0)
        fail_msg("'%s' was refused", text);
    if (ns != expected)
        fail_msg("'%s' gave %lld, expected %lld", text, (long long)ns, (long long)expected);
}

static void assert_refused(const char *text)
{
    int64_t ns = -12345;

    if (sm_time_parse(text, &ns) == 0)
        fail_msg("'%s' was accepted as %lld", text, (long long)ns);
    assert_int_equal(ns, -12345);
}

static void test_good_times(void **state)
{
    (void)state;
    assert_time("2026-11-26T13:15:02Z", 1795698902000000000LL);
    assert_time("2026-11-26t13:15:02z", 1795698902000000000LL);
    assert_time("2026-11-26 13:15:02Z", 1795698902000000000LL);
    assert_time("2026-11-26T13:15:02", 1795698902000000000LL);
    assert_time("2026-11-26T14:15:02.5+01:00", 1795698902500000000LL);
    assert_time("2026-11-26T12:15:02.123456789123-01:00", 1795698902123456789LL);
    assert_time("2026-11-26", 1795651200000000000LL);
    assert_time("2024-02-29T00:00:00Z", 1709164800000000000LL);
    assert_time("1970-01-01T00:00:00Z", 0);
    assert_time("1764162902", 1764162902000000000LL);
    assert_time("1764162902.25", 1764162902250000000LL);
    assert_time("1.7e9", 1700000000000000000LL);
    assert_time("0", 0);
    /* the last representable second, and its last nanosecond */
    assert_time("2262-04-11T23:47:16Z", 9223372036000000000LL);
    assert_time("2262-04-11T23:47:16.854775807Z", INT64_MAX);
}

static void test_out_of_range(void **state)
{
    (void)state;
    assert_refused("9999-12-31T23:59:59Z");
    assert_refused("2262-04-11T23:47:17Z");
    assert_refused("2262-04-11T23:47:16.854775808Z");
    assert_refused("2262-04-12");
    assert_refused("1e10");
    assert_refused("9223372037");
    assert_refused("1e300");
    assert_refused("1969-12-31T23:59:59Z");
    assert_refused("1970-01-01T00:30:00+01:00");
    assert_refused("-1");
}

static void test_malformed(void **state)
{
    static char offset[] = "2026-11-26T13:15:02+1:1";

    (void)state;
    /* "+1:1": the old parser stepped 6 bytes on and read past the terminating NUL */
    assert_refused(offset);
    assert_refused("2026-11-26T13:15:02+01");
    assert_refused("2026-11-26T13:15:02+0100");
    assert_refused("2026-11-26T13:15:02+24:00");
    assert_refused("2026-11-26T13:15");
    assert_refused("2026-11-26T1:15:02Z");
    assert_refused("2026-1-26");
    assert_refused("2026-11-2");
    assert_refused("2026-11- 6");
    assert_refused("2026-+1-26");
    assert_refused("2026-02-30");
    assert_refused("2025-02-29");
    assert_refused("2026-13-01");
    assert_refused("2026-11-26T24:00:00Z");
    assert_refused("2026-11-26T13:15:02.Z");
    assert_refused("2026-11-26T13:15:02Zjunk");
    assert_refused("2026-11-26X");
    assert_refused("");
    assert_refused("inf");
    assert_refused("nan");
    assert_refused("0x10");
    assert_refused(" 5");
    assert_refused("5s");
    assert_refused("+5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_times),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_malformed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
