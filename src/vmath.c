/* The path selection and the baseline kernels (SSE2 on x86-64, SLEEF's
 * portable C elsewhere).  The AVX2 and AVX-512 kernels live in files of
 * their own (vmath_avx2.c, vmath_avx512.c), the only two compiled with
 * those instruction sets, so nothing else in the library can pick up an
 * instruction the processor may lack. */
#include "vmath.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <Random123/philox.h>
#include <sleef.h>

#ifdef TYCHE_VM_X86
#include <emmintrin.h>
extern const tyche_vm_ops tyche_vm_avx2_ops;
extern const tyche_vm_ops tyche_vm_avx512_ops;
#endif

/* Scalar Philox per lane: the reference the vector paths are tested against,
 * and fast enough for a baseline. */
static void philox_base(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                        const uint64_t *trial, uint32_t *out) {
    const philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    for (size_t i = 0; i < n; i++) {
        philox4x32_ctr_t c = {{blk, word1[i], (uint32_t)trial[i], (uint32_t)(trial[i] >> 32)}};
        philox4x32_ctr_t o = philox4x32_R(10, c, k);
        for (int w = 0; w < 4; w++) out[(size_t)w * n + i] = o.v[w];
    }
}

/* Two amendments to SLEEF, made the same way on every path:
 *  - NaN results are the default quiet NaN (+, no payload): SLEEF's
 *    instruction sets disagree on the sign of the NaN of log(-1) (AVX-512's
 *    is negative, SSE2's positive), and the contract is the same bits;
 *  - log1p(x) for x > 1e307 is log(x): SLEEF returns +inf there (its
 *    double-double intermediate overflows), while log1p(x) - log(x) ~ 1/x
 *    is ~1e-307, far below half an ulp of log(x) > 706. */
#define VM_LOG1P_BIG 1e307
#ifdef TYCHE_VM_X86
static inline __m128d canon2(__m128d r) {
    const __m128d m = _mm_cmpunord_pd(r, r);
    const __m128d qnan = _mm_castsi128_pd(_mm_set1_epi64x(0x7FF8000000000000LL));
    return _mm_or_pd(_mm_andnot_pd(m, r), _mm_and_pd(m, qnan));
}
static inline __m128d exp2c(__m128d x) { return canon2(Sleef_cinz_expd2_u10sse2(x)); }
static inline __m128d log2c(__m128d x) { return canon2(Sleef_cinz_logd2_u10sse2(x)); }
static inline __m128d log1p2c(__m128d x) {
    __m128d r = Sleef_cinz_log1pd2_u10sse2(x);
    const __m128d big = _mm_cmpgt_pd(x, _mm_set1_pd(VM_LOG1P_BIG));
    if (_mm_movemask_pd(big))
        r = _mm_or_pd(_mm_andnot_pd(big, r), _mm_and_pd(big, Sleef_cinz_logd2_u10sse2(x)));
    return canon2(r);
}

/* Two lanes per call; a tail of one is computed in a padded vector (the pad
 * is 1.0, harmless for every function), so a lane's bits never depend on n. */
#define VM_MAP2(name, fn)                                                     \
    static void name(size_t n, const double *x, double *y) {                  \
        size_t i = 0;                                                         \
        for (; i + 2 <= n; i += 2) _mm_storeu_pd(y + i, fn(_mm_loadu_pd(x + i))); \
        if (i < n) {                                                          \
            double b[2] = {1.0, 1.0};                                         \
            memcpy(b, x + i, (n - i) * sizeof *b);                            \
            _mm_storeu_pd(b, fn(_mm_loadu_pd(b)));                            \
            memcpy(y + i, b, (n - i) * sizeof *b);                            \
        }                                                                     \
    }
VM_MAP2(exp_base, exp2c)
VM_MAP2(log_base, log2c)
VM_MAP2(log1p_base, log1p2c)

