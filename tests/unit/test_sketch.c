/* test_sketch.c: the latency sketch against exact order statistics, merge and binary form.
 *
 * Each distribution (uniform, log-normal, and the checkout story's bimodal one with a 1 %
 * tail at ~30 s) is drawn from a fixed-seed generator of this file, 100,000 values; every
 * quantile is compared with the sorted array's element at floor(q (n - 1)). Merges are
 * compared bin for bin with one sketch fed both halves, and the binary form is read back,
 * truncated at every length and altered byte by byte. One test times add() and prints it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "svcmap/sketch.h"

#define N_VALUES 100000

/* splitmix64: small, fixed, and good enough for test data. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static double rng_unit(void)
{
    return ((double)(rng_next() >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(void)
{
    double u1 = rng_unit(), u2 = rng_unit();

    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static const double quantiles[] = {0.0, 0.001, 0.01, 0.05, 0.1,   0.25,  0.5,    0.75,
                                   0.9, 0.95,  0.98, 0.99, 0.995, 0.999, 0.9999, 1.0};

/* Every quantile within 1 % (plus rounding) of the exact order statistic. */
static void check_quantiles(const struct sm_sketch *s, double *values, size_t n)
{
    double sum = 0.0;

    qsort(values, n, sizeof(*values), cmp_double);
    for (size_t k = 0; k < sizeof(quantiles) / sizeof(quantiles[0]); k++) {
        double q = quantiles[k];
        double exact = values[(size_t)floor(q * (double)(n - 1))];
        double got = sm_sketch_quantile(s, q);

        if (fabs(got - exact) > 0.01 * fabs(exact) * (1 + 1e-9)) {
            print_error("q=%g: sketch %.9g, exact %.9g (%.4f %%)\n", q, got, exact,
                        100.0 * (got - exact) / exact);
            fail();
        }
    }
    assert_true(sm_sketch_quantile(s, 0.0) == values[0]);
    assert_true(sm_sketch_quantile(s, 1.0) == values[n - 1]);
    assert_true(s->min == values[0]);
    assert_true(s->max == values[n - 1]);
    assert_int_equal(s->count, n);
    for (size_t i = 0; i < n; i++)
        sum += values[i];
    /* Each value is summed to the nanosecond: at most half a nanosecond off each. */
    assert_true(fabs((double)s->sum_ns / 1e6 - sum) <= 1e-9 * sum + 0.5e-6 * (double)n);
    assert_true(fabs(sm_sketch_mean(s) * (double)s->count - (double)s->sum_ns / 1e6) <=
                1e-9 * (double)s->sum_ns / 1e6);
}

static void run_distribution(double (*draw)(void), uint64_t seed)
{
    double *values = malloc(N_VALUES * sizeof(*values));
    struct sm_sketch s;

    assert_non_null(values);
    rng_state = seed;
    sm_sketch_init(&s);
    for (size_t i = 0; i < N_VALUES; i++) {
        values[i] = draw();
        sm_sketch_add(&s, values[i]);
    }
    check_quantiles(&s, values, N_VALUES);
    sm_sketch_release(&s);
    free(values);
}

static double draw_uniform(void)
{
    return 1.0 + 999.0 * rng_unit(); /* 1 ms .. 1 s */
}

static double draw_lognormal(void)
{
    return exp(log(20.0) + 1.2 * rng_normal()); /* median 20 ms, long right tail */
}

static double draw_bimodal(void)
{
    if (rng_unit() < 0.01)
        return 30000.0 + 2000.0 * rng_normal(); /* the slow tail: ~30 s */
    return 10.0 + 10.0 * rng_unit();            /* 10-20 ms */
}

static double draw_wide(void)
{
    return pow(10.0, -5.0 + 13.0 * rng_unit()); /* 1e-5 ms .. 1e8 ms */
}

static void test_uniform(void **state)
{
    (void)state;
    run_distribution(draw_uniform, 1);
}

static void test_lognormal(void **state)
{
    (void)state;
    run_distribution(draw_lognormal, 2);
}

