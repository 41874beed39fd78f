/* The vector kernels (src/vmath.h): every path's Philox equals Random123's
 * scalar one, every path's exp, log, log1p and sincos give the baseline's
 * bits for any n, offset and aliasing, the baseline is within 1 ulp of
 * glibc with C99's special values, and the path selection's errors. */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <Random123/philox.h>
#include "test.h"
#include "vmath.h"

static uint64_t sm_state;
static uint64_t splitmix(void) { /* a fixed-seed source of test inputs */
    uint64_t z = (sm_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static double unif(double a, double b) { return a + (b - a) * (double)(splitmix() >> 11) * 0x1p-53; }
static double from_bits(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}
static uint64_t to_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* The available paths, baseline first */
static int paths(const tyche_vm_ops *ops[TYCHE_VM_NPATHS]) {
    int k = 0;
    for (int p = 0; p < TYCHE_VM_NPATHS; p++)
        if (tyche_vm_ops_of((tyche_vm_path)p)) ops[k++] = tyche_vm_ops_of((tyche_vm_path)p);
    return k;
}

static int philox_matches(const tyche_vm_ops *o, size_t n) {
    uint32_t *w1 = malloc(n * sizeof *w1), *out = malloc(4 * n * sizeof *out);
    uint64_t *t = malloc(n * sizeof *t);
    int ok = w1 && out && t;
    const uint64_t seed = splitmix();
    const uint32_t blk = (uint32_t)splitmix();
    for (size_t i = 0; ok && i < n; i++) {
        w1[i] = (uint32_t)splitmix();
        t[i] = (i % 3 == 0) ? i : splitmix(); /* small trial numbers too */
    }
    if (ok) o->philox(seed, blk, n, w1, t, out);
    const philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    for (size_t i = 0; ok && i < n; i++) {
        philox4x32_ctr_t c = {{blk, w1[i], (uint32_t)t[i], (uint32_t)(t[i] >> 32)}};
        philox4x32_ctr_t r = philox4x32_R(10, c, k);
        for (int w = 0; w < 4; w++)
            if (out[(size_t)w * n + i] != r.v[w]) {
                fprintf(stderr, "%s philox n=%zu lane %zu word %d: %08x != %08x\n", o->name, n, i,
                        w, out[(size_t)w * n + i], r.v[w]);
                ok = 0;
                break;
            }
    }
    free(w1);
    free(out);
    free(t);
    return ok;
}

TEST(vm_philox_of_every_path_equals_random123_for_every_n) {
    const tyche_vm_ops *ops[TYCHE_VM_NPATHS];
    int np = paths(ops);
    sm_state = 20261201;
    for (int p = 0; p < np; p++) {
        for (size_t n = 1; n <= 37; n++)
            for (int rep = 0; rep < 4; rep++) ASSERT(philox_matches(ops[p], n));
        ASSERT(philox_matches(ops[p], 2048));
        ASSERT(philox_matches(ops[p], 2048 + 13));
    }
}

/* ~100k inputs: wide random ranges, the regions near each function's
 * difficulties, and the special values, in one array every function sees. */
enum { NX = 100000 };
static double *make_inputs(void) {
    double *x = malloc(NX * sizeof *x);
    if (!x) return NULL;
    static const double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, -NAN, 0x1p-1074,
                                     -0x1p-1074, 0x1p-1022, 0x0.fffffffffffffp-1022, 1.0, -1.0,
                                     -2.0, 0x1p1023, DBL_MAX, -DBL_MAX, 709.78, 709.79, -745.13,
                                     -745.14, -708.4, 1e-300, -1e-300, 0x1.fffffffffffffp-1,
                                     -0x1.fffffffffffffp-1, 3.141592653589793, 1e22, -1e22};
    const int ns = (int)(sizeof special / sizeof *special);
    sm_state = 777;
    for (int i = 0; i < NX; i++) {
        double v;
        switch (i % 10) {
        case 0: v = unif(-745, 710); break;
        case 1: v = unif(-50, 50); break;
        case 2: /* positive, any exponent 2^-1074..2^1023, denormals included */
            v = from_bits(splitmix() % 0x7FF0000000000000ULL);
            break;
        case 3: v = 1.0 + unif(-1e-3, 1e-3); break;
        case 4: v = 1.0 + (double)((int64_t)(splitmix() % 201) - 100) * 0x1p-52; break;
        case 5: v = -1.0 + unif(0, 1e-3) * (i & 1 ? 1.0 : 1e-10); break;
        case 6: v = (i & 1 ? 1 : -1) * ldexp(unif(1, 2), -(int)(splitmix() % 1070)); break;
        case 7: v = unif(-1e4, 1e4); break;
        case 8: v = unif(-1e15, 1e15); break;
        default: v = (i / 10) % 50 < ns ? special[(i / 10) % 50] : unif(-3.2, 3.2); break;
        }
        x[i] = v;
    }
    return x;
}

typedef void (*vm_map)(size_t, const double *, double *);
static vm_map map_of(const tyche_vm_ops *o, int f) {
    return f == 0 ? o->exp : f == 1 ? o->log : o->log1p;
}
static const char *const fname[] = {"exp", "log", "log1p", "sin", "cos"};

/* f in 0..4 (exp, log, log1p, sin, cos) of x[0..n) into y, from path o;
 * sin and cos by one sincos, with the other output in `other`. */
static void apply(const tyche_vm_ops *o, int f, size_t n, const double *x, double *y,
                  double *other) {
    if (f < 3) map_of(o, f)(n, x, y);
    else if (f == 3) o->sincos(n, x, y, other);
    else o->sincos(n, x, other, y);
}

static int same_bits(const double *a, const double *b, size_t n, const char *what,
                     const char *path, int f, size_t at) {
    if (memcmp(a, b, n * sizeof *a) == 0) return 1;
    for (size_t i = 0; i < n; i++)
        if (to_bits(a[i]) != to_bits(b[i])) {
            fprintf(stderr, "%s %s %s at %zu+%zu: %a != %a\n", path, fname[f], what, at, i, a[i],
                    b[i]);
            break;
        }
    return 0;
}

TEST(vm_every_path_gives_the_baseline_bits_for_any_n_offset_and_aliasing) {
    const tyche_vm_ops *ops[TYCHE_VM_NPATHS];
    int np = paths(ops);
    double *x = make_inputs(), *ref = malloc((NX + 64) * sizeof *ref),
           *y = malloc((NX + 64) * sizeof *y), *z = malloc((NX + 64) * sizeof *z);
    ASSERT(x && ref && y && z);
    for (int f = 0; f < 5; f++) {
        apply(ops[0], f, NX, x, ref, z);
        for (int p = 0; p < np; p++) { /* the baseline too: its own tails */
            const char *nm = ops[p]->name;
            /* short arrays at shifting offsets: every tail length */
            for (size_t n = 1; n <= 37; n++)
                for (size_t at = n; at + n <= NX; at += 997 + n) {
                    apply(ops[p], f, n, x + at, y + 3, z);
                    if (!same_bits(y + 3, ref + at, n, "short", nm, f, at)) goto fail;
                }
            /* the whole array from an odd offset, into an odd offset */
            for (size_t off = 1; off <= 3; off += 2) {
                apply(ops[p], f, NX - off, x + off, y + off + 2, z + 5);
                if (!same_bits(y + off + 2, ref + off, NX - off, "large", nm, f, off)) goto fail;
            }
            /* in place: y == x */
            memcpy(y + 1, x + 1, (NX - 1) * sizeof *y);
            apply(ops[p], f, NX - 1, y + 1, y + 1, z);
            if (!same_bits(y + 1, ref + 1, NX - 1, "in place", nm, f, 1)) goto fail;
        }
    }
    free(x), free(ref), free(y), free(z);
    return;
fail:
    free(x), free(ref), free(y), free(z);
    FAIL_("a path's bits differ from the baseline's (above)");
}

/* The distance in ulps of two finite doubles (on the ordered integer line,
 * so it is right across zero and between binades). */
static double ulps(double a, double b) {
    int64_t ia = (int64_t)to_bits(a), ib = (int64_t)to_bits(b);
    if (ia < 0) ia = INT64_MIN - ia;
    if (ib < 0) ib = INT64_MIN - ib;
    uint64_t d = ia > ib ? (uint64_t)ia - (uint64_t)ib : (uint64_t)ib - (uint64_t)ia;
    return (double)d; /* exact while it matters (small) */
}

TEST(vm_baseline_is_within_one_ulp_of_glibc) {
    const tyche_vm_ops *base = tyche_vm_ops_of(TYCHE_VM_SSE2);
    double *x = make_inputs(), *y = malloc(NX * sizeof *y), *z = malloc(NX * sizeof *z);
    ASSERT(x && y && z);
    double worst[5] = {0};
    size_t bad = 0, checked[5] = {0};
    for (int f = 0; f < 5; f++) {
        apply(base, f, NX, x, y, z);
        for (size_t i = 0; i < NX; i++) {
            if ((f >= 3) && !(fabs(x[i]) < 1e4)) continue;
            double want = f == 0 ? exp(x[i]) : f == 1 ? log(x[i]) : f == 2 ? log1p(x[i])
                        : f == 3 ? sin(x[i]) : cos(x[i]);
            double d;
            if (isnan(want) || isnan(y[i])) d = isnan(want) && isnan(y[i]) ? 0 : INFINITY;
            else if (isinf(want) || isinf(y[i])) d = want == y[i] ? 0 : INFINITY;
            else d = ulps(y[i], want);
            checked[f]++;
            if (d > worst[f]) worst[f] = d;
            if (d > 1 && bad++ < 10)
                fprintf(stderr, "%s(%a) = %a, glibc %a (%.0f ulp)\n", fname[f], x[i], y[i], want,
                        d);
        }
    }
    for (int f = 0; f < 5; f++)
        fprintf(stderr, "  %s: %zu inputs, at most %.0f ulp from glibc\n", fname[f], checked[f],
                worst[f]);
    free(x), free(y), free(z);
    ASSERT_INT_EQ(bad, 0);
}

/* C99 Annex F's special values, through every path */
TEST(vm_special_values_are_c99s) {
    const tyche_vm_ops *ops[TYCHE_VM_NPATHS];
    int np = paths(ops);
    struct { int f; double x, want; } cases[] = {
        {0, -INFINITY, 0.0}, {0, INFINITY, INFINITY}, {0, 0.0, 1.0}, {0, -0.0, 1.0},
        {0, NAN, NAN}, {0, 1000.0, INFINITY}, {0, -1000.0, 0.0},
        {1, 0.0, -INFINITY}, {1, -0.0, -INFINITY}, {1, -1.0, NAN}, {1, 1.0, 0.0},
        {1, INFINITY, INFINITY}, {1, -INFINITY, NAN}, {1, NAN, NAN},
        {2, -1.0, -INFINITY}, {2, -2.0, NAN}, {2, 0.0, 0.0}, {2, -0.0, -0.0},
        {2, INFINITY, INFINITY}, {2, NAN, NAN},
        {3, 0.0, 0.0}, {3, -0.0, -0.0}, {3, INFINITY, NAN}, {3, -INFINITY, NAN}, {3, NAN, NAN},
        {4, 0.0, 1.0}, {4, -0.0, 1.0}, {4, INFINITY, NAN}, {4, NAN, NAN},
    };
    for (int p = 0; p < np; p++)
        for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
            double y, other;
            apply(ops[p], cases[k].f, 1, &cases[k].x, &y, &other);
            double w = cases[k].want;
            int ok = isnan(w) ? isnan(y) : (y == w && signbit(y) == signbit(w));
            if (!ok)
                FAIL_("%s %s(%g) = %g, C99 says %g", ops[p]->name, fname[cases[k].f], cases[k].x,
                      y, w);
        }
}

