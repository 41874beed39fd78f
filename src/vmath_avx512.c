/* The AVX-512 kernels: Philox4x32-10 in 16 lanes, SLEEF's deterministic
 * AVX-512F no-FMA functions in 8.  Only this file is compiled with
 * -mavx512f (AVX-512F alone, without FMA or contraction), and it is reached
 * only after __builtin_cpu_supports("avx512f") said yes (vmath.c). */
#include "vmath.h"

#include <immintrin.h>
#include <string.h>
#include <sleef.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

/* hi and lo halves of a[j] * m per 32-bit lane (_mm512_mul_epu32 multiplies
 * the even lanes only; the odd ones are shifted down first) */
static inline void mulhilo16(__m512i a, __m512i m, __m512i *hi, __m512i *lo) {
    __m512i pe = _mm512_mul_epu32(a, m);
    __m512i po = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    *lo = _mm512_mask_blend_epi32(0xAAAA, pe, _mm512_slli_epi64(po, 32));
    *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(pe, 32), po);
}

/* 16 counters through ten rounds, as Random123's philox4x32_R(10, ...) */
static inline void philox16(__m512i c[4], uint32_t k0, uint32_t k1) {
    const __m512i m0 = _mm512_set1_epi64(PHILOX_M0), m1 = _mm512_set1_epi64(PHILOX_M1);
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        __m512i hi0, lo0, hi1, lo1;
        mulhilo16(c[0], m0, &hi0, &lo0);
        mulhilo16(c[2], m1, &hi1, &lo1);
        c[0] = _mm512_xor_si512(_mm512_xor_si512(hi1, c[1]), _mm512_set1_epi32((int)k0));
        c[1] = lo1;
        c[2] = _mm512_xor_si512(_mm512_xor_si512(hi0, c[3]), _mm512_set1_epi32((int)k1));
        c[3] = lo0;
    }
}

/* 16 trials at t: their low words and their high words, each in 16 lanes */
static inline void split_trials16(const uint64_t *t, __m512i *lo, __m512i *hi) {
    const __m512i ilo = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i ihi = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    __m512i a = _mm512_loadu_si512((const void *)t), b = _mm512_loadu_si512((const void *)(t + 8));
    *lo = _mm512_permutex2var_epi32(a, ilo, b);
    *hi = _mm512_permutex2var_epi32(a, ihi, b);
}

static void philox_avx512(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                          const uint64_t *trial, uint32_t *out) {
    const uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i c[4];
        c[0] = _mm512_set1_epi32((int)blk);
        c[1] = _mm512_loadu_si512((const void *)(word1 + i));
        split_trials16(trial + i, &c[2], &c[3]);
        philox16(c, k0, k1);
        for (int w = 0; w < 4; w++) _mm512_storeu_si512((void *)(out + (size_t)w * n + i), c[w]);
    }
    if (i < n) { /* the tail in a padded vector */
        const size_t r = n - i;
        uint32_t w1[16] = {0}, o[16];
        uint64_t t[16] = {0};
        memcpy(w1, word1 + i, r * sizeof *w1);
        memcpy(t, trial + i, r * sizeof *t);
        __m512i c[4];
        c[0] = _mm512_set1_epi32((int)blk);
        c[1] = _mm512_loadu_si512((const void *)w1);
        split_trials16(t, &c[2], &c[3]);
        philox16(c, k0, k1);
        for (int w = 0; w < 4; w++) {
            _mm512_storeu_si512((void *)o, c[w]);
            memcpy(out + (size_t)w * n + i, o, r * sizeof *o);
        }
    }
}

/* NaN as the default quiet NaN, and log1p(x > 1e307) as log(x), as on the
 * baseline (vmath.c says why). */
