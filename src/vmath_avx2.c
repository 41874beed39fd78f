/* The AVX2 kernels: Philox4x32-10 in 8 lanes, SLEEF's deterministic AVX
 * functions in 4.  Only this file is compiled with -mavx2 (and without FMA
 * or contraction), and it is reached only after __builtin_cpu_supports
 * ("avx2") said yes (vmath.c). */
#include "vmath.h"

#include <immintrin.h>
#include <string.h>
#include <sleef.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

/* hi and lo halves of the 32x32->64 products a[j] * m, per 32-bit lane:
 * _mm256_mul_epu32 multiplies the even lanes only, so the odd lanes are
 * shifted down, multiplied, and the halves put back in place. */
static inline void mulhilo8(__m256i a, __m256i m, __m256i *hi, __m256i *lo) {
    __m256i pe = _mm256_mul_epu32(a, m);
    __m256i po = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    *lo = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
}

/* 8 counters (blk, w1[j], tlo[j], thi[j]) through ten rounds, as
 * Random123's philox4x32_R(10, ...). */
static inline void philox8(__m256i c[4], uint32_t k0, uint32_t k1) {
    const __m256i m0 = _mm256_set1_epi64x(PHILOX_M0), m1 = _mm256_set1_epi64x(PHILOX_M1);
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        __m256i hi0, lo0, hi1, lo1;
        mulhilo8(c[0], m0, &hi0, &lo0);
        mulhilo8(c[2], m1, &hi1, &lo1);
        c[0] = _mm256_xor_si256(_mm256_xor_si256(hi1, c[1]), _mm256_set1_epi32((int)k0));
        c[1] = lo1;
        c[2] = _mm256_xor_si256(_mm256_xor_si256(hi0, c[3]), _mm256_set1_epi32((int)k1));
        c[3] = lo0;
    }
}

/* 8 trials at t: their low words and their high words, each in 8 lanes */
static inline void split_trials8(const uint64_t *t, __m256i *lo, __m256i *hi) {
    const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    __m256i a = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)t), idx);
    __m256i b = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(t + 4)), idx);
    *lo = _mm256_permute2x128_si256(a, b, 0x20);
    *hi = _mm256_permute2x128_si256(a, b, 0x31);
}

static void philox_avx2(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                        const uint64_t *trial, uint32_t *out) {
    const uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i c[4];
        c[0] = _mm256_set1_epi32((int)blk);
        c[1] = _mm256_loadu_si256((const __m256i *)(word1 + i));
        split_trials8(trial + i, &c[2], &c[3]);
        philox8(c, k0, k1);
        for (int w = 0; w < 4; w++) _mm256_storeu_si256((__m256i *)(out + (size_t)w * n + i), c[w]);
    }
    if (i < n) { /* the tail in a padded vector */
        const size_t r = n - i;
        uint32_t w1[8] = {0}, o[8];
        uint64_t t[8] = {0};
        memcpy(w1, word1 + i, r * sizeof *w1);
        memcpy(t, trial + i, r * sizeof *t);
        __m256i c[4];
        c[0] = _mm256_set1_epi32((int)blk);
        c[1] = _mm256_loadu_si256((const __m256i *)w1);
        split_trials8(t, &c[2], &c[3]);
        philox8(c, k0, k1);
        for (int w = 0; w < 4; w++) {
            _mm256_storeu_si256((__m256i *)o, c[w]);
            memcpy(out + (size_t)w * n + i, o, r * sizeof *o);
        }
    }
}

/* NaN as the default quiet NaN, and log1p(x > 1e307) as log(x), as on the
 * baseline (vmath.c says why). */
static inline __m256d canon4(__m256d r) {
    const __m256d qnan = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FF8000000000000LL));
    return _mm256_blendv_pd(r, qnan, _mm256_cmp_pd(r, r, _CMP_UNORD_Q));
}
static inline __m256d exp4c(__m256d x) { return canon4(Sleef_cinz_expd4_u10avx(x)); }
static inline __m256d log4c(__m256d x) { return canon4(Sleef_cinz_logd4_u10avx(x)); }
static inline __m256d log1p4c(__m256d x) {
    __m256d r = Sleef_cinz_log1pd4_u10avx(x);
    const __m256d big = _mm256_cmp_pd(x, _mm256_set1_pd(1e307), _CMP_GT_OQ);
    if (_mm256_movemask_pd(big)) r = _mm256_blendv_pd(r, Sleef_cinz_logd4_u10avx(x), big);
    return canon4(r);
}

