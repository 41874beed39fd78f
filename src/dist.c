/* Prior distributions of parameters: parsing from JSON, validation, sampling,
 * quantiles and moments.  The parser checks what only the user's own keys can
 * express (a median or a quantile pair before it becomes a log-scale mu, a
 * beta mean before it becomes shapes) and then hands the canonical parameters
 * to tyche_dist_validate, which --set overrides share, so both paths produce
 * the same messages.  Moments are closed forms (the truncated Student-t's and
 * the metalog's by quadrature, a mixture's from its components'),
 * independent of the samplers, so that tests can hold samplers and quantiles
 * to them.  Every kind has a CDF in both tails, which a mixture's quantile
 * inverts.  The truncated normal
 * is sampled by inversion using log tail probabilities, so bounds far out in a
 * tail give finite draws with no rejection loop, and its moments switch to
 * forms without cancellation far in a tail or on a narrow interval.  Beta,
 * gamma and PERT quantiles invert GSL's CDFs with a safeguarded Newton
 * iteration instead of calling gsl_cdf_beta_Pinv / gsl_cdf_gamma_Pinv, which
 * fail (and so abort, under GSL's default error handler) for many ordinary
 * parameters; no call here was seen to reach that handler in scans of
 * parameters from 1e-300 to 1e300. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>
#include "tyche/dist.h"
#include "dist_impl.h"

#define LOG_SQRT_2PI 0.91893853320467274178
#define PERT_DEFAULT_LAMBDA 4.0
#define WEIGHT_SUM_TOL 1e-9
#define TAIL_CF_FROM 3.0    /* see tail_moments */
#define GAMMA_WH_FROM 1e5   /* see gamma_quantile */
#define BETA_CF_FROM 1e5    /* see beta_quantile */
#define BETA_MIN_SHAPE 1e-300 /* see need_shape */
/* Below this log-probability exp() leaves the normal doubles, so GSL's
 * inverse can no longer be fed the probability itself. */
#define LOG_TAIL_FLOOR (-700.0)

/* ---- the table of priors ------------------------------------------------
 *
 * Each prior is one entry of `priors` (at the end of this file): its JSON
 * name and keys and its operations.  A new prior is its enum value in
 * dist.h, its functions and its entry; nothing else dispatches on the kind. */

#define DIST_MAX_KEYS 5

typedef struct {
    const char *name;                   /* the JSON "dist" */
    const char *keys[DIST_MAX_KEYS];    /* accepted besides "dist" and "description" */
    int percentile_keys;                /* also accepts p05, p95, ... (percentile_key) */
    /* canonical parameters from the JSON object (keys already checked); the
     * caller validates after */
    tyche_status (*parse)(const cJSON *obj, const char *path, tyche_dist *d, tyche_err *err);
    /* instead of parse, for priors that read files (relative to dir, NULL:
     * the current folder) or nest priors (depth: how many mixtures enclose it) */
    tyche_status (*parse_in)(const cJSON *obj, const char *path, const char *dir, int depth,
                             tyche_dist *d, tyche_err *err);
    tyche_status (*validate)(const tyche_dist *d, const char *path, tyche_err *err);
    void (*support)(const tyche_dist *d, double *lo, double *hi);
    int open_below;                     /* comes near its lower bound, never reaches it */
    int (*open_below_of)(const tyche_dist *d); /* instead of open_below, where it depends */
    double (*sample)(const tyche_dist *d, gsl_rng *r);
    /* a block of trials from their streams (draws.h); NULL: quantile(uniform) */
    void (*sample_block)(const tyche_dist *d, tyche_draws *dr, const tyche_lanes *L,
                         uint32_t stream, double *out, double *tmp);
    double (*quantile)(const tyche_dist *d, double u);
    /* P(X <= x), or P(X > x) when upper, each from its own tail */
    double (*cdf)(const tyche_dist *d, double x, int upper);
    double (*mean)(const tyche_dist *d);
    double (*variance)(const tyche_dist *d);
    int (*is_fixed)(const tyche_dist *d); /* NULL: never a point mass */
    void (*describe)(const tyche_dist *d, char *buf, size_t len, size_t *pos);
} dist_ops;

/* The entry of kind k, or NULL for a value outside the enum. */
static const dist_ops *ops_of(tyche_dist_kind k);
/* d's description appended at *pos (a mixture's components) */
static void describe_at(const tyche_dist *d, char *buf, size_t len, size_t *pos);

const char *tyche_dist_kind_name(tyche_dist_kind k) {
    const dist_ops *o = ops_of(k);
    return o ? o->name : "unknown";
}

static void blank(tyche_dist *d) {
    memset(d, 0, sizeof *d);
    d->kind = TYCHE_DIST_FIXED;
    d->values = NULL;
    d->cumw = NULL;
    d->comp = NULL;
    d->source = NULL;
}

void tyche_dist_clear(tyche_dist *d) {
    if (d == NULL) return;
    if (d->comp)
        for (size_t i = 0; i < d->n; i++) tyche_dist_clear(&d->comp[i]);
    free(d->comp);
    free(d->values);
    free(d->cumw);
    free(d->source);
    d->values = NULL;
    d->cumw = NULL;
    d->comp = NULL;
    d->source = NULL;
    d->n = 0;
}

/* How many doubles d->values holds: a metalog keeps its coefficients, the
 * given probabilities and the given quantiles there. */
static size_t values_len(const tyche_dist *d) {
    return d->kind == TYCHE_DIST_METALOG ? 3 * d->n : d->n;
}

static double *dup_doubles(const double *src, size_t n) {
    if (src == NULL || n == 0 || n > SIZE_MAX / sizeof(double)) return NULL;
    double *v = tyche_malloc(n * sizeof *v);
    if (v) memcpy(v, src, n * sizeof *v);
    return v;
}

tyche_status tyche_dist_copy(tyche_dist *dst, const tyche_dist *src, tyche_err *err) {
    if (dst == src) return TYCHE_OK;
    tyche_dist tmp = *src;
    tmp.values = NULL;
    tmp.cumw = NULL;
    tmp.comp = NULL;
    tmp.source = NULL;
    /* no arrays: nothing is counted in n either */
    if (src->values == NULL && src->cumw == NULL && src->comp == NULL) tmp.n = 0;
    int ok = 1;
    if (src->values && src->n)
        ok = (tmp.values = dup_doubles(src->values, values_len(src))) != NULL;
    if (ok && src->cumw && src->n) ok = (tmp.cumw = dup_doubles(src->cumw, src->n)) != NULL;
    if (ok && src->source) ok = (tmp.source = tyche_strdup(src->source)) != NULL;
    if (ok && src->comp && src->n) {
        /* components one by one, so that a failure frees exactly those made */
        tmp.comp = tyche_calloc(src->n, sizeof *tmp.comp);
        ok = tmp.comp != NULL;
        for (size_t i = 0; ok && i < src->n; i++)
            if (tyche_dist_copy(&tmp.comp[i], &src->comp[i], NULL) != TYCHE_OK) ok = 0;
    }
    if (!ok) {
        tyche_dist_clear(&tmp);
        blank(dst);
        return tyche_err_set(err, TYCHE_ENOMEM,
                             "out of memory copying a %s distribution of %zu entries",
                             tyche_dist_kind_name(src->kind), src->n);
    }
    *dst = tmp;
    return TYCHE_OK;
}

/* x within [lo, hi]. */
static double clamp(double x, double lo, double hi) { return fmin(fmax(x, lo), hi); }

/* ---- truncated normal on the standard scale ---------------------------- */

static double log_phi(double z) { return -0.5 * z * z - LOG_SQRT_2PI; }

/* log P(Z > z), accurate where P(Z > z) itself underflows (z beyond ~38). */
static double log_upper(double z) {
    if (z == INFINITY) return -INFINITY;
    if (z <= 0.0) return log(gsl_cdf_ugaussian_Q(z)); /* >= 0.5: no precision to lose */
    return gsl_sf_log_erfc(z / M_SQRT2) - M_LN2;
}

/* Solves log P(Z > x) = t for x >= 0.  Newton on log Q, which is concave, so
 * from the asymptotic start it converges in a few steps; the cap only
 * guarantees termination. */
static double inv_log_upper(double t) {
    if (t == -INFINITY) return INFINITY;
    if (t > LOG_TAIL_FLOOR) return gsl_cdf_ugaussian_Qinv(exp(t));
    double x = sqrt(-2.0 * t);
    x = sqrt(-2.0 * t - 2.0 * (log(x) + LOG_SQRT_2PI)); /* Q(x) ~ phi(x) / x */
    for (int i = 0; i < 60; i++) {
        const double lq = log_upper(x);
        const double slope = -exp(log_phi(x) - lq); /* d/dx log Q = -phi/Q */
        const double step = (lq - t) / slope;
        if (!isfinite(step)) break;
        x -= step;
        if (fabs(step) <= 1e-15 * x) break;
    }
    return x;
}

/* Quantile of Z | alpha <= Z <= beta with 0 <= alpha: inverted through the
 * upper tail, where the mass lives, so it stays exact far from the mean. */
static double tn_upper_quantile(double alpha, double beta, double u) {
    const double la = log_upper(alpha), lb = log_upper(beta);
    /* Q(x) = Q(alpha) - u (Q(alpha) - Q(beta)), in logs */
    return inv_log_upper(la + log1p(u * expm1(lb - la)));
}

static double tn_std_quantile(double alpha, double beta, double u) {
    if (alpha >= 0.0) return tn_upper_quantile(alpha, beta, u);
    if (beta <= 0.0) return -tn_upper_quantile(-beta, -alpha, 1.0 - u); /* mirror image */
    const double pa = gsl_cdf_ugaussian_P(alpha), pb = gsl_cdf_ugaussian_P(beta);
    return gsl_cdf_ugaussian_Pinv(pa + u * (pb - pa));
}

/* Moments of Z | Z > x for x >= TAIL_CF_FROM.  Laplace's continued fraction
 * for the normal hazard phi(x)/Q(x) = x + delta, delta = 1 / (x + c),
 * c = 2 / (x + 3 / (x + 4 / ...)), gives the mean x + delta and the variance
 * delta (c - delta) without the cancellation of 1 + x h - h^2 (which loses
 * x^4 eps); 100 levels reach double precision from x = 3 on. */
static void tail_moments(double x, double *excess, double *var) {
    double c = 0.0;
    for (int k = 100; k >= 2; k--) c = k / (x + c);
    const double delta = 1.0 / (x + c);
    *excess = delta; /* mean - x: kept apart, as differences of means need it */
    *var = delta * (c - delta);
}

/* Moments of Z | alpha <= Z <= beta for a narrow interval, by 8-point
 * Gauss-Legendre: the density relative to phi(mid), exp(-mid y - y^2 / 2)
 * for y = z - mid, is so close to a low-degree polynomial there that the rule
 * is exact to rounding, where the closed forms below cancel to nothing.
 * Worked in units of the half-width h, so that a tiny h does not underflow. */
static void tn_narrow_moments(double alpha, double beta, double *mean, double *sd) {
    static const double node[4] = {0.1834346424956498, 0.5255324099163290, 0.7966664774136267,
                                   0.9602898564975363};
    static const double weight[4] = {0.3626837833783620, 0.3137066458778873,
                                     0.2223810344533745, 0.1012285362903763};
    const double mid = 0.5 * (alpha + beta), h = 0.5 * (beta - alpha);
    double t[8], f[8], z = 0.0, s1 = 0.0, s2 = 0.0;
    for (int i = 0; i < 8; i++) {
        t[i] = i < 4 ? -node[i] : node[i - 4];
        const double y = h * t[i];
        f[i] = weight[i % 4] * exp(-mid * y - 0.5 * y * y);
        z += f[i];
        s1 += f[i] * t[i];
    }
    const double mt = s1 / z;
    for (int i = 0; i < 8; i++) s2 += f[i] * (t[i] - mt) * (t[i] - mt);
    *mean = mid + h * mt;
    *sd = h * sqrt(s2 / z);
}

/* Mean and standard deviation (not variance: the caller scales it by an sd
 * that may be huge) of Z | alpha <= Z <= beta.  Near the mean, the standard
 *   mean = (phi(a) - phi(b)) / Z,
 *   var  = 1 + (a phi(a) - b phi(b)) / Z - mean^2,   Z = Phi(b) - Phi(a).
 * Far in the upper tail, where those terms cancel, the two-sided law as the
 * difference of the one-sided laws above alpha (A) and above beta (B), with
 * t = Q(b) / Q(a) and D = mean_B - mean_A:
 *   mean = mean_A - t D / (1 - t),
 *   var  = (var_A - t var_B) / (1 - t) - t D^2 / (1 - t)^2. */
static void tn_std_moments(double alpha, double beta, double *mean, double *sd) {
    if (!(beta > alpha)) {
        *mean = alpha;
        *sd = 0.0;
        return;
    }
    /* width times log-density slope small: see tn_narrow_moments; beyond
     * this the formulas below lose at most ~1e-12 relative */
    if ((beta - alpha) * (1.0 + fmax(fabs(alpha), fabs(beta))) < 0.5) {
        tn_narrow_moments(alpha, beta, mean, sd);
        return;
    }
    if (beta <= 0.0) {
        tn_std_moments(-beta, -alpha, mean, sd);
        *mean = -*mean;
        return;
    }
    if (alpha >= TAIL_CF_FROM) {
        double ea, va, eb, vb;
        tail_moments(alpha, &ea, &va);
        if (isinf(beta)) {
            *mean = alpha + ea;
            *sd = sqrt(va);
            return;
        }
        tail_moments(beta, &eb, &vb);
        const double ma = alpha + ea, mb = beta + eb, dm = (beta - alpha) + (eb - ea);
        /* log t from the hazards, which are the one-sided means: Q = phi / hazard */
        const double log_t = -0.5 * (beta - alpha) * (beta + alpha) + log1p(-dm / mb);
        /* not narrow, so 1 - t is well away from 0 */
        const double t = exp(log_t), one_minus_t = -expm1(log_t);
        *mean = clamp(ma - t * dm / one_minus_t, alpha, beta);
        const double var = (va - t * vb) / one_minus_t - t * dm * dm / (one_minus_t * one_minus_t);
        *sd = sqrt(clamp(var, 0.0, 0.25 * (beta - alpha) * (beta - alpha)));
        return;
    }
    const double z = alpha >= 0.0 ? gsl_cdf_ugaussian_Q(alpha) - gsl_cdf_ugaussian_Q(beta)
                                   : gsl_cdf_ugaussian_P(beta) - gsl_cdf_ugaussian_P(alpha);
    const double ra = isinf(alpha) ? 0.0 : gsl_ran_ugaussian_pdf(alpha) / z;
    const double rb = isinf(beta) ? 0.0 : gsl_ran_ugaussian_pdf(beta) / z;
    const double ta = isinf(alpha) ? 0.0 : alpha * ra;
    const double tb = isinf(beta) ? 0.0 : beta * rb;
    const double w = beta - alpha;
    *mean = clamp(ra - rb, alpha, beta);
    *sd = sqrt(clamp(1.0 + ta - tb - (ra - rb) * (ra - rb), 0.0, 0.25 * w * w));
}

/* ---- numerical inversion of the beta and gamma CDFs --------------------- */

typedef double (*cdf_fn)(double x, double a, double b);

/* The double halfway between lo and hi (0 <= lo < hi) in representation order:
 * bisecting on the bits reaches any double, however tiny, in at most 64
 * halvings, where bisecting on the value would need over a thousand. */
static double bit_midpoint(double lo, double hi) {
    uint64_t a, b;
    memcpy(&a, &lo, sizeof a);
    memcpy(&b, &hi, sizeof b);
    const uint64_t m = a + (b - a) / 2;
    double x;
    memcpy(&x, &m, sizeof x);
    return x;
}

/* Solves C(x) = target for x in [lo, hi] (lo >= 0), where C is a lower
 * (P) or upper (Q) CDF tail with density pdf, by Newton steps on log C, kept
 * inside a shrinking bracket, falling back to bisection (on the bits)
 * whenever a step leaves the bracket or stops halving every two iterations,
 * as in Numerical Recipes' rtsafe.  Working on log C, in log x when `log_x`,
 * makes the power-law and exponential tails nearly straight lines, so Newton
 * stays quick far out.  This replaces gsl_cdf_beta_Pinv / gsl_cdf_gamma_Pinv,
 * which give up through GSL's error handler (an abort by default) over much
 * of the parameter space: beta(0.01, 1) at u = 0.5, beta(1000, 10000) at
 * u = 0.999, gamma(0.01) at u = 0.01.  A NaN from C (GSL's incomplete beta
 * at huge shapes) is read as "below" left of `centre`, so the answer still
 * lands where the mass is.  At most 200 steps. */