static void test_bimodal(void **state)
{
    struct sm_sketch s;

    (void)state;
    run_distribution(draw_bimodal, 3);
    /* The story: p95 is fast, p99 shows the tail only when more than 1 % is slow. */
    rng_state = 3;
    sm_sketch_init(&s);
    for (size_t i = 0; i < N_VALUES; i++)
        sm_sketch_add(&s, draw_bimodal());
    assert_true(sm_sketch_quantile(&s, 0.95) < 21.0);
    assert_true(sm_sketch_quantile(&s, 0.999) > 20000.0);
    sm_sketch_release(&s);
}

static void test_wide_range(void **state)
{
    (void)state;
    run_distribution(draw_wide, 4);
}

/* Same counts at every index, whatever each sketch's allocated window is. */
static void assert_same_sketch(const struct sm_sketch *a, const struct sm_sketch *b)
{
    int32_t lo, hi;

    assert_int_equal(a->count, b->count);
    assert_int_equal(a->zero_count, b->zero_count);
    assert_true(a->min == b->min);
    assert_true(a->max == b->max);
    assert_true(a->sum_ns == b->sum_ns);
    lo = a->offset < b->offset ? a->offset : b->offset;
    hi = a->offset + (int32_t)a->nbins;
    if (b->offset + (int32_t)b->nbins > hi)
        hi = b->offset + (int32_t)b->nbins;
    for (int32_t i = lo; i < hi; i++) {
        uint64_t ca = 0, cb = 0;

        if (i >= a->offset && i < a->offset + (int32_t)a->nbins)
            ca = a->bins[i - a->offset];
        if (i >= b->offset && i < b->offset + (int32_t)b->nbins)
            cb = b->bins[i - b->offset];
        if (ca != cb) {
            print_error("bin %d: %llu != %llu\n", (int)i, (unsigned long long)ca,
                        (unsigned long long)cb);
            fail();
        }
    }
    for (size_t k = 0; k < sizeof(quantiles) / sizeof(quantiles[0]); k++)
        assert_true(sm_sketch_quantile(a, quantiles[k]) == sm_sketch_quantile(b, quantiles[k]));
}

static void test_merge_equals_union(void **state)
{
    struct sm_sketch a, b, all, merged;
    uint64_t total = 0;

    (void)state;
    sm_sketch_init(&a);
    sm_sketch_init(&b);
    sm_sketch_init(&all);
    sm_sketch_init(&merged);
    rng_state = 5;
    /* A holds fast values, B the slow tail and some zeros: their ranges barely meet, so
     * the merge has to grow the bins on both sides. */
    for (int i = 0; i < 50000; i++) {
        double v = draw_lognormal();

        sm_sketch_add(&a, v);
        sm_sketch_add(&all, v);
    }
    for (int i = 0; i < 30000; i++) {
        double v = i % 100 == 0 ? 0.0 : draw_bimodal() * 10.0;

        sm_sketch_add(&b, v);
        sm_sketch_add(&all, v);
    }
    sm_sketch_add_n(&b, 0.0005, 7);
    sm_sketch_add_n(&all, 0.0005, 7);
    sm_sketch_copy(&merged, &a);
    sm_sketch_merge(&merged, &b);
    assert_same_sketch(&merged, &all);
    /* The other order, and merging into an empty sketch. */
    sm_sketch_release(&merged);
    sm_sketch_merge(&merged, &b);
    sm_sketch_merge(&merged, &a);
    assert_same_sketch(&merged, &all);
    for (size_t i = 0; i < all.nbins; i++)
        total += all.bins[i];
    assert_int_equal(total + all.zero_count, all.count);
    /* Merging an empty sketch changes nothing. */
    sm_sketch_release(&b);
    sm_sketch_merge(&merged, &b);
    assert_same_sketch(&merged, &all);
    sm_sketch_release(&a);
    sm_sketch_release(&all);
    sm_sketch_release(&merged);
}