static void check_select(void) {
    tyche_err err;
    const char *base = tyche_vm_ops_of(TYCHE_VM_SSE2)->name;
    ASSERT_INT_EQ(tyche_vm_select(base, &err), TYCHE_OK);
    ASSERT_STR_EQ(tyche_vm()->name, base);
    ASSERT_INT_EQ(tyche_vm_select("avx1024", &err), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "TYCHE_VECTOR");
    ASSERT_STR_CONTAINS(err.msg, "avx1024");
    ASSERT_STR_CONTAINS(err.msg, base); /* names what the machine has */
    ASSERT_INT_EQ(tyche_vm_select("bogus", NULL), TYCHE_EINPUT); /* err may be NULL */
    ASSERT_STR_EQ(tyche_vm()->name, base);                       /* a refusal changes nothing */
    int has_avx2 = 0, has_avx512 = 0;
#if defined(__x86_64__)
    has_avx2 = __builtin_cpu_supports("avx2") != 0;
    has_avx512 = __builtin_cpu_supports("avx512f") != 0;
#endif
    const char *names[2] = {"avx2", "avx512"};
    int has[2] = {has_avx2, has_avx512};
    for (int k = 0; k < 2; k++) {
        tyche_status s = tyche_vm_select(names[k], &err);
        if (has[k]) {
            ASSERT_INT_EQ(s, TYCHE_OK);
            ASSERT_STR_EQ(tyche_vm()->name, names[k]);
        } else {
            ASSERT_INT_EQ(s, TYCHE_EINPUT);
            ASSERT_STR_CONTAINS(err.msg, "TYCHE_VECTOR");
            ASSERT(tyche_vm_ops_of(k ? TYCHE_VM_AVX512 : TYCHE_VM_AVX2) == NULL);
        }
    }
    char avail[64];
    tyche_vm_available(avail, sizeof avail);
    ASSERT_INT_EQ(strstr(avail, "avx2") != NULL, has_avx2);
    ASSERT_INT_EQ(strstr(avail, "avx512") != NULL, has_avx512);
    /* the best available, again, for the tests that follow */
    ASSERT_INT_EQ(tyche_vm_select("auto", &err), TYCHE_OK);
    ASSERT_STR_EQ(tyche_vm()->name, has_avx512 ? "avx512" : has_avx2 ? "avx2" : base);
    ASSERT_INT_EQ(tyche_vm_select("", &err), TYCHE_OK);
    ASSERT_INT_EQ(tyche_vm_select(NULL, &err), TYCHE_OK);
    ASSERT_STR_EQ(tyche_vm()->name, has_avx512 ? "avx512" : has_avx2 ? "avx2" : base);
}