static double invert_tail_raw(cdf_fn C, int upper, cdf_fn pdf, double a, double b,
                              double target, double lo, double hi, double centre, int log_x) {
    const double log_target = log(target);
    double x = (centre > lo && centre < hi) ? centre : bit_midpoint(lo, hi);
    double step = INFINITY, step_before = INFINITY;
    for (int i = 0; i < 200; i++) {
        const double c = C(x, a, b);
        double g = upper ? log_target - log(c) : log(c) - log_target; /* increasing in x */
        if (g == 0.0) return x;
        if (isnan(g)) g = x < centre ? -1.0 : 1.0;
        if (g < 0.0)
            lo = x;
        else
            hi = x;
        const double slope = pdf(x, a, b) / c * (log_x ? x : 1.0); /* dg / d(log x or x) */
        const double d = g / slope;
        double next = log_x ? x * exp(-d) : x - d;
        /* tested first: a last step that rounds back onto x is convergence */
        if (fabs(next - x) <= 4.0 * DBL_EPSILON * x) return x;
        if (isfinite(next) && next > lo && next < hi && fabs(d) <= 0.5 * step_before) {
            step_before = step;
            step = fabs(d);
        } else {
            next = bit_midpoint(lo, hi);
            if (next == lo || next == hi) return hi; /* adjacent doubles */
            step_before = step;
            step = log_x ? fabs(log(next / x)) : fabs(next - x);
        }
        x = next;
    }
    return x;
}

/* Quantiles below DBL_MIN are 0: there the CDFs have no precision left and
 * the subnormal answers they give are noise that breaks monotonicity in u. */
static double invert_tail(cdf_fn C, int upper, cdf_fn pdf, double a, double b, double target,
                          double lo, double hi, double centre, int log_x) {
    const double x = invert_tail_raw(C, upper, pdf, a, b, target, lo, hi, centre, log_x);
    return x < DBL_MIN ? 0.0 : x;
}

static double beta_quantile(double u, double a, double b) {
    if (u <= 0.0) return 0.0;
    if (u >= 1.0) return 1.0;
    if (fmin(a, b) > BETA_CF_FROM) {
        /* GSL's incomplete beta goes wrong (NaN, or off by 0.1 in
         * probability) once both shapes pass ~3e5; out here the law is
         * nearly normal and the Cornish-Fisher expansion to the n^-1 terms
         * (skewness g, excess kurtosis k) is within 3e-6 relative in the tail
         * probability, even at u = 1e-9 */
        const double z = gsl_cdf_ugaussian_Pinv(u), n = a + b;
        const double mean = a / n, sd = sqrt((a / n) * (b / n) / (n + 1.0));
        const double g = 2.0 * (b - a) * sqrt(n + 1.0) / ((n + 2.0) * sqrt(a) * sqrt(b));
        const double k = 6.0 * ((a - b) * (a - b) * (n + 1.0) - a * b * (n + 2.0)) /
                         (a * b * (n + 2.0) * (n + 3.0));
        const double z2 = z * z;
        const double w = z + g / 6.0 * (z2 - 1.0) + k / 24.0 * z * (z2 - 3.0) -
                         g * g / 36.0 * z * (2.0 * z2 - 5.0);
        return clamp(mean + sd * w, 0.0, 1.0);
    }
    /* Solve for whichever of x and 1 - x is below 1/2, so that it can be
     * resolved to full relative precision, with P(x) = Q(1 - x) of the
     * mirror image Beta(b, a); and against whichever tail of the target is
     * the smaller, u or 1 - u, for the same reason. */
    const double v = 1.0 - u;
    if (gsl_cdf_beta_P(0.5, a, b) >= u) {
        if (u <= 0.5)
            return invert_tail(gsl_cdf_beta_P, 0, gsl_ran_beta_pdf, a, b, u, 0.0, 0.5,
                               a / (a + b), 1);
        return invert_tail(gsl_cdf_beta_Q, 1, gsl_ran_beta_pdf, a, b, v, 0.0, 0.5, a / (a + b), 1);
    }
    if (v <= 0.5)
        return 1.0 - invert_tail(gsl_cdf_beta_P, 0, gsl_ran_beta_pdf, b, a, v, 0.0, 0.5,
                                 b / (a + b), 1);
    return 1.0 - invert_tail(gsl_cdf_beta_Q, 1, gsl_ran_beta_pdf, b, a, u, 0.0, 0.5, b / (a + b),
                             1);
}

static double gamma_quantile(double u, double shape, double scale) {
    if (u <= 0.0) return 0.0;
    if (u >= 1.0) return INFINITY;
    if (shape > GAMMA_WH_FROM) {
        /* GSL's incomplete gamma stops converging (through the error
         * handler) from shapes near 1e6; out here the Wilson-Hilferty cube
         * root normal approximation is within 3e-8 relative (1e-5 sd) of the
         * exact quantile even at u = 1e-6 */
        const double c = 1.0 / (9.0 * shape), z = gsl_cdf_ugaussian_Pinv(u);
        const double r = 1.0 - c + z * sqrt(c);
        return scale * shape * r * r * r;
    }
    /* P(X > k + t) <= exp(-t^2 / (2 (k + t))) for X ~ Gamma(k, 1), under
     * e^-40 at this t, while 1 - u >= 2^-53: a finite bracket spares the
     * bisection a trek down from DBL_MAX */
    const double hi = shape + 40.0 * sqrt(shape) + 80.0;
    if (u <= 0.5)
        return scale * invert_tail(gsl_cdf_gamma_P, 0, gsl_ran_gamma_pdf, shape, 1.0, u, 0.0, hi,
                                   shape, 1);
    return scale * invert_tail(gsl_cdf_gamma_Q, 1, gsl_ran_gamma_pdf, shape, 1.0, 1.0 - u, 0.0, hi,
                               shape, 0);
}

static double pert_shape(const tyche_dist *d, int upper) {
    const double range = d->p[2] - d->p[0];
    const double side = upper ? d->p[2] - d->p[1] : d->p[1] - d->p[0];
    return 1.0 + d->p[3] * side / range;
}


static double triangular_quantile(double a, double c, double b, double u) {
    /* sqrt(u (b - a) (c - a)), written so that the product cannot overflow */
    const double w = b - a, fc = (c - a) / w;
    if (u < fc) return a + w * sqrt(u * fc);
    return b - w * sqrt((1.0 - u) * ((b - c) / w));
}


static double discrete_weight(const tyche_dist *d, size_t i) {
    return d->cumw[i] - (i > 0 ? d->cumw[i - 1] : 0.0);
}


/* Appends to buf, silently truncating: a description is for people. */
static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...) {
    if (*pos >= len - 1) return;
    va_list ap;
    va_start(ap, fmt);
    const int k = vsnprintf(buf + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    *pos = (size_t)k >= len - *pos ? len - 1 : *pos + (size_t)k;
}

/* ---- validation --------------------------------------------------------- */

static tyche_status need_finite(double v, const char *path, const char *key, tyche_err *err) {
    if (isfinite(v)) return TYCHE_OK;
    return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: must be a finite number", path, key);
}

static tyche_status need_positive(double v, const char *path, const char *key, tyche_err *err) {
    if (need_finite(v, path, key, err) != TYCHE_OK) return TYCHE_EINPUT;
    if (v > 0.0) return TYCHE_OK;
    return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: must be > 0", path, key);
}

/* GSL's beta sampler, for shapes below 1, raises uniforms to the power
 * 1 / shape and falls back on log(u) / shape: both overflow once a shape
 * is below ~1e-307, and a draw from two such shapes is NaN.  1e-300 is also
 * where the quantile scans above start. */
static tyche_status need_shape(double v, const char *path, const char *key, tyche_err *err) {
    if (v >= BETA_MIN_SHAPE) return TYCHE_OK;
    return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: must be at least %g (is %.17g)", path, key,
                         BETA_MIN_SHAPE, v);
}

static tyche_status need_ordered(double lo, double hi, const char *path, tyche_err *err) {
    if (lo < hi) return TYCHE_OK;
    return tyche_err_set(err, TYCHE_EINPUT, "%s.min: must be < max (%g >= %g)", path, lo, hi);
}

static tyche_status need_mode_inside(const double *p, const char *path, tyche_err *err) {
    if (p[0] <= p[1] && p[1] <= p[2]) return TYCHE_OK;
    return tyche_err_set(err, TYCHE_EINPUT,
                         "%s.mode: must be within [min, max] (%g is outside [%g, %g])", path, p[1],
                         p[0], p[2]);
}

static tyche_status validate_discrete(const tyche_dist *d, const char *path, tyche_err *err) {
    if (d->n == 0 || d->values == NULL || d->cumw == NULL)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.values: must not be empty", path);
    double prev_w = 0.0;
    for (size_t i = 0; i < d->n; i++) {
        if (!isfinite(d->values[i]))
            return tyche_err_set(err, TYCHE_EINPUT, "%s.values[%zu]: must be a finite number",
                                 path, i);
        /* the quantile function bisects on value order */
        if (i > 0 && d->values[i] < d->values[i - 1])
            return tyche_err_set(err, TYCHE_EINPUT, "%s.values: must be in increasing order",
                                 path);
        if (!(d->cumw[i] >= prev_w && d->cumw[i] <= 1.0))
            return tyche_err_set(err, TYCHE_EINPUT, "%s.weights[%zu]: must be >= 0", path, i);
        prev_w = d->cumw[i];
    }
    if (d->cumw[d->n - 1] != 1.0)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.weights: must sum to 1 (sum is %.10g)", path,
                             d->cumw[d->n - 1]);
    return TYCHE_OK;
}

/* ---- JSON --------------------------------------------------------------- */


/* Reads obj[key] when present; *found says whether it was. */
static tyche_status get_number(const cJSON *obj, const char *key, const char *path, double *out,
                               int *found, tyche_err *err) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    *found = it != NULL;
    if (it == NULL) return TYCHE_OK;
    if (!cJSON_IsNumber(it))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: must be a number", path, key);
    /* cJSON turns an overflowing literal such as 1e999 into infinity */
    if (!isfinite(it->valuedouble))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: must be a finite number", path, key);
    *out = it->valuedouble;
    return TYCHE_OK;
}

static tyche_status need_number(const cJSON *obj, const char *key, const char *path, double *out,
                                tyche_err *err) {
    int found;
    if (get_number(obj, key, path, out, &found, err) != TYCHE_OK) return TYCHE_EINPUT;
    if (found) return TYCHE_OK;
    return tyche_err_set(err, TYCHE_EINPUT, "%s: missing key \"%s\"", path, key);
}

/* Recognises a quantile key "p<percent>" such as p05, p95 or p2.5. */
static int percentile_key(const char *k, double *pct) {
    if (k[0] != 'p' || !isdigit((unsigned char)k[1])) return 0;
    const char *s = k + 1;
    while (isdigit((unsigned char)*s)) s++;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s)) return 0;
        while (isdigit((unsigned char)*s)) s++;
    }
    if (*s != '\0') return 0;
    *pct = strtod(k + 1, NULL);
    return 1;
}

static tyche_status check_keys(const cJSON *obj, const dist_ops *ops, const char *path,
                               tyche_err *err) {
    for (const cJSON *it = obj->child; it != NULL; it = it->next) {
        const char *k = it->string;
        if (k == NULL) continue;
        for (const cJSON *prev = obj->child; prev != it; prev = prev->next)
            if (prev->string && strcmp(prev->string, k) == 0)
                return tyche_err_set(err, TYCHE_EINPUT, "%s: duplicate key \"%s\"", path, k);
        if (strcmp(k, "dist") == 0) continue;
        if (strcmp(k, "description") == 0) {
            if (!cJSON_IsString(it))
                return tyche_err_set(err, TYCHE_EINPUT, "%s.description: must be a string",
                                     path);
            continue;
        }
        int known = 0;
        for (int i = 0; i < DIST_MAX_KEYS && ops->keys[i] != NULL; i++)
            if (strcmp(k, ops->keys[i]) == 0) known = 1;
        double pct;
        if (ops->percentile_keys && percentile_key(k, &pct)) known = 1;
        if (!known) return tyche_err_set(err, TYCHE_EINPUT, "%s: unknown key \"%s\"", path, k);
    }
    return TYCHE_OK;
}

static tyche_status parse_lognormal(const cJSON *obj, const char *path, tyche_dist *d,
                                    tyche_err *err) {
    const cJSON *q[2] = {NULL, NULL};
    double pct[2] = {0.0, 0.0};
    int nq = 0;
    for (const cJSON *it = obj->child; it != NULL; it = it->next) {
        double v;
        if (it->string == NULL || !percentile_key(it->string, &v)) continue;
        if (nq < 2) {
            q[nq] = it;
            pct[nq] = v;
        }
        nq++;
    }
    const int has_median = cJSON_GetObjectItemCaseSensitive(obj, "median") != NULL;
    const int has_sdlog = cJSON_GetObjectItemCaseSensitive(obj, "sdlog") != NULL;
    if (nq > 0 && (has_median || has_sdlog))
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s: give either median and sdlog, or two quantiles such as p05 and "
                             "p95, not both",
                             path);
    if (nq == 0) {
        double median;
        if (need_number(obj, "median", path, &median, err) != TYCHE_OK) return TYCHE_EINPUT;
        if (need_number(obj, "sdlog", path, &d->p[1], err) != TYCHE_OK) return TYCHE_EINPUT;
        if (!(median > 0.0))
            return tyche_err_set(err, TYCHE_EINPUT, "%s.median: must be > 0", path);
        d->p[0] = log(median);
        return TYCHE_OK;
    }
    if (nq != 2)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s: give exactly two quantiles such as p05 and p95 (got %d)", path,
                             nq);
    for (int i = 0; i < 2; i++)
        if (!(pct[i] > 0.0 && pct[i] < 100.0))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.%s: percentile must be between 0 and 100 (exclusive)", path,
                                 q[i]->string);
    if (pct[0] == pct[1])
        return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: same percentile as %s", path,
                             q[1]->string, q[0]->string);
    const int lo = pct[0] < pct[1] ? 0 : 1, hi = 1 - lo;
    double v[2];
    for (int i = 0; i < 2; i++)
        if (need_number(obj, q[i]->string, path, &v[i], err) != TYCHE_OK) return TYCHE_EINPUT;
    if (!(v[lo] > 0.0))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: must be > 0", path, q[lo]->string);
    if (!(v[lo] < v[hi]))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: must be < %s (%g >= %g)", path,
                             q[lo]->string, q[hi]->string, v[lo], v[hi]);
    const double zlo = gsl_cdf_ugaussian_Pinv(pct[lo] / 100.0);
    const double zhi = gsl_cdf_ugaussian_Pinv(pct[hi] / 100.0);
    d->p[1] = (log(v[hi]) - log(v[lo])) / (zhi - zlo);
    d->p[0] = log(v[lo]) - zlo * d->p[1];
    return TYCHE_OK;
}

static tyche_status parse_beta(const cJSON *obj, const char *path, tyche_dist *d,
                               tyche_err *err) {
    const int by_shape = cJSON_GetObjectItemCaseSensitive(obj, "a") != NULL ||
                         cJSON_GetObjectItemCaseSensitive(obj, "b") != NULL;
    const int by_mean = cJSON_GetObjectItemCaseSensitive(obj, "mean") != NULL ||
                        cJSON_GetObjectItemCaseSensitive(obj, "concentration") != NULL;
    if (by_shape && by_mean)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s: give either a and b, or mean and concentration, not both", path);
    if (!by_mean) {
        if (need_number(obj, "a", path, &d->p[0], err) != TYCHE_OK) return TYCHE_EINPUT;
        return need_number(obj, "b", path, &d->p[1], err);
    }
    double m, k;
    if (need_number(obj, "mean", path, &m, err) != TYCHE_OK) return TYCHE_EINPUT;
    if (need_number(obj, "concentration", path, &k, err) != TYCHE_OK) return TYCHE_EINPUT;
    if (!(m > 0.0 && m < 1.0))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.mean: must be between 0 and 1 (exclusive)",
                             path);
    if (!(k > 0.0)) return tyche_err_set(err, TYCHE_EINPUT, "%s.concentration: must be > 0", path);
    d->p[0] = m * k;
    d->p[1] = (1.0 - m) * k;
    return TYCHE_OK;
}

static tyche_status parse_gamma(const cJSON *obj, const char *path, tyche_dist *d,
                                tyche_err *err) {
    double mean = 0.0;
    int has_mean, has_scale;
    if (need_number(obj, "shape", path, &d->p[0], err) != TYCHE_OK) return TYCHE_EINPUT;
    if (get_number(obj, "mean", path, &mean, &has_mean, err) != TYCHE_OK) return TYCHE_EINPUT;
    if (get_number(obj, "scale", path, &d->p[1], &has_scale, err) != TYCHE_OK)
        return TYCHE_EINPUT;
    if (has_mean && has_scale)
        return tyche_err_set(err, TYCHE_EINPUT, "%s: give either mean or scale, not both", path);
    if (!has_mean && !has_scale)
        return tyche_err_set(err, TYCHE_EINPUT, "%s: missing key \"mean\" (or \"scale\")", path);
    if (has_mean) {
        if (!(mean > 0.0)) return tyche_err_set(err, TYCHE_EINPUT, "%s.mean: must be > 0", path);
        /* a bad shape is reported by validate, under its own name */
        d->p[1] = d->p[0] > 0.0 ? mean / d->p[0] : 1.0;
    }
    return TYCHE_OK;
}

