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

/* Compiles the rule (a cJSON node) into postfix instructions. */
tyche_status tyche_statement_compile(tyche_scenario *s, size_t self, const void *rule,
                                     const char *path, tyche_err *err);
/* Evaluates statement `st` on a trial's outputs and earlier statement results;
 * `stack` holds at least st->max_stack bytes. */
uint8_t tyche_statement_eval(const tyche_statement *st, const double *out, const uint8_t *done,
                             uint8_t *stack);

#endif
