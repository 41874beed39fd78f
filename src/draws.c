/* Draws for a block of trials (the layout is in draws.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "draws.h"
#include "tyche/rng.h"

struct tyche_draws {
    uint64_t seed;
    const tyche_vm_ops *vm;
    gsl_rng *gsl;       /* NULL: Philox through the vector kernels */
    size_t n_max;
    uint32_t *w1;       /* per lane: counter word 1 (stream | redraw << 16) */
    uint32_t *words;    /* 4 n_max words: one block for every lane */
    double *a, *b, *c, *e; /* n_max doubles each */
    uint8_t *ok;        /* n_max: a gamma attempt accepted */
    /* the lanes a gamma attempt rejected, for the next attempt together:
     * their trials, redraws, places, shapes, draws and acceptances */
    uint64_t *rt;
    uint32_t *rr;
    size_t *ri;
    double *ra, *rg;
    uint8_t *rok;
};

#define TWO_PI 6.283185307179586476925286766559

static uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void tyche_draws_free(tyche_draws *d) {
    if (d == NULL) return;
    if (d->gsl) gsl_rng_free(d->gsl);
    free(d->w1);
    free(d->words);
    free(d->a);
    free(d->b);
    free(d->c);
    free(d->e);
    free(d->ok);
    free(d->rt);
    free(d->rr);
    free(d->ri);
    free(d->ra);
    free(d->rg);
    free(d->rok);
    free(d);
}

tyche_draws *tyche_draws_alloc(const char *rng, uint64_t seed, size_t n_max, tyche_err *err) {
    const gsl_rng_type *type = NULL;
    if (rng != NULL && strcmp(rng, "philox") != 0 && strcmp(rng, "philox4x32_10") != 0) {
        for (const gsl_rng_type **t = gsl_rng_types_setup(); *t; t++)
            if (strcmp((*t)->name, rng) == 0) type = *t;
        if (type == NULL) {
            char known[4096];
            tyche_rng_list(known, sizeof known);
            tyche_err_set(err, TYCHE_EINPUT, "--rng: unknown generator \"%s\" (known: %s)", rng,
                          known);
            return NULL;
        }
    }
    tyche_draws *d = tyche_calloc(1, sizeof *d);
    if (d == NULL) goto nomem;
    d->seed = seed;
    d->vm = tyche_vm();
    d->n_max = n_max ? n_max : 1;
    if (type && (d->gsl = gsl_rng_alloc(type)) == NULL) goto nomem;
    d->w1 = tyche_malloc(d->n_max * sizeof *d->w1);
    d->words = tyche_malloc(4 * d->n_max * sizeof *d->words);
    d->a = tyche_malloc(d->n_max * sizeof *d->a);
    d->b = tyche_malloc(d->n_max * sizeof *d->b);
    d->c = tyche_malloc(d->n_max * sizeof *d->c);
    d->e = tyche_malloc(d->n_max * sizeof *d->e);
    d->ok = tyche_malloc(d->n_max);
    d->rt = tyche_malloc(d->n_max * sizeof *d->rt);
    d->rr = tyche_malloc(d->n_max * sizeof *d->rr);
    d->ri = tyche_malloc(d->n_max * sizeof *d->ri);
    d->ra = tyche_malloc(d->n_max * sizeof *d->ra);
    d->rg = tyche_malloc(d->n_max * sizeof *d->rg);
    d->rok = tyche_malloc(d->n_max);
    if (!d->w1 || !d->words || !d->a || !d->b || !d->c || !d->e || !d->ok || !d->rt || !d->rr ||
        !d->ri || !d->ra || !d->rg || !d->rok)
        goto nomem;
    return d;
nomem:
    tyche_draws_free(d);
    tyche_err_set(err, TYCHE_ENOMEM, "out of memory allocating a thread's random streams");
    return NULL;
}

const tyche_vm_ops *tyche_draws_vm(const tyche_draws *d) { return d->vm; }

const char *tyche_vector_path(void) { return tyche_vm()->name; }

tyche_status tyche_vector_select(const char *name, tyche_err *err) {
    return tyche_vm_select(name, err);
}

/* Counter word 1 of every lane: the stream and the lane's redraw. */
static void set_word1(tyche_draws *d, const tyche_lanes *L, uint32_t stream) {
    for (size_t i = 0; i < L->n; i++) d->w1[i] = (stream & 0xffffu) | (L->redraw[i] << 16);
}