/* Four lanes per call; a tail is computed in a vector padded with 1.0. */
#define VM_MAP4(name, fn)                                                     \
    static void name(size_t n, const double *x, double *y) {                  \
        size_t i = 0;                                                         \
        for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, fn(_mm256_loadu_pd(x + i))); \
        if (i < n) {                                                          \
            double b[4] = {1.0, 1.0, 1.0, 1.0};                               \
            memcpy(b, x + i, (n - i) * sizeof *b);                            \
            _mm256_storeu_pd(b, fn(_mm256_loadu_pd(b)));                      \
            memcpy(y + i, b, (n - i) * sizeof *b);                            \
        }                                                                     \
    }
VM_MAP4(exp_avx2, exp4c)
VM_MAP4(log_avx2, log4c)
VM_MAP4(log1p_avx2, log1p4c)
static inline __m256d log35x4(__m256d x) { return canon4(Sleef_cinz_logd4_u35avx(x)); }
VM_MAP4(log35_avx2, log35x4)

/* sin and cos of x[0..n) by SLEEF's fn, the tail in a padded vector. */
#define VM_SINCOS4(name, fn)                                                  \
    static void name(size_t n, const double *x, double *s, double *c) {       \
        size_t i = 0;                                                         \
        for (; i + 4 <= n; i += 4) {                                          \
            Sleef___m256d_2 r = fn(_mm256_loadu_pd(x + i));                   \
            _mm256_storeu_pd(s + i, canon4(r.x)); /* .x = sin, .y = cos */    \
            _mm256_storeu_pd(c + i, canon4(r.y));                             \
        }                                                                     \
        if (i < n) {                                                          \
            double b[4] = {1.0, 1.0, 1.0, 1.0}, bs[4], bc[4];                 \
            memcpy(b, x + i, (n - i) * sizeof *b);                            \
            Sleef___m256d_2 r = fn(_mm256_loadu_pd(b));                       \
            _mm256_storeu_pd(bs, canon4(r.x));                                \
            _mm256_storeu_pd(bc, canon4(r.y));                                \
            memcpy(s + i, bs, (n - i) * sizeof *bs);                          \
            memcpy(c + i, bc, (n - i) * sizeof *bc);                          \
        }                                                                     \
    }
VM_SINCOS4(sincos_avx2, Sleef_cinz_sincosd4_u10avx)
VM_SINCOS4(sincos35_avx2, Sleef_cinz_sincosd4_u35avx)

/* The fused draws (vmath.h gives the arithmetic): Philox in 8 lanes, then
 * each half of 4 lanes through the double kernels in registers.  A tail of
 * fewer than 8 lanes runs in a vector padded with zero counters (and shape
 * 1.0), and only its own lanes are stored. */
#define TWO_PI 6.283185307179586

/* The counters' lane words of lanes i .. i + 7 (r of them valid). */
typedef struct {
    __m256i w1, tlo, thi;
} lanes8;

static inline lanes8 load_lanes8(const uint32_t *word1, const uint64_t *trial, size_t r) {
    lanes8 L;
    if (r >= 8) {
        L.w1 = _mm256_loadu_si256((const __m256i *)word1);
        split_trials8(trial, &L.tlo, &L.thi);
    } else {
        uint32_t w1[8] = {0};
        uint64_t t[8] = {0};
        memcpy(w1, word1, r * sizeof *w1);
        memcpy(t, trial, r * sizeof *t);
        L.w1 = _mm256_loadu_si256((const __m256i *)w1);
        split_trials8(t, &L.tlo, &L.thi);
    }
    return L;
}

static inline void philox_lanes8(const lanes8 *L, uint64_t seed, uint32_t blk, __m256i c[4]) {
    c[0] = _mm256_set1_epi32((int)blk);
    c[1] = L->w1;
    c[2] = L->tlo;
    c[3] = L->thi;
    philox8(c, (uint32_t)seed, (uint32_t)(seed >> 32));
}