/* sin and cos of x[0..n) by SLEEF's fn, a tail of one in a padded vector. */
#define VM_SINCOS2(name, fn)                                                  \
    static void name(size_t n, const double *x, double *s, double *c) {       \
        size_t i = 0;                                                         \
        for (; i + 2 <= n; i += 2) {                                          \
            Sleef___m128d_2 r = fn(_mm_loadu_pd(x + i));                      \
            _mm_storeu_pd(s + i, canon2(r.x)); /* .x = sin, .y = cos */       \
            _mm_storeu_pd(c + i, canon2(r.y));                                \
        }                                                                     \
        if (i < n) {                                                          \
            double b[2] = {1.0, 1.0}, bs[2], bc[2];                           \
            memcpy(b, x + i, (n - i) * sizeof *b);                            \
            Sleef___m128d_2 r = fn(_mm_loadu_pd(b));                          \
            _mm_storeu_pd(bs, canon2(r.x));                                   \
            _mm_storeu_pd(bc, canon2(r.y));                                   \
            memcpy(s + i, bs, (n - i) * sizeof *bs);                          \
            memcpy(c + i, bc, (n - i) * sizeof *bc);                          \
        }                                                                     \
    }
VM_SINCOS2(sincos_base, Sleef_cinz_sincosd2_u10sse2)
VM_SINCOS2(sincos35_base, Sleef_cinz_sincosd2_u35sse2)
static inline __m128d log35x2(__m128d x) { return canon2(Sleef_cinz_logd2_u35sse2(x)); }
VM_MAP2(log35_base, log35x2)
#define VM_BASE_NAME "sse2"
#else
/* Not x86-64: SLEEF's portable C, one lane at a time. */
#define VM_MAP1(name, fn)                                                     \
    static void name(size_t n, const double *x, double *y) {                  \
        for (size_t i = 0; i < n; i++) y[i] = fn(x[i]);                       \
    }
static inline double canon1(double r) { return isnan(r) ? (double)NAN : r; }
static inline double exp1c(double x) { return canon1(Sleef_cinz_expd1_u10purec(x)); }
static inline double log1c(double x) { return canon1(Sleef_cinz_logd1_u10purec(x)); }
static inline double log1p1c(double x) {
    return canon1(x > VM_LOG1P_BIG ? Sleef_cinz_logd1_u10purec(x) : Sleef_cinz_log1pd1_u10purec(x));
}
VM_MAP1(exp_base, exp1c)
VM_MAP1(log_base, log1c)
VM_MAP1(log1p_base, log1p1c)

static void sincos_base(size_t n, const double *x, double *s, double *c) {
    for (size_t i = 0; i < n; i++) {
        Sleef_double_2 r = Sleef_cinz_sincosd1_u10purec(x[i]);
        s[i] = canon1(r.x);
        c[i] = canon1(r.y);
    }
}
static inline double log35x1(double x) { return canon1(Sleef_cinz_logd1_u35purec(x)); }
VM_MAP1(log35_base, log35x1)
static void sincos35_base(size_t n, const double *x, double *s, double *c) {
    for (size_t i = 0; i < n; i++) {
        Sleef_double_2 r = Sleef_cinz_sincosd1_u35purec(x[i]);
        s[i] = canon1(r.x);
        c[i] = canon1(r.y);
    }
}
#define VM_BASE_NAME "purec"
#endif

/* The fused draws on the baseline: the reference the vector paths are
 * tested against, so it spells out vmath.h's arithmetic in plain C over
 * chunks of VM_CHUNK lanes, with the array kernels above doing log and
 * sincos (their u35 forms) in stack buffers (their bits do not depend on
 * n, so neither do these).  x86-64 has no FMA, so nothing here can be contracted. */
#define VM_CHUNK 16
#define VM_TWO_PI 6.283185307179586

static inline double u01_52(uint32_t a, uint32_t b) {
    return ((double)((((uint64_t)a << 32) | b) >> 12) + 0.5) * 0x1p-52;
}
static inline double u01_32(uint32_t a) { return ((double)a + 0.5) * 0x1p-32; }