/* One block of every lane into out[w * n + i] (n <= n_max), from the GSL
 * generator (Philox goes through the fused kernels instead): re-seeded per
 * block from a hash of its address, reproducible but with no guarantee
 * against overlap (rng.h). */
static void gsl_block_words(tyche_draws *d, const tyche_lanes *L, uint32_t stream, uint32_t blk,
                            uint32_t *out) {
    const size_t n = L->n;
    set_word1(d, L, stream);
    for (size_t i = 0; i < n; i++) {
        const uint64_t h = mix64(d->seed ^ mix64(L->trial[i] ^ mix64(((uint64_t)blk << 32) | d->w1[i])));
        gsl_rng_set(d->gsl, (unsigned long)h);
        for (int w = 0; w < 4; w++)
            out[(size_t)w * n + i] = (uint32_t)(gsl_rng_uniform(d->gsl) * 4294967296.0);
    }
}

void tyche_draws_uniform(tyche_draws *d, const tyche_lanes *L, uint32_t stream, uint32_t blk,
                         double *u, double *u2) {
    const size_t n = L->n;
    if (d->gsl == NULL) {
        set_word1(d, L, stream);
        d->vm->uniforms(d->seed, blk, n, d->w1, L->trial, u, u2);
        return;
    }
    gsl_block_words(d, L, stream, blk, d->words);
    const uint32_t *w = d->words;
    for (size_t i = 0; i < n; i++) u[i] = tyche_u01(w[i], w[n + i]);
    if (u2)
        for (size_t i = 0; i < n; i++) u2[i] = tyche_u01(w[2 * n + i], w[3 * n + i]);
}

/* The Box-Muller pair of block blk: cos half to zc, sin half to zs (either NULL). */
static void normal_pair(tyche_draws *d, const tyche_lanes *L, uint32_t stream, uint32_t blk,
                        double *zc, double *zs) {
    const size_t n = L->n;
    gsl_block_words(d, L, stream, blk, d->words);
    const uint32_t *w = d->words;
    double *r = d->a, *ang = d->b, *s = d->c, *c = d->e;
    for (size_t i = 0; i < n; i++) {
        r[i] = tyche_u01(w[i], w[n + i]);
        ang[i] = TWO_PI * tyche_u01(w[2 * n + i], w[3 * n + i]);
    }
    d->vm->log(n, r, r);
    d->vm->sincos(n, ang, s, c);
    for (size_t i = 0; i < n; i++) r[i] = sqrt(-2.0 * r[i]);
    if (zc)
        for (size_t i = 0; i < n; i++) zc[i] = r[i] * c[i];
    if (zs)
        for (size_t i = 0; i < n; i++) zs[i] = r[i] * s[i];
}

void tyche_draws_normals(tyche_draws *d, const tyche_lanes *L, uint32_t stream, size_t count,
                         double *out, size_t stride) {
    if (d->gsl == NULL) {
        set_word1(d, L, stream);
        d->vm->normals(d->seed, 0, count, L->n, d->w1, L->trial, out, stride);
        return;
    }
    for (size_t k = 0; k < count; k += 2)
        normal_pair(d, L, stream, (uint32_t)(k / 2), out + k * stride,
                    k + 1 < count ? out + (k + 1) * stride : NULL);
}

void tyche_draws_exponential(tyche_draws *d, const tyche_lanes *L, uint32_t stream, uint32_t blk,
                             double *out) {
    if (d->gsl == NULL) {
        set_word1(d, L, stream);
        d->vm->exponentials(d->seed, blk, L->n, d->w1, L->trial, out);
        return;
    }
    tyche_draws_uniform(d, L, stream, blk, out, NULL);
    d->vm->log(L->n, out, out);
    for (size_t i = 0; i < L->n; i++) out[i] = -out[i];
}

/* One Marsaglia-Tsang attempt in block blk for every lane, at shape a[i]
 * >= 1: out[i] and ok[i] = 1 where it is accepted. */