TEST(vm_select_takes_the_paths_the_processor_has_and_names_the_variable) {
    check_select();
    tyche_vm_select("auto", NULL); /* even when a check above failed */
}

/* ---- The fused draws (vmath.h: normals, uniforms, exponentials, gamma_mt) ----
 * An independent reference: Random123's scalar Philox, u01 written out
 * here, and the baseline's array kernels for log and sincos, combined by
 * vmath.h's formulas.  Outputs start as a fill pattern, so a kernel that
 * writes where it must not (a stride's gap, the sin of an odd count's last
 * block, a rejected gamma) differs too. */
#define REF_TWO_PI 6.283185307179586
#define FILL_BYTE 0xA5

static double ref_u01(uint32_t a, uint32_t b) {
    return ((double)((((uint64_t)a << 32) | b) >> 12) + 0.5) * 0x1p-52;
}
static double ref_u32(uint32_t a) { return ((double)a + 0.5) * 0x1p-32; }

typedef struct {
    size_t n, count, stride;
    uint64_t seed;
    uint32_t blk;
    uint32_t *w1;
    uint64_t *t;
    double *a; /* gamma shapes */
} fcase;

/* lane words of n lanes: word1 as draws.h builds it (stream | redraw << 16)
 * or any 32 bits; trials small, huge or any */