/* 32-bit lanes 4h .. 4h + 3 of x, widened to 64 bits */
static inline __m256i half64(__m256i x, int h) {
    return _mm256_cvtepu32_epi64(h ? _mm256_extracti128_si256(x, 1) : _mm256_castsi256_si128(x));
}
/* m 52 bits under 1.0's exponent: 1 + m 2^-52, minus 1, plus lsb / 2 */
static inline __m256d mant01(__m256i m, double half_lsb) {
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d x = _mm256_castsi256_pd(_mm256_or_si256(m, _mm256_castpd_si256(one)));
    return _mm256_add_pd(_mm256_sub_pd(x, one), _mm256_set1_pd(half_lsb));
}
/* u01(a, b) = ((a << 32 | b) >> 12 + 0.5) 2^-52 of lanes 4h .. 4h + 3 */
static inline __m256d u01x4(__m256i a, __m256i b, int h) {
    const __m256i m = _mm256_or_si256(_mm256_slli_epi64(half64(a, h), 20),
                                      _mm256_srli_epi64(half64(b, h), 12));
    return mant01(m, 0x1p-53);
}
/* (a + 0.5) 2^-32 of lanes 4h .. 4h + 3 */
static inline __m256d u32x4(__m256i a, int h) {
    return mant01(_mm256_slli_epi64(half64(a, h), 20), 0x1p-33);
}

/* the first r <= 4 lanes of v to p */
static inline void store4(double *p, __m256d v, size_t r) {
    if (r >= 4) {
        _mm256_storeu_pd(p, v);
    } else {
        double b[4];
        _mm256_storeu_pd(b, v);
        memcpy(p, b, r * sizeof *b);
    }
}

static void normals_avx2(uint64_t seed, uint32_t blk0, size_t count, size_t n,
                         const uint32_t *word1, const uint64_t *trial, double *out,
                         size_t stride) {
    const __m256d m2 = _mm256_set1_pd(-2.0), tp = _mm256_set1_pd(TWO_PI);
    for (size_t i = 0; i < n; i += 8) {
        const size_t r = n - i < 8 ? n - i : 8;
        const lanes8 L = load_lanes8(word1 + i, trial + i, r);
        for (size_t k = 0; k < count; k += 2) {
            __m256i c[4];
            philox_lanes8(&L, seed, blk0 + (uint32_t)(k / 2), c);
            for (int h = 0; h < 2 && (size_t)(4 * h) < r; h++) {
                const size_t rh = r - 4 * (size_t)h;
                const __m256d rad = _mm256_sqrt_pd(_mm256_mul_pd(m2, log35x4(u01x4(c[0], c[1], h))));
                const Sleef___m256d_2 sc = Sleef_cinz_sincosd4_u35avx(_mm256_mul_pd(tp, u01x4(c[2], c[3], h)));
                double *o = out + k * stride + i + 4 * (size_t)h;
                store4(o, _mm256_mul_pd(rad, canon4(sc.y)), rh); /* .y = cos */
                if (k + 1 < count) store4(o + stride, _mm256_mul_pd(rad, canon4(sc.x)), rh);
            }
        }
    }
}

static void uniforms_avx2(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                          const uint64_t *trial, double *u, double *u2) {
    for (size_t i = 0; i < n; i += 8) {
        const size_t r = n - i < 8 ? n - i : 8;
        const lanes8 L = load_lanes8(word1 + i, trial + i, r);
        __m256i c[4];
        philox_lanes8(&L, seed, blk, c);
        for (int h = 0; h < 2 && (size_t)(4 * h) < r; h++) {
            const size_t rh = r - 4 * (size_t)h, at = i + 4 * (size_t)h;
            store4(u + at, u01x4(c[0], c[1], h), rh);
            if (u2) store4(u2 + at, u01x4(c[2], c[3], h), rh);
        }
    }
}