/* Reads a JSON array of finite numbers into a fresh allocation. */
static tyche_status get_array(const cJSON *obj, const char *key, const char *path, double **out,
                              size_t *n, tyche_err *err) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    *n = 0;
    if (arr == NULL) return tyche_err_set(err, TYCHE_EINPUT, "%s: missing key \"%s\"", path, key);
    if (!cJSON_IsArray(arr))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: must be an array of numbers", path, key);
    const int len = cJSON_GetArraySize(arr);
    if (len <= 0) return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: must not be empty", path, key);
    double *v = tyche_malloc((size_t)len * sizeof *v);
    if (v == NULL) return tyche_err_set(err, TYCHE_ENOMEM, "%s.%s: out of memory", path, key);
    size_t i = 0;
    for (const cJSON *it = arr->child; it != NULL; it = it->next, i++) {
        if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble)) {
            free(v);
            return tyche_err_set(err, TYCHE_EINPUT, "%s.%s[%zu]: must be a finite number", path,
                                 key, i);
        }
        v[i] = it->valuedouble;
    }
    *out = v;
    *n = (size_t)len;
    return TYCHE_OK;
}

typedef struct {
    double value, weight;
    size_t index;
} weighted;

static int by_value(const void *x, const void *y) {
    const weighted *a = x, *b = y;
    if (a->value != b->value) return a->value < b->value ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index); /* stable: keeps the user's order */
}

/* Stores the pairs sorted by value, so that cumw is the CDF at values[i] and
 * the quantile function is a monotone generalised inverse. */
static tyche_status parse_discrete(const cJSON *obj, const char *path, tyche_dist *d,
                                   tyche_err *err) {
    double *v = NULL, *w = NULL;
    size_t n = 0, nw = 0;
    weighted *pairs = NULL;
    tyche_status st = get_array(obj, "values", path, &v, &n, err);
    if (st == TYCHE_OK) st = get_array(obj, "weights", path, &w, &nw, err);
    if (st != TYCHE_OK) goto done;
    if (nw != n) {
        st = tyche_err_set(err, TYCHE_EINPUT,
                           "%s.weights: must have as many entries as values (%zu vs %zu)", path,
                           nw, n);
        goto done;
    }
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(w[i] >= 0.0)) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s.weights[%zu]: must be >= 0", path, i);
            goto done;
        }
        sum += w[i];
    }
    if (!(fabs(sum - 1.0) <= WEIGHT_SUM_TOL)) {
        st = tyche_err_set(err, TYCHE_EINPUT, "%s.weights: must sum to 1 (sum is %.10g)", path,
                           sum);
        goto done;
    }
    pairs = tyche_malloc(n * sizeof *pairs);
    if (pairs == NULL) {
        st = tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (size_t i = 0; i < n; i++) pairs[i] = (weighted){v[i], w[i], i};
    qsort(pairs, n, sizeof *pairs, by_value);
    /* normalise in sorted order so the last cumulative weight is exactly 1 */
    double total = 0.0;
    for (size_t i = 0; i < n; i++) total += pairs[i].weight;
    double run = 0.0;
    for (size_t i = 0; i < n; i++) {
        run += pairs[i].weight;
        v[i] = pairs[i].value;
        w[i] = run / total;
    }
    w[n - 1] = 1.0;
    d->values = v;
    d->cumw = w;
    d->n = n;
    v = w = NULL;
done:
    free(pairs);
    free(v);
    free(w);
    return st;
}


/* ---- fixed ---------------------------------------------------------------- */

static tyche_status fixed_parse(const cJSON *obj, const char *path, tyche_dist *d,
                                tyche_err *err) {
    return need_number(obj, "value", path, &d->p[0], err);
}
static tyche_status fixed_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    return need_finite(d->p[0], path, "value", err);
}
static void fixed_support(const tyche_dist *d, double *lo, double *hi) { *lo = *hi = d->p[0]; }
/* consumes nothing: a point mass needs no randomness */
static double fixed_sample(const tyche_dist *d, gsl_rng *r) {
    (void)r;
    return d->p[0];
}
static double fixed_quantile(const tyche_dist *d, double u) {
    (void)u;
    return d->p[0];
}
static double fixed_mean(const tyche_dist *d) { return d->p[0]; }
static double fixed_variance(const tyche_dist *d) {
    (void)d;
    return 0.0;
}
static int fixed_is_fixed(const tyche_dist *d) {
    (void)d;
    return 1;
}
static void fixed_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "fixed %g", d->p[0]);
}

/* ---- uniform -------------------------------------------------------------- */

static tyche_status uniform_parse(const cJSON *obj, const char *path, tyche_dist *d,
                                  tyche_err *err) {
    if (need_number(obj, "min", path, &d->p[0], err) != TYCHE_OK) return TYCHE_EINPUT;
    return need_number(obj, "max", path, &d->p[1], err);
}
static tyche_status uniform_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    if (need_finite(d->p[0], path, "min", err) != TYCHE_OK) return TYCHE_EINPUT;
    if (need_finite(d->p[1], path, "max", err) != TYCHE_OK) return TYCHE_EINPUT;
    return need_ordered(d->p[0], d->p[1], path, err);
}
static void uniform_support(const tyche_dist *d, double *lo, double *hi) {
    *lo = d->p[0];
    *hi = d->p[1];
}
static double uniform_sample(const tyche_dist *d, gsl_rng *r) {
    return gsl_ran_flat(r, d->p[0], d->p[1]);
}
static double uniform_quantile(const tyche_dist *d, double u) {
    return gsl_cdf_flat_Pinv(u, d->p[0], d->p[1]);
}
static double uniform_mean(const tyche_dist *d) { return 0.5 * (d->p[0] + d->p[1]); }
static double uniform_variance(const tyche_dist *d) {
    return (d->p[1] - d->p[0]) * (d->p[1] - d->p[0]) / 12.0;
}
static void uniform_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "uniform(%g, %g)", d->p[0], d->p[1]);
}

/* ---- normal --------------------------------------------------------------- */

static tyche_status normal_parse(const cJSON *obj, const char *path, tyche_dist *d,
                                 tyche_err *err) {
    if (need_number(obj, "mean", path, &d->p[0], err) != TYCHE_OK) return TYCHE_EINPUT;
    return need_number(obj, "sd", path, &d->p[1], err);
}
static tyche_status normal_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    if (need_finite(d->p[0], path, "mean", err) != TYCHE_OK) return TYCHE_EINPUT;
    return need_positive(d->p[1], path, "sd", err);
}
static void unbounded_support(const tyche_dist *d, double *lo, double *hi) {
    (void)d;
    *lo = -INFINITY;
    *hi = INFINITY;
}
/* the ziggurat: about twice as fast as GSL's polar Box-Muller, and a
 * per-parameter stream never needs the pair the polar method makes */
static double normal_sample(const tyche_dist *d, gsl_rng *r) {
    return d->p[0] + gsl_ran_gaussian_ziggurat(r, d->p[1]);
}
static double normal_quantile(const tyche_dist *d, double u) {
    return d->p[0] + gsl_cdf_gaussian_Pinv(u, d->p[1]);
}
static double normal_mean(const tyche_dist *d) { return d->p[0]; }
static double normal_variance(const tyche_dist *d) { return d->p[1] * d->p[1]; }
static void normal_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "normal(mean %g, sd %g)", d->p[0], d->p[1]);
}

/* ---- truncated normal ----------------------------------------------------- */

static tyche_status truncnormal_parse(const cJSON *obj, const char *path, tyche_dist *d,
                                      tyche_err *err) {
    int found;
    if (normal_parse(obj, path, d, err) != TYCHE_OK) return TYCHE_EINPUT;
    d->p[2] = -INFINITY;
    d->p[3] = INFINITY;
    if (get_number(obj, "min", path, &d->p[2], &found, err) != TYCHE_OK) return TYCHE_EINPUT;
    return get_number(obj, "max", path, &d->p[3], &found, err);
}
static tyche_status truncnormal_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    const double *p = d->p;
    if (normal_validate(d, path, err) != TYCHE_OK) return TYCHE_EINPUT;
    /* an absent bound is stored as the infinity on its own side, only */
    if ((isnan(p[2]) || p[2] == INFINITY) && need_finite(p[2], path, "min", err) != TYCHE_OK)
        return TYCHE_EINPUT;
    if ((isnan(p[3]) || p[3] == -INFINITY) && need_finite(p[3], path, "max", err) != TYCHE_OK)
        return TYCHE_EINPUT;
    return need_ordered(p[2], p[3], path, err);
}
static void truncnormal_support(const tyche_dist *d, double *lo, double *hi) {
    *lo = d->p[2];
    *hi = d->p[3];
}
static double truncnormal_quantile(const tyche_dist *d, double u) {
    const double *p = d->p;
    const double z = tn_std_quantile((p[2] - p[0]) / p[1], (p[3] - p[0]) / p[1], u);
    /* rounding (or a NaN from absurd bounds) must not leave [min, max] */
    return clamp(p[0] + p[1] * z, p[2], p[3]);
}
/* inversion, not rejection: cost does not grow as the bounds move out */
static double truncnormal_sample(const tyche_dist *d, gsl_rng *r) {
    return truncnormal_quantile(d, gsl_rng_uniform_pos(r));
}
static double truncnormal_mean(const tyche_dist *d) {
    const double *p = d->p;
    double m, sd;
    tn_std_moments((p[2] - p[0]) / p[1], (p[3] - p[0]) / p[1], &m, &sd);
    return p[0] + p[1] * m;
}
static double truncnormal_variance(const tyche_dist *d) {
    const double *p = d->p;
    double m, sd;
    tn_std_moments((p[2] - p[0]) / p[1], (p[3] - p[0]) / p[1], &m, &sd);
    return (p[1] * sd) * (p[1] * sd);
}
static void truncnormal_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "truncnormal(mean %g, sd %g", d->p[0], d->p[1]);
    if (isfinite(d->p[2])) append(buf, len, pos, ", min %g", d->p[2]);
    if (isfinite(d->p[3])) append(buf, len, pos, ", max %g", d->p[3]);
    append(buf, len, pos, ")");
}

/* ---- lognormal (parse_lognormal above) ------------------------------------ */

static tyche_status lognormal_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    if (!isfinite(d->p[0]))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.median: must be a finite number > 0", path);
    return need_positive(d->p[1], path, "sdlog", err);
}
static void positive_support(const tyche_dist *d, double *lo, double *hi) {
    (void)d;
    *lo = 0.0;
    *hi = INFINITY;
}
static double lognormal_sample(const tyche_dist *d, gsl_rng *r) {
    return exp(d->p[0] + gsl_ran_gaussian_ziggurat(r, d->p[1]));
}
static double lognormal_quantile(const tyche_dist *d, double u) {
    return gsl_cdf_lognormal_Pinv(u, d->p[0], d->p[1]);
}
static double lognormal_mean(const tyche_dist *d) { return exp(d->p[0] + 0.5 * d->p[1] * d->p[1]); }
static double lognormal_variance(const tyche_dist *d) {
    const double s2 = d->p[1] * d->p[1];
    return expm1(s2) * exp(2.0 * d->p[0] + s2);
}
static void lognormal_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "lognormal(median %g, sdlog %g)", exp(d->p[0]), d->p[1]);
}

/* ---- beta (parse_beta above) ---------------------------------------------- */

static tyche_status beta_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    if (need_positive(d->p[0], path, "a", err) != TYCHE_OK) return TYCHE_EINPUT;
    if (need_positive(d->p[1], path, "b", err) != TYCHE_OK) return TYCHE_EINPUT;
    if (need_shape(d->p[0], path, "a", err) != TYCHE_OK) return TYCHE_EINPUT;
    return need_shape(d->p[1], path, "b", err);
}
static void unit_support(const tyche_dist *d, double *lo, double *hi) {
    (void)d;
    *lo = 0.0;
    *hi = 1.0;
}
static double beta_sample(const tyche_dist *d, gsl_rng *r) {
    return gsl_ran_beta(r, d->p[0], d->p[1]);
}
static double beta_dist_quantile(const tyche_dist *d, double u) {
    return beta_quantile(u, d->p[0], d->p[1]);
}
static double beta_mean(const tyche_dist *d) { return d->p[0] / (d->p[0] + d->p[1]); }
static double beta_variance(const tyche_dist *d) {
    /* m (1 - m) / (s + 1): ab / s^2 would overflow or underflow first */
    const double s = d->p[0] + d->p[1];
    return (d->p[0] / s) * (d->p[1] / s) / (s + 1.0);
}
static void beta_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "beta(a %g, b %g)", d->p[0], d->p[1]);
}

/* ---- gamma (parse_gamma above) -------------------------------------------- */

static tyche_status gamma_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    if (need_positive(d->p[0], path, "shape", err) != TYCHE_OK) return TYCHE_EINPUT;
    return need_positive(d->p[1], path, "scale", err);
}
static double gamma_sample(const tyche_dist *d, gsl_rng *r) {
    return gsl_ran_gamma(r, d->p[0], d->p[1]);
}
static double gamma_dist_quantile(const tyche_dist *d, double u) {
    return gamma_quantile(u, d->p[0], d->p[1]);
}
static double gamma_mean(const tyche_dist *d) { return d->p[0] * d->p[1]; }
static double gamma_variance(const tyche_dist *d) { return d->p[0] * d->p[1] * d->p[1]; }
static void gamma_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "gamma(shape %g, scale %g)", d->p[0], d->p[1]);
}

/* ---- triangular and PERT: p[0] = min, p[1] = mode, p[2] = max ------------- */

static tyche_status triangular_parse(const cJSON *obj, const char *path, tyche_dist *d,
                                     tyche_err *err) {
    if (need_number(obj, "min", path, &d->p[0], err) != TYCHE_OK) return TYCHE_EINPUT;
    if (need_number(obj, "mode", path, &d->p[1], err) != TYCHE_OK) return TYCHE_EINPUT;
    return need_number(obj, "max", path, &d->p[2], err);
}
static tyche_status triangular_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    if (need_finite(d->p[0], path, "min", err) != TYCHE_OK) return TYCHE_EINPUT;
    if (need_finite(d->p[1], path, "mode", err) != TYCHE_OK) return TYCHE_EINPUT;
    if (need_finite(d->p[2], path, "max", err) != TYCHE_OK) return TYCHE_EINPUT;
    if (need_ordered(d->p[0], d->p[2], path, err) != TYCHE_OK) return TYCHE_EINPUT;
    return need_mode_inside(d->p, path, err);
}
static void min_max_support(const tyche_dist *d, double *lo, double *hi) {
    *lo = d->p[0];
    *hi = d->p[2];
}
static double triangular_sample(const tyche_dist *d, gsl_rng *r) {
    return triangular_quantile(d->p[0], d->p[1], d->p[2], gsl_rng_uniform(r));
}
static double triangular_dist_quantile(const tyche_dist *d, double u) {
    return triangular_quantile(d->p[0], d->p[1], d->p[2], u);
}
static double triangular_mean(const tyche_dist *d) { return (d->p[0] + d->p[1] + d->p[2]) / 3.0; }
static double triangular_variance(const tyche_dist *d) {
    /* (a^2 + b^2 + c^2 - ab - ac - bc) / 18, shifted to min = 0 so that
     * a range far from zero does not cancel */
    const double c = d->p[1] - d->p[0], b = d->p[2] - d->p[0];
    return (b * b + c * c - b * c) / 18.0;
}
static void triangular_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "triangular(min %g, mode %g, max %g)", d->p[0], d->p[1], d->p[2]);
}

static tyche_status pert_parse(const cJSON *obj, const char *path, tyche_dist *d,
                               tyche_err *err) {
    int found;
    if (triangular_parse(obj, path, d, err) != TYCHE_OK) return TYCHE_EINPUT;
    d->p[3] = PERT_DEFAULT_LAMBDA;
    return get_number(obj, "lambda", path, &d->p[3], &found, err);
}
static tyche_status pert_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    if (triangular_validate(d, path, err) != TYCHE_OK) return TYCHE_EINPUT;
    return need_positive(d->p[3], path, "lambda", err);
}
static double pert_sample(const tyche_dist *d, gsl_rng *r) {
    return d->p[0] + (d->p[2] - d->p[0]) * gsl_ran_beta(r, pert_shape(d, 0), pert_shape(d, 1));
}
static double pert_quantile(const tyche_dist *d, double u) {
    return d->p[0] + (d->p[2] - d->p[0]) * beta_quantile(u, pert_shape(d, 0), pert_shape(d, 1));
}
static double pert_mean(const tyche_dist *d) {
    const double a = pert_shape(d, 0), b = pert_shape(d, 1);
    return d->p[0] + (d->p[2] - d->p[0]) * a / (a + b);
}
static double pert_variance(const tyche_dist *d) {
    const double a = pert_shape(d, 0), b = pert_shape(d, 1), s = a + b;
    const double range = d->p[2] - d->p[0];
    return range * range * (a / s) * (b / s) / (s + 1.0);
}
static void pert_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "pert(min %g, mode %g, max %g", d->p[0], d->p[1], d->p[2]);
    if (d->p[3] != PERT_DEFAULT_LAMBDA) append(buf, len, pos, ", lambda %g", d->p[3]);
    append(buf, len, pos, ")");
}

/* ---- bernoulli ------------------------------------------------------------ */