static void gamma_attempt(tyche_draws *d, const tyche_lanes *L, uint32_t stream, uint32_t blk,
                          const double *a, double *out, uint8_t *ok) {
    const size_t n = L->n;
    if (d->gsl == NULL) {
        set_word1(d, L, stream);
        d->vm->gamma_mt(d->seed, blk, n, d->w1, L->trial, a, out, ok);
        return;
    }
    gsl_block_words(d, L, stream, blk, d->words);
    const uint32_t *w = d->words;
    double *lr = d->a, *ang = d->b, *s = d->c, *c = d->e;
    for (size_t i = 0; i < n; i++) {
        lr[i] = tyche_u01(w[i], w[n + i]);
        ang[i] = TWO_PI * (((double)w[2 * n + i] + 0.5) * 0x1.0p-32);
    }
    d->vm->log(n, lr, lr);
    d->vm->sincos(n, ang, s, c);
    /* z to c; v^3 to s (where v > 0, else 1: its log is then unused); log u to ang */
    for (size_t i = 0; i < n; i++) {
        const double dd = a[i] - 1.0 / 3.0, cc = 1.0 / sqrt(9.0 * dd);
        const double z = sqrt(-2.0 * lr[i]) * c[i];
        const double v = 1.0 + cc * z;
        c[i] = z;
        s[i] = v > 0 ? v * v * v : 1.0;
        ok[i] = v > 0;
        ang[i] = ((double)w[3 * n + i] + 0.5) * 0x1.0p-32;
    }
    d->vm->log(n, ang, ang);
    d->vm->log(n, s, lr);
    for (size_t i = 0; i < n; i++) {
        const double dd = a[i] - 1.0 / 3.0, z = c[i], v3 = s[i];
        ok[i] = ok[i] && ang[i] < 0.5 * z * z + dd - dd * v3 + dd * lr[i];
        if (ok[i]) out[i] = dd * v3;
    }
}

void tyche_draws_gamma(tyche_draws *d, const tyche_lanes *L, uint32_t stream, uint32_t region,
                       const double *shape, double *out) {
    const size_t n = L->n;
    /* the shape each lane's Marsaglia-Tsang runs at (a + 1 below 1), in out
     * until the draws replace it; a bad shape runs at 1 and ends NaN */
    double *a = out;
    int any_boost = 0;
    for (size_t i = 0; i < n; i++) {
        const double k = shape[i];
        a[i] = !(k > 0) || isinf(k) ? 1.0 : k < 1 ? k + 1.0 : k;
        any_boost |= k > 0 && k < 1;
    }
    /* attempt 0 for every lane; attempt j of the lanes every earlier one
     * rejected, those lanes together (each lane's numbers are its own, so
     * the bits are those of one lane at a time) */
    gamma_attempt(d, L, stream, region, a, out, d->ok);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (d->ok[i]) continue;
        d->ri[m] = i;
        d->rt[m] = L->trial[i];
        d->rr[m] = L->redraw[i];
        d->ra[m++] = a[i];
        out[i] = NAN;
    }
    for (uint32_t j = 1; m > 0 && j < TYCHE_DRAW_BOOST; j++) {
        const tyche_lanes R = {m, d->rt, d->rr};
        gamma_attempt(d, &R, stream, region + j, d->ra, d->rg, d->rok);
        size_t kept = 0;
        for (size_t q = 0; q < m; q++) {
            if (d->rok[q]) {
                out[d->ri[q]] = d->rg[q];
                continue;
            }
            d->ri[kept] = d->ri[q];
            d->rt[kept] = d->rt[q];
            d->rr[kept] = d->rr[q];
            d->ra[kept++] = d->ra[q];
        }
        m = kept;
    }
    if (any_boost) {
        /* Gamma(a) = Gamma(a + 1) u^(1/a) (Marsaglia and Tsang, sec. 5) */
        double *u = d->a, *t = d->b; /* not d->c/d->e: tyche_draws_uniform leaves them */
        tyche_draws_uniform(d, L, stream, region + TYCHE_DRAW_BOOST, u, NULL);
        d->vm->log(n, u, u);
        for (size_t i = 0; i < n; i++) t[i] = shape[i] > 0 && shape[i] < 1 ? u[i] / shape[i] : 0.0;
        d->vm->exp(n, t, t);
        for (size_t i = 0; i < n; i++) out[i] *= t[i];
    }
    for (size_t i = 0; i < n; i++)
        if (!(shape[i] > 0) || isinf(shape[i])) out[i] = NAN;
}