static void fill_case(fcase *c, size_t n, size_t count, size_t stride) {
    c->n = n, c->count = count, c->stride = stride;
    c->seed = splitmix();
    c->blk = (uint32_t)(splitmix() % 3 == 0 ? splitmix() % 64 : splitmix());
    for (size_t i = 0; i < n; i++) {
        c->w1[i] = (uint32_t)splitmix();
        const uint64_t r = splitmix();
        c->t[i] = r % 4 == 0 ? i : r % 4 == 1 ? r >> 40 : splitmix();
        const double u = unif(0, 1);
        c->a[i] = i % 7 == 0 ? 1.0 : i % 7 == 1 ? 1.0 + u * 1e-6 : i % 7 == 2 ? pow(1000.0, u)
                : 1.0 + 999.0 * u;
    }
}

/* Philox words w[4 * n]: word w of lane i at w[w * n + i] */
static void ref_words(const fcase *c, uint32_t blk, uint32_t *w) {
    const philox4x32_key_t k = {{(uint32_t)c->seed, (uint32_t)(c->seed >> 32)}};
    for (size_t i = 0; i < c->n; i++) {
        philox4x32_ctr_t ctr = {{blk, c->w1[i], (uint32_t)c->t[i], (uint32_t)(c->t[i] >> 32)}};
        philox4x32_ctr_t o = philox4x32_R(10, ctr, k);
        for (int j = 0; j < 4; j++) w[(size_t)j * c->n + i] = o.v[j];
    }
}

