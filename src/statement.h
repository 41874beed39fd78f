/* Statements: a rule compiled to postfix instructions over a trial's
 * outputs and the earlier statements' results. */
#ifndef TYCHE_STATEMENT_H
#define TYCHE_STATEMENT_H

#include <stdint.h>
#include <stddef.h>
#include "tyche/tyche.h"
#include "expr.h"

typedef enum {
    ST_EVENT_BY,   /* out[a] <= x             (time output, x = end of the day) */
    ST_EVENT_AFTER,/* out[a] > x, including never */
    ST_LT, ST_LE, ST_GT, ST_GE, ST_EQ, /* out[a] <op> x (NaN: false) */
    ST_BETWEEN,    /* x <= out[a] <= y */
    ST_STMT,       /* the value of statement a (an earlier one) */
    ST_ALL,        /* pop a values, push their AND */
    ST_ANY,        /* pop a values, push their OR */
    ST_NOT,
    ST_EXPR        /* expression a (exprs[a]) is true: nonzero and not NaN */
} tyche_stmt_op;

typedef struct {
    tyche_stmt_op op;
    uint32_t a;
    double x, y;
} tyche_stmt_instr;

/* max_stack is the bytes of scratch per lane evaluation needs: one byte
 * per truth value on the stack, then, from expr_at (a multiple of 8), the
 * double columns of the rule's expressions ({"expr": ...}). */
typedef struct {
    char *id, *text, *group, *rule_text;
    tyche_stmt_instr *prog;
    size_t n_prog;
    size_t max_stack;
    tyche_expr **exprs;       /* the rule's expressions, in order */
    size_t n_exprs;
    size_t expr_at;
} tyche_statement;

/* What a rule may name, as the compiler's caller (scenario.c) provides it:
 * the outputs, by full name ("model.output") and index, the statements
 * before this one, by id, and the simulated period.  The statement
 * compiler sees nothing else of the scenario. */
typedef struct {
    const void *ctx;          /* handed back to each callback */
    size_t n_outputs;
    /* the index of the output of that name, or (size_t)-1 */
    size_t (*find_output)(const void *ctx, const char *name);
    const char *(*output_name)(const void *ctx, size_t i);
    tyche_output_type (*output_type)(const void *ctx, size_t i);
    /* the first statement j < before with that id, or (size_t)-1 */
    size_t (*find_statement)(const void *ctx, const char *id, size_t before);
    int32_t start, horizon;   /* days since 1970-01-01, inclusive */
} tyche_stmt_scope;

/* Compiles the rule (a cJSON node) of statement number `self` into postfix
 * instructions: fills out->prog, n_prog, max_stack, exprs, n_exprs,
 * expr_at and rule_text (owned by *out, freed by tyche_statement_release)
 * and leaves the rest of *out alone.  A rule {"expr": "a.x - b.y > 0"} is
 * an expression (expr.h) over the outputs, by their full names (a time
 * output in days since the start; +inf: never); it holds when its value
 * is nonzero and not NaN.  Expressions take no random draws.
 * Messages read "<path>...: ...".  Returns TYCHE_OK, TYCHE_EINPUT or
 * TYCHE_ENOMEM (then nothing is allocated). */
tyche_status tyche_statement_compile(const tyche_stmt_scope *scope, size_t self, const void *rule,
                                     const char *path, tyche_statement *out, tyche_err *err);
/* Frees what tyche_statement_compile filled (not id, text, group). */
void tyche_statement_release(tyche_statement *st);

/* Evaluates statement `st` on a trial's outputs and earlier statement results;
 * `stack` holds at least st->max_stack bytes, 8-byte aligned. */
uint8_t tyche_statement_eval(const tyche_statement *st, const double *out, const uint8_t *done,
                             uint8_t *stack);

/* The same for n trials at once, structure of arrays: output o of trial i
 * at out[o * stride + i], earlier statement j's result at done[j * stride +
 * i]; results to result[i].  stack holds st->max_stack * stride bytes,
 * 8-byte aligned. */
void tyche_statement_eval_lanes(const tyche_statement *st, const double *out, const uint8_t *done,
                                size_t stride, size_t n, uint8_t *stack, uint8_t *result);

#endif
