/* Vector kernels over arrays: Philox4x32-10 in lanes, and exp, log, log1p
 * and sincos from SLEEF's deterministic ("cinz": no FMA) variants, which
 * give the same bits on every instruction set.  One table of kernels per
 * vector path (the x86-64 baseline with SSE2, AVX2, AVX-512), chosen once
 * at run time from what the processor has (or forced, for the tests), so a
 * release build targets plain x86-64 and still uses the vector units.
 *
 * Contract (I11, src/README.md): for the same inputs, every path returns
 * the same bits, for any n and any alignment; the tail of an array that
 * does not fill a vector is computed in a padded vector, not by other code.
 * Everything else in tyche is compiled for the baseline, without FMA
 * contraction, so a run's results do not depend on the path that ran it.
 * Tested: tests/test_vmath.c; tests/cli/vector_paths.sh (whole runs). */
#ifndef TYCHE_VMATH_H
#define TYCHE_VMATH_H

#include <stddef.h>
#include <stdint.h>
#include "tyche/common.h"

typedef enum { TYCHE_VM_SSE2, TYCHE_VM_AVX2, TYCHE_VM_AVX512, TYCHE_VM_NPATHS } tyche_vm_path;

typedef struct {
    const char *name; /* "sse2", "avx2", "avx512" */
    /* Philox4x32-10 with key (seed low 32 bits, seed high 32 bits) of n
     * counters: (blk, word1[i], (uint32_t)trial[i], trial[i] >> 32).  The
     * four output words of lane i go to out[w * n + i], w = 0..3. */
    void (*philox)(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                   const uint64_t *trial, uint32_t *out);
    /* y[i] = f(x[i]), i < n; y may be x.  Sleef_cinz_*_u10 (1.0 ulp). */
    void (*exp)(size_t n, const double *x, double *y);
    void (*log)(size_t n, const double *x, double *y);
    void (*log1p)(size_t n, const double *x, double *y);
    /* s[i] = sin(x[i]), c[i] = cos(x[i]) */
    void (*sincos)(size_t n, const double *x, double *s, double *c);

    /* Fused draws (the layout of draws.h), Philox to doubles in registers.
     * With w0..w3 the words of lane i's block (counter as for philox above)
     * and u01(a, b) = ((double)(((uint64_t)a << 32 | b) >> 12) + 0.5) * 0x1p-52
     * (exact; in SIMD: the 52 bits under 1.0's exponent, minus 1.0, plus
     * 0x1p-53), every path computes exactly these IEEE operations in this
     * order, with log, sin and cos the u35 kernels log35 and sincos35 below
     * (a random variate needs no last-bit accuracy; they cost half as much):
     *
     * normals: normal k < count of lane i, from block blk0 + k / 2, to
     * out[k * stride + i]:  r = sqrt(-2.0 * log(u01(w0, w1)));
     * a = 6.283185307179586 * u01(w2, w3);  r * cos(a) for even k, r * sin(a) for odd k. */
    void (*normals)(uint64_t seed, uint32_t blk0, size_t count, size_t n, const uint32_t *word1,
                    const uint64_t *trial, double *out, size_t stride);
    /* uniforms: u[i] = u01(w0, w1), and u2[i] = u01(w2, w3) unless u2 is NULL. */
    void (*uniforms)(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                     const uint64_t *trial, double *u, double *u2);
    /* exponentials: out[i] = -log(u01(w0, w1)). */
    void (*exponentials)(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                         const uint64_t *trial, double *out);
    /* gamma_mt: one Marsaglia-Tsang attempt at shape a[i] >= 1 (the caller
     * ensures it) from block blk:
     *   z = sqrt(-2.0 * log(u01(w0, w1))) * cos(6.283185307179586 * (((double)w2 + 0.5) * 0x1p-32));
     *   dd = a[i] - 1.0 / 3.0;  cc = 1.0 / sqrt(9.0 * dd);  v = 1.0 + cc * z;
     *   v3 = v > 0 ? v * v * v : 1.0;  lu = log(((double)w3 + 0.5) * 0x1p-32);
     *   ok[i] = v > 0 && lu < 0.5 * z * z + dd - dd * v3 + dd * log(v3)
     *   (the sum evaluated left to right: ((0.5 * z * z + dd) - dd * v3) + dd * log(v3));
     *   out[i] = dd * v3 where ok[i], out[i] untouched elsewhere. */
    void (*gamma_mt)(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                     const uint64_t *trial, const double *a, double *out, uint8_t *ok);

    /* log and sincos as above from SLEEF's u35 variants (Sleef_cinz_*_u35:
     * 3.5 ulp, deterministic like u10): what the fused draws use. */
    void (*log35)(size_t n, const double *x, double *y);
    void (*sincos35)(size_t n, const double *x, double *s, double *c);
    tyche_vm_path path; /* which path these are (TYCHE_BLOCK_FN in kind.h follows it) */
} tyche_vm_ops;

/* The selected path's kernels (the best the processor has, unless
 * tyche_vm_select chose another).  Thread-safe after the first call. */
const tyche_vm_ops *tyche_vm(void);
/* The kernels of one path, or NULL when this build or processor lacks it. */
const tyche_vm_ops *tyche_vm_ops_of(tyche_vm_path p);
/* Chooses the path by name ("sse2", "avx2", "avx512"; NULL or "" or "auto":
 * the best available).  TYCHE_EINPUT naming the paths this machine has when
 * the name is unknown or the processor lacks it. */
tyche_status tyche_vm_select(const char *name, tyche_err *err);
/* "sse2, avx2, avx512": the paths this build can run on this processor. */
void tyche_vm_available(char *buf, size_t len);

#endif
