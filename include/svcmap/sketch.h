/* sketch.h: a DDSketch of latencies, mergeable exactly, with 1 % relative error.
 *
 * Values (milliseconds) fall into logarithmic buckets of ratio gamma = (1 + a) / (1 - a)
 * with a = 0.01, so any quantile is returned within 1 % of the true order statistic.
 * Count, min and max are kept exactly, the sum to the nanosecond. Two sketches merge by
 * adding bucket counts, which is exact: merge(A, B) equals one sketch fed A and B. Every
 * field is merged by an associative and commutative operation (integer sums saturating at
 * SM_COUNT_MAX, min, max), so sketches merged in any order are the same sketch and
 * serialize to the same bytes.
 */
#ifndef SVCMAP_SKETCH_H
#define SVCMAP_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#include "svcmap/error.h"
#include "svcmap/util.h"

#define SM_SKETCH_RELATIVE_ACCURACY 0.01
/* Values above this many milliseconds (31 years) share the top bucket; map documents
 * refuse latencies above it. */
#define SM_SKETCH_MAX_MS 1e12

struct sm_sketch {
    uint64_t count;      /* saturates at SM_COUNT_MAX, as do zero_count and bins */
    uint64_t zero_count; /* values below the smallest bucket (< 1 ns) */
    double min, max;
    /* Sum of the values, each rounded to whole nanoseconds: an integer, so that the sum
     * does not depend on the order values were added or sketches merged. Saturates at
     * SM_COUNT_MAX (106,000 days). */
    uint64_t sum_ns;
    int32_t offset; /* bucket index of bins[0] */
    uint64_t *bins; /* owned; nbins counts */
    size_t nbins;
};

void sm_sketch_init(struct sm_sketch *s);
void sm_sketch_release(struct sm_sketch *s);
/* Adds one value in milliseconds (negative values count as 0). */
void sm_sketch_add(struct sm_sketch *s, double value_ms);
/* Adds n copies of a value (used by pre-aggregated inputs). */
void sm_sketch_add_n(struct sm_sketch *s, double value_ms, uint64_t n);
/* dst += src. */
void sm_sketch_merge(struct sm_sketch *dst, const struct sm_sketch *src);
/* Deep copy into an initialised dst (its old contents are released). */
void sm_sketch_copy(struct sm_sketch *dst, const struct sm_sketch *src);
/* The q-quantile (0 <= q <= 1) in milliseconds, clamped to [min, max]; 0 if empty. */
double sm_sketch_quantile(const struct sm_sketch *s, double q);
double sm_sketch_mean(const struct sm_sketch *s);

/* Compact binary form (varints; bins run-length encoded; version 2). The same sketch
 * gives the same bytes however it was built. *out is owned by the caller: free().
 * Returns the length. */
size_t sm_sketch_serialize(const struct sm_sketch *s, unsigned char **out);
/* Reads the binary form (version 2, or version 1 as schema-3 stores hold it, its sum
 * rounded to nanoseconds) into an initialised s (its old contents are released).
 * Truncated or corrupt data is SM_EINPUT. */
int sm_sketch_deserialize(struct sm_sketch *s, const unsigned char *data, size_t len,
                          struct sm_error *err);

#endif