static void exponentials_avx2(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                              const uint64_t *trial, double *out) {
    const __m256d sign = _mm256_set1_pd(-0.0);
    for (size_t i = 0; i < n; i += 8) {
        const size_t r = n - i < 8 ? n - i : 8;
        const lanes8 L = load_lanes8(word1 + i, trial + i, r);
        __m256i c[4];
        philox_lanes8(&L, seed, blk, c);
        for (int h = 0; h < 2 && (size_t)(4 * h) < r; h++) /* -x: the sign bit flipped */
            store4(out + i + 4 * (size_t)h, _mm256_xor_pd(log35x4(u01x4(c[0], c[1], h)), sign),
                   r - 4 * (size_t)h);
    }
}

static void gamma_mt_avx2(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                          const uint64_t *trial, const double *a, double *out, uint8_t *ok) {
    const __m256d m2 = _mm256_set1_pd(-2.0), tp = _mm256_set1_pd(TWO_PI);
    const __m256d one = _mm256_set1_pd(1.0), third = _mm256_set1_pd(1.0 / 3.0);
    const __m256d nine = _mm256_set1_pd(9.0), half = _mm256_set1_pd(0.5);
    const __m256d zero = _mm256_setzero_pd();
    for (size_t i = 0; i < n; i += 8) {
        const size_t r = n - i < 8 ? n - i : 8;
        const lanes8 L = load_lanes8(word1 + i, trial + i, r);
        __m256i c[4];
        philox_lanes8(&L, seed, blk, c);
        for (int h = 0; h < 2 && (size_t)(4 * h) < r; h++) {
            const size_t rh = r - 4 * (size_t)h < 4 ? r - 4 * (size_t)h : 4;
            const size_t at = i + 4 * (size_t)h;
            __m256d av;
            if (rh == 4) {
                av = _mm256_loadu_pd(a + at);
            } else {
                double b[4] = {1.0, 1.0, 1.0, 1.0};
                memcpy(b, a + at, rh * sizeof *b);
                av = _mm256_loadu_pd(b);
            }
            const __m256d lr = log35x4(u01x4(c[0], c[1], h));
            const Sleef___m256d_2 sc = Sleef_cinz_sincosd4_u35avx(_mm256_mul_pd(tp, u32x4(c[2], h)));
            const __m256d z = _mm256_mul_pd(_mm256_sqrt_pd(_mm256_mul_pd(m2, lr)), canon4(sc.y));
            const __m256d dd = _mm256_sub_pd(av, third);
            const __m256d cc = _mm256_div_pd(one, _mm256_sqrt_pd(_mm256_mul_pd(nine, dd)));
            const __m256d v = _mm256_add_pd(one, _mm256_mul_pd(cc, z));
            const __m256d pos = _mm256_cmp_pd(v, zero, _CMP_GT_OQ);
            const __m256d v3 =
                _mm256_blendv_pd(one, _mm256_mul_pd(_mm256_mul_pd(v, v), v), pos);
            const __m256d lu = log35x4(u32x4(c[3], h));
            /* ((0.5 z z + dd) - dd v3) + dd log v3 */
            const __m256d rhs = _mm256_add_pd(
                _mm256_sub_pd(_mm256_add_pd(_mm256_mul_pd(_mm256_mul_pd(half, z), z), dd),
                              _mm256_mul_pd(dd, v3)),
                _mm256_mul_pd(dd, log35x4(v3)));
            const __m256d acc = _mm256_and_pd(pos, _mm256_cmp_pd(lu, rhs, _CMP_LT_OQ));
            const __m256d g = _mm256_mul_pd(dd, v3);
            const int mask = _mm256_movemask_pd(acc);
            if (rh == 4) {
                _mm256_maskstore_pd(out + at, _mm256_castpd_si256(acc), g);
            } else {
                double b[4];
                _mm256_storeu_pd(b, g);
                for (size_t j = 0; j < rh; j++)
                    if (mask >> j & 1) out[at + j] = b[j];
            }
            for (size_t j = 0; j < rh; j++) ok[at + j] = (uint8_t)(mask >> j & 1);
        }
    }
}

const tyche_vm_ops tyche_vm_avx2_ops = {
    "avx2",       philox_avx2,   exp_avx2,          log_avx2,     log1p_avx2, sincos_avx2,
    normals_avx2, uniforms_avx2, exponentials_avx2, gamma_mt_avx2, log35_avx2, sincos35_avx2, TYCHE_VM_AVX2};
