/* tyche: prior distributions of parameters.
 *
 * A tyche_dist is a small value type (no heap, except `discrete`,
 * `empirical`, `metalog` and `mixture`, which point into memory owned by
 * their tyche_dist, released by tyche_dist_clear: a copy by assignment
 * shares it, tyche_dist_copy duplicates it).  Each can be sampled with a
 * gsl_rng, asked for its quantile function (used by describe, the LHS and
 * QMC designs, correlated parameters' copula and the tornado), its CDF (a
 * mixture's quantile inverts its components'), its mean and variance (for
 * tests and describe), and validated.
 *
 * JSON forms (all numbers finite; a bare number means `fixed`):
 *   {"dist":"fixed","value":x}
 *   {"dist":"uniform","min":a,"max":b}                       a < b
 *   {"dist":"normal","mean":m,"sd":s}                        s > 0
 *   {"dist":"truncnormal","mean":m,"sd":s,"min":a,"max":b}  s > 0, a < b, min/max each optional
 *   {"dist":"lognormal","median":m,"sdlog":s}                m > 0, s > 0
 *   {"dist":"lognormal","pXX":q1,"pYY":q2}                   two quantiles, e.g. p05/p95:
 *                                                            0<XX<YY<100, 0 < q1 < q2
 *   {"dist":"beta","a":a,"b":b} | {"dist":"beta","mean":m,"concentration":k}   a,b>0; 0<m<1, k>0
 *   {"dist":"gamma","shape":k,"mean":m} | {"dist":"gamma","shape":k,"scale":th}  all > 0
 *   {"dist":"triangular","min":a,"mode":c,"max":b}           a <= c <= b, a < b
 *   {"dist":"pert","min":a,"mode":c,"max":b[,"lambda":4]}    a <= c <= b, a < b, lambda > 0
 *   {"dist":"bernoulli","p":p}                               0 <= p <= 1
 *   {"dist":"discrete","values":[...],"weights":[...]}       same length >= 1, weights >= 0,
 *                                                            summing to 1 within 1e-9
 *   {"dist":"loguniform","min":a,"max":b}                    0 < a < b (uniform in log x)
 *   {"dist":"studentt","location":m,"scale":s,"df":n,"min":a,"max":b}
 *                                                            s > 0, n > 0, location optional (0),
 *                                                            min/max each optional, a < b, the
 *                                                            interval's probability >= 1e-12
 *   {"dist":"mixture","weights":[w1,...],"components":[<prior>,...]}
 *                                                            1..16 components, any prior JSON
 *                                                            (a bare number too; mixtures nest
 *                                                            at most 4 deep), weights >= 0
 *                                                            summing to 1 within 1e-9
 *   {"dist":"metalog","quantiles":{"p10":a,"p50":b,"p90":c},"min":l,"max":h}
 *                                                            3..5 quantiles pXX, 0<XX<100, values
 *                                                            ascending with XX; min/max each
 *                                                            optional (log / logit metalog),
 *                                                            strictly around the values; refused
 *                                                            when the fitted quantile function is
 *                                                            not increasing (Keelin 2016)
 *   {"dist":"empirical","file":"data/x.csv","column":"name"} the column's values (a header row,
 *                                                            >= 2 numeric rows), equally likely;
 *                                                            the file is relative to the
 *                                                            scenario's folder
 * Optional on any object: "description" (string).  Any other key is an error. */
#ifndef TYCHE_DIST_H
#define TYCHE_DIST_H

#include <gsl/gsl_rng.h>
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The priors, in the order of the table of operations in src/dist.c (a new
 * prior is a value here, its functions and one entry there). */
typedef enum {
    TYCHE_DIST_FIXED,
    TYCHE_DIST_UNIFORM,
    TYCHE_DIST_NORMAL,
    TYCHE_DIST_TRUNCNORMAL,
    TYCHE_DIST_LOGNORMAL,
    TYCHE_DIST_BETA,
    TYCHE_DIST_GAMMA,
    TYCHE_DIST_TRIANGULAR,
    TYCHE_DIST_PERT,
    TYCHE_DIST_BERNOULLI,
    TYCHE_DIST_DISCRETE,
    /* new kinds go last: the values above are never renumbered */
    TYCHE_DIST_LOGUNIFORM,
    TYCHE_DIST_STUDENTT,
    TYCHE_DIST_MIXTURE,
    TYCHE_DIST_METALOG,
    TYCHE_DIST_EMPIRICAL
} tyche_dist_kind;

