/* Reproducible per-trial streams: Philox4x32-10 wrapped as a gsl_rng_type
 * with an explicit counter layout (see include/tyche/rng.h for why). */
#include <stdlib.h>
#include <string.h>
#include <Random123/philox.h>
#include "tyche/rng.h"

typedef struct {
    philox4x32_ctr_t ctr;  /* v[0] = block within the stream */
    philox4x32_key_t key;
    philox4x32_ctr_t out;  /* current block of 4 outputs */
    int next;              /* index of the next unused output in `out`; 4 = none */
} philox_state;

static void philox_set(void *vstate, unsigned long seed) {
    philox_state *s = vstate;
    memset(s, 0, sizeof *s);
    s->key.v[0] = (uint32_t)seed;
    s->key.v[1] = (uint32_t)((uint64_t)seed >> 32);
    s->next = 4;
}

static unsigned long philox_get(void *vstate) {
    philox_state *s = vstate;
    if (s->next == 4) {
        s->out = philox4x32_R(10, s->ctr, s->key);
        s->ctr.v[0]++; /* 2^32 blocks per stream: far beyond any model's needs */
        s->next = 0;
    }
    return s->out.v[s->next++];
}

static double philox_get_double(void *vstate) {
    /* GSL convention: uniform on [0,1) with 32-bit resolution */
    return (double)philox_get(vstate) / 4294967296.0;
}

static const gsl_rng_type philox_type = {"philox4x32_10", 0xffffffffUL, 0,
                                         sizeof(philox_state), philox_set, philox_get,
                                         philox_get_double};
const gsl_rng_type *tyche_rng_philox = &philox_type;

struct tyche_rng {
    gsl_rng *g;
    uint64_t seed;
    int is_philox;
};

/* SplitMix64 finaliser: a bijective 64-bit mix (Steele et al., 2014). */
static uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void tyche_rng_list(char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, len, "philox");
    for (const gsl_rng_type **t = gsl_rng_types_setup(); *t && used < len; t++)
        used += (size_t)snprintf(buf + used, len - used, ", %s", (*t)->name);
}

tyche_rng *tyche_rng_alloc(const char *name, uint64_t seed, tyche_err *err) {
    const gsl_rng_type *type = NULL;
    if (name == NULL || strcmp(name, "philox") == 0 || strcmp(name, "philox4x32_10") == 0) {
        type = tyche_rng_philox;
    } else {
        for (const gsl_rng_type **t = gsl_rng_types_setup(); *t; t++)
            if (strcmp((*t)->name, name) == 0) type = *t;
    }
    if (type == NULL) {
        char known[4096];
        tyche_rng_list(known, sizeof known);
        tyche_err_set(err, TYCHE_EINPUT, "--rng: unknown generator \"%s\" (known: %s)", name,
                      known);
        return NULL;
    }
    tyche_rng *r = tyche_calloc(1, sizeof *r);
    if (r == NULL) {
        tyche_err_set(err, TYCHE_ENOMEM, "out of memory allocating a random stream");
        return NULL;
    }
    r->g = gsl_rng_alloc(type);
    if (r->g == NULL) {
        free(r);
        tyche_err_set(err, TYCHE_ENOMEM, "out of memory allocating a random stream");
        return NULL;
    }
    r->seed = seed;
    r->is_philox = type == tyche_rng_philox;
    tyche_rng_seek(r, 0, 0, 0);
    return r;
}

void tyche_rng_free(tyche_rng *r) {
    if (r == NULL) return;
    gsl_rng_free(r->g);
    free(r);
}

void tyche_rng_seek(tyche_rng *r, uint64_t trial, uint32_t stream, uint32_t redraw) {
    if (r->is_philox) {
        philox_state *s = r->g->state;
        s->key.v[0] = (uint32_t)r->seed;
        s->key.v[1] = (uint32_t)(r->seed >> 32);
        s->ctr.v[0] = 0;
        s->ctr.v[1] = (stream & 0xffffu) | (redraw << 16);
        s->ctr.v[2] = (uint32_t)trial;
        s->ctr.v[3] = (uint32_t)(trial >> 32);
        s->next = 4;
    } else {
        uint64_t h = mix64(r->seed ^ mix64(trial ^ mix64(((uint64_t)redraw << 32) | stream)));
        gsl_rng_set(r->g, (unsigned long)h);
    }
}

gsl_rng *tyche_rng_gsl(tyche_rng *r) { return r->g; }

const char *tyche_rng_name(const tyche_rng *r) {
    return r->is_philox ? "philox4x32_10" : gsl_rng_name(r->g);
}