/* scratch for the reference: 4n words and 6 arrays of n doubles */
typedef struct {
    uint32_t *w;
    double *x, *y, *s, *co, *z, *v3;
} refbuf;

static void ref_normals(const tyche_vm_ops *b, const fcase *c, refbuf *R, double *out) {
    const size_t n = c->n;
    for (size_t k = 0; k < c->count; k += 2) {
        ref_words(c, c->blk + (uint32_t)(k / 2), R->w);
        for (size_t i = 0; i < n; i++) {
            R->x[i] = ref_u01(R->w[i], R->w[n + i]);
            R->y[i] = REF_TWO_PI * ref_u01(R->w[2 * n + i], R->w[3 * n + i]);
        }
        b->log35(n, R->x, R->x);
        b->sincos35(n, R->y, R->s, R->co);
        for (size_t i = 0; i < n; i++) {
            const double r = sqrt(-2.0 * R->x[i]);
            out[k * c->stride + i] = r * R->co[i];
            if (k + 1 < c->count) out[(k + 1) * c->stride + i] = r * R->s[i];
        }
    }
}

static void ref_uniforms(const fcase *c, refbuf *R, double *u, double *u2) {
    const size_t n = c->n;
    ref_words(c, c->blk, R->w);
    for (size_t i = 0; i < n; i++) {
        u[i] = ref_u01(R->w[i], R->w[n + i]);
        if (u2) u2[i] = ref_u01(R->w[2 * n + i], R->w[3 * n + i]);
    }
}

static void ref_exponentials(const tyche_vm_ops *b, const fcase *c, refbuf *R, double *out) {
    ref_uniforms(c, R, R->x, NULL);
    b->log35(c->n, R->x, R->x);
    for (size_t i = 0; i < c->n; i++) out[i] = -R->x[i];
}