static void roundtrip(const struct sm_sketch *s)
{
    unsigned char *buf = NULL;
    size_t len = sm_sketch_serialize(s, &buf);
    struct sm_sketch back;
    struct sm_error err;

    sm_error_init(&err);
    sm_sketch_init(&back);
    sm_sketch_add(&back, 42.0); /* old contents must be replaced */
    assert_int_equal(sm_sketch_deserialize(&back, buf, len, &err), 0);
    assert_same_sketch(&back, s);
    assert_true(back.sum_ns == s->sum_ns);
    free(buf);
    sm_sketch_release(&back);
}

/* The binary form of a sketch merged from four parts is the same bytes in all 24 orders,
 * and the same as one sketch fed every value in another order: the sum is an integer. */
static void test_merge_order_same_bytes(void **state)
{
    enum { PARTS = 4, PER_PART = 3000 };
    struct sm_sketch part[PARTS], all;
    unsigned char *ref = NULL;
    size_t ref_len;
    int perm[PARTS] = {0, 1, 2, 3};
    int orders = 0;

    (void)state;
    rng_state = 11;
    sm_sketch_init(&all);
    for (int p = 0; p < PARTS; p++)
        sm_sketch_init(&part[p]);
    for (int p = 0; p < PARTS; p++) {
        for (int i = 0; i < PER_PART; i++) {
            /* Values with many significant digits: a double sum would depend on order. */
            double v = draw_lognormal() * (1.0 + 0.1234567 * p) + (i % 97 == 0 ? 0.0 : 1e-7 * i);

            sm_sketch_add(&part[p], v);
        }
    }
    /* The whole, fed back to front. */
    for (int p = PARTS - 1; p >= 0; p--) {
        struct sm_sketch copy;

        sm_sketch_init(&copy);
        sm_sketch_copy(&copy, &part[p]);
        sm_sketch_merge(&all, &copy);
        sm_sketch_release(&copy);
    }
    ref_len = sm_sketch_serialize(&all, &ref);
    /* Every permutation (Heap's algorithm, iteratively). */
    {
        int c[PARTS] = {0}, k = 1;

        for (;;) {
            struct sm_sketch m;
            unsigned char *bytes = NULL;
            size_t len;

            sm_sketch_init(&m);
            for (int p = 0; p < PARTS; p++)
                sm_sketch_merge(&m, &part[perm[p]]);
            len = sm_sketch_serialize(&m, &bytes);
            assert_int_equal(len, ref_len);
            assert_memory_equal(bytes, ref, len);
            free(bytes);
            sm_sketch_release(&m);
            orders++;
            while (k < PARTS && c[k] >= k) {
                c[k] = 0;
                k++;
            }
            if (k == PARTS)
                break;
            {
                int j = k % 2 ? c[k] : 0, t = perm[j];

                perm[j] = perm[k];
                perm[k] = t;
            }
            c[k]++;
            k = 1;
        }
    }
    assert_int_equal(orders, 24);
    free(ref);
    sm_sketch_release(&all);
    for (int p = 0; p < PARTS; p++)
        sm_sketch_release(&part[p]);
}

/* Counts saturate at SM_COUNT_MAX instead of wrapping, and the result still round-trips. */
static void test_saturation(void **state)
{
    struct sm_sketch a, b;

    (void)state;
    sm_sketch_init(&a);
    sm_sketch_init(&b);
    sm_sketch_add_n(&a, 5.0, SM_COUNT_MAX - 1);
    sm_sketch_add_n(&b, 5.0, 10);
    sm_sketch_add_n(&b, 0.0, 3);
    sm_sketch_merge(&a, &b);
    assert_true(a.count == SM_COUNT_MAX);
    assert_true(a.sum_ns == SM_COUNT_MAX);
    assert_true(a.zero_count == 3);
    assert_true(sm_sketch_mean(&a) <= 5.0 && sm_sketch_mean(&a) >= 0.0);
    roundtrip(&a);
    sm_sketch_merge(&a, &a);
    assert_true(a.count == SM_COUNT_MAX);
    roundtrip(&a);
    sm_sketch_release(&a);
    sm_sketch_release(&b);
}