static tyche_status bernoulli_parse(const cJSON *obj, const char *path, tyche_dist *d,
                                    tyche_err *err) {
    return need_number(obj, "p", path, &d->p[0], err);
}
static tyche_status bernoulli_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    if (d->p[0] >= 0.0 && d->p[0] <= 1.0) return TYCHE_OK;
    return tyche_err_set(err, TYCHE_EINPUT, "%s.p: must be between 0 and 1 (is %g)", path,
                         d->p[0]);
}
static void bernoulli_support(const tyche_dist *d, double *lo, double *hi) {
    *lo = d->p[0] < 1.0 ? 0.0 : 1.0;
    *hi = d->p[0] > 0.0 ? 1.0 : 0.0;
}
static double bernoulli_sample(const tyche_dist *d, gsl_rng *r) {
    return gsl_rng_uniform(r) < d->p[0] ? 1.0 : 0.0;
}
/* inf{x : F(x) >= u} with F(0) = 1 - p; u = 0 gives the support's minimum */
static double bernoulli_quantile(const tyche_dist *d, double u) {
    return (u > 1.0 - d->p[0] || d->p[0] == 1.0) ? 1.0 : 0.0;
}
static double bernoulli_mean(const tyche_dist *d) { return d->p[0]; }
static double bernoulli_variance(const tyche_dist *d) { return d->p[0] * (1.0 - d->p[0]); }
static int bernoulli_is_fixed(const tyche_dist *d) { return d->p[0] == 0.0 || d->p[0] == 1.0; }
static void bernoulli_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "bernoulli(p %g)", d->p[0]);
}

/* ---- discrete (parse_discrete, validate_discrete above) ------------------- */

static void discrete_support(const tyche_dist *d, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < d->n; i++) {
        if (d->values[i] < *lo) *lo = d->values[i];
        if (d->values[i] > *hi) *hi = d->values[i];
    }
}
static double discrete_sample(const tyche_dist *d, gsl_rng *r) {
    if (d->n == 0 || d->values == NULL || d->cumw == NULL) return NAN;
    /* first i with u < cumw[i]: never a zero-weight entry, and it exists
     * because cumw[n-1] == 1 > u */
    const double u = gsl_rng_uniform(r);
    size_t lo = 0, hi = d->n - 1;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (u < d->cumw[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return d->values[lo];
}
static double discrete_quantile(const tyche_dist *d, double u) {
    if (d->n == 0 || d->values == NULL || d->cumw == NULL) return NAN;
    /* first i with cumw[i] >= u; u = 0 skips leading zero weights too */
    size_t lo = 0, hi = d->n - 1;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (d->cumw[mid] >= u && d->cumw[mid] > 0.0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return d->values[lo];
}
static double discrete_mean(const tyche_dist *d) {
    if (d->n == 0 || d->values == NULL || d->cumw == NULL) return NAN;
    double m = 0.0;
    for (size_t i = 0; i < d->n; i++) m += discrete_weight(d, i) * d->values[i];
    return m;
}
static double discrete_variance(const tyche_dist *d) {
    /* two passes: the one-pass E[X^2] - m^2 cancels badly for large values */
    const double m = discrete_mean(d);
    if (isnan(m)) return NAN;
    double v = 0.0;
    for (size_t i = 0; i < d->n; i++)
        v += discrete_weight(d, i) * (d->values[i] - m) * (d->values[i] - m);
    return v;
}
static int discrete_is_fixed(const tyche_dist *d) {
    if (d->cumw == NULL) return 0;
    for (size_t i = 0; i < d->n; i++)
        if (discrete_weight(d, i) == 1.0) return 1;
    return 0;
}
static void discrete_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "discrete(");
    for (size_t i = 0; d->values && d->cumw && i < d->n; i++) {
        char item[64];
        snprintf(item, sizeof item, "%s%g: %g", i ? ", " : "", d->values[i],
                 discrete_weight(d, i));
        /* keep room to say the list goes on rather than cut a number */
        if (*pos + strlen(item) + 6 >= len) {
            append(buf, len, pos, "%s...", i ? ", " : "");
            break;
        }
        append(buf, len, pos, "%s", item);
    }
    append(buf, len, pos, ")");
}

/* ---- log-uniform ----------------------------------------------------------
 *
 * log X uniform on [log min, log max]: density 1 / (x ln(max / min)).  The
 * moments are written in x = (max - min) / (max + min) and the midpoint c,
 * with ln(max / min) = 2 atanh(x): mean = c x / atanh(x) and
 * variance = mean (c - mean), whose difference c - mean = c (atanh(x) - x) /
 * atanh(x) is summed as a series for a narrow range, where the textbook
 * (max^2 - min^2) / (2 ln(max / min)) - mean^2 cancels to nothing (at
 * max / min = 1 + 1e-4 it keeps 8 digits, at 1 + 1e-8 none). */

static tyche_status loguniform_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    if (need_positive(d->p[0], path, "min", err) != TYCHE_OK) return TYCHE_EINPUT;
    if (need_finite(d->p[1], path, "max", err) != TYCHE_OK) return TYCHE_EINPUT;
    return need_ordered(d->p[0], d->p[1], path, err);
}
/* ln(max / min), without forming a ratio that can overflow */
static double loguniform_span(const tyche_dist *d) { return log(d->p[1]) - log(d->p[0]); }
static double loguniform_quantile(const tyche_dist *d, double u) {
    const double lo = d->p[0], hi = d->p[1], span = loguniform_span(d);
    /* from the nearer end, so that u near 1 lands next to max, not on it */
    const double x = u <= 0.5 ? lo * exp(u * span) : hi * exp(-(1.0 - u) * span);
    return clamp(x, lo, hi);
}
static double loguniform_sample(const tyche_dist *d, gsl_rng *r) {
    return loguniform_quantile(d, gsl_rng_uniform_pos(r));
}
/* atanh(x) - x for 0 < x < 1: the series x^3/3 + x^5/5 + ... below 1/2,
 * where the subtraction would cancel, and the subtraction above */
static double atanh_minus_x(double x) {
    if (x >= 0.5) return atanh(x) - x;
    const double x2 = x * x;
    double term = x * x2, sum = 0.0;
    for (int k = 3; k < 200; k += 2) {
        const double add = term / k;
        sum += add;
        if (add <= 1e-17 * sum) break;
        term *= x2;
    }
    return sum;
}
/* A prior whose mean and variance come from one computation of both:
 * its table's mean and variance entries. */
#define MOMENTS_FROM(kind)                                                   \
    static double kind##_mean(const tyche_dist *d) {                         \
        double m, v;                                                         \
        kind##_moments(d, &m, &v);                                           \
        return m;                                                            \
    }                                                                        \
    static double kind##_variance(const tyche_dist *d) {                     \
        double m, v;                                                         \
        kind##_moments(d, &m, &v);                                           \
        return v;                                                            \
    }

static void loguniform_moments(const tyche_dist *d, double *mean, double *var) {
    const double lo = d->p[0], hi = d->p[1];
    const double c = 0.5 * lo + 0.5 * hi, x = (0.5 * hi - 0.5 * lo) / c;
    const double at = atanh(x);
    *mean = c * (x / at);
    *var = *mean * (c * (atanh_minus_x(x) / at));
}
MOMENTS_FROM(loguniform)
static void loguniform_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "loguniform(min %g, max %g)", d->p[0], d->p[1]);
}

/* ---- Student-t ------------------------------------------------------------
 *
 * location + scale T, T ~ t(df), optionally truncated to [min, max].  The
 * quantile inverts GSL's t CDF through whichever tail holds the target, as
 * the truncated normal does, so u near 1 and bounds far out stay exact; the
 * inversion is invert_tail's (on the upper tail of |T|, in log x) and not
 * gsl_cdf_tdist_Pinv / Qinv, which a scan over df from 0.01 to 1e9 found
 * returning NaN or a quantile off by a factor for df below ~0.13 and near
 * df = 0.7 (and calling GSL's error handler far in the tail). */

#define T_MIN_MASS 1e-12   /* least probability a truncation interval may hold */
#define T_QUAD_LIMIT 200   /* subintervals per quadrature piece */
/* Relative tolerance per piece: each piece is of one sign, so the sum keeps
 * it, and 1e-10 is far enough above the 50 eps of a 61-point rule's
 * rounding that QAG never reports a roundoff failure (at 1e-12 it did, for
 * df 1e4), which GSL's default handler would turn into an abort. */
#define T_QUAD_EPSREL 1e-10
/* Absolute tolerance: only so that pieces whose integral is subnormal
 * (far out in a light tail) count as converged. */
#define T_QUAD_EPSABS 1e-290

/* Upper and lower tails of t(nu), defined at the infinities. */
static double t_upper(double x, double nu) {
    if (x == INFINITY) return 0.0;
    if (x == -INFINITY) return 1.0;
    return gsl_cdf_tdist_Q(x, nu);
}
static double t_lower(double x, double nu) { return t_upper(-x, nu); }
static double t_Q3(double x, double nu, double unused) {
    (void)unused;
    return gsl_cdf_tdist_Q(x, nu);
}
static double t_pdf3(double x, double nu, double unused) {
    (void)unused;
    return gsl_ran_tdist_pdf(x, nu);
}

/* x >= 0 with Q(x) = q for 0 <= q <= 1/2 (DBL_MAX where x is beyond the doubles). */
static double t_upper_inverse(double q, double nu) {
    if (q <= 0.0) return INFINITY;
    if (q >= 0.5) return 0.0;
    /* the normal quantile is only a start; heavier tails are found by Newton */
    return invert_tail(t_Q3, 1, t_pdf3, nu, 0.0, q, 0.0, DBL_MAX, gsl_cdf_ugaussian_Qinv(q), 1);
}

/* P(a <= T <= b), from the smaller tails so that it is exact far out. */
static double t_mass(double a, double b, double nu) {
    if (a >= 0.0) return t_upper(a, nu) - t_upper(b, nu);
    if (b <= 0.0) return t_lower(b, nu) - t_lower(a, nu);
    return 1.0 - t_lower(a, nu) - t_upper(b, nu);
}

/* Quantile of T | a <= T <= b: F(x) = F(a) + u (F(b) - F(a)), solved in
 * the tail the answer lies in. */
static double t_std_quantile(double a, double b, double nu, double u) {
    if (a >= 0.0) {
        const double qa = t_upper(a, nu), qb = t_upper(b, nu);
        return t_upper_inverse(qa - u * (qa - qb), nu);
    }
    if (b <= 0.0) {
        const double pa = t_lower(a, nu), pb = t_lower(b, nu);
        return -t_upper_inverse(pa + u * (pb - pa), nu);
    }
    const double pa = t_lower(a, nu), qb = t_upper(b, nu), mass = 1.0 - pa - qb;
    const double p = pa + u * mass;
    if (p <= 0.5) return -t_upper_inverse(p, nu);
    return t_upper_inverse(qb + (1.0 - u) * mass, nu);
}

typedef struct {
    double nu, centre;
    int power; /* 1: z f(z); 2: (z - centre)^2 f(z) */
} t_integrand;

static double t_moment_density(double z, void *params) {
    const t_integrand *t = params;
    const double f = gsl_ran_tdist_pdf(z, t->nu);
    return t->power == 1 ? z * f : (z - t->centre) * (z - t->centre) * f;
}

/* The next breakpoint above x: 0 and the powers of 4 on either side of it,
 * so that every piece is of one sign and spans a bounded ratio of |z|,
 * where Gauss-Kronrod on a heavy tail needs no luck to see the mass. */
static double t_next_edge(double x) {
    double p = 1.0;
    if (x >= 0.0) {
        if (x < 1.0) return 1.0;
        while (p <= x && p < DBL_MAX / 4.0) p *= 4.0;
        return p > x ? p : INFINITY;
    }
    if (-x <= 1.0) return 0.0;
    while (p * 4.0 < -x) p *= 4.0;
    return -p;
}

/* The integral of the integrand over [lo, hi] (finite), piece by piece;
 * NaN if GSL's QAG reports a failure (with its error handler off). */
static double t_integrate(const t_integrand *t, double lo, double hi,
                          gsl_integration_workspace *ws) {
    gsl_function fn = {t_moment_density, (void *)t};
    double sum = 0.0;
    for (double x = lo; x < hi;) {
        const double next = fmin(t_next_edge(x), hi);
        double r, abserr;
        if (gsl_integration_qag(&fn, x, next, T_QUAD_EPSABS, T_QUAD_EPSREL, T_QUAD_LIMIT,
                                GSL_INTEG_GAUSS61, ws, &r, &abserr) != GSL_SUCCESS)
            return NAN;
        sum += r;
        x = next;
    }
    return sum;
}

/* Mean and variance of T | a <= T <= b with a finite, b finite or +inf, by
 * quadrature of z f(z) and (z - mean)^2 f(z) over [a, b] divided by the
 * mass.  An infinite upper end is cut at B, far beyond a and the mean,
 * and the tail beyond B added in closed form, from (nu + z^2) f(z) / (nu - 1)
 * being a primitive of -z f(z):
 *   int_B^inf z f   = (nu + B^2) f(B) / (nu - 1)                  nu > 1,
 *   int_B^inf z^2 f = (B (nu + B^2) f(B) + nu Q(B)) / (nu - 2)    nu > 2;
 * below those df the tail's moment is infinite (the mean +inf, the
 * variance inf, or NaN when the mean is already infinite). */
static void t_std_moments(double a, double b, double nu, double *mean, double *var) {
    const double mass = t_mass(a, b, nu);
    if (isinf(b) && nu <= 1.0) {
        *mean = INFINITY;
        *var = NAN;
        return;
    }
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(T_QUAD_LIMIT);
    if (ws == NULL) {
        *mean = *var = NAN;
        return;
    }
    const double cut = isinf(b) ? 64.0 * fmax(1.0, fabs(a)) : b;
    t_integrand t = {nu, 0.0, 1};
    double s1 = t_integrate(&t, a, cut, ws);
    double tail_f = 0.0, tail_q = 0.0;
    if (isinf(b)) {
        tail_f = gsl_ran_tdist_pdf(cut, nu);
        tail_q = gsl_cdf_tdist_Q(cut, nu);
        s1 += (nu + cut * cut) * tail_f / (nu - 1.0);
    }
    *mean = clamp(s1 / mass, a, b);
    if (isinf(b) && nu <= 2.0) {
        *var = INFINITY;
    } else {
        t.power = 2;
        t.centre = *mean;
        double s2 = t_integrate(&t, a, cut, ws);
        if (isinf(b)) {
            const double t1 = (nu + cut * cut) * tail_f / (nu - 1.0);
            const double t2 = (cut * (nu + cut * cut) * tail_f + nu * tail_q) / (nu - 2.0);
            s2 += t2 - 2.0 * *mean * t1 + *mean * *mean * tail_q;
        }
        *var = fmax(s2 / mass, 0.0);
    }
    gsl_integration_workspace_free(ws);
}

static tyche_status studentt_parse(const cJSON *obj, const char *path, tyche_dist *d,
                                   tyche_err *err) {
    int found;
    d->p[0] = 0.0;
    d->p[3] = -INFINITY;
    d->p[4] = INFINITY;
    if (get_number(obj, "location", path, &d->p[0], &found, err) != TYCHE_OK) return TYCHE_EINPUT;
    if (need_number(obj, "scale", path, &d->p[1], err) != TYCHE_OK) return TYCHE_EINPUT;
    if (need_number(obj, "df", path, &d->p[2], err) != TYCHE_OK) return TYCHE_EINPUT;
    if (get_number(obj, "min", path, &d->p[3], &found, err) != TYCHE_OK) return TYCHE_EINPUT;
    return get_number(obj, "max", path, &d->p[4], &found, err);
}
static int studentt_truncated(const tyche_dist *d) { return !isinf(d->p[3]) || !isinf(d->p[4]); }
static double studentt_std(const tyche_dist *d, double x) { return (x - d->p[0]) / d->p[1]; }
static tyche_status studentt_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    const double *p = d->p;
    if (need_finite(p[0], path, "location", err) != TYCHE_OK) return TYCHE_EINPUT;
    if (need_positive(p[1], path, "scale", err) != TYCHE_OK) return TYCHE_EINPUT;
    if (need_positive(p[2], path, "df", err) != TYCHE_OK) return TYCHE_EINPUT;
    /* an absent bound is stored as the infinity on its own side, only */
    if ((isnan(p[3]) || p[3] == INFINITY) && need_finite(p[3], path, "min", err) != TYCHE_OK)
        return TYCHE_EINPUT;
    if ((isnan(p[4]) || p[4] == -INFINITY) && need_finite(p[4], path, "max", err) != TYCHE_OK)
        return TYCHE_EINPUT;
    if (need_ordered(p[3], p[4], path, err) != TYCHE_OK) return TYCHE_EINPUT;
    const double mass = t_mass(studentt_std(d, p[3]), studentt_std(d, p[4]), p[2]);
    if (!(mass >= T_MIN_MASS))
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.min: [min, max] = [%g, %g] holds probability %.3g of the "
                             "Student-t, below %g",
                             path, p[3], p[4], mass, T_MIN_MASS);
    return TYCHE_OK;
}
static void studentt_support(const tyche_dist *d, double *lo, double *hi) {
    *lo = d->p[3];
    *hi = d->p[4];
}
static double studentt_quantile(const tyche_dist *d, double u) {
    const double *p = d->p;
    if (u <= 0.0) return p[3];
    if (u >= 1.0) return p[4];
    const double z = t_std_quantile(studentt_std(d, p[3]), studentt_std(d, p[4]), p[2], u);
    /* rounding (or an answer beyond the doubles) must not leave [min, max] */
    return clamp(p[0] + p[1] * z, fmax(p[3], -DBL_MAX), fmin(p[4], DBL_MAX));
}
/* GSL's sampler (a normal over the root of a chi-square) when untruncated,
 * inversion when truncated: no rejection loop, however narrow the interval */
