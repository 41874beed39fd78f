/* Priors drawn for a block of trials (dist.c): the engine's sampler.  The
 * per-trial tyche_dist_sample (tyche/dist.h) keeps GSL's samplers for
 * callers with a gsl_rng of their own; runs draw through this one. */
#ifndef TYCHE_DIST_IMPL_H
#define TYCHE_DIST_IMPL_H

#include "draws.h"
#include "tyche/dist.h"

/* out[i] for every lane of L from stream `stream` (draws.h says which
 * words each prior uses): normal and lognormal from one Box-Muller normal,
 * uniform from one uniform, gamma by Marsaglia-Tsang, beta and PERT as
 * X / (X + Y) of two gammas, a mixture from one uniform (its component from
 * where it falls among the cumulative weights, then that component's
 * quantile of its place within the component's share), the others by their
 * quantile of one uniform.
 * tmp: room for 3 L->n doubles. */
void tyche_dist_sample_block(const tyche_dist *d, tyche_draws *dr, const tyche_lanes *L,
                             uint32_t stream, double *out, double *tmp);

#endif
