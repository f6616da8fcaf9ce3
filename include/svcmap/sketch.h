/* sketch.h: a DDSketch of latencies, mergeable exactly, with 1 % relative error.
 *
 * Values (milliseconds) fall into logarithmic buckets of ratio gamma = (1 + a) / (1 - a)
 * with a = 0.01, so any quantile is returned within 1 % of the true order statistic.
 * Count, min, max and sum are kept exactly. Two sketches merge by adding bucket counts,
 * which is exact: merge(A, B) equals one sketch fed A and B.
 */
#ifndef SVCMAP_SKETCH_H
#define SVCMAP_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#include "svcmap/error.h"

#define SM_SKETCH_RELATIVE_ACCURACY 0.01

struct sm_sketch {
    uint64_t count;
    uint64_t zero_count; /* values below the smallest bucket (< 1 ns) */
    double min, max, sum;
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

/* Compact binary form (varints; bins run-length encoded). *out is owned by the caller:
 * free(). Returns the length. */
size_t sm_sketch_serialize(const struct sm_sketch *s, unsigned char **out);
/* Reads the binary form into an initialised s (its old contents are released).
 * Truncated or corrupt data is SM_EINPUT. */
int sm_sketch_deserialize(struct sm_sketch *s, const unsigned char *data, size_t len,
                          struct sm_error *err);

#endif