static double studentt_sample(const tyche_dist *d, gsl_rng *r) {
    if (studentt_truncated(d)) return studentt_quantile(d, gsl_rng_uniform_pos(r));
    /* at tiny df the chi-square can underflow to 0: the draw is beyond the
     * doubles, where the quantile function puts it too */
    return clamp(d->p[0] + d->p[1] * gsl_ran_tdist(r, d->p[2]), -DBL_MAX, DBL_MAX);
}
static void studentt_moments(const tyche_dist *d, double *mean, double *var) {
    const double *p = d->p, nu = p[2];
    if (!studentt_truncated(d)) {
        *mean = nu > 1.0 ? p[0] : NAN;
        *var = nu > 2.0 ? p[1] * p[1] * (nu / (nu - 2.0)) : nu > 1.0 ? INFINITY : NAN;
        return;
    }
    double a = studentt_std(d, p[3]), b = studentt_std(d, p[4]), m, v;
    const int mirrored = isinf(a); /* worked as the mirror image [-b, inf) */
    if (mirrored) {
        const double t = a;
        a = -b;
        b = -t;
    }
    t_std_moments(a, b, nu, &m, &v);
    *mean = p[0] + p[1] * (mirrored ? -m : m);
    *var = p[1] * p[1] * v;
}
MOMENTS_FROM(studentt)
static void studentt_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "studentt(location %g, scale %g, df %g", d->p[0], d->p[1], d->p[2]);
    if (isfinite(d->p[3])) append(buf, len, pos, ", min %g", d->p[3]);
    if (isfinite(d->p[4])) append(buf, len, pos, ", max %g", d->p[4]);
    append(buf, len, pos, ")");
}

/* ---- CDFs ------------------------------------------------------------------
 *
 * cdf(d, x, upper): P(X <= x), or P(X > x) when upper, each computed from
 * its own tail where the law allows, so that a mixture's quantile, which
 * inverts a sum of them, keeps its relative precision at u = 1e-9 and at
 * u = 1 - 1e-9 alike.  Point masses and steps are right-continuous. */

/* lower or upper from a value and its complement */
static double pick_tail(double lower, double upper_tail, int upper) {
    return clamp(upper ? upper_tail : lower, 0.0, 1.0);
}

static double fixed_cdf(const tyche_dist *d, double x, int upper) {
    const int below = x >= d->p[0]; /* P(X <= x) is 1 */
    return upper ? (below ? 0.0 : 1.0) : (below ? 1.0 : 0.0);
}
static double uniform_cdf(const tyche_dist *d, double x, int upper) {
    if (x <= d->p[0]) return upper ? 1.0 : 0.0;
    if (x >= d->p[1]) return upper ? 0.0 : 1.0;
    const double w = d->p[1] - d->p[0];
    return upper ? (d->p[1] - x) / w : (x - d->p[0]) / w;
}
static double normal_cdf(const tyche_dist *d, double x, int upper) {
    const double z = (x - d->p[0]) / d->p[1];
    return upper ? gsl_cdf_ugaussian_Q(z) : gsl_cdf_ugaussian_P(z);
}
/* int_lo^hi phi(t) dt / e^lref on a narrow interval ((hi - lo) (1 + |t|) <
 * 0.5, as in tn_narrow_moments), by 8-point Gauss-Legendre, exact to
 * rounding there, where a difference of two tails would keep only the
 * digits they do not share */
static double phi_narrow(double lo, double hi, double lref) {
    static const double node[4] = {0.1834346424956498, 0.5255324099163290, 0.7966664774136267,
                                   0.9602898564975363};
    static const double weight[4] = {0.3626837833783620, 0.3137066458778873,
                                     0.2223810344533745, 0.1012285362903763};
    const double mid = 0.5 * (lo + hi), h = 0.5 * (hi - lo);
    double s = 0.0;
    for (int i = 0; i < 4; i++)
        s += weight[i] * (exp(log_phi(mid - h * node[i]) - lref) +
                          exp(log_phi(mid + h * node[i]) - lref));
    return h * s;
}
static int narrow(double lo, double hi) {
    return (hi - lo) * (1.0 + fmax(fabs(lo), fabs(hi))) < 0.5;
}

/* Z | alpha <= Z <= beta at z, through the tail the interval lies in (in
 * logs, as the quantile is, so that bounds far out stay exact), and by
 * quadrature next to either bound */
static double truncnormal_cdf(const tyche_dist *d, double x, int upper) {
    const double *p = d->p;
    const double alpha = (p[2] - p[0]) / p[1], beta = (p[3] - p[0]) / p[1];
    if (x < p[2]) return upper ? 1.0 : 0.0;
    if (x >= p[3]) return upper ? 0.0 : 1.0;
    double z = clamp((x - p[0]) / p[1], alpha, beta);
    double a = alpha, b = beta;
    if (beta <= 0.0) { /* mirror image: P(Z <= z) = P(-Z >= -z) */
        a = -beta;
        b = -alpha;
        z = -z;
        upper = !upper;
    }
    double below, above;
    if (a >= 0.0) {
        const double la = log_upper(a), lb = log_upper(b), lz = log_upper(z);
        const double mass = -expm1(lb - la); /* (Q(a) - Q(b)) / Q(a) */
        below = narrow(a, z) ? phi_narrow(a, z, la) / mass : -expm1(lz - la) / mass;
        above = narrow(z, b) ? phi_narrow(z, b, la) / mass : (exp(lz - la) - exp(lb - la)) / mass;
    } else {
        const double pa = gsl_cdf_ugaussian_P(a), qb = gsl_cdf_ugaussian_Q(b);
        const double mass = 1.0 - pa - qb, lm = log(mass);
        below = narrow(a, z) ? phi_narrow(a, z, lm)
                : z <= 0.0  ? (gsl_cdf_ugaussian_P(z) - pa) / mass
                            : 1.0 - (gsl_cdf_ugaussian_Q(z) - qb) / mass;
        above = narrow(z, b) ? phi_narrow(z, b, lm)
                : z <= 0.0  ? 1.0 - (gsl_cdf_ugaussian_P(z) - pa) / mass
                            : (gsl_cdf_ugaussian_Q(z) - qb) / mass;
    }
    return pick_tail(below, above, upper);
}
static double lognormal_cdf(const tyche_dist *d, double x, int upper) {
    if (x <= 0.0) return upper ? 1.0 : 0.0;
    const double z = (log(x) - d->p[0]) / d->p[1];
    return upper ? gsl_cdf_ugaussian_Q(z) : gsl_cdf_ugaussian_P(z);
}
/* F(x) for Beta(a, b), with the huge shapes' law (see beta_quantile)
 * inverted from its quantile so that the two agree */
static double beta_cdf_of(double x, double a, double b, int upper) {
    if (x <= 0.0) return upper ? 1.0 : 0.0;
    if (x >= 1.0) return upper ? 0.0 : 1.0;
    if (fmin(a, b) > BETA_CF_FROM) {
        double lo = 0.0, hi = 1.0; /* bisection in u on the bits: <= 64 halvings */
        for (int i = 0; i < 80; i++) {
            const double m = bit_midpoint(lo, hi);
            if (m == lo || m == hi) break;
            if (beta_quantile(m, a, b) <= x)
                lo = m;
            else
                hi = m;
        }
        return upper ? 1.0 - lo : lo;
    }
    return upper ? gsl_cdf_beta_Q(x, a, b) : gsl_cdf_beta_P(x, a, b);
}
static double beta_cdf(const tyche_dist *d, double x, int upper) {
    return beta_cdf_of(x, d->p[0], d->p[1], upper);
}
static double gamma_cdf(const tyche_dist *d, double x, int upper) {
    const double k = d->p[0], th = d->p[1];
    if (x <= 0.0) return upper ? 1.0 : 0.0;
    if (x == INFINITY) return upper ? 0.0 : 1.0;
    if (k > GAMMA_WH_FROM) { /* the inverse of gamma_quantile's Wilson-Hilferty form */
        const double c = 1.0 / (9.0 * k);
        const double z = (cbrt(x / (th * k)) - 1.0 + c) / sqrt(c);
        return upper ? gsl_cdf_ugaussian_Q(z) : gsl_cdf_ugaussian_P(z);
    }
    return upper ? gsl_cdf_gamma_Q(x, k, th) : gsl_cdf_gamma_P(x, k, th);
}
static double triangular_cdf(const tyche_dist *d, double x, int upper) {
    const double a = d->p[0], c = d->p[1], b = d->p[2];
    if (x <= a) return upper ? 1.0 : 0.0;
    if (x >= b) return upper ? 0.0 : 1.0;
    const double w = b - a;
    /* each side's square is that side's tail; the other is its complement */
    if (x <= c) {
        const double lo = ((x - a) / w) * ((x - a) / (c - a));
        return upper ? 1.0 - lo : lo;
    }
    const double hi = ((b - x) / w) * ((b - x) / (b - c));
    return upper ? hi : 1.0 - hi;
}
static double pert_cdf(const tyche_dist *d, double x, int upper) {
    return beta_cdf_of((x - d->p[0]) / (d->p[2] - d->p[0]), pert_shape(d, 0), pert_shape(d, 1),
                       upper);
}
static double bernoulli_cdf(const tyche_dist *d, double x, int upper) {
    const double lower = x < 0.0 ? 0.0 : x < 1.0 ? 1.0 - d->p[0] : 1.0;
    const double above = x < 0.0 ? 1.0 : x < 1.0 ? d->p[0] : 0.0;
    return upper ? above : lower;
}
/* cumw at the last value <= x */
static double discrete_cdf(const tyche_dist *d, double x, int upper) {
    if (d->n == 0 || d->values == NULL || d->cumw == NULL) return NAN;
    size_t lo = 0, hi = d->n; /* first index with values[i] > x */
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (d->values[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    const double below = lo == 0 ? 0.0 : d->cumw[lo - 1];
    return upper ? 1.0 - below : below;
}
static double loguniform_cdf(const tyche_dist *d, double x, int upper) {
    if (x <= d->p[0]) return upper ? 1.0 : 0.0;
    if (x >= d->p[1]) return upper ? 0.0 : 1.0;
    const double span = loguniform_span(d);
    return upper ? (log(d->p[1]) - log(x)) / span : (log(x) - log(d->p[0])) / span;
}
static double studentt_cdf(const tyche_dist *d, double x, int upper) {
    const double *p = d->p;
    if (x < p[3]) return upper ? 1.0 : 0.0;
    if (x >= p[4]) return upper ? 0.0 : 1.0;
    const double a = studentt_std(d, p[3]), b = studentt_std(d, p[4]);
    const double z = clamp(studentt_std(d, x), a, b), nu = p[2], mass = t_mass(a, b, nu);
    return clamp(upper ? t_mass(z, b, nu) / mass : t_mass(a, z, nu) / mass, 0.0, 1.0);
}

/* ---- mixture ----------------------------------------------------------------
 *
 * sum_k w_k F_k: the components are any priors (mixtures too, at most
 * MIX_MAX_DEPTH deep), owned by d->comp, their weights in d->values and
 * cumulative in d->cumw.  A draw picks its component with one uniform and
 * then draws from it; the quantile inverts the sum of the components' CDFs
 * numerically, bracketed by the components' own quantiles (below the least
 * of them every F_k < u, at the greatest every F_k >= u). */

#define MIX_MAX_COMPONENTS 16
#define MIX_MAX_DEPTH 4
#define MIX_REL_TOL 1e-14
#define MIX_STEP 1e-9 /* a rise of F across a converged bracket that is a point mass */

static tyche_status from_json_at(const cJSON *j, const char *path, const char *dir, int depth,
                                 tyche_dist *out, tyche_err *err);

static double mixture_weight(const tyche_dist *d, size_t k) { return d->values[k]; }

static tyche_status mixture_parse(const cJSON *obj, const char *path, const char *dir, int depth,
                                  tyche_dist *d, tyche_err *err) {
    double *w = NULL;
    size_t nw = 0;
    tyche_status st = get_array(obj, "weights", path, &w, &nw, err);
    if (st != TYCHE_OK) return st;
    const cJSON *comps = cJSON_GetObjectItemCaseSensitive(obj, "components");
    if (comps == NULL) {
        st = tyche_err_set(err, TYCHE_EINPUT, "%s: missing key \"components\"", path);
    } else if (!cJSON_IsArray(comps)) {
        st = tyche_err_set(err, TYCHE_EINPUT, "%s.components: must be an array of priors", path);
    } else if (cJSON_GetArraySize(comps) < 1 || cJSON_GetArraySize(comps) > MIX_MAX_COMPONENTS) {
        st = tyche_err_set(err, TYCHE_EINPUT, "%s.components: must hold 1 to %d priors (has %d)",
                           path, MIX_MAX_COMPONENTS, cJSON_GetArraySize(comps));
    } else if ((size_t)cJSON_GetArraySize(comps) != nw) {
        st = tyche_err_set(err, TYCHE_EINPUT,
                           "%s.weights: must have as many entries as components (%zu vs %d)", path,
                           nw, cJSON_GetArraySize(comps));
    } else if (depth >= MIX_MAX_DEPTH) {
        st = tyche_err_set(err, TYCHE_EINPUT, "%s: mixtures nest at most %d deep", path,
                           MIX_MAX_DEPTH);
    }
    double sum = 0.0;
    for (size_t i = 0; st == TYCHE_OK && i < nw; i++) {
        if (!(w[i] >= 0.0))
            st = tyche_err_set(err, TYCHE_EINPUT, "%s.weights[%zu]: must be >= 0", path, i);
        sum += w[i];
    }
    if (st == TYCHE_OK && !(fabs(sum - 1.0) <= WEIGHT_SUM_TOL))
        st = tyche_err_set(err, TYCHE_EINPUT, "%s.weights: must sum to 1 (they sum to %.10g)", path,
                           sum);
    double *cum = NULL;
    tyche_dist *comp = NULL;
    if (st == TYCHE_OK) {
        cum = tyche_malloc(nw * sizeof *cum);
        comp = tyche_calloc(nw, sizeof *comp);
        if (cum == NULL || comp == NULL)
            st = tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory", path);
    }
    size_t made = 0;
    const cJSON *first = st == TYCHE_OK ? comps->child : NULL;
    for (const cJSON *it = first; it && st == TYCHE_OK; it = it->next) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s.components[%zu]", path, made);
        st = from_json_at(it, sub, dir, depth + 1, &comp[made], err);
        if (st == TYCHE_OK) made++;
    }
    if (st != TYCHE_OK) {
        for (size_t i = 0; comp && i < made; i++) tyche_dist_clear(&comp[i]);
        free(comp);
        free(cum);
        free(w);
        return st;
    }
    /* normalised, so that the last cumulative weight is exactly 1 */
    double run = 0.0;
    for (size_t i = 0; i < nw; i++) {
        w[i] /= sum;
        run += w[i];
        cum[i] = run;
    }
    cum[nw - 1] = 1.0;
    d->n = nw;
    d->values = w;
    d->cumw = cum;
    d->comp = comp;
    return TYCHE_OK;
}

static tyche_status mixture_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    if (d->n < 1 || d->n > MIX_MAX_COMPONENTS || d->values == NULL || d->cumw == NULL ||
        d->comp == NULL)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.components: must hold 1 to %d priors", path,
                             MIX_MAX_COMPONENTS);
    double prev = 0.0;
    for (size_t k = 0; k < d->n; k++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s.components[%zu]", path, k);
        if (tyche_dist_validate(&d->comp[k], sub, err) != TYCHE_OK) return TYCHE_EINPUT;
        if (!(d->values[k] >= 0.0) || !(d->cumw[k] >= prev))
            return tyche_err_set(err, TYCHE_EINPUT, "%s.weights[%zu]: must be >= 0", path, k);
        prev = d->cumw[k];
    }
    if (d->cumw[d->n - 1] != 1.0)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.weights: must sum to 1 (they sum to %.10g)",
                             path, d->cumw[d->n - 1]);
    return TYCHE_OK;
}

/* over the components of positive weight: a zero-weight one takes no values */
static void mixture_support(const tyche_dist *d, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t k = 0; k < d->n; k++) {
        if (!(mixture_weight(d, k) > 0.0)) continue;
        double l, h;
        tyche_dist_support(&d->comp[k], &l, &h, NULL);
        *lo = fmin(*lo, l);
        *hi = fmax(*hi, h);
    }
}
/* open below when every component that reaches the least value is */
static int mixture_open_below(const tyche_dist *d) {
    double lo, hi;
    mixture_support(d, &lo, &hi);
    for (size_t k = 0; k < d->n; k++) {
        if (!(mixture_weight(d, k) > 0.0)) continue;
        double l, h;
        int open;
        tyche_dist_support(&d->comp[k], &l, &h, &open);
        if (l == lo && !open) return 0;
    }
    return 1;
}

/* the first component whose cumulative weight exceeds u (never a
 * zero-weight one; it exists since cumw[n-1] = 1 > u for u < 1) */