static void normals_base(uint64_t seed, uint32_t blk0, size_t count, size_t n,
                         const uint32_t *word1, const uint64_t *trial, double *out,
                         size_t stride) {
    uint32_t w[4 * VM_CHUNK];
    double r[VM_CHUNK], ang[VM_CHUNK], s[VM_CHUNK], c[VM_CHUNK];
    for (size_t i = 0; i < n; i += VM_CHUNK) {
        const size_t m = n - i < VM_CHUNK ? n - i : VM_CHUNK;
        for (size_t k = 0; k < count; k += 2) {
            philox_base(seed, blk0 + (uint32_t)(k / 2), m, word1 + i, trial + i, w);
            for (size_t j = 0; j < m; j++) {
                r[j] = u01_52(w[j], w[m + j]);
                ang[j] = VM_TWO_PI * u01_52(w[2 * m + j], w[3 * m + j]);
            }
            log35_base(m, r, r);
            sincos35_base(m, ang, s, c);
            double *zc = out + k * stride + i;
            for (size_t j = 0; j < m; j++) {
                r[j] = sqrt(-2.0 * r[j]);
                zc[j] = r[j] * c[j];
            }
            if (k + 1 < count)
                for (size_t j = 0; j < m; j++) zc[stride + j] = r[j] * s[j];
        }
    }
}

static void uniforms_base(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                          const uint64_t *trial, double *u, double *u2) {
    uint32_t w[4 * VM_CHUNK];
    for (size_t i = 0; i < n; i += VM_CHUNK) {
        const size_t m = n - i < VM_CHUNK ? n - i : VM_CHUNK;
        philox_base(seed, blk, m, word1 + i, trial + i, w);
        for (size_t j = 0; j < m; j++) u[i + j] = u01_52(w[j], w[m + j]);
        if (u2)
            for (size_t j = 0; j < m; j++) u2[i + j] = u01_52(w[2 * m + j], w[3 * m + j]);
    }
}

static void exponentials_base(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                              const uint64_t *trial, double *out) {
    uint32_t w[4 * VM_CHUNK];
    double x[VM_CHUNK];
    for (size_t i = 0; i < n; i += VM_CHUNK) {
        const size_t m = n - i < VM_CHUNK ? n - i : VM_CHUNK;
        philox_base(seed, blk, m, word1 + i, trial + i, w);
        for (size_t j = 0; j < m; j++) x[j] = u01_52(w[j], w[m + j]);
        log35_base(m, x, x);
        for (size_t j = 0; j < m; j++) out[i + j] = -x[j];
    }
}

static void gamma_mt_base(uint64_t seed, uint32_t blk, size_t n, const uint32_t *word1,
                          const uint64_t *trial, const double *a, double *out, uint8_t *ok) {
    uint32_t w[4 * VM_CHUNK];
    double lr[VM_CHUNK], ang[VM_CHUNK], s[VM_CHUNK], c[VM_CHUNK], lu[VM_CHUNK];
    double z[VM_CHUNK], v3[VM_CHUNK], lv3[VM_CHUNK];
    uint8_t pos[VM_CHUNK];
    for (size_t i = 0; i < n; i += VM_CHUNK) {
        const size_t m = n - i < VM_CHUNK ? n - i : VM_CHUNK;
        philox_base(seed, blk, m, word1 + i, trial + i, w);
        for (size_t j = 0; j < m; j++) {
            lr[j] = u01_52(w[j], w[m + j]);
            ang[j] = VM_TWO_PI * u01_32(w[2 * m + j]);
            lu[j] = u01_32(w[3 * m + j]);
        }
        log35_base(m, lr, lr);
        sincos35_base(m, ang, s, c);
        log35_base(m, lu, lu);
        for (size_t j = 0; j < m; j++) {
            const double dd = a[i + j] - 1.0 / 3.0, cc = 1.0 / sqrt(9.0 * dd);
            z[j] = sqrt(-2.0 * lr[j]) * c[j];
            const double v = 1.0 + cc * z[j];
            pos[j] = v > 0;
            v3[j] = v > 0 ? v * v * v : 1.0; /* its log unused where v <= 0 */
        }
        log35_base(m, v3, lv3);
        for (size_t j = 0; j < m; j++) {
            const double dd = a[i + j] - 1.0 / 3.0;
            const int acc = pos[j] && lu[j] < 0.5 * z[j] * z[j] + dd - dd * v3[j] + dd * lv3[j];
            ok[i + j] = (uint8_t)acc;
            if (acc) out[i + j] = dd * v3[j];
        }
    }
}