static inline __m512d canon8(__m512d r) {
    const __m512d qnan = _mm512_castsi512_pd(_mm512_set1_epi64(0x7FF8000000000000LL));
    return _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(r, r, _CMP_UNORD_Q), qnan);
}
static inline __m512d exp8c(__m512d x) { return canon8(Sleef_cinz_expd8_u10avx512fnofma(x)); }
static inline __m512d log8c(__m512d x) { return canon8(Sleef_cinz_logd8_u10avx512fnofma(x)); }
static inline __m512d log1p8c(__m512d x) {
    __m512d r = Sleef_cinz_log1pd8_u10avx512fnofma(x);
    const __mmask8 big = _mm512_cmp_pd_mask(x, _mm512_set1_pd(1e307), _CMP_GT_OQ);
    if (big) r = _mm512_mask_mov_pd(r, big, Sleef_cinz_logd8_u10avx512fnofma(x));
    return canon8(r);
}

/* Eight lanes per call; a tail is computed in a vector padded with 1.0. */
#define VM_MAP8(name, fn)                                                     \
    static void name(size_t n, const double *x, double *y) {                  \
        size_t i = 0;                                                         \
        for (; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, fn(_mm512_loadu_pd(x + i))); \
        if (i < n) {                                                          \
            double b[8] = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0};           \
            memcpy(b, x + i, (n - i) * sizeof *b);                            \
            _mm512_storeu_pd(b, fn(_mm512_loadu_pd(b)));                      \
            memcpy(y + i, b, (n - i) * sizeof *b);                            \
        }                                                                     \
    }
VM_MAP8(exp_avx512, exp8c)
VM_MAP8(log_avx512, log8c)
VM_MAP8(log1p_avx512, log1p8c)
static inline __m512d log35x8(__m512d x) { return canon8(Sleef_cinz_logd8_u35avx512fnofma(x)); }
VM_MAP8(log35_avx512, log35x8)

/* sin and cos of x[0..n) by SLEEF's fn, the tail in a padded vector. */
#define VM_SINCOS8(name, fn)                                                  \
    static void name(size_t n, const double *x, double *s, double *c) {       \
        size_t i = 0;                                                         \
        for (; i + 8 <= n; i += 8) {                                          \
            Sleef___m512d_2 r = fn(_mm512_loadu_pd(x + i));                   \
            _mm512_storeu_pd(s + i, canon8(r.x)); /* .x = sin, .y = cos */    \
            _mm512_storeu_pd(c + i, canon8(r.y));                             \
        }                                                                     \
        if (i < n) {                                                          \
            double b[8] = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, bs[8], bc[8]; \
            memcpy(b, x + i, (n - i) * sizeof *b);                            \
            Sleef___m512d_2 r = fn(_mm512_loadu_pd(b));                       \
            _mm512_storeu_pd(bs, canon8(r.x));                                \
            _mm512_storeu_pd(bc, canon8(r.y));                                \
            memcpy(s + i, bs, (n - i) * sizeof *bs);                          \
            memcpy(c + i, bc, (n - i) * sizeof *bc);                          \
        }                                                                     \
    }
VM_SINCOS8(sincos_avx512, Sleef_cinz_sincosd8_u10avx512fnofma)
VM_SINCOS8(sincos35_avx512, Sleef_cinz_sincosd8_u35avx512fnofma)

/* The fused draws (vmath.h gives the arithmetic): Philox in 16 lanes, then
 * each half of 8 lanes through the double kernels in registers.  A tail of
 * fewer than 16 lanes runs in a vector padded with zero counters (and shape
 * 1.0) by masked loads, and masked stores write only its own lanes.  No
 * AVX-512DQ: the 64-bit words become doubles through the mantissa. */
#define TWO_PI 6.283185307179586

typedef struct {
    __m512i w1, tlo, thi;
} lanes16;

static inline lanes16 load_lanes16(const uint32_t *word1, const uint64_t *trial, size_t r) {
    lanes16 L;
    if (r >= 16) {
        L.w1 = _mm512_loadu_si512((const void *)word1);
        split_trials16(trial, &L.tlo, &L.thi);
    } else {
        uint64_t t[16] = {0};
        memcpy(t, trial, r * sizeof *t);
        L.w1 = _mm512_maskz_loadu_epi32((__mmask16)((1u << r) - 1), word1);
        split_trials16(t, &L.tlo, &L.thi);
    }
    return L;
}