static size_t mixture_pick(const tyche_dist *d, double u) {
    size_t lo = 0, hi = d->n - 1;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (u < d->cumw[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}
static double mixture_sample(const tyche_dist *d, gsl_rng *r) {
    return tyche_dist_sample(&d->comp[mixture_pick(d, gsl_rng_uniform(r))], r);
}
/* One uniform per lane: its component from where it falls among the
 * cumulative weights, and the component's quantile of its position within
 * that component's share (itself a uniform).  Exact in law, and one
 * component quantile per draw instead of the mixture's inversion. */
static void mixture_block(const tyche_dist *d, tyche_draws *dr, const tyche_lanes *L,
                          uint32_t stream, double *out, double *tmp) {
    (void)tmp;
    tyche_draws_uniform(dr, L, stream, 0, out, NULL);
    for (size_t i = 0; i < L->n; i++) {
        const size_t k = mixture_pick(d, out[i]);
        const double below = k > 0 ? d->cumw[k - 1] : 0.0;
        const double v = (out[i] - below) / (d->cumw[k] - below);
        out[i] = tyche_dist_quantile(&d->comp[k], clamp(v, 0x1p-53, 1.0 - 0x1p-53));
    }
}

static double mixture_cdf(const tyche_dist *d, double x, int upper) {
    double s = 0.0;
    for (size_t k = 0; k < d->n; k++) {
        const double w = mixture_weight(d, k);
        if (w > 0.0)
            s += w * (upper ? tyche_dist_sf(&d->comp[k], x) : tyche_dist_cdf(&d->comp[k], x));
    }
    return clamp(s, 0.0, 1.0);
}

/* halfway between a < b: in the order of the doubles (see bit_midpoint)
 * on one side of 0 (fabs: -0.0's bits would not order), by value across it */
static double any_midpoint(double a, double b) {
    if (a >= 0.0) return bit_midpoint(fabs(a), b);
    if (b <= 0.0) return -bit_midpoint(fabs(b), -a);
    return 0.5 * a + 0.5 * b;
}

/* inf{x : F(x) >= u}.  For u > 1/2 the condition is read as P(X > x) <=
 * 1 - u (exact there), so that the upper tail keeps its precision.  The
 * solver keeps a bracket g(a) < 0 <= g(b), g increasing, and steps by
 * Illinois regula falsi, falling back on a bisection (on the bits) when a
 * step leaves the bracket or two steps have not halved it. */
static double mixture_quantile(const tyche_dist *d, double u) {
    double lo, hi;
    mixture_support(d, &lo, &hi);
    if (u <= 0.0) return lo;
    if (u >= 1.0) return hi;
    double a = INFINITY, b = -INFINITY;
    for (size_t k = 0; k < d->n; k++) {
        if (!(mixture_weight(d, k) > 0.0)) continue;
        const double q = tyche_dist_quantile(&d->comp[k], u);
        a = fmin(a, q);
        b = fmax(b, q);
    }
    if (!(a < b)) return a;
    const int upper = u > 0.5;
    const double target = upper ? 1.0 - u : u;
#define MIX_G(x) (upper ? target - mixture_cdf(d, (x), 1) : mixture_cdf(d, (x), 0) - target)
    double ga = MIX_G(a);
    if (ga >= 0.0) return a; /* a step (a point mass) at the bracket's foot */
    double gb = MIX_G(b);
    double ga_true = ga, gb_true = gb; /* g itself: Illinois scales ga and gb */
    int side = 0;                 /* which end the last step moved: Illinois halves the other's g */
    int since = 0;                /* false-position steps since the bracket last halved */
    double width_ref = b - a;
    for (int i = 0; i < 400; i++) {
        if (b - a <= MIX_REL_TOL * fmax(fabs(a), fabs(b))) break;
        double x = NAN;
        if (since < 3 && isfinite(ga) && isfinite(gb) && gb > ga) {
            x = a - ga * ((b - a) / (gb - ga));
            /* a step next to an end that has converged would crawl: step
             * just past the tolerance, so that the bracket closes on the far
             * side (Dekker's trick) */
            const double tol = 0.5 * MIX_REL_TOL * fmax(fabs(a), fabs(b));
            if (x - a < tol) x = a + tol;
            else if (b - x < tol) x = b - tol;
        }
        if (!(x > a && x < b)) {
            x = any_midpoint(a, b);
            if (!(x > a && x < b)) break; /* adjacent doubles */
            since = 0;
            side = 0;
        } else {
            since++;
        }
        const double gx = MIX_G(x);
        if (gx < 0.0) {
            a = x;
            ga = ga_true = gx;
            if (side == -1) gb *= 0.5;
            side = -1;
        } else {
            b = x;
            gb = gb_true = gx;
            if (side == 1) ga *= 0.5;
            side = 1;
        }
        if (b - a <= 0.5 * width_ref) {
            width_ref = b - a;
            since = 0;
        }
    }
    /* F jumps across the last bracket: a point mass, whose place is exact
     * only once the bracket is two adjacent doubles (else two u on the same
     * step could come back a few ulps apart, out of order) */
    if (gb_true - ga_true > MIX_STEP)
        for (;;) {
            const double x = any_midpoint(a, b);
            if (!(x > a && x < b)) break;
            if (MIX_G(x) < 0.0)
                a = x;
            else
                b = x;
        }
#undef MIX_G
    return b;
}

static void mixture_moments(const tyche_dist *d, double *mean, double *var) {
    double m = 0.0;
    for (size_t k = 0; k < d->n; k++)
        if (mixture_weight(d, k) > 0.0) m += mixture_weight(d, k) * tyche_dist_mean(&d->comp[k]);
    double v = 0.0; /* the law of total variance: E Var + Var E */
    for (size_t k = 0; k < d->n; k++) {
        const double w = mixture_weight(d, k);
        if (!(w > 0.0)) continue;
        const double dm = tyche_dist_mean(&d->comp[k]) - m;
        v += w * (tyche_dist_variance(&d->comp[k]) + dm * dm);
    }
    *mean = m;
    *var = v;
}
MOMENTS_FROM(mixture)
static int mixture_is_fixed(const tyche_dist *d) {
    double at = NAN;
    for (size_t k = 0; k < d->n; k++) {
        if (!(mixture_weight(d, k) > 0.0)) continue;
        if (!tyche_dist_is_fixed(&d->comp[k])) return 0;
        const double x = tyche_dist_quantile(&d->comp[k], 0.5);
        if (!isnan(at) && x != at) return 0;
        at = x;
    }
    return 1;
}
static void mixture_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "mixture(");
    for (size_t k = 0; k < d->n; k++) {
        append(buf, len, pos, "%s%g ", k ? "; " : "", mixture_weight(d, k));
        describe_at(&d->comp[k], buf, len, pos);
    }
    append(buf, len, pos, ")");
}

/* ---- metalog ------------------------------------------------------------------
 *
 * Keelin's metalog (T. W. Keelin, "The Metalog Distributions", Decision
 * Analysis 13(4), 2016): a quantile function
 *   M(y) = a1 + a2 L + a3 (y - 1/2) L + a4 (y - 1/2) + a5 (y - 1/2)^2,
 *   L = ln(y / (1 - y)),
 * with as many terms as quantiles given (3 to 5), fitted exactly through
 * them by solving the n x n linear system.  With a lower bound l the prior
 * is l + e^M (the log metalog), with an upper bound u it is u - e^-M, with
 * both (l + u e^M) / (1 + e^M) (the logit metalog); M is then fitted to the
 * quantiles so transformed.  The transforms increase, so the prior is a
 * distribution exactly when M' > 0 on (0, 1): checked at fitting on a grid
 * uniform in L out to y = 1e-13 and 1 - 1e-13, and at the ends through the
 * limits of y (1 - y) M'(y), which are a2 - a3/2 (y -> 0) and a2 + a3/2
 * (y -> 1); with 3 terms also by Keelin's closed form a2 > 0,
 * |a3| / a2 < 1.66711.  The quantile is closed form (in y and 1 - y, each
 * exact, so the upper tail keeps its precision); the CDF inverts it by
 * bisection on the bits of y or of 1 - y; the moments are integrals of Q
 * over y, by QAGI on t = L (y (1 - y) dt = dy), after the tails' exponents
 * have said whether they are finite. */

#define META_MIN_TERMS 3
#define META_MAX_TERMS 5
#define META_GRID 6000
#define META_GRID_L 30.0          /* L from -30 to 30: y from ~1e-13 */
#define META_KEELIN3 1.66711
#define META_QUAD_EPSREL 1e-11
#define META_QUAD_LIMIT 500

static const double *meta_a(const tyche_dist *d) { return d->values; }
static int meta_lower(const tyche_dist *d) { return isfinite(d->p[0]); }
static int meta_upper(const tyche_dist *d) { return isfinite(d->p[1]); }

/* the basis at y, with ybar = 1 - y given (exactly) by the caller */
static void meta_basis(double y, double ybar, size_t n, double *b) {
    const double L = log(y) - log(ybar), t = y <= 0.5 ? y - 0.5 : 0.5 - ybar;
    const double all[META_MAX_TERMS] = {1.0, L, t * L, t, t * t};
    for (size_t k = 0; k < n; k++) b[k] = all[k];
}
static double meta_M(const tyche_dist *d, double y, double ybar) {
    double b[META_MAX_TERMS], m = 0.0;
    meta_basis(y, ybar, d->n, b);
    for (size_t k = 0; k < d->n; k++) m += meta_a(d)[k] * b[k];
    return m;
}
/* y (1 - y) M'(y): finite on [0, 1], its limits at the ends being
 * a2 -+ a3 / 2 */
static double meta_scaled_slope(const double *a, size_t n, double y, double ybar) {
    const double L = log(y) - log(ybar), t = y <= 0.5 ? y - 0.5 : 0.5 - ybar, yy = y * ybar;
    double s = a[1] + a[2] * (t + yy * L);
    if (n > 3) s += a[3] * yy;
    if (n > 4) s += a[4] * 2.0 * t * yy;
    return s;
}
/* x from M: the bounds' transform */
static double meta_from_M(const tyche_dist *d, double m) {
    const double l = d->p[0], u = d->p[1];
    if (meta_lower(d) && meta_upper(d)) {
        /* l + (u - l) / (1 + e^-M), from the nearer bound */
        const double x = m <= 0.0 ? l + (u - l) / (1.0 + exp(-m)) : u - (u - l) / (1.0 + exp(m));
        return clamp(x, l, u);
    }
    if (meta_lower(d)) return l + exp(m);
    if (meta_upper(d)) return u - exp(-m);
    return m;
}
/* the inverse transform, for fitting */
static double meta_to_M(const tyche_dist *d, double x) {
    const double l = d->p[0], u = d->p[1];
    if (meta_lower(d) && meta_upper(d)) return log(x - l) - log(u - x);
    if (meta_lower(d)) return log(x - l);
    if (meta_upper(d)) return -log(u - x);
    return x;
}
static double meta_quantile2(const tyche_dist *d, double y, double ybar) {
    return meta_from_M(d, meta_M(d, y, ybar));
}
static double metalog_quantile(const tyche_dist *d, double u) {
    if (u <= 0.0) return d->p[0];
    if (u >= 1.0) return d->p[1];
    return meta_quantile2(d, u, 1.0 - u);
}

/* Solves the n x n system A a = z (row-major A, overwritten) by Gaussian
 * elimination with partial pivoting; 0 when singular. */
static int solve_small(double *A, double *z, size_t n, double *a) {
    for (size_t c = 0; c < n; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < n; r++)
            if (fabs(A[r * n + c]) > fabs(A[piv * n + c])) piv = r;
        if (!(fabs(A[piv * n + c]) > 1e-300)) return 0;
        if (piv != c) {
            for (size_t k = 0; k < n; k++) {
                const double t = A[c * n + k];
                A[c * n + k] = A[piv * n + k];
                A[piv * n + k] = t;
            }
            const double t = z[c];
            z[c] = z[piv];
            z[piv] = t;
        }
        for (size_t r = c + 1; r < n; r++) {
            const double f = A[r * n + c] / A[c * n + c];
            for (size_t k = c; k < n; k++) A[r * n + k] -= f * A[c * n + k];
            z[r] -= f * z[c];
        }
    }
    for (size_t c = n; c-- > 0;) {
        double s = z[c];
        for (size_t k = c + 1; k < n; k++) s -= A[c * n + k] * a[k];
        a[c] = s / A[c * n + c];
    }
    for (size_t k = 0; k < n; k++)
        if (!isfinite(a[k])) return 0;
    return 1;
}

/* The fitted coefficients from the given probabilities and quantiles in
 * d->values[n..3n); 0 when the system is singular. */
static int meta_fit(tyche_dist *d) {
    const size_t n = d->n;
    double A[META_MAX_TERMS * META_MAX_TERMS], z[META_MAX_TERMS];
    const double *y = d->values + n, *x = d->values + 2 * n;
    for (size_t i = 0; i < n; i++) {
        meta_basis(y[i], 1.0 - y[i], n, A + i * n);
        z[i] = meta_to_M(d, x[i]);
    }
    return solve_small(A, z, n, d->values);
}

/* Where M' <= 0 (a probability, or -1 for the tail's limit below and 2
 * above), or NaN when the metalog is feasible. */
static double meta_infeasible_at(const double *a, size_t n) {
    double worst_y = NAN, worst = INFINITY;
    for (int i = 0; i <= META_GRID; i++) {
        const double L = -META_GRID_L + 2.0 * META_GRID_L * i / META_GRID;
        const double y = 1.0 / (1.0 + exp(-L)), ybar = 1.0 / (1.0 + exp(L));
        const double s = meta_scaled_slope(a, n, y, ybar);
        if (s < worst) {
            worst = s;
            worst_y = y;
        }
    }
    if (!(worst > 0.0)) return worst_y;
    if (!(a[1] - 0.5 * a[2] > 0.0)) return -1.0;
    if (!(a[1] + 0.5 * a[2] > 0.0)) return 2.0;
    if (n == 3 && !(a[1] > 0.0 && fabs(a[2]) / a[1] < META_KEELIN3)) return worst_y;
    return NAN;
}

/* the given quantiles and bounds, before a fit */
static tyche_status meta_check_inputs(const tyche_dist *d, const char *path, tyche_err *err) {
    const size_t n = d->n;
    if (n < META_MIN_TERMS || n > META_MAX_TERMS || d->values == NULL)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.quantiles: give %d to %d quantiles", path,
                             META_MIN_TERMS, META_MAX_TERMS);
    if (isnan(d->p[0]) || d->p[0] == INFINITY) return need_finite(d->p[0], path, "min", err);
    if (isnan(d->p[1]) || d->p[1] == -INFINITY) return need_finite(d->p[1], path, "max", err);
    if (need_ordered(d->p[0], d->p[1], path, err) != TYCHE_OK) return TYCHE_EINPUT;
    const double *y = d->values + n, *x = d->values + 2 * n;
    for (size_t i = 0; i < n; i++) {
        if (!(y[i] > 0.0 && y[i] < 1.0) || (i > 0 && !(y[i] > y[i - 1])))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.quantiles: percentiles must be distinct, between 0 and 100",
                                 path);
        if (!isfinite(x[i]) || (i > 0 && !(x[i] > x[i - 1])))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.quantiles: values must be finite and increase with the "
                                 "percentile",
                                 path);
        if (!(x[i] > d->p[0]))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.min: must be below every quantile (%g >= p%g = %g)", path,
                                 d->p[0], 100.0 * y[i], x[i]);
        if (!(x[i] < d->p[1]))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.max: must be above every quantile (%g <= p%g = %g)", path,
                                 d->p[1], 100.0 * y[i], x[i]);
    }
    return TYCHE_OK;
}

