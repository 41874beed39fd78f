/* The summary's building blocks: moments, quantile sketches, the Wilson
 * interval.  accum.h gathers them into the run's mergeable accumulator.
 *
 * Two kinds, for determinism: floating-point moments are accumulated per
 * block and merged in block order (Chan et al.'s pairwise update), because
 * floating-point addition is not associative; integer counts (statement
 * counts, joint counts, incidence bins, quantile sketches) are exact, so
 * they are kept per thread and summed in any order. */
#ifndef TYCHE_STATS_H
#define TYCHE_STATS_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <stddef.h>

typedef struct {
    uint64_t n;
    double mean, m2;
} tyche_moments;

static inline void tyche_moments_add(tyche_moments *m, double x) {
    m->n++;
    const double d = x - m->mean;
    m->mean += d / (double)m->n;
    m->m2 += d * (x - m->mean);
}

/* a <- a merged with b (b after a). */
void tyche_moments_merge(tyche_moments *a, const tyche_moments *b);

/* Quantile sketch: a histogram over the top bits of the IEEE-754 pattern
 * of |x| (sign handled separately), so the bucket of x is found with a
 * shift, no log.  7 mantissa bits give buckets 1/128 wide in relative
 * terms: a quantile is interpolated within its bucket by rank (the bucket's
 * values taken as evenly spread), so it is within one bucket width (0.8%)
 * of the exact order statistic and usually far closer; it is clamped to the
 * exact min and max.  Values
 * with |x| < 2^-30 count as 0; |x| > 2^40 go to the outermost bucket. */
#define TYCHE_SKETCH_BITS 7
#define TYCHE_SKETCH_EMIN (-30)
#define TYCHE_SKETCH_EMAX 40
#define TYCHE_SKETCH_HALF ((size_t)(TYCHE_SKETCH_EMAX - TYCHE_SKETCH_EMIN) << TYCHE_SKETCH_BITS)
#define TYCHE_SKETCH_BINS (2 * TYCHE_SKETCH_HALF + 1)

typedef struct {
    uint64_t *bins;     /* TYCHE_SKETCH_BINS counts, increasing in value */
    uint64_t n;
    double min, max;
} tyche_sketch;

int tyche_sketch_init(tyche_sketch *k);      /* returns 0 on ENOMEM */
void tyche_sketch_clear(tyche_sketch *k);
/* Offset of |x| among the positive buckets, or -1 for "zero" (inline: the
 * accumulator adds every finite output of every trial). */
static inline long tyche_sketch_bucket_(double ax) {
    uint64_t bits;
    memcpy(&bits, &ax, sizeof bits);
    const uint64_t lo = (uint64_t)(1023 + TYCHE_SKETCH_EMIN) << 52;
    if (bits < lo) return -1;
    long b = (long)((bits - lo) >> (52 - TYCHE_SKETCH_BITS));
    if (b >= (long)TYCHE_SKETCH_HALF) b = (long)TYCHE_SKETCH_HALF - 1;
    return b;
}

static inline void tyche_sketch_add(tyche_sketch *k, double x) {
    const long b = tyche_sketch_bucket_(fabs(x));
    size_t idx;
    if (b < 0)
        idx = TYCHE_SKETCH_HALF;
    else if (x > 0)
        idx = TYCHE_SKETCH_HALF + 1 + (size_t)b;
    else
        idx = TYCHE_SKETCH_HALF - 1 - (size_t)b;
    k->bins[idx]++;
    k->n++;
    if (x < k->min) k->min = x;
    if (x > k->max) k->max = x;
}

void tyche_sketch_merge(tyche_sketch *a, const tyche_sketch *b);
/* Quantile at level q in [0,1] (NaN when empty). */
double tyche_sketch_quantile(const tyche_sketch *k, double q);

/* Wilson score interval at 95% for k successes of n. */
void tyche_wilson(uint64_t k, uint64_t n, double *lo, double *hi);

#endif