static void ref_gamma(const tyche_vm_ops *b, const fcase *c, refbuf *R, double *out,
                      uint8_t *ok) {
    const size_t n = c->n;
    ref_words(c, c->blk, R->w);
    for (size_t i = 0; i < n; i++) {
        R->x[i] = ref_u01(R->w[i], R->w[n + i]);
        R->y[i] = REF_TWO_PI * ref_u32(R->w[2 * n + i]);
    }
    b->log35(n, R->x, R->x);
    b->sincos35(n, R->y, R->s, R->co);
    for (size_t i = 0; i < n; i++) {
        const double dd = c->a[i] - 1.0 / 3.0, cc = 1.0 / sqrt(9.0 * dd);
        R->z[i] = sqrt(-2.0 * R->x[i]) * R->co[i];
        const double v = 1.0 + cc * R->z[i];
        R->v3[i] = v > 0 ? v * v * v : 1.0;
        R->s[i] = v > 0; /* reused: v > 0 */
        R->y[i] = ref_u32(R->w[3 * n + i]);
    }
    b->log35(n, R->y, R->y);   /* log u */
    b->log35(n, R->v3, R->x);  /* log v^3 */
    for (size_t i = 0; i < n; i++) {
        const double dd = c->a[i] - 1.0 / 3.0, z = R->z[i], v3 = R->v3[i];
        const double rhs = ((0.5 * z * z + dd) - dd * v3) + dd * R->x[i];
        ok[i] = R->s[i] != 0 && R->y[i] < rhs;
        if (ok[i]) out[i] = dd * v3;
    }
}

/* The largest case: n lanes, count normals, stride */
enum { FN_MAX = 6000, FC_MAX = 9, FS_PAD = 7 };
typedef struct {
    fcase c;
    refbuf R;
    double *ref, *got, *ref2, *got2;
    uint8_t *okr, *okg;
    size_t outlen; /* doubles in ref/got */
} fbufs;

static int fbufs_alloc(fbufs *F) {
    memset(F, 0, sizeof *F);
    F->c.w1 = malloc(FN_MAX * sizeof *F->c.w1);
    F->c.t = malloc(FN_MAX * sizeof *F->c.t);
    F->c.a = malloc(FN_MAX * sizeof *F->c.a);
    F->R.w = malloc(4 * FN_MAX * sizeof *F->R.w);
    double **d[] = {&F->R.x, &F->R.y, &F->R.s, &F->R.co, &F->R.z, &F->R.v3};
    for (int k = 0; k < 6; k++) *d[k] = malloc(FN_MAX * sizeof(double));
    F->outlen = (size_t)FC_MAX * (FN_MAX + FS_PAD) + 8;
    F->ref = malloc(F->outlen * sizeof *F->ref);
    F->got = malloc(F->outlen * sizeof *F->got);
    F->ref2 = malloc(F->outlen * sizeof *F->ref2);
    F->got2 = malloc(F->outlen * sizeof *F->got2);
    F->okr = malloc(FN_MAX + 8);
    F->okg = malloc(FN_MAX + 8);
    int ok = F->c.w1 && F->c.t && F->c.a && F->R.w && F->ref && F->got && F->ref2 && F->got2 &&
             F->okr && F->okg;
    for (int k = 0; k < 6; k++) ok = ok && *d[k];
    return ok;
}
static void fbufs_free(fbufs *F) {
    free(F->c.w1), free(F->c.t), free(F->c.a), free(F->R.w);
    free(F->R.x), free(F->R.y), free(F->R.s), free(F->R.co), free(F->R.z), free(F->R.v3);
    free(F->ref), free(F->got), free(F->ref2), free(F->got2), free(F->okr), free(F->okg);
}
static void fill_out(fbufs *F) {
    memset(F->ref, FILL_BYTE, F->outlen * sizeof *F->ref);
    memset(F->got, FILL_BYTE, F->outlen * sizeof *F->got);
    memset(F->ref2, FILL_BYTE, F->outlen * sizeof *F->ref2);
    memset(F->got2, FILL_BYTE, F->outlen * sizeof *F->got2);
    memset(F->okr, FILL_BYTE, FN_MAX + 8);
    memset(F->okg, FILL_BYTE, FN_MAX + 8);
}

/* got == want, bit for bit; on a difference, its place (normal i / stride,
 * lane i % stride where stride is not 0) */
