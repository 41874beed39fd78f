/* Expressions: arithmetic over named columns, compiled once (when a
 * scenario loads) into a flat postfix program and evaluated over n lanes
 * (trials) at a time, structure of arrays: every instruction works on whole
 * columns of n doubles, in a scratch the caller allocated once.  Evaluation
 * has no recursion and no allocation; the parser recurses, to a bounded
 * depth (TYCHE_EXPR_MAX_NESTING).
 *
 * The language (README.md, "Formulas and expression statements"):
 *   numbers        2, 0.5, .5, 1e-3, 6.02E23
 *   names          resolved by the caller's scope (a parameter, an input
 *                  "model.output", the common factor, an earlier output)
 *   arithmetic     + - * / ^ (power, right-associative: 2^3^2 = 2^9;
 *                  -x^2 = -(x^2)), unary - and +
 *   comparisons    < <= > >= == != give 1 or 0; they do not chain
 *   logic          and or not (also && || !) on truth values, give 1 or 0
 *   functions      exp log sqrt abs floor ceil (one argument), pow(x, y),
 *                  min(a, b, ...) max(a, b, ...) (two or more),
 *                  if(c, a, b), clamp(x, lo, hi)
 *   fresh draws    normal(mean, sd) lognormal(median, sdlog) uniform(a, b)
 *                  bernoulli(p) exponential(rate), where the scope allows them
 * Precedence, loosest first: or, and, not, comparisons, + -, * /, unary -, ^.
 *
 * NaN (a missing value) never stops an evaluation:
 *   - arithmetic and functions follow IEEE 754 (log(-1), 0/0 are NaN;
 *     1/0 is inf), min, max and clamp return NaN when an argument is NaN;
 *   - a comparison with a NaN operand is 0 (false), != included;
 *   - a truth value is 1 when the number is nonzero and not NaN: so NaN is
 *     false in and/or/not and as if()'s condition (if(NaN, a, b) is b);
 *   - a draw whose arguments are out of its domain (sd < 0, median <= 0,
 *     sdlog < 0, b < a, p outside [0, 1], rate <= 0) or NaN gives NaN.
 * Every lane is computed with the same IEEE operations in the same order
 * (no FMA, no reassociation; libm's scalar functions), so the results do
 * not depend on how many lanes are evaluated together (I11).
 *
 * Draws: site j (the j-th draw call in the text, counting from the scope's
 * first_site) takes one uniform per lane, u01 of Philox block j of the
 * frame's stream (tyche_draws_uniform), and transforms it by inversion
 * (normal: gsl_cdf_ugaussian_Pinv).  Every site draws on every lane,
 * whether or not an if() uses it, so the numbers stay aligned across
 * what-if runs. */
#ifndef TYCHE_EXPR_H
#define TYCHE_EXPR_H

#include <stddef.h>
#include <stdint.h>
#include "tyche/common.h"
#include "draws.h"

/* Deepest nesting of parentheses, calls and unary operators the parser takes. */
#define TYCHE_EXPR_MAX_NESTING 64

/* What an expression may name.  resolve() maps a name (a NUL-terminated
 * identifier, or "model.output") to a column slot: it returns 1 and sets
 * *slot, 0 when the name is unknown (the message then lists known()), or
 * -1 when it refuses the name with a reason written to why, or -2 when
 * memory ran out (TYCHE_ENOMEM). */
typedef struct {
    void *ctx;
    int (*resolve)(void *ctx, const char *name, uint32_t *slot, char *why, size_t why_len);
    void (*known)(void *ctx, char *buf, size_t len); /* "a, b, c", for messages; may be NULL */
    int allow_draws;        /* 0: a draw is an error (statements) */
    uint32_t first_site;    /* the first draw's Philox block */
} tyche_expr_scope;

typedef struct tyche_expr tyche_expr;

/* Compiles src; messages read "<where>: at character N: ..." (N 1-based;
 * one past the last character for "the end").  Returns TYCHE_OK,
 * TYCHE_EINPUT or TYCHE_ENOMEM; *out is NULL on failure. */
tyche_status tyche_expr_compile(const char *src, const char *where, const tyche_expr_scope *scope,
                                tyche_expr **out, tyche_err *err);
void tyche_expr_free(tyche_expr *e);
/* Columns of scratch tyche_expr_eval needs (at least 1). */
size_t tyche_expr_stack_rows(const tyche_expr *e);
/* Draw sites it has (their blocks: first_site .. first_site + n - 1). */
uint32_t tyche_expr_n_sites(const tyche_expr *e);
/* Whether it reads slot k. */
int tyche_expr_uses(const tyche_expr *e, uint32_t slot);

/* Where the columns are: slot k of lane i at cols[k][i], or when cols is
 * NULL at base[k * stride + i]; draws (only for an expression with draw
 * sites) from `stream` of lanes (lanes->n == n). */
typedef struct {
    const double *const *cols;
    const double *base;
    size_t stride;
    tyche_draws *draws;
    const tyche_lanes *lanes;
    uint32_t stream;
} tyche_expr_frame;

/* result[i] for lanes i < n; stack holds tyche_expr_stack_rows(e) * n
 * doubles (column k at stack + k * n).  result is written once, at the
 * end, so it may be any column, even one the expression reads. */
void tyche_expr_eval(const tyche_expr *e, const tyche_expr_frame *f, size_t n, double *stack,
                     double *result);

/* The truth of a value: nonzero and not NaN. */
static inline int tyche_expr_truth(double x) { return x < 0 || x > 0; }

#endif