/* A version-1 blob (what schema-3 stores hold) still reads, its sum in nanoseconds. */
static void test_reads_version_1(void **state)
{
    /* count 2, zero 0, min 1.0, max 1.0, sum 2.0 ms, first index 0, 1 bin of 2. */
    static const unsigned char v1[] = {1, 2, 0,    0,    0, 0, 0, 0, 0, 0xf0, 0x3f, 0,    0, 0, 0,
                                       0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0,    0,    0x40, 0, 1, 2};
    struct sm_sketch s;
    struct sm_error err;

    (void)state;
    sm_error_init(&err);
    sm_sketch_init(&s);
    assert_int_equal(sm_sketch_deserialize(&s, v1, sizeof(v1), &err), 0);
    assert_int_equal(s.count, 2);
    assert_true(s.sum_ns == 2000000);
    assert_true(sm_sketch_mean(&s) == 1.0);
    roundtrip(&s);
    sm_sketch_release(&s);
}

static void test_serialize_roundtrip(void **state)
{
    struct sm_sketch s;
    unsigned char *buf = NULL;
    size_t len;

    (void)state;
    sm_sketch_init(&s);
    roundtrip(&s);
    sm_sketch_add(&s, 0.0);
    roundtrip(&s);
    sm_sketch_add(&s, 12.5);
    roundtrip(&s);
    rng_state = 6;
    for (int i = 0; i < N_VALUES; i++)
        sm_sketch_add(&s, draw_bimodal());
    roundtrip(&s);
    len = sm_sketch_serialize(&s, &buf);
    /* Compact: the bimodal sketch is two clusters of bins with a run of empties between. */
    printf("bimodal sketch of %d values: %zu bytes serialized, %zu bins allocated\n", N_VALUES + 2,
           len, s.nbins);
    assert_true(len < 600);
    free(buf);
    sm_sketch_release(&s);
}

static void test_corrupt_rejected(void **state)
{
    struct sm_sketch s, back;
    struct sm_error err;
    unsigned char *buf = NULL, *copy;
    size_t len, accepted = 0;

    (void)state;
    sm_sketch_init(&s);
    sm_sketch_init(&back);
    rng_state = 7;
    for (int i = 0; i < 2000; i++)
        sm_sketch_add(&s, i % 50 == 0 ? 0.0 : draw_bimodal());
    len = sm_sketch_serialize(&s, &buf);
    copy = malloc(len);
    assert_non_null(copy);
    /* Every truncation is refused. */
    for (size_t cut = 0; cut < len; cut++) {
        sm_error_init(&err);
        assert_int_equal(sm_sketch_deserialize(&back, buf, cut, &err), SM_EINPUT);
        assert_int_equal(err.status, SM_EINPUT);
    }
    /* Trailing garbage is refused. */
    {
        unsigned char *longer = malloc(len + 1);

        assert_non_null(longer);
        memcpy(longer, buf, len);
        longer[len] = 0;
        assert_int_equal(sm_sketch_deserialize(&back, longer, len + 1, &err), SM_EINPUT);
        free(longer);
    }
    /* Each single-byte change either is refused or still gives a self-consistent sketch
     * (a changed bit of a double's mantissa may be undetectable); never a crash. */
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, buf, len);
            copy[i] ^= (unsigned char)(1u << bit);
            sm_error_init(&err);
            if (sm_sketch_deserialize(&back, copy, len, &err) == 0) {
                uint64_t total = back.zero_count;

                for (size_t k = 0; k < back.nbins; k++)
                    total += back.bins[k];
                assert_int_equal(total, back.count);
                assert_true(back.min <= back.max);
                accepted++;
            }
        }
    }
    /* The counts, index and bins are all guarded: only double bits may slip through. */
    assert_true(accepted < 3 * 64);
    /* Hostile headers: a huge bin count, a bad version, a varint that never ends. */
    {
        static const unsigned char huge[] = {
            1,    5,    0, 0, 0, 0, 0, 0, 0,    0xf0, 0x3f, 0,    0,    0,    0,    0,    0,
            0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0x14, 0x40, 0,    0xff, 0xff, 0xff, 0xff, 0x0f, 5};
        static const unsigned char version[] = {9, 0, 0};
        static const unsigned char endless[] = {1,    0xff, 0xff, 0xff, 0xff, 0xff,
                                                0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

        assert_int_equal(sm_sketch_deserialize(&back, huge, sizeof(huge), &err), SM_EINPUT);
        assert_int_equal(sm_sketch_deserialize(&back, version, sizeof(version), &err), SM_EINPUT);
        assert_int_equal(sm_sketch_deserialize(&back, endless, sizeof(endless), &err), SM_EINPUT);
        assert_int_equal(sm_sketch_deserialize(&back, NULL, 0, &err), SM_EINPUT);
    }
    free(copy);
    free(buf);
    sm_sketch_release(&s);
    sm_sketch_release(&back);
}