static const tyche_vm_ops base_ops = {
    VM_BASE_NAME,  philox_base,  exp_base,          log_base,     log1p_base, sincos_base,
    normals_base,  uniforms_base, exponentials_base, gamma_mt_base, log35_base, sincos35_base, TYCHE_VM_SSE2};

const tyche_vm_ops *tyche_vm_ops_of(tyche_vm_path p) {
    switch (p) {
    case TYCHE_VM_SSE2: return &base_ops;
#ifdef TYCHE_VM_X86
    /* __builtin_cpu_supports also checks that the OS saves the wide
     * registers (XCR0), so "avx512f" means usable, not just present. */
    case TYCHE_VM_AVX2: return __builtin_cpu_supports("avx2") ? &tyche_vm_avx2_ops : NULL;
    case TYCHE_VM_AVX512:
        return __builtin_cpu_supports("avx512f") ? &tyche_vm_avx512_ops : NULL;
#endif
    default: return NULL;
    }
}

/* The selected path, -1 until the first tyche_vm() or tyche_vm_select().
 * Choosing is idempotent, so two threads racing to choose store the same
 * value; the atomic only keeps the read and the write whole. */
static atomic_int selected = -1;

static int best_path(void) {
    for (int p = TYCHE_VM_NPATHS - 1; p > 0; p--)
        if (tyche_vm_ops_of((tyche_vm_path)p)) return p;
    return TYCHE_VM_SSE2;
}

const tyche_vm_ops *tyche_vm(void) {
    int p = atomic_load_explicit(&selected, memory_order_relaxed);
    if (p < 0) {
        p = best_path();
        atomic_store_explicit(&selected, p, memory_order_relaxed);
    }
    return tyche_vm_ops_of((tyche_vm_path)p);
}

void tyche_vm_available(char *buf, size_t len) {
    if (!buf || len == 0) return;
    buf[0] = '\0';
    size_t used = 0;
    for (int p = 0; p < TYCHE_VM_NPATHS; p++) {
        const tyche_vm_ops *o = tyche_vm_ops_of((tyche_vm_path)p);
        if (!o) continue;
        int k = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", o->name);
        if (k < 0 || (size_t)k >= len - used) return; /* truncated: buf stays terminated */
        used += (size_t)k;
    }
}

tyche_status tyche_vm_select(const char *name, tyche_err *err) {
    if (!name || !*name || strcmp(name, "auto") == 0) {
        atomic_store_explicit(&selected, best_path(), memory_order_relaxed);
        return TYCHE_OK;
    }
    static const char *const names[TYCHE_VM_NPATHS] = {VM_BASE_NAME, "avx2", "avx512"};
    char have[64];
    tyche_vm_available(have, sizeof have);
    for (int p = 0; p < TYCHE_VM_NPATHS; p++) {
        if (strcmp(name, names[p]) != 0) continue;
        if (!tyche_vm_ops_of((tyche_vm_path)p))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "TYCHE_VECTOR: this processor or build lacks the vector path "
                                 "\"%s\" (this machine has: %s)",
                                 name, have);
        atomic_store_explicit(&selected, p, memory_order_relaxed);
        return TYCHE_OK;
    }
    return tyche_err_set(err, TYCHE_EINPUT,
                         "TYCHE_VECTOR: unknown vector path \"%s\" (this machine has: %s)", name,
                         have);
}