/* Reads "quantiles": {"pXX": x, ...} into d->values[n..3n), sorted by XX. */
static tyche_status metalog_parse(const cJSON *obj, const char *path, tyche_dist *d,
                                  tyche_err *err) {
    int found;
    d->p[0] = -INFINITY;
    d->p[1] = INFINITY;
    if (get_number(obj, "min", path, &d->p[0], &found, err) != TYCHE_OK) return TYCHE_EINPUT;
    if (get_number(obj, "max", path, &d->p[1], &found, err) != TYCHE_OK) return TYCHE_EINPUT;
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(obj, "quantiles");
    if (q == NULL) return tyche_err_set(err, TYCHE_EINPUT, "%s: missing key \"quantiles\"", path);
    if (!cJSON_IsObject(q))
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.quantiles: must be an object such as {\"p10\": 1, \"p50\": 2, "
                             "\"p90\": 4}",
                             path);
    const int n = cJSON_GetArraySize(q);
    if (n < META_MIN_TERMS || n > META_MAX_TERMS)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.quantiles: give %d to %d quantiles (got %d)",
                             path, META_MIN_TERMS, META_MAX_TERMS, n);
    double pct[META_MAX_TERMS], val[META_MAX_TERMS];
    const char *key[META_MAX_TERMS];
    int k = 0;
    for (const cJSON *it = q->child; it != NULL; it = it->next, k++) {
        key[k] = it->string ? it->string : "";
        for (int j = 0; j < k; j++)
            if (strcmp(key[j], key[k]) == 0)
                return tyche_err_set(err, TYCHE_EINPUT, "%s.quantiles: duplicate key \"%s\"", path,
                                     key[k]);
        if (!percentile_key(key[k], &pct[k]))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.quantiles: unknown key \"%s\" (keys are percentiles such as "
                                 "p10, p50, p90)",
                                 path, key[k]);
        if (!(pct[k] > 0.0 && pct[k] < 100.0))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.quantiles.%s: percentile must be between 0 and 100 "
                                 "(exclusive)",
                                 path, key[k]);
        char sub[512];
        snprintf(sub, sizeof sub, "%s.quantiles", path);
        if (need_number(q, key[k], sub, &val[k], err) != TYCHE_OK) return TYCHE_EINPUT;
        for (int j = 0; j < k; j++)
            if (pct[j] == pct[k])
                return tyche_err_set(err, TYCHE_EINPUT, "%s.quantiles.%s: same percentile as %s",
                                     path, key[k], key[j]);
    }
    /* insertion sort by percentile (at most 5) */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && pct[j] < pct[j - 1]; j--) {
            double t = pct[j];
            pct[j] = pct[j - 1];
            pct[j - 1] = t;
            t = val[j];
            val[j] = val[j - 1];
            val[j - 1] = t;
            const char *s = key[j];
            key[j] = key[j - 1];
            key[j - 1] = s;
        }
    for (int i = 1; i < n; i++)
        if (!(val[i] > val[i - 1]))
            return tyche_err_set(err, TYCHE_EINPUT, "%s.quantiles.%s: must be > %s (%g <= %g)",
                                 path, key[i], key[i - 1], val[i], val[i - 1]);
    d->values = tyche_malloc(3 * (size_t)n * sizeof *d->values);
    if (d->values == NULL) return tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory", path);
    d->n = (size_t)n;
    for (int i = 0; i < n; i++) {
        d->values[n + i] = pct[i] / 100.0;
        d->values[2 * n + i] = val[i];
    }
    if (meta_check_inputs(d, path, err) != TYCHE_OK) return TYCHE_EINPUT;
    if (!meta_fit(d))
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.quantiles: these quantiles give no metalog (a singular system)",
                             path);
    return TYCHE_OK; /* feasibility is validate's */
}

static tyche_status metalog_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    if (meta_check_inputs(d, path, err) != TYCHE_OK) return TYCHE_EINPUT;
    const size_t n = d->n;
    /* the coefficients must be the fit of the rest */
    for (size_t i = 0; i < n; i++) {
        const double y = d->values[n + i], x = d->values[2 * n + i];
        const double q = meta_quantile2(d, y, 1.0 - y);
        if (!(fabs(q - x) <= 1e-8 * (fabs(x) + (d->values[3 * n - 1] - d->values[2 * n]))))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.quantiles: the metalog's terms do not fit its quantiles",
                                 path);
    }
    const double at = meta_infeasible_at(d->values, n);
    if (!isnan(at)) {
        char where[64];
        if (at == -1.0)
            snprintf(where, sizeof where, "p=0");
        else if (at == 2.0)
            snprintf(where, sizeof where, "p=1");
        else
            snprintf(where, sizeof where, "p=%.3g", at);
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.quantiles: these quantiles give an infeasible metalog (its "
                             "density would be negative near %s); move them or give fewer",
                             path, where);
    }
    return TYCHE_OK;
}

static void metalog_support(const tyche_dist *d, double *lo, double *hi) {
    *lo = d->p[0];
    *hi = d->p[1];
}
static double metalog_sample(const tyche_dist *d, gsl_rng *r) {
    return metalog_quantile(d, gsl_rng_uniform_pos(r));
}
/* Q(y) = x for y, in y on the lower half and in 1 - y on the upper one (so
 * that either tail keeps its relative precision), on the scale of M, where
 * the transform's exponential tails are straight: M(y) = M(x) by Newton
 * steps in log y or log(1 - y) (M' in closed form), kept inside a bracket
 * that each evaluation shrinks, falling back on a bisection on the bits
 * when a step leaves it or does not halve the step before last (as
 * invert_tail_raw does) */
static double metalog_cdf(const tyche_dist *d, double x, int upper) {
    if (isnan(x)) return NAN;
    if (x <= d->p[0]) return upper ? 1.0 : 0.0;
    if (x >= d->p[1]) return upper ? 0.0 : 1.0;
    const int low_half = x <= meta_quantile2(d, 0.5, 0.5);
    const double target = meta_to_M(d, x);
    double lo = 0.0, hi = 0.5, v = 0.25; /* v: y (low half) or 1 - y (upper half) */
    double step = INFINITY, step_before = INFINITY;
    for (int i = 0; i < 300; i++) {
        const double y = low_half ? v : 1.0 - v, ybar = low_half ? 1.0 - v : v;
        const double m = meta_M(d, y, ybar);
        /* f increases with v on both halves */
        const double f = low_half ? m - target : target - m;
        if (f == 0.0) break;
        if (f < 0.0)
            lo = v;
        else
            hi = v;
        /* df / d(log v) = M'(y) v on both halves */
        const double slope = meta_scaled_slope(meta_a(d), d->n, y, ybar) / (y * ybar) * v;
        const double dl = f / slope;
        double next = v * exp(-dl);
        if (isfinite(next) && next > lo && next < hi && fabs(dl) <= 0.5 * step_before) {
            step_before = step;
            step = fabs(dl);
        } else {
            next = bit_midpoint(lo, hi);
            if (next == lo || next == hi) break; /* adjacent doubles */
            step_before = step;
            step = fabs(log(next / v));
        }
        const double moved = fabs(next - v);
        v = next;
        if (moved <= 4.0 * DBL_EPSILON * v) break;
    }
    return low_half ? (upper ? 1.0 - v : v) : (upper ? v : 1.0 - v);
}

typedef struct {
    const tyche_dist *d;
    double centre;
    int power;
} meta_integrand;

/* Q(y(t))^power y (1 - y), t = L */
static double meta_moment_density(double t, void *params) {
    const meta_integrand *m = params;
    const double y = 1.0 / (1.0 + exp(-t)), ybar = 1.0 / (1.0 + exp(t));
    if (!(y > 0.0 && ybar > 0.0)) return 0.0;
    const double q = meta_quantile2(m->d, y, ybar) - m->centre;
    const double f = (m->power == 1 ? q : q * q) * y * ybar;
    return isfinite(f) ? f : 0.0;
}

static void metalog_moments(const tyche_dist *d, double *mean, double *var) {
    const double *a = meta_a(d);
    /* e^M grows as y^-(a2 - a3/2) below and (1 - y)^-(a2 + a3/2) above: a
     * bounded side is finite, an exponential side's moment of order r
     * exists when r times its exponent is below 1 */
    double k = 0.0;
    if (meta_lower(d) && !meta_upper(d)) k = a[1] + 0.5 * a[2];
    if (meta_upper(d) && !meta_lower(d)) k = a[1] - 0.5 * a[2];
    if (k >= 1.0) {
        *mean = meta_lower(d) ? INFINITY : -INFINITY;
        *var = NAN;
        return;
    }
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(META_QUAD_LIMIT);
    if (ws == NULL) {
        *mean = *var = NAN;
        return;
    }
    meta_integrand m = {d, 0.0, 1};
    gsl_function fn = {meta_moment_density, &m};
    double r, abserr;
    /* around the median, so that a far-off location does not cost digits */
    m.centre = meta_quantile2(d, 0.5, 0.5);
    const double spread = meta_quantile2(d, 0.9, 0.1) - meta_quantile2(d, 0.1, 0.9);
    if (gsl_integration_qagi(&fn, 1e-13 * spread, META_QUAD_EPSREL, META_QUAD_LIMIT, ws, &r,
                             &abserr) != GSL_SUCCESS)
        r = NAN;
    *mean = m.centre + r;
    if (2.0 * k >= 1.0) {
        *var = INFINITY;
    } else {
        m.centre = *mean;
        m.power = 2;
        if (gsl_integration_qagi(&fn, 1e-13 * spread * spread, META_QUAD_EPSREL, META_QUAD_LIMIT,
                                 ws, &r, &abserr) != GSL_SUCCESS)
            r = NAN;
        *var = r;
    }
    gsl_integration_workspace_free(ws);
}
MOMENTS_FROM(metalog)
static void metalog_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    append(buf, len, pos, "metalog(");
    for (size_t i = 0; d->values && i < d->n; i++)
        append(buf, len, pos, "%sp%g %g", i ? ", " : "", 100.0 * d->values[d->n + i],
               d->values[2 * d->n + i]);
    if (meta_lower(d)) append(buf, len, pos, ", min %g", d->p[0]);
    if (meta_upper(d)) append(buf, len, pos, ", max %g", d->p[1]);
    append(buf, len, pos, ")");
}

/* ---- empirical ------------------------------------------------------------------
 *
 * The values of one column of a CSV file (a header row naming the columns,
 * then one number per row), each equally likely: a discrete law kept in
 * discrete's form (sorted values, cumw[i] = (i + 1) / n), so that it shares
 * its sampler, quantile and CDF; the moments are the plain mean and the
 * population variance of the values.  The reader is deliberately small:
 * commas separate fields, a field may be wrapped in double quotes (without
 * commas or quotes inside), blank lines are skipped, CRLF is accepted. */

#define CSV_MAX_BYTES (256u << 20)

/* The field of `line` (NUL-terminated, no newline) at index col, trimmed of
 * blanks and of one pair of double quotes: its start and length; 0 when the
 * row is shorter. */
static int csv_field(const char *line, size_t col, const char **start, size_t *len) {
    const char *s = line;
    for (size_t c = 0; c < col; c++) {
        s = strchr(s, ',');
        if (s == NULL) return 0;
        s++;
    }
    const char *end = strchr(s, ',');
    if (end == NULL) end = s + strlen(s);
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t')) end--;
    if (end - s >= 2 && s[0] == '"' && end[-1] == '"') {
        s++;
        end--;
    }
    *start = s;
    *len = (size_t)(end - s);
    return 1;
}

/* the file's whole text, NUL-terminated, or NULL with the reason in why
 * (*oom set when it was memory) */
