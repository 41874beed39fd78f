/* Statements: a rule compiled to postfix instructions over a trial's
 * outputs and the earlier statements' results. */
#ifndef TYCHE_STATEMENT_H
#define TYCHE_STATEMENT_H

#include <stdint.h>
#include <stddef.h>
#include "tyche/tyche.h"

typedef enum {
    ST_EVENT_BY,   /* out[a] <= x             (time output, x = end of the day) */
    ST_EVENT_AFTER,/* out[a] > x, including never */
    ST_LT, ST_LE, ST_GT, ST_GE, ST_EQ, /* out[a] <op> x (NaN: false) */
    ST_BETWEEN,    /* x <= out[a] <= y */
    ST_STMT,       /* the value of statement a (an earlier one) */
    ST_ALL,        /* pop a values, push their AND */
    ST_ANY,        /* pop a values, push their OR */
    ST_NOT
} tyche_stmt_op;

typedef struct {
    tyche_stmt_op op;
    uint32_t a;
    double x, y;
} tyche_stmt_instr;

typedef struct {
    char *id, *text, *group, *rule_text;
    tyche_stmt_instr *prog;
    size_t n_prog;
    size_t max_stack;
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
 * instructions: fills out->prog, n_prog, max_stack and rule_text (owned by
 * *out, freed with the statement) and leaves the rest of *out alone.
 * Messages read "<path>...: ...".  Returns TYCHE_OK, TYCHE_EINPUT or
 * TYCHE_ENOMEM (then nothing is allocated). */
tyche_status tyche_statement_compile(const tyche_stmt_scope *scope, size_t self, const void *rule,
                                     const char *path, tyche_statement *out, tyche_err *err);
/* Evaluates statement `st` on a trial's outputs and earlier statement results;
 * `stack` holds at least st->max_stack bytes. */
uint8_t tyche_statement_eval(const tyche_statement *st, const double *out, const uint8_t *done,
                             uint8_t *stack);

/* The same for n trials at once, structure of arrays: output o of trial i
 * at out[o * stride + i], earlier statement j's result at done[j * stride +
 * i]; results to result[i].  stack holds st->max_stack * stride bytes. */
void tyche_statement_eval_lanes(const tyche_statement *st, const double *out, const uint8_t *done,
                                size_t stride, size_t n, uint8_t *stack, uint8_t *result);

#endif