static inline void philox_lanes16(const lanes16 *L, uint64_t seed, uint32_t blk, __m512i c[4]) {
    c[0] = _mm512_set1_epi32((int)blk);
    c[1] = L->w1;
    c[2] = L->tlo;
    c[3] = L->thi;
    philox16(c, (uint32_t)seed, (uint32_t)(seed >> 32));
}

/* 32-bit lanes 8h .. 8h + 7 of x, widened to 64 bits */
static inline __m512i half64(__m512i x, int h) {
    return _mm512_cvtepu32_epi64(h ? _mm512_extracti64x4_epi64(x, 1) : _mm512_castsi512_si256(x));
}
/* m 52 bits under 1.0's exponent: 1 + m 2^-52, minus 1, plus lsb / 2 */
static inline __m512d mant01(__m512i m, double half_lsb) {
    const __m512d one = _mm512_set1_pd(1.0);
    const __m512d x = _mm512_castsi512_pd(_mm512_or_si512(m, _mm512_castpd_si512(one)));
    return _mm512_add_pd(_mm512_sub_pd(x, one), _mm512_set1_pd(half_lsb));
}
static inline __m512d u01x8(__m512i a, __m512i b, int h) {
    const __m512i m = _mm512_or_si512(_mm512_slli_epi64(half64(a, h), 20),
                                      _mm512_srli_epi64(half64(b, h), 12));
    return mant01(m, 0x1p-53);
}
static inline __m512d u32x8(__m512i a, int h) {
    return mant01(_mm512_slli_epi64(half64(a, h), 20), 0x1p-33);
}

/* the lanes of half h of a group of r lanes */
static inline __mmask8 half_mask(size_t r, int h) {
    const size_t rh = r - 8 * (size_t)h;
    return rh >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << rh) - 1);
}

static void normals_avx512(uint64_t seed, uint32_t blk0, size_t count, size_t n,
                           const uint32_t *word1, const uint64_t *trial, double *out,
                           size_t stride) {
    const __m512d m2 = _mm512_set1_pd(-2.0), tp = _mm512_set1_pd(TWO_PI);
    for (size_t i = 0; i < n; i += 16) {
        const size_t r = n - i < 16 ? n - i : 16;
        const lanes16 L = load_lanes16(word1 + i, trial + i, r);
        for (size_t k = 0; k < count; k += 2) {
            __m512i c[4];
            philox_lanes16(&L, seed, blk0 + (uint32_t)(k / 2), c);
            for (int h = 0; h < 2 && (size_t)(8 * h) < r; h++) {
                const __mmask8 m = half_mask(r, h);
                const __m512d rad = _mm512_sqrt_pd(_mm512_mul_pd(m2, log35x8(u01x8(c[0], c[1], h))));
                const Sleef___m512d_2 sc =
                    Sleef_cinz_sincosd8_u35avx512fnofma(_mm512_mul_pd(tp, u01x8(c[2], c[3], h)));
                double *o = out + k * stride + i + 8 * (size_t)h;
                _mm512_mask_storeu_pd(o, m, _mm512_mul_pd(rad, canon8(sc.y))); /* .y = cos */
                if (k + 1 < count) _mm512_mask_storeu_pd(o + stride, m, _mm512_mul_pd(rad, canon8(sc.x)));
            }
        }
    }
}

static void uniforms_avx512(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                            const uint64_t *trial, double *u, double *u2) {
    for (size_t i = 0; i < n; i += 16) {
        const size_t r = n - i < 16 ? n - i : 16;
        const lanes16 L = load_lanes16(word1 + i, trial + i, r);
        __m512i c[4];
        philox_lanes16(&L, seed, blk, c);
        for (int h = 0; h < 2 && (size_t)(8 * h) < r; h++) {
            const __mmask8 m = half_mask(r, h);
            const size_t at = i + 8 * (size_t)h;
            _mm512_mask_storeu_pd(u + at, m, u01x8(c[0], c[1], h));
            if (u2) _mm512_mask_storeu_pd(u2 + at, m, u01x8(c[2], c[3], h));
        }
    }
}

