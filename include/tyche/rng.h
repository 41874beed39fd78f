/* tyche: reproducible random streams keyed by (seed, trial, stream, redraw).
 *
 * Why: a trial's random numbers must depend on the seed and the trial index
 * only, never on the thread, rank or block that ran it.  The default
 * generator is Philox4x32-10 (Salmon et al., SC'11; Random123), a
 * counter-based generator: output = bijection(counter, key).  tyche uses
 *   key     = the 64-bit seed,
 *   counter = (draw block, stream | redraw << 16, trial low 32, trial high 32).
 * Distinct (trial, stream, redraw) triples address disjoint counter ranges
 * of 2^32 blocks (2^34 32-bit outputs) each, so streams never overlap: they
 * are independent to the extent Philox is a good pseudo-random function,
 * which it is under BigCrush for every key/counter pattern tested by its
 * authors.  Seeking is O(1), so every parameter and model has its own stream
 * and changing one model's draw count never shifts another's numbers.
 *
 * The generator is a gsl_rng_type, so every gsl_ran_* sampler works on it.
 * Any of GSL's own generators may be named instead (`--rng mt19937`); then a
 * seek re-seeds it from a SplitMix64 hash of (seed, trial, stream, redraw).
 * That is reproducible but, unlike Philox, gives no guarantee that streams
 * do not overlap; it is there for comparison. */
#ifndef TYCHE_RNG_H
#define TYCHE_RNG_H

#include <gsl/gsl_rng.h>
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Philox4x32-10 as a gsl_rng_type: 32-bit outputs, gsl_rng_set(r, s) sets
 * the key to s and the counter to zero. */
TYCHE_API extern const gsl_rng_type *tyche_rng_philox;

typedef struct tyche_rng tyche_rng;

/* Allocates a stream of generator `name` ("philox" or any name in
 * gsl_rng_types_setup()) for `seed`.  Returns NULL with err set (EINPUT for
 * an unknown name, listing the known ones; ENOMEM).  Free with tyche_rng_free. */
TYCHE_API tyche_rng *tyche_rng_alloc(const char *name, uint64_t seed, tyche_err *err);
TYCHE_API void tyche_rng_free(tyche_rng *r);

/* Positions the generator at the start of (trial, stream, redraw).  No
 * allocation for philox; O(624) work for mt19937-like generators. */
TYCHE_API void tyche_rng_seek(tyche_rng *r, uint64_t trial, uint32_t stream, uint32_t redraw);

/* The gsl_rng to draw from after a seek (owned by r). */
TYCHE_API gsl_rng *tyche_rng_gsl(tyche_rng *r);

TYCHE_API const char *tyche_rng_name(const tyche_rng *r);

/* Stream numbers, the 16 bits of a trial's counter word 1 beside its redraw:
 * 0-15 unused (reserved); model m draws from TYCHE_STREAM_MODEL0 + 8m + j,
 * its substreams j = 0..7 (the last its posterior's, kind.h); parameter p
 * (the common factor among them, as the scenario's last parameter) from
 * TYCHE_STREAM_PARAM0 + p.  Part of the reproducibility contract. */
enum {
    TYCHE_STREAM_MODEL0 = 16,
    TYCHE_STREAMS_PER_MODEL = 8,
    TYCHE_STREAM_PARAM0 = 4096,
    TYCHE_STREAM_MAX = 65535
};

/* The version of the stream layout and of the samplers that turn its words
 * into draws (src/draws.h): recorded in every output; merge and resume
 * refuse to mix versions.  1: per-trial GSL samplers; 2: the block kernel
 * (Box-Muller normals, Marsaglia-Tsang gammas, SLEEF's exp and log). */
#define TYCHE_STREAM_VERSION 2

/* The vector path the kernels run on ("sse2", "avx2" or "avx512"): the best
 * the processor has unless tyche_vector_select chose another.  Every path
 * gives the same bits; outputs record which one ran. */
TYCHE_API const char *tyche_vector_path(void);
/* Chooses the path by name (NULL, "" or "auto": the best available); the
 * command reads the name from the environment variable TYCHE_VECTOR.
 * TYCHE_EINPUT, naming the paths this machine has, when it lacks it. */
TYCHE_API tyche_status tyche_vector_select(const char *name, tyche_err *err);

/* Lists the generator names accepted by tyche_rng_alloc, comma-separated. */
TYCHE_API void tyche_rng_list(char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