/* Canonical parameters per kind (whatever form the JSON used):
 *   fixed: p[0]=value; uniform: p[0]=min,p[1]=max; normal: p[0]=mean,p[1]=sd;
 *   truncnormal: p[0]=mean,p[1]=sd,p[2]=min (-inf if absent),p[3]=max (+inf if absent);
 *   lognormal: p[0]=mu (log of median), p[1]=sdlog; beta: p[0]=a,p[1]=b;
 *   gamma: p[0]=shape,p[1]=scale; triangular: p[0]=min,p[1]=mode,p[2]=max;
 *   pert: p[0]=min,p[1]=mode,p[2]=max,p[3]=lambda (beta shapes derived on use);
 *   bernoulli: p[0]=p; discrete: n values/weights (cumulative weights kept too);
 *   loguniform: p[0]=min,p[1]=max;
 *   studentt: p[0]=location,p[1]=scale,p[2]=df,p[3]=min (-inf if absent),p[4]=max (+inf);
 *   mixture: n components in comp, their weights in values, cumulative in cumw;
 *   metalog: n terms; values holds 3n doubles: the coefficients a_1..a_n (of the
 *     transformed scale), the given probabilities, the given quantiles;
 *     p[0]=min (-inf if absent), p[1]=max (+inf if absent);
 *   empirical: as discrete (n sorted values, cumw[i] = (i+1)/n), source says where from. */
typedef struct tyche_dist {
    tyche_dist_kind kind;
    double p[5];
    size_t n;          /* discrete, empirical: values; mixture: components; metalog: terms */
    double *values;    /* discrete, empirical, mixture, metalog: owned (see above) */
    double *cumw;      /* discrete, empirical, mixture: owned, cumulative weights, cumw[n-1] == 1 */
    struct tyche_dist *comp; /* mixture only: owned, n components */
    char *source;      /* empirical only: owned, "file, column name" for describe */
} tyche_dist;

/* Parses `json` (a cJSON node: a number or an object, passed as void* so
 * this header does not pull in cJSON) into `out`.  `path` is the JSON path
 * used in messages, e.g. "models/x.json: models[0].params.h0"; a message
 * reads "<path>.median: must be > 0".  On failure `out` holds nothing to free.
 * Returns TYCHE_OK or TYCHE_EINPUT. */
TYCHE_API tyche_status tyche_dist_from_json(const void *json, const char *path, tyche_dist *out,
                                            tyche_err *err);

/* The same, with files named in the prior (an empirical prior's CSV) read
 * relative to the folder `dir` (NULL: the current folder; an absolute file
 * name is used as is). */
TYCHE_API tyche_status tyche_dist_from_json_in(const void *json, const char *path, const char *dir,
                                               tyche_dist *out, tyche_err *err);

/* Checks the canonical parameters (also used after --set overrides).  Same
 * message convention as tyche_dist_from_json. */
TYCHE_API tyche_status tyche_dist_validate(const tyche_dist *d, const char *path, tyche_err *err);

/* Releases what a distribution owns (nested mixtures too); safe on any kind, twice. */
TYCHE_API void tyche_dist_clear(tyche_dist *d);

/* Deep copy (arrays and mixture components duplicated).  Returns TYCHE_OK or TYCHE_ENOMEM. */
TYCHE_API tyche_status tyche_dist_copy(tyche_dist *dst, const tyche_dist *src, tyche_err *err);

/* One draw from GSL's samplers (ziggurat normals, GSL's gamma and beta).
 * Uses only `r`; no allocation.  Runs do not draw through this: they draw a
 * block of trials at a time from the trials' own streams (src/draws.h,
 * stream version 2), so a draw here is not the one a run makes. */
TYCHE_API double tyche_dist_sample(const tyche_dist *d, gsl_rng *r);

/* Quantile function at u in (0,1) (bernoulli/discrete: the generalised inverse). */
TYCHE_API double tyche_dist_quantile(const tyche_dist *d, double u);

/* P(X <= x) and P(X > x) (each computed from its own tail, so that both
 * keep their relative precision far out).  NaN for a NaN x. */
TYCHE_API double tyche_dist_cdf(const tyche_dist *d, double x);
TYCHE_API double tyche_dist_sf(const tyche_dist *d, double x);

TYCHE_API double tyche_dist_mean(const tyche_dist *d);
TYCHE_API double tyche_dist_variance(const tyche_dist *d);

/* 1 when the distribution is a point mass (fixed, or bernoulli with p in {0,1},
 * or discrete with one value of weight 1). */
TYCHE_API int tyche_dist_is_fixed(const tyche_dist *d);

/* The smallest and largest values the distribution can take (*lo may be
 * -inf, *hi +inf).  *open_below (NULL allowed) is 1 when draws come
 * arbitrarily near *lo but never equal it (lognormal, gamma, beta). */
TYCHE_API void tyche_dist_support(const tyche_dist *d, double *lo, double *hi, int *open_below);

/* Human-readable form into buf, e.g. "lognormal(median 0.3, sdlog 0.8)". */
TYCHE_API void tyche_dist_format(const tyche_dist *d, char *buf, size_t len);

/* Name of a kind as used in JSON ("truncnormal", ...). */
TYCHE_API const char *tyche_dist_kind_name(tyche_dist_kind k);

#ifdef __cplusplus
}
#endif
#endif