static char *read_text(const char *file, const char **why, int *oom) {
    *oom = 0;
    FILE *f = fopen(file, "rb");
    if (f == NULL) {
        *why = strerror(errno);
        return NULL;
    }
    /* a folder, a FIFO or a device (/dev/stdin would wait forever) is no table */
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        *why = "not a regular file";
        fclose(f);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = tyche_malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            if (cap >= CSV_MAX_BYTES) {
                *why = "larger than 256 MiB";
                free(buf);
                buf = NULL;
                break;
            }
            char *grown = tyche_realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                buf = NULL;
                *why = "out of memory";
                *oom = 1;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        const size_t k = fread(buf + len, 1, cap - 1 - len, f);
        len += k;
        if (k == 0) {
            if (ferror(f)) {
                *why = "read error";
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    if (buf == NULL && *why == NULL) {
        *why = "out of memory";
        *oom = 1;
    }
    fclose(f);
    if (buf) buf[len] = '\0';
    return buf;
}

static int by_double(const void *x, const void *y) {
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static tyche_status empirical_parse(const cJSON *obj, const char *path, const char *dir, int depth,
                                    tyche_dist *d, tyche_err *err) {
    (void)depth;
    const cJSON *jf = cJSON_GetObjectItemCaseSensitive(obj, "file");
    const cJSON *jc = cJSON_GetObjectItemCaseSensitive(obj, "column");
    if (jf == NULL) return tyche_err_set(err, TYCHE_EINPUT, "%s: missing key \"file\"", path);
    if (!cJSON_IsString(jf) || jf->valuestring == NULL || jf->valuestring[0] == '\0')
        return tyche_err_set(err, TYCHE_EINPUT, "%s.file: must be a file name (a string)", path);
    if (jc == NULL) return tyche_err_set(err, TYCHE_EINPUT, "%s: missing key \"column\"", path);
    if (!cJSON_IsString(jc) || jc->valuestring == NULL || jc->valuestring[0] == '\0')
        return tyche_err_set(err, TYCHE_EINPUT, "%s.column: must be a column name (a string)",
                             path);
    const char *name = jf->valuestring, *column = jc->valuestring;
    /* relative to the scenario's folder */
    char *file = NULL;
    if (dir && name[0] != '/') {
        file = tyche_malloc(strlen(dir) + strlen(name) + 2);
        if (file) sprintf(file, "%s/%s", dir, name);
    } else {
        file = tyche_strdup(name);
    }
    if (file == NULL) return tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory", path);
    const char *why = NULL;
    int oom;
    char *text = read_text(file, &why, &oom);
    double *v = NULL;
    size_t n = 0, cap = 0;
    tyche_status st = TYCHE_OK;
    if (text == NULL) {
        st = oom ? tyche_err_set(err, TYCHE_ENOMEM, "%s.file: out of memory reading %s", path, file)
                 : tyche_err_set(err, TYCHE_EINPUT, "%s.file: cannot read %s (%s)", path, file, why);
        goto done;
    }
    size_t col = 0, line_no = 0;
    int have_header = 0;
    for (char *line = text; line && *line != '\0' && st == TYCHE_OK;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        line_no++;
        const size_t ln = strlen(line);
        if (ln > 0 && line[ln - 1] == '\r') line[ln - 1] = '\0';
        char *next = nl ? nl + 1 : NULL;
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '\0') { /* a blank line */
            line = next;
            continue;
        }
        if (!have_header) {
            have_header = 1;
            int found = 0;
            const char *f;
            size_t flen;
            for (size_t c = 0; !found && csv_field(line, c, &f, &flen); c++)
                if (flen == strlen(column) && strncmp(f, column, flen) == 0) {
                    col = c;
                    found = 1;
                }
            if (!found)
                st = tyche_err_set(err, TYCHE_EINPUT,
                                   "%s.column: %s has no column \"%s\" (its header, line %zu: %s)",
                                   path, file, column, line_no, line);
            line = next;
            continue;
        }
        const char *f;
        size_t flen;
        char num[64];
        const int has = csv_field(line, col, &f, &flen);
        if (has && flen < sizeof num) {
            memcpy(num, f, flen);
            num[flen] = '\0';
        }
        char *end = NULL;
        const double x = has && flen > 0 && flen < sizeof num ? strtod(num, &end) : NAN;
        if (!has || flen == 0) {
            st = tyche_err_set(err, TYCHE_EINPUT,
                               "%s.file: %s line %zu, column \"%s\": missing value", path, file,
                               line_no, column);
        } else if (flen >= sizeof num || end == num || *end != '\0' || !isfinite(x)) {
            st = tyche_err_set(err, TYCHE_EINPUT,
                               "%s.file: %s line %zu, column \"%s\": \"%.*s\" is not a finite number",
                               path, file, line_no, column, (int)(flen > 40 ? 40 : flen), f);
        } else {
            if (n == cap) {
                const size_t nc = cap ? 2 * cap : 64;
                double *g = tyche_realloc(v, nc * sizeof *g);
                if (g == NULL) {
                    st = tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory", path);
                    break;
                }
                v = g;
                cap = nc;
            }
            v[n++] = x;
        }
        line = next;
    }
    if (st == TYCHE_OK && !have_header)
        st = tyche_err_set(err, TYCHE_EINPUT, "%s.file: %s is empty (a header row was expected)",
                           path, file);
    if (st == TYCHE_OK && n < 2)
        st = tyche_err_set(err, TYCHE_EINPUT,
                           "%s.file: %s has %zu value%s in column \"%s\"; an empirical prior needs "
                           "at least 2",
                           path, file, n, n == 1 ? "" : "s", column);
    if (st != TYCHE_OK) goto done;
    qsort(v, n, sizeof *v, by_double);
    d->cumw = tyche_malloc(n * sizeof *d->cumw);
    d->source = tyche_malloc(strlen(name) + strlen(column) + 16);
    if (d->cumw == NULL || d->source == NULL) {
        st = tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (size_t i = 0; i < n; i++) d->cumw[i] = (double)(i + 1) / (double)n;
    d->cumw[n - 1] = 1.0;
    sprintf(d->source, "%s, column %s", name, column);
    d->values = v;
    d->n = n;
    v = NULL;
done:
    free(v);
    free(text);
    free(file);
    return st;
}

static tyche_status empirical_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    if (d->n < 2 || d->values == NULL || d->cumw == NULL)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.file: an empirical prior needs at least 2 values", path);
    return validate_discrete(d, path, err);
}
static double empirical_mean(const tyche_dist *d) {
    if (d->n == 0 || d->values == NULL) return NAN;
    double s = 0.0;
    for (size_t i = 0; i < d->n; i++) s += d->values[i];
    return s / (double)d->n;
}
static double empirical_variance(const tyche_dist *d) {
    const double m = empirical_mean(d);
    if (isnan(m)) return NAN;
    double s = 0.0;
    for (size_t i = 0; i < d->n; i++) s += (d->values[i] - m) * (d->values[i] - m);
    return s / (double)d->n;
}
static int empirical_is_fixed(const tyche_dist *d) {
    return d->n > 0 && d->values && d->values[0] == d->values[d->n - 1];
}
static void empirical_describe(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    if (d->n == 0 || d->values == NULL) {
        append(buf, len, pos, "empirical()");
        return;
    }
    append(buf, len, pos, "empirical(%s: %zu values, %g to %g)", d->source ? d->source : "?",
           d->n, d->values[0], d->values[d->n - 1]);
}

/* ---- block samplers (draws.h: the words each one uses) ---------------------
 *
 * Each fills out[i] for the lanes of L from stream `stream`; tmp has room
 * for 3 L->n doubles. */

static void fixed_block(const tyche_dist *d, tyche_draws *dr, const tyche_lanes *L,
                        uint32_t stream, double *out, double *tmp) {
    (void)dr, (void)stream, (void)tmp;
    for (size_t i = 0; i < L->n; i++) out[i] = d->p[0];
}
static void uniform_block(const tyche_dist *d, tyche_draws *dr, const tyche_lanes *L,
                          uint32_t stream, double *out, double *tmp) {
    (void)tmp;
    tyche_draws_uniform(dr, L, stream, 0, out, NULL);
    const double lo = d->p[0], w = d->p[1] - d->p[0];
    for (size_t i = 0; i < L->n; i++) out[i] = lo + w * out[i];
}
static void normal_block(const tyche_dist *d, tyche_draws *dr, const tyche_lanes *L,
                         uint32_t stream, double *out, double *tmp) {
    (void)tmp;
    tyche_draws_normals(dr, L, stream, 1, out, L->n);
    for (size_t i = 0; i < L->n; i++) out[i] = d->p[0] + d->p[1] * out[i];
}
static void lognormal_block(const tyche_dist *d, tyche_draws *dr, const tyche_lanes *L,
                            uint32_t stream, double *out, double *tmp) {
    normal_block(d, dr, L, stream, out, tmp);
    tyche_draws_vm(dr)->exp(L->n, out, out);
}
static void gamma_block(const tyche_dist *d, tyche_draws *dr, const tyche_lanes *L,
                        uint32_t stream, double *out, double *tmp) {
    for (size_t i = 0; i < L->n; i++) tmp[i] = d->p[0];
    tyche_draws_gamma(dr, L, stream, 0, tmp, out);
    for (size_t i = 0; i < L->n; i++) out[i] *= d->p[1];
}
/* log of lane i's Gamma(k) draw of region `region` when it underflows
 * (k < 1: Gamma(k + 1) u^(1/k), draws.h), from the same numbers: log
 * Gamma(k + 1) + log(u) / k. */
static double log_small_gamma(double k, tyche_draws *dr, const tyche_lanes *one, uint32_t stream,
                              uint32_t region) {
    const tyche_vm_ops *vm = tyche_draws_vm(dr);
    double g, u, kk = k + 1.0;
    tyche_draws_gamma(dr, one, stream, region, &kk, &g);
    tyche_draws_uniform(dr, one, stream, region + TYCHE_DRAW_BOOST, &u, NULL);
    vm->log(1, &g, &g);
    vm->log(1, &u, &u);
    return g + u / k;
}

/* X / (X + Y), X ~ Gamma(a) from region 0 and Y ~ Gamma(b) from region 2 of
 * the stream.  Where both underflow to 0 (shapes far below 1) the ratio
 * comes from their logarithms: 1 / (1 + exp(log Y - log X)). */
static void beta_of(double a, double b, tyche_draws *dr, const tyche_lanes *L, uint32_t stream,
                    double *out, double *tmp) {
    double *sh = tmp, *y = tmp + L->n;
    for (size_t i = 0; i < L->n; i++) sh[i] = a;
    tyche_draws_gamma(dr, L, stream, 0, sh, out);
    for (size_t i = 0; i < L->n; i++) sh[i] = b;
    tyche_draws_gamma(dr, L, stream, TYCHE_DRAW_REGION2, sh, y);
    for (size_t i = 0; i < L->n; i++) {
        const double sum = out[i] + y[i];
        if (sum > 0) {
            out[i] = out[i] / sum;
            continue;
        }
        const tyche_lanes one = {1, L->trial + i, L->redraw + i};
        double d = log_small_gamma(b, dr, &one, stream, TYCHE_DRAW_REGION2) -
                   log_small_gamma(a, dr, &one, stream, 0);
        tyche_draws_vm(dr)->exp(1, &d, &d);
        out[i] = 1.0 / (1.0 + d);
    }
}

static void beta_block(const tyche_dist *d, tyche_draws *dr, const tyche_lanes *L,
                       uint32_t stream, double *out, double *tmp) {
    beta_of(d->p[0], d->p[1], dr, L, stream, out, tmp);
}
static void pert_block(const tyche_dist *d, tyche_draws *dr, const tyche_lanes *L,
                       uint32_t stream, double *out, double *tmp) {
    beta_of(pert_shape(d, 0), pert_shape(d, 1), dr, L, stream, out, tmp);
    for (size_t i = 0; i < L->n; i++) out[i] = d->p[0] + (d->p[2] - d->p[0]) * out[i];
}

/* ---- the table ------------------------------------------------------------ */

static const dist_ops priors[] = {
    [TYCHE_DIST_FIXED] = {.name = "fixed", .keys = {"value"}, .parse = fixed_parse,
                          .validate = fixed_validate, .support = fixed_support,
                          .sample = fixed_sample, .sample_block = fixed_block, .quantile = fixed_quantile,
                          .mean = fixed_mean, .variance = fixed_variance,
                          .is_fixed = fixed_is_fixed, .cdf = fixed_cdf, .describe = fixed_describe},
    [TYCHE_DIST_UNIFORM] = {.name = "uniform", .keys = {"min", "max"}, .parse = uniform_parse,
                            .validate = uniform_validate, .support = uniform_support,
                            .sample = uniform_sample, .sample_block = uniform_block, .quantile = uniform_quantile,
                            .mean = uniform_mean, .variance = uniform_variance,
                            .cdf = uniform_cdf, .describe = uniform_describe},
    [TYCHE_DIST_NORMAL] = {.name = "normal", .keys = {"mean", "sd"}, .parse = normal_parse,
                           .validate = normal_validate, .support = unbounded_support,
                           .sample = normal_sample, .sample_block = normal_block, .quantile = normal_quantile,
                           .mean = normal_mean, .variance = normal_variance,
                           .cdf = normal_cdf, .describe = normal_describe},
    [TYCHE_DIST_TRUNCNORMAL] = {.name = "truncnormal", .keys = {"mean", "sd", "min", "max"},
                                .parse = truncnormal_parse, .validate = truncnormal_validate,
                                .support = truncnormal_support, .sample = truncnormal_sample,
                                .quantile = truncnormal_quantile, .mean = truncnormal_mean,
                                .variance = truncnormal_variance,
                                .cdf = truncnormal_cdf, .describe = truncnormal_describe},
    [TYCHE_DIST_LOGNORMAL] = {.name = "lognormal", .keys = {"median", "sdlog"},
                              .percentile_keys = 1, .parse = parse_lognormal,
                              .validate = lognormal_validate, .support = positive_support,
                              .open_below = 1, .sample = lognormal_sample, .sample_block = lognormal_block,
                              .quantile = lognormal_quantile, .mean = lognormal_mean,
                              .variance = lognormal_variance,
                              .cdf = lognormal_cdf, .describe = lognormal_describe},
    [TYCHE_DIST_BETA] = {.name = "beta", .keys = {"a", "b", "mean", "concentration"},
                         .parse = parse_beta, .validate = beta_validate, .support = unit_support,
                         .open_below = 1, .sample = beta_sample, .sample_block = beta_block, .quantile = beta_dist_quantile,
                         .mean = beta_mean, .variance = beta_variance,
                         .cdf = beta_cdf, .describe = beta_describe},
    [TYCHE_DIST_GAMMA] = {.name = "gamma", .keys = {"shape", "mean", "scale"},
                          .parse = parse_gamma, .validate = gamma_validate,
                          .support = positive_support, .open_below = 1, .sample = gamma_sample, .sample_block = gamma_block,
                          .quantile = gamma_dist_quantile, .mean = gamma_mean,
                          .variance = gamma_variance, .cdf = gamma_cdf, .describe = gamma_describe},
    [TYCHE_DIST_TRIANGULAR] = {.name = "triangular", .keys = {"min", "mode", "max"},
                               .parse = triangular_parse, .validate = triangular_validate,
                               .support = min_max_support, .sample = triangular_sample,
                               .quantile = triangular_dist_quantile, .mean = triangular_mean,
                               .variance = triangular_variance,
                               .cdf = triangular_cdf, .describe = triangular_describe},
    [TYCHE_DIST_PERT] = {.name = "pert", .keys = {"min", "mode", "max", "lambda"},
                         .parse = pert_parse, .validate = pert_validate,
                         .support = min_max_support, .sample = pert_sample, .sample_block = pert_block,
                         .quantile = pert_quantile, .mean = pert_mean, .variance = pert_variance,
                         .cdf = pert_cdf, .describe = pert_describe},
    [TYCHE_DIST_BERNOULLI] = {.name = "bernoulli", .keys = {"p"}, .parse = bernoulli_parse,
                              .validate = bernoulli_validate, .support = bernoulli_support,
                              .sample = bernoulli_sample, .quantile = bernoulli_quantile,
                              .mean = bernoulli_mean, .variance = bernoulli_variance,
                              .is_fixed = bernoulli_is_fixed,
                              .cdf = bernoulli_cdf, .describe = bernoulli_describe},
    [TYCHE_DIST_DISCRETE] = {.name = "discrete", .keys = {"values", "weights"},
                             .parse = parse_discrete, .validate = validate_discrete,
                             .support = discrete_support, .sample = discrete_sample,
                             .quantile = discrete_quantile, .mean = discrete_mean,
                             .variance = discrete_variance, .is_fixed = discrete_is_fixed,
                             .cdf = discrete_cdf, .describe = discrete_describe},
    [TYCHE_DIST_LOGUNIFORM] = {.name = "loguniform", .keys = {"min", "max"},
                               .parse = uniform_parse, .validate = loguniform_validate,
                               .support = uniform_support, .sample = loguniform_sample,
                               .quantile = loguniform_quantile, .mean = loguniform_mean,
                               .variance = loguniform_variance,
                               .cdf = loguniform_cdf, .describe = loguniform_describe},
    [TYCHE_DIST_STUDENTT] = {.name = "studentt", .keys = {"location", "scale", "df", "min", "max"},
                             .parse = studentt_parse, .validate = studentt_validate,
                             .support = studentt_support, .sample = studentt_sample,
                             .quantile = studentt_quantile, .mean = studentt_mean,
                             .variance = studentt_variance,
                             .cdf = studentt_cdf, .describe = studentt_describe},
    [TYCHE_DIST_MIXTURE] = {.name = "mixture", .keys = {"weights", "components"},
                            .parse_in = mixture_parse, .validate = mixture_validate,
                            .support = mixture_support, .open_below_of = mixture_open_below,
                            .sample = mixture_sample, .sample_block = mixture_block,
                            .quantile = mixture_quantile, .mean = mixture_mean,
                            .variance = mixture_variance, .is_fixed = mixture_is_fixed,
                            .cdf = mixture_cdf, .describe = mixture_describe},
    [TYCHE_DIST_METALOG] = {.name = "metalog", .keys = {"quantiles", "min", "max"},
                            .parse = metalog_parse, .validate = metalog_validate,
                            .support = metalog_support, .open_below = 1, .sample = metalog_sample,
                            .quantile = metalog_quantile, .mean = metalog_mean,
                            .variance = metalog_variance,
                            .cdf = metalog_cdf, .describe = metalog_describe},
    [TYCHE_DIST_EMPIRICAL] = {.name = "empirical", .keys = {"file", "column"},
                              .parse_in = empirical_parse, .validate = empirical_validate,
                              .support = discrete_support, .sample = discrete_sample,
                              .quantile = discrete_quantile, .mean = empirical_mean,
                              .variance = empirical_variance, .is_fixed = empirical_is_fixed,
                              .cdf = discrete_cdf, .describe = empirical_describe},
};
#define N_PRIORS (sizeof priors / sizeof priors[0])

static const dist_ops *ops_of(tyche_dist_kind k) {
    return (int)k >= 0 && (size_t)k < N_PRIORS && priors[k].name ? &priors[k] : NULL;
}

/* ---- the public calls: dispatch through the table ------------------------- */

double tyche_dist_quantile(const tyche_dist *d, double u) {
    if (!(u >= 0.0 && u <= 1.0)) return NAN;
    const dist_ops *o = ops_of(d->kind);
    return o ? o->quantile(d, u) : NAN;
}

void tyche_dist_sample_block(const tyche_dist *d, tyche_draws *dr, const tyche_lanes *L,
                             uint32_t stream, double *out, double *tmp) {
    const dist_ops *o = ops_of(d->kind);
    if (o == NULL) {
        for (size_t i = 0; i < L->n; i++) out[i] = NAN;
    } else if (o->sample_block) {
        o->sample_block(d, dr, L, stream, out, tmp);
    } else {
        tyche_draws_uniform(dr, L, stream, 0, out, NULL);
        for (size_t i = 0; i < L->n; i++) out[i] = o->quantile(d, out[i]);
    }
}

double tyche_dist_sample(const tyche_dist *d, gsl_rng *r) {
    const dist_ops *o = ops_of(d->kind);
    return o ? o->sample(d, r) : NAN;
}

double tyche_dist_cdf(const tyche_dist *d, double x) {
    const dist_ops *o = ops_of(d->kind);
    return o && !isnan(x) ? o->cdf(d, x, 0) : NAN;
}

double tyche_dist_sf(const tyche_dist *d, double x) {
    const dist_ops *o = ops_of(d->kind);
    return o && !isnan(x) ? o->cdf(d, x, 1) : NAN;
}

double tyche_dist_mean(const tyche_dist *d) {
    const dist_ops *o = ops_of(d->kind);
    return o ? o->mean(d) : NAN;
}

double tyche_dist_variance(const tyche_dist *d) {
    const dist_ops *o = ops_of(d->kind);
    return o ? o->variance(d) : NAN;
}

int tyche_dist_is_fixed(const tyche_dist *d) {
    const dist_ops *o = ops_of(d->kind);
    return o && o->is_fixed ? o->is_fixed(d) : 0;
}

void tyche_dist_support(const tyche_dist *d, double *lo, double *hi, int *open_below) {
    const dist_ops *o = ops_of(d->kind);
    if (o)
        o->support(d, lo, hi);
    else
        unbounded_support(d, lo, hi);
    if (open_below) *open_below = o ? (o->open_below_of ? o->open_below_of(d) : o->open_below) : 0;
}

static void describe_at(const tyche_dist *d, char *buf, size_t len, size_t *pos) {
    const dist_ops *o = ops_of(d->kind);
    if (o)
        o->describe(d, buf, len, pos);
    else
        append(buf, len, pos, "unknown distribution");
}

void tyche_dist_format(const tyche_dist *d, char *buf, size_t len) {
    if (buf == NULL || len == 0) return;
    buf[0] = '\0';
    size_t pos = 0;
    describe_at(d, buf, len, &pos);
}

tyche_status tyche_dist_validate(const tyche_dist *d, const char *path, tyche_err *err) {
    if (path == NULL) path = "";
    const dist_ops *o = ops_of(d->kind);
    if (o) return o->validate(d, path, err);
    return tyche_err_set(err, TYCHE_EINPUT, "%s: unknown distribution kind %d", path,
                         (int)d->kind);
}

tyche_status tyche_dist_from_json(const void *json, const char *path, tyche_dist *out,
                                  tyche_err *err) {
    return from_json_at(json, path, NULL, 0, out, err);
}

tyche_status tyche_dist_from_json_in(const void *json, const char *path, const char *dir,
                                     tyche_dist *out, tyche_err *err) {
    return from_json_at(json, path, dir, 0, out, err);
}

static tyche_status from_json_at(const cJSON *j, const char *path, const char *dir, int depth,
                                 tyche_dist *out, tyche_err *err) {
    if (path == NULL) path = "";
    blank(out);
    if (cJSON_IsNumber(j)) {
        if (!isfinite(j->valuedouble))
            return tyche_err_set(err, TYCHE_EINPUT, "%s: must be a finite number", path);
        out->p[0] = j->valuedouble;
        return TYCHE_OK;
    }
    const cJSON *name = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "dist") : NULL;
    if (name == NULL)
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected a number or an object with \"dist\"",
                             path);
    char known[256];
    size_t pos = 0;
    for (size_t k = 0; k < N_PRIORS; k++)
        append(known, sizeof known, &pos, "%s%s", k ? ", " : "", priors[k].name);
    if (!cJSON_IsString(name) || name->valuestring == NULL)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.dist: must be a string (one of %s)", path,
                             known);
    int kind = -1;
    for (size_t k = 0; k < N_PRIORS; k++)
        if (strcmp(name->valuestring, priors[k].name) == 0) kind = (int)k;
    if (kind < 0)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.dist: unknown distribution \"%s\" (expected one of %s)", path,
                             name->valuestring, known);
    out->kind = (tyche_dist_kind)kind;
    const dist_ops *ops = &priors[kind];
    tyche_status st = check_keys(j, ops, path, err);
    if (st == TYCHE_OK)
        st = ops->parse_in ? ops->parse_in(j, path, dir, depth, out, err)
                           : ops->parse(j, path, out, err);
    if (st == TYCHE_OK) st = tyche_dist_validate(out, path, err);
    if (st != TYCHE_OK) {
        tyche_dist_clear(out);
        blank(out);
    }
    return st;
}