static int same_out(const double *got, const double *want, size_t len, size_t stride,
                    const char *path, const char *what, const fcase *c) {
    if (memcmp(got, want, len * sizeof *got) == 0) return 1;
    for (size_t i = 0; i < len; i++)
        if (to_bits(got[i]) != to_bits(want[i])) {
            fprintf(stderr, "%s %s n=%zu count=%zu stride=%zu blk=%u: at %zu", path, what, c->n,
                    c->count, c->stride, c->blk, i);
            if (stride) fprintf(stderr, " (normal %zu lane %zu)", i / stride, i % stride);
            fprintf(stderr, ": %a != %a\n", got[i], want[i]);
            break;
        }
    return 0;
}

/* Path o's four fused kernels against the reference on F->c, each output
 * compared in full (with its fill) */
static int fused_match_ref(const tyche_vm_ops *o, const tyche_vm_ops *b, fbufs *F,
                           size_t *n_acc, size_t *n_rej) {
    const fcase *c = &F->c;
    const size_t n = c->n, len = c->count * c->stride + 8;
    fill_out(F);
    ref_normals(b, c, &F->R, F->ref);
    o->normals(c->seed, c->blk, c->count, n, c->w1, c->t, F->got, c->stride);
    if (!same_out(F->got, F->ref, len, c->stride, o->name, "normals", c)) return 0;

    fill_out(F);
    ref_uniforms(c, &F->R, F->ref, F->ref2);
    o->uniforms(c->seed, c->blk, n, c->w1, c->t, F->got, F->got2);
    if (!same_out(F->got, F->ref, n + 8, 0, o->name, "uniforms u", c)) return 0;
    if (!same_out(F->got2, F->ref2, n + 8, 0, o->name, "uniforms u2", c)) return 0;
    fill_out(F);
    o->uniforms(c->seed, c->blk, n, c->w1, c->t, F->got, NULL);
    ref_uniforms(c, &F->R, F->ref, NULL);
    if (!same_out(F->got, F->ref, n + 8, 0, o->name, "uniforms (u2 NULL)", c)) return 0;

    fill_out(F);
    ref_exponentials(b, c, &F->R, F->ref);
    o->exponentials(c->seed, c->blk, n, c->w1, c->t, F->got);
    if (!same_out(F->got, F->ref, n + 8, 0, o->name, "exponentials", c)) return 0;

    fill_out(F);
    ref_gamma(b, c, &F->R, F->ref, F->okr);
    o->gamma_mt(c->seed, c->blk, n, c->w1, c->t, c->a, F->got, F->okg);
    if (!same_out(F->got, F->ref, n + 8, 0, o->name, "gamma_mt out", c)) return 0;
    if (memcmp(F->okg, F->okr, n + 8) != 0) {
        for (size_t i = 0; i < n + 8; i++)
            if (F->okg[i] != F->okr[i]) {
                fprintf(stderr, "%s gamma_mt ok n=%zu lane %zu: %d != %d\n", o->name, n, i,
                        F->okg[i], F->okr[i]);
                break;
            }
        return 0;
    }
    for (size_t i = 0; i < n; i++) (F->okr[i] ? n_acc : n_rej)[0]++;
    return 1;
}

TEST(vm_fused_draws_of_every_path_equal_a_scalar_reference) {
    const tyche_vm_ops *ops[TYCHE_VM_NPATHS];
    const int np = paths(ops);
    fbufs F;
    ASSERT(fbufs_alloc(&F));
    sm_state = 20261202;
    size_t acc = 0, rej = 0;
    int good = 1;
    for (int p = 0; good && p < np; p++)
        for (size_t n = 1; good && n <= 38; n++) {
            const size_t nn = n == 38 ? 256 : n; /* 1 .. 37, then 256 */
            for (int rep = 0; good && rep < 6; rep++) {
                static const size_t counts[] = {1, 2, 3, 5, 8, 9};
                fill_case(&F.c, nn, counts[rep], nn + 1 + (size_t)rep % FS_PAD);
                if (rep == 5) F.c.blk = 0xFFFFFFFEu; /* blk0 + k / 2 wraps */
                good = fused_match_ref(ops[p], ops[0], &F, &acc, &rej);
            }
        }
    fbufs_free(&F);
    ASSERT(good);
    /* both outcomes of the attempt were seen, so "untouched" was tested */
    ASSERT(acc > 0 && rej > 0);
}