static void test_empty(void **state)
{
    struct sm_sketch s, t;

    (void)state;
    sm_sketch_init(&s);
    sm_sketch_init(&t);
    assert_int_equal(s.count, 0);
    assert_true(sm_sketch_quantile(&s, 0.5) == 0.0);
    assert_true(sm_sketch_quantile(&s, 1.0) == 0.0);
    assert_true(sm_sketch_mean(&s) == 0.0);
    sm_sketch_merge(&s, &t);
    assert_int_equal(s.count, 0);
    sm_sketch_add_n(&s, 5.0, 0);
    assert_int_equal(s.count, 0);
    sm_sketch_release(&s);
    sm_sketch_release(&s); /* twice is safe */
}

static void test_single_value(void **state)
{
    struct sm_sketch s;

    (void)state;
    sm_sketch_init(&s);
    sm_sketch_add(&s, 123.456);
    for (size_t k = 0; k < sizeof(quantiles) / sizeof(quantiles[0]); k++)
        assert_true(sm_sketch_quantile(&s, quantiles[k]) == 123.456); /* clamped */
    assert_true(sm_sketch_mean(&s) == 123.456);
    sm_sketch_release(&s);
}

static void test_zero_and_negative(void **state)
{
    struct sm_sketch s;

    (void)state;
    sm_sketch_init(&s);
    sm_sketch_add(&s, -5.0);
    sm_sketch_add(&s, 0.0);
    sm_sketch_add(&s, 1e-9);
    sm_sketch_add(&s, 10.0);
    assert_int_equal(s.count, 4);
    assert_int_equal(s.zero_count, 3);
    assert_true(s.min == 0.0);
    assert_true(s.max == 10.0);
    assert_true(s.sum_ns == 10000000); /* 1e-9 ms is below a nanosecond */
    assert_true(sm_sketch_quantile(&s, 0.0) == 0.0);
    assert_true(sm_sketch_quantile(&s, 0.5) == 0.0);
    /* rank floor(0.99 * 3) = 2 is the 1e-9 value: the zero bucket, read as min. */
    assert_true(sm_sketch_quantile(&s, 0.99) == 0.0);
    assert_true(sm_sketch_quantile(&s, 1.0) == 10.0);
    roundtrip(&s);
    sm_sketch_release(&s);
    /* Only zeros: no bins at all. */
    sm_sketch_add_n(&s, 0.0, 3);
    assert_int_equal(s.nbins, 0);
    assert_true(sm_sketch_quantile(&s, 0.5) == 0.0);
    roundtrip(&s);
    sm_sketch_release(&s);
}

