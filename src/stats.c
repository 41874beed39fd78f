/* Mergeable accumulators (see stats.h for why two kinds). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tyche/common.h"
#include "stats.h"

void tyche_moments_merge(tyche_moments *a, const tyche_moments *b) {
    if (b->n == 0) return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    const double na = (double)a->n, nb = (double)b->n, n = na + nb;
    const double d = b->mean - a->mean;
    a->mean += d * nb / n;
    a->m2 += b->m2 + d * d * na * nb / n;
    a->n += b->n;
}

int tyche_sketch_init(tyche_sketch *k) {
    k->bins = tyche_calloc(TYCHE_SKETCH_BINS, sizeof *k->bins);
    k->n = 0;
    k->min = INFINITY;
    k->max = -INFINITY;
    return k->bins != NULL;
}

void tyche_sketch_clear(tyche_sketch *k) {
    free(k->bins);
    k->bins = NULL;
}

void tyche_sketch_merge(tyche_sketch *a, const tyche_sketch *b) {
    for (size_t i = 0; i < TYCHE_SKETCH_BINS; i++) a->bins[i] += b->bins[i];
    a->n += b->n;
    if (b->min < a->min) a->min = b->min;
    if (b->max > a->max) a->max = b->max;
}

/* Bounds of positive bucket b: [*x0, *x1). */
static void bucket_bounds(size_t b, double *x0, double *x1) {
    const uint64_t lo = (uint64_t)(1023 + TYCHE_SKETCH_EMIN) << 52;
    uint64_t b0 = lo + ((uint64_t)b << (52 - TYCHE_SKETCH_BITS));
    uint64_t b1 = lo + ((uint64_t)(b + 1) << (52 - TYCHE_SKETCH_BITS));
    memcpy(x0, &b0, sizeof *x0);
    memcpy(x1, &b1, sizeof *x1);
}

double tyche_sketch_quantile(const tyche_sketch *k, double q) {
    if (k->n == 0) return NAN;
    if (k->min == k->max) return k->min;
    /* the order statistic of rank floor(q (n - 1)), 0-based */
    const uint64_t rank = (uint64_t)floor(q * (double)(k->n - 1));
    uint64_t acc = 0;
    size_t i = 0;
    for (; i < TYCHE_SKETCH_BINS; i++) {
        acc += k->bins[i];
        if (acc > rank) break;
    }
    if (i == TYCHE_SKETCH_BINS) return k->max; /* bins that do not add up to n */
    /* spread the bucket's values evenly over it, in increasing order: closer
     * than its midpoint for smooth distributions, and no visible steps */
    const double frac = ((double)(rank - (acc - k->bins[i])) + 0.5) / (double)k->bins[i];
    double v, x0, x1;
    if (i == TYCHE_SKETCH_HALF) {
        v = 0.0;
    } else if (i > TYCHE_SKETCH_HALF) {
        bucket_bounds(i - TYCHE_SKETCH_HALF - 1, &x0, &x1);
        v = x0 + frac * (x1 - x0);
    } else {
        bucket_bounds(TYCHE_SKETCH_HALF - 1 - i, &x0, &x1);
        v = -(x1 - frac * (x1 - x0)); /* magnitudes decrease as i increases */
    }
    if (v < k->min) v = k->min;
    if (v > k->max) v = k->max;
    return v;
}

void tyche_wilson(uint64_t k, uint64_t n, double *lo, double *hi) {
    if (n == 0) {
        *lo = 0.0;
        *hi = 1.0;
        return;
    }
    const double z = 1.959963984540054, nn = (double)n, p = (double)k / nn;
    const double denom = 1.0 + z * z / nn;
    const double centre = (p + z * z / (2.0 * nn)) / denom;
    const double half = z * sqrt(p * (1.0 - p) / nn + z * z / (4.0 * nn * nn)) / denom;
    /* at k = 0 (k = n) the bound is exactly 0 (1): centre - half would leave
     * a rounding remainder near 1e-20 where no trial was true */
    *lo = k == 0 ? 0.0 : fmax(0.0, centre - half);
    *hi = k == n ? 1.0 : fmin(1.0, centre + half);
}