TEST(vm_fused_draws_of_every_path_give_the_baseline_bits_on_large_inputs) {
    const tyche_vm_ops *ops[TYCHE_VM_NPATHS];
    const int np = paths(ops);
    fbufs F;
    ASSERT(fbufs_alloc(&F));
    sm_state = 20261203;
    int good = 1;
    static const size_t ns[] = {256, 256, 256, 4099, FN_MAX - 1};
    for (size_t q = 0; good && q < sizeof ns / sizeof *ns; q++) {
        fill_case(&F.c, ns[q], q % 2 ? FC_MAX : FC_MAX - 1, ns[q] + 3);
        fcase *c = &F.c;
        const size_t n = c->n, len = c->count * c->stride;
        fill_out(&F);
        ops[0]->normals(c->seed, c->blk, c->count, n, c->w1, c->t, F.ref, c->stride);
        ops[0]->uniforms(c->seed, c->blk, n, c->w1, c->t, F.ref2, F.ref2 + n);
        ops[0]->exponentials(c->seed, c->blk, n, c->w1, c->t, F.ref2 + 2 * n);
        ops[0]->gamma_mt(c->seed, c->blk, n, c->w1, c->t, c->a, F.ref2 + 3 * n, F.okr);
        for (int p = 1; good && p < np; p++) {
            const tyche_vm_ops *o = ops[p];
            memset(F.got, FILL_BYTE, F.outlen * sizeof *F.got);
            memset(F.got2, FILL_BYTE, F.outlen * sizeof *F.got2);
            memset(F.okg, FILL_BYTE, FN_MAX + 8);
            o->normals(c->seed, c->blk, c->count, n, c->w1, c->t, F.got, c->stride);
            o->uniforms(c->seed, c->blk, n, c->w1, c->t, F.got2, F.got2 + n);
            o->exponentials(c->seed, c->blk, n, c->w1, c->t, F.got2 + 2 * n);
            o->gamma_mt(c->seed, c->blk, n, c->w1, c->t, c->a, F.got2 + 3 * n, F.okg);
            good = same_out(F.got, F.ref, len + 8, c->stride, o->name, "normals", c) &&
                   same_out(F.got2, F.ref2, 4 * n + 8, 0, o->name, "uniforms/exp/gamma", c) &&
                   memcmp(F.okg, F.okr, n + 8) == 0;
        }
    }
    fbufs_free(&F);
    ASSERT(good);
}

TEST(vm_fused_normals_have_mean_0_and_variance_1) {
    const tyche_vm_ops *ops[TYCHE_VM_NPATHS];
    const int np = paths(ops);
    enum { N = 256, C = 40, REPS = 10 };
    uint32_t w1[N];
    uint64_t t[N];
    double *z = malloc((size_t)C * N * sizeof *z);
    ASSERT(z);
    for (int p = 0; p < np; p++) {
        sm_state = 4242;
        for (size_t i = 0; i < N; i++) w1[i] = (uint32_t)(i % 5), t[i] = splitmix() >> 20;
        double s = 0, s2 = 0;
        const double cnt = (double)C * N * REPS;
        for (int rep = 0; rep < REPS; rep++) { /* disjoint blocks */
            ops[p]->normals(12345, (uint32_t)rep * (C / 2), C, N, w1, t, z, N);
            for (size_t i = 0; i < (size_t)C * N; i++) s += z[i], s2 += z[i] * z[i];
        }
        const double mean = s / cnt, var = s2 / cnt - mean * mean;
        if (!(fabs(mean) < 4 / sqrt(cnt) && fabs(var - 1) < 4 * sqrt(2 / cnt))) {
            free(z);
            FAIL_("%s normals (seed 12345): mean %g, variance %g over %.0f draws", ops[p]->name,
                  mean, var, cnt);
        }
    }
    free(z);
}