static void test_add_n_and_mean(void **state)
{
    struct sm_sketch a, b;

    (void)state;
    sm_sketch_init(&a);
    sm_sketch_init(&b);
    sm_sketch_add_n(&a, 7.5, 1000);
    sm_sketch_add_n(&a, 30000.0, 11);
    for (int i = 0; i < 1000; i++)
        sm_sketch_add(&b, 7.5);
    for (int i = 0; i < 11; i++)
        sm_sketch_add(&b, 30000.0);
    assert_same_sketch(&a, &b);
    assert_true(sm_sketch_mean(&a) * (double)a.count * 1e6 == (double)a.sum_ns);
    assert_true(a.sum_ns == (7500 + 330000) * 1000000ULL);
    /* The Grafana Agent case: a sum of 7.8 s over 3 calls comes back from the mean. */
    sm_sketch_release(&a);
    sm_sketch_add(&a, 1000.0);
    sm_sketch_add(&a, 2800.0);
    sm_sketch_add(&a, 4000.0);
    assert_true(fabs(sm_sketch_mean(&a) * 3 - 7800.0) < 1e-9);
    /* Huge and non-finite values stay bounded. */
    sm_sketch_add(&a, 1e300);
    sm_sketch_add(&a, INFINITY);
    sm_sketch_add(&a, NAN);
    assert_true(a.sum_ns < SM_COUNT_MAX && isfinite(a.max));
    assert_true(a.nbins < 2200);
    roundtrip(&a);
    sm_sketch_release(&a);
    sm_sketch_release(&b);
}

/* The index of the only non-empty bin of a sketch holding one positive value. */
static int32_t only_bin(double v)
{
    struct sm_sketch s;
    int32_t found = INT32_MIN;

    sm_sketch_init(&s);
    sm_sketch_add(&s, v);
    for (size_t i = 0; i < s.nbins; i++) {
        if (s.bins[i]) {
            assert_int_equal(found, INT32_MIN);
            found = s.offset + (int32_t)i;
        }
    }
    sm_sketch_release(&s);
    return found;
}

/* The buckets are (gamma^(i-1), gamma^i] with gamma = 1.01 / 0.99, bounded to the indexes
 * of 1e-6 and 1e12 ms: pins the constants the binary form depends on. */
static void test_bucket_index(void **state)
{
    double gamma = 1.01 / 0.99;

    (void)state;
    assert_int_equal(only_bin(1.0), 0);
    assert_int_equal(only_bin(gamma * 0.9999), 1);
    assert_int_equal(only_bin(gamma * 1.0001), 2);
    assert_int_equal(only_bin(1.0 / gamma * 1.0001), 0);
    assert_int_equal(only_bin(1.0 / gamma * 0.9999), -1);
    assert_int_equal(only_bin(30000.0), (int32_t)ceil(log(30000.0) / log(gamma)));
    assert_int_equal(only_bin(1e-6), (int32_t)ceil(log(1e-6) / log(gamma)));
    assert_int_equal(only_bin(1e12), (int32_t)ceil(log(1e12) / log(gamma)));
    assert_int_equal(only_bin(1e15), only_bin(1e12)); /* the top bucket */
}

static void test_add_throughput(void **state)
{
    struct sm_sketch s;
    struct timespec t0, t1, c0, c1;
    const int n = 5000000;
    double secs, cpu;

    (void)state;
    sm_sketch_init(&s);
    rng_state = 8;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    for (int i = 0; i < n; i++)
        sm_sketch_add(&s, 1.0 + (double)(i % 100000) * 0.37);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    /* CPU time too: on a shared machine the wall clock says more about the neighbours. */
    printf("sm_sketch_add: %d values in %.3f s (%.3f s CPU): %.1f M values/s, %.1f ns each\n", n,
           secs, cpu, (double)n / cpu / 1e6, cpu * 1e9 / (double)n);
    assert_int_equal(s.count, (uint64_t)n);
    sm_sketch_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_lognormal),
        cmocka_unit_test(test_bimodal),
        cmocka_unit_test(test_wide_range),
        cmocka_unit_test(test_merge_equals_union),
        cmocka_unit_test(test_serialize_roundtrip),
        cmocka_unit_test(test_merge_order_same_bytes),
        cmocka_unit_test(test_saturation),
        cmocka_unit_test(test_reads_version_1),
        cmocka_unit_test(test_corrupt_rejected),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_single_value),
        cmocka_unit_test(test_zero_and_negative),
        cmocka_unit_test(test_add_n_and_mean),
        cmocka_unit_test(test_bucket_index),
        cmocka_unit_test(test_add_throughput),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
