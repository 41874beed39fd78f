/* Random draws for a block of trials at once, structure of arrays: lane i
 * is trial trial[i] at redraw redraw[i], and every draw of lane i comes from
 * that trial's own stream (I1, I2), so a trial's numbers do not depend on
 * the block, thread or rank that ran it, nor on the other lanes.
 *
 * The stream layout, version TYCHE_STREAM_VERSION (I2, src/README.md):
 * Philox4x32-10 block `blk` of (seed; trial, stream, redraw) has the counter
 * (blk, stream | redraw << 16, trial low 32 bits, trial high 32 bits).
 * From one block's four 32-bit words w0..w3:
 *   u01(a, b)  = (((a << 32 | b) >> 12) + 0.5) 2^-52, in (0, 1): 52 bits, exact,
 *                never 0 or 1, symmetric about 1/2;
 *   a uniform  = u01(w0, w1); a second one u01(w2, w3);
 *   a normal pair (Box-Muller) = sqrt(-2 log u01(w0,w1)) (cos, sin)(2 pi u01(w2,w3)):
 *     normal k of a sequence is pair k / 2 (block k / 2), cos for even k, sin for odd;
 *     a single normal is the cos of block 0;
 *   an exponential = -log u01(w0, w1);
 *   a gamma (Marsaglia and Tsang 2000): attempt j in block region + j, its
 *     normal sqrt(-2 log u01(w0,w1)) cos(2 pi (w2 + 0.5) 2^-32), its uniform
 *     (w3 + 0.5) 2^-32; shapes below 1 take Gamma(a + 1) u^(1/a), u = u01 of
 *     block region + TYCHE_DRAW_BOOST.
 * exp, log, sin and cos are SLEEF's deterministic kernels (vmath.h), so every
 * vector path gives the same bits.  With a GSL generator (--rng mt19937)
 * each block's four words come from the generator re-seeded from a hash of
 * (seed, trial, stream, redraw, block), and the draws' log and sincos are
 * the u10 array kernels (the fused u35 ones read Philox words): the same
 * distributions, other numbers. */
#ifndef TYCHE_DRAWS_H
#define TYCHE_DRAWS_H

#include <stddef.h>
#include <stdint.h>
#include "tyche/common.h"
#include "vmath.h"

/* TYCHE_STREAM_VERSION (tyche/rng.h) numbers this layout. */

/* Blocks of a stream where a second gamma (a beta's) starts, and a gamma's
 * boost uniform (shape < 1) sits, relative to its region. */
#define TYCHE_DRAW_REGION2 0x40000000u
#define TYCHE_DRAW_BOOST 0x20000000u

/* The lanes of a block: n trials, each with its redraw number. */
typedef struct {
    size_t n;
    const uint64_t *trial;
    const uint32_t *redraw;
} tyche_lanes;

typedef struct tyche_draws tyche_draws;

/* A thread's draws: the generator (NULL or "philox": the vector kernels;
 * else a GSL generator by name), the seed and scratch for n_max lanes. */
tyche_draws *tyche_draws_alloc(const char *rng, uint64_t seed, size_t n_max, tyche_err *err);
void tyche_draws_free(tyche_draws *d);
/* The kernels in use (vmath.h), for vector math in the models. */
const tyche_vm_ops *tyche_draws_vm(const tyche_draws *d);

/* u[i] = u01(w0, w1) of block blk; u2, when not NULL, u01(w2, w3). */
void tyche_draws_uniform(tyche_draws *d, const tyche_lanes *L, uint32_t stream, uint32_t blk,
                         double *u, double *u2);
/* Normals 0 .. count - 1 of the stream's sequence: normal k of lane i at
 * out[k * stride + i] (stride >= L->n). */
void tyche_draws_normals(tyche_draws *d, const tyche_lanes *L, uint32_t stream, size_t count,
                         double *out, size_t stride);
/* out[i] = -log u01(w0, w1) of block blk. */
void tyche_draws_exponential(tyche_draws *d, const tyche_lanes *L, uint32_t stream, uint32_t blk,
                             double *out);
/* Gamma(shape[i], 1) from blocks region, region + 1, ... of `stream`;
 * shape[i] > 0 (NaN or <= 0: NaN out). */
void tyche_draws_gamma(tyche_draws *d, const tyche_lanes *L, uint32_t stream, uint32_t region,
                       const double *shape, double *out);

/* u01 of two words (the layout above): m + 0.5 < 2^52 is exact, and so is
 * the scaling, so every vector path computes the same bits. */
static inline double tyche_u01(uint32_t a, uint32_t b) {
    return ((double)((((uint64_t)a << 32) | b) >> 12) + 0.5) * 0x1.0p-52;
}

#endif