static void exponentials_avx512(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                                const uint64_t *trial, double *out) {
    const __m512i sign = _mm512_set1_epi64((long long)0x8000000000000000ULL);
    for (size_t i = 0; i < n; i += 16) {
        const size_t r = n - i < 16 ? n - i : 16;
        const lanes16 L = load_lanes16(word1 + i, trial + i, r);
        __m512i c[4];
        philox_lanes16(&L, seed, blk, c);
        for (int h = 0; h < 2 && (size_t)(8 * h) < r; h++) { /* -x: the sign bit flipped */
            const __m512i x = _mm512_castpd_si512(log35x8(u01x8(c[0], c[1], h)));
            _mm512_mask_storeu_pd(out + i + 8 * (size_t)h, half_mask(r, h),
                                  _mm512_castsi512_pd(_mm512_xor_si512(x, sign)));
        }
    }
}

static void gamma_mt_avx512(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                            const uint64_t *trial, const double *a, double *out, uint8_t *ok) {
    const __m512d m2 = _mm512_set1_pd(-2.0), tp = _mm512_set1_pd(TWO_PI);
    const __m512d one = _mm512_set1_pd(1.0), third = _mm512_set1_pd(1.0 / 3.0);
    const __m512d nine = _mm512_set1_pd(9.0), half = _mm512_set1_pd(0.5);
    const __m512d zero = _mm512_setzero_pd();
    for (size_t i = 0; i < n; i += 16) {
        const size_t r = n - i < 16 ? n - i : 16;
        const lanes16 L = load_lanes16(word1 + i, trial + i, r);
        __m512i c[4];
        philox_lanes16(&L, seed, blk, c);
        for (int h = 0; h < 2 && (size_t)(8 * h) < r; h++) {
            const __mmask8 m = half_mask(r, h);
            const size_t at = i + 8 * (size_t)h;
            const __m512d av = _mm512_mask_loadu_pd(one, m, a + at);
            const __m512d lr = log35x8(u01x8(c[0], c[1], h));
            const Sleef___m512d_2 sc =
                Sleef_cinz_sincosd8_u35avx512fnofma(_mm512_mul_pd(tp, u32x8(c[2], h)));
            const __m512d z = _mm512_mul_pd(_mm512_sqrt_pd(_mm512_mul_pd(m2, lr)), canon8(sc.y));
            const __m512d dd = _mm512_sub_pd(av, third);
            const __m512d cc = _mm512_div_pd(one, _mm512_sqrt_pd(_mm512_mul_pd(nine, dd)));
            const __m512d v = _mm512_add_pd(one, _mm512_mul_pd(cc, z));
            const __mmask8 pos = _mm512_cmp_pd_mask(v, zero, _CMP_GT_OQ);
            const __m512d v3 = _mm512_mask_mov_pd(one, pos, _mm512_mul_pd(_mm512_mul_pd(v, v), v));
            const __m512d lu = log35x8(u32x8(c[3], h));
            /* ((0.5 z z + dd) - dd v3) + dd log v3 */
            const __m512d rhs = _mm512_add_pd(
                _mm512_sub_pd(_mm512_add_pd(_mm512_mul_pd(_mm512_mul_pd(half, z), z), dd),
                              _mm512_mul_pd(dd, v3)),
                _mm512_mul_pd(dd, log35x8(v3)));
            const __mmask8 acc = pos & _mm512_cmp_pd_mask(lu, rhs, _CMP_LT_OQ) & m;
            _mm512_mask_storeu_pd(out + at, acc, _mm512_mul_pd(dd, v3));
            const size_t rh = r - 8 * (size_t)h < 8 ? r - 8 * (size_t)h : 8;
            for (size_t j = 0; j < rh; j++) ok[at + j] = (uint8_t)(acc >> j & 1);
        }
    }
}

const tyche_vm_ops tyche_vm_avx512_ops = {
    "avx512",       philox_avx512,   exp_avx512,          log_avx512,     log1p_avx512,
    sincos_avx512,  normals_avx512,  uniforms_avx512,     exponentials_avx512,
    gamma_mt_avx512, log35_avx512, sincos35_avx512, TYCHE_VM_AVX512};
