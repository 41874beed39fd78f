/* Statements: declarative resolution rules compiled to postfix code.
 *
 * How it works: a rule tree ({"all": [...]}, {"event": ..., "by": ...}, ...)
 * is compiled once into a flat instruction list; evaluating a trial is one
 * pass with a small byte stack, no recursion and no allocation, so deeply
 * nested rules cannot overflow the C stack at run time (parsing depth is
 * bounded by cJSON's nesting limit).  Comparisons with a missing value (NaN)
 * are false; an event that never happened (+inf) is not "by" any date.
 * A rule {"expr": ...} is an expression (expr.h) compiled over the outputs;
 * its columns of doubles live in the same scratch, after the truth values'
 * bytes (max_stack counts both). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "statement.h"
#include "json_util.h"

typedef struct {
    tyche_stmt_instr *v;
    size_t n, cap;
    size_t depth, max_depth;
    char *text;          /* the rule, rendered */
    size_t tlen, tcap;
    tyche_expr **exprs;  /* {"expr": ...} rules, compiled */
    size_t n_exprs, expr_rows;
} builder;

static int emit(builder *b, tyche_stmt_op op, uint32_t a, double x, double y) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 8;
        tyche_stmt_instr *nv = tyche_realloc(b->v, cap * sizeof *nv);
        if (!nv) return 0;
        b->v = nv;
        b->cap = cap;
    }
    b->v[b->n++] = (tyche_stmt_instr){op, a, x, y};
    return 1;
}

static int put(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static int put(builder *b, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->text ? b->text + b->tlen : NULL, b->text ? b->tcap - b->tlen : 0, fmt,
                          ap);
        va_end(ap);
        if (n < 0) return 0;
        if (b->text && b->tlen + (size_t)n < b->tcap) {
            b->tlen += (size_t)n;
            return 1;
        }
        size_t cap = (b->tcap ? b->tcap * 2 : 128) + (size_t)n;
        char *nt = tyche_realloc(b->text, cap);
        if (!nt) return 0;
        b->text = nt;
        b->tcap = cap;
    }
}

static tyche_status compile(const tyche_stmt_scope *s, size_t self, const cJSON *r, const char *path,
                            builder *b, tyche_err *err);

static tyche_status nomem(tyche_err *err) {
    return tyche_err_set(err, TYCHE_ENOMEM, "out of memory compiling a statement");
}

static tyche_status output_ref(const tyche_stmt_scope *s, const cJSON *r, const char *key,
                               const char *path, size_t *o, tyche_err *err) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(r, key);
    if (!cJSON_IsString(it))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: expected an output name (\"model.output\"), got %s",
                             path, key, tyche_json_type_name(it));
    *o = s->find_output(s->ctx, it->valuestring);
    if (*o == (size_t)-1) {
        char list[1024] = "";
        size_t used = 0;
        for (size_t i = 0; i < s->n_outputs && used < sizeof list; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                     s->output_name(s->ctx, i));
        return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: no output named \"%s\" (outputs: %s)", path,
                             key, it->valuestring, list);
    }
    return TYCHE_OK;
}

static tyche_status compile_list(const tyche_stmt_scope *s, size_t self, const cJSON *arr,
                                 const char *key, const char *path, builder *b, tyche_err *err) {
    char sub[1024];
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: expected a non-empty array of rules", path,
                             key);
    size_t k = 0;
    if (!put(b, "(")) return nomem(err);
    for (const cJSON *it = arr->child; it; it = it->next, k++) {
        if (k && !put(b, strcmp(key, "all") == 0 ? " and " : " or ")) return nomem(err);
        snprintf(sub, sizeof sub, "%s.%s[%zu]", path, key, k);
        tyche_status st = compile(s, self, it, sub, b, err);
        if (st) return st;
    }
    if (!put(b, ")")) return nomem(err);
    if (!emit(b, strcmp(key, "all") == 0 ? ST_ALL : ST_ANY, (uint32_t)k, 0, 0)) return nomem(err);
    b->depth -= k - 1;
    return TYCHE_OK;
}

/* An expression's names: the outputs, "model.output". */
static int expr_resolve(void *ctx, const char *name, uint32_t *slot, char *why, size_t why_len) {
    const tyche_stmt_scope *s = ctx;
    (void)why, (void)why_len;
    const size_t o = s->find_output(s->ctx, name);
    if (o == (size_t)-1) return 0;
    *slot = (uint32_t)o;
    return 1;
}

static void expr_known(void *ctx, char *buf, size_t len) {
    const tyche_stmt_scope *s = ctx;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n_outputs && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", s->output_name(s->ctx, i));
}

static tyche_status compile_expr(const tyche_stmt_scope *s, const cJSON *it, const char *path,
                                 builder *b, tyche_err *err) {
    char where[1100];
    snprintf(where, sizeof where, "%s.expr", path);
    if (!cJSON_IsString(it))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an expression (a string), got %s", where,
                             tyche_json_type_name(it));
    tyche_expr **nv = tyche_realloc(b->exprs, (b->n_exprs + 1) * sizeof *nv);
    if (nv == NULL) return nomem(err);
    b->exprs = nv;
    const tyche_expr_scope xs = {.ctx = (void *)s, .resolve = expr_resolve, .known = expr_known};
    tyche_expr *e;
    tyche_status st = tyche_expr_compile(it->valuestring, where, &xs, &e, err);
    if (st) return st;
    b->exprs[b->n_exprs++] = e;
    if (tyche_expr_stack_rows(e) > b->expr_rows) b->expr_rows = tyche_expr_stack_rows(e);
    /* nested in all/any/not, in parentheses: its own and/or are not the list's */
    const int nested = b->tlen > 0;
    if (!emit(b, ST_EXPR, (uint32_t)(b->n_exprs - 1), 0, 0) ||
        !put(b, nested ? "(%s)" : "%s", it->valuestring))
        return nomem(err);
    if (++b->depth > b->max_depth) b->max_depth = b->depth;
    return TYCHE_OK;
}

static const struct { const char *key; tyche_stmt_op op; } cmp_ops[] = {
    {"<", ST_LT}, {"<=", ST_LE}, {">", ST_GT}, {">=", ST_GE}, {"==", ST_EQ}};

static tyche_status compile(const tyche_stmt_scope *s, size_t self, const cJSON *r, const char *path,
                            builder *b, tyche_err *err) {
    tyche_status st;
    if (!cJSON_IsObject(r) || r->child == NULL)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s: expected a rule object (event/value/expr/all/any/not/statement), got %s",
                             path, tyche_json_type_name(r));
    const cJSON *first = r->child;
    if (strcmp(first->string, "all") == 0 || strcmp(first->string, "any") == 0) {
        static const char *const k1[] = {"all", "any", NULL};
        if ((st = tyche_json_check_keys(r, k1, path, err))) return st;
        if (r->child->next)
            return tyche_err_set(err, TYCHE_EINPUT, "%s: use one of \"all\" or \"any\" per rule", path);
        return compile_list(s, self, first, first->string, path, b, err);
    }
    if (strcmp(first->string, "not") == 0) {
        static const char *const k1[] = {"not", NULL};
        char sub[1024];
        if ((st = tyche_json_check_keys(r, k1, path, err))) return st;
        snprintf(sub, sizeof sub, "%s.not", path);
        if (!put(b, "not ")) return nomem(err);
        if ((st = compile(s, self, first, sub, b, err))) return st;
        if (!emit(b, ST_NOT, 0, 0, 0)) return nomem(err);
        return TYCHE_OK;
    }
    if (strcmp(first->string, "statement") == 0) {
        static const char *const k1[] = {"statement", NULL};
        if ((st = tyche_json_check_keys(r, k1, path, err))) return st;
        if (!cJSON_IsString(first))
            return tyche_err_set(err, TYCHE_EINPUT, "%s.statement: expected a statement id, got %s",
                                 path, tyche_json_type_name(first));
        const size_t j = s->find_statement(s->ctx, first->valuestring, self);
        if (j == (size_t)-1)
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.statement: \"%s\" is not a statement listed before this one",
                                 path, first->valuestring);
        if (!emit(b, ST_STMT, (uint32_t)j, 0, 0) || !put(b, "%s", first->valuestring))
            return nomem(err);
        if (++b->depth > b->max_depth) b->max_depth = b->depth;
        return TYCHE_OK;
    }
    if (cJSON_GetObjectItemCaseSensitive(r, "expr")) {
        static const char *const k1[] = {"expr", NULL};
        if ((st = tyche_json_check_keys(r, k1, path, err))) return st;
        return compile_expr(s, cJSON_GetObjectItemCaseSensitive(r, "expr"), path, b, err);
    }
    if (cJSON_GetObjectItemCaseSensitive(r, "event")) {
        static const char *const k1[] = {"event", "by", "after", NULL};
        size_t o;
        int32_t day;
        if ((st = tyche_json_check_keys(r, k1, path, err))) return st;
        if ((st = output_ref(s, r, "event", path, &o, err))) return st;
        if (s->output_type(s->ctx, o) != TYCHE_OUTPUT_TIME)
            return tyche_err_set(err, TYCHE_EINPUT, "%s.event: \"%s\" is a value, not an event time",
                                 path, s->output_name(s->ctx, o));
        const int by = cJSON_GetObjectItemCaseSensitive(r, "by") != NULL;
        const int after = cJSON_GetObjectItemCaseSensitive(r, "after") != NULL;
        if (by == after)
            return tyche_err_set(err, TYCHE_EINPUT, "%s: an event rule needs exactly one of \"by\" or \"after\"",
                                 path);
        if ((st = tyche_json_date(r, by ? "by" : "after", 1, 0, path, &day, err))) return st;
        /* Outside [start, horizon] the answer would be silently wrong: no
         * event is simulated before start (yet one at time 0 would count as
         * "by" the day before), and one after the horizon is recorded as
         * never, so "by" a later date undercounts and "after" it overcounts. */
        char date[11], lo[11], hi[11];
        if (day < s->start || day > s->horizon) {
            tyche_date_format(day, date);
            tyche_date_format(s->start, lo);
            tyche_date_format(s->horizon, hi);
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.%s: %s is %s the simulated period (start %s to horizon %s)",
                                 path, by ? "by" : "after", date,
                                 day < s->start ? "before" : "after", lo, hi);
        }
        /* "by D" means before the end of day D */
        const double t = (double)(day + 1 - s->start);
        tyche_date_format(day, date);
        if (!emit(b, by ? ST_EVENT_BY : ST_EVENT_AFTER, (uint32_t)o, t, 0) ||
            !put(b, "%s %s %s", s->output_name(s->ctx, o), by ? "by" : "not by", date))
            return nomem(err);
        if (++b->depth > b->max_depth) b->max_depth = b->depth;
        return TYCHE_OK;
    }
    if (cJSON_GetObjectItemCaseSensitive(r, "value")) {
        static const char *const k1[] = {"value", "<", "<=", ">", ">=", "==", "between", NULL};
        size_t o;
        if ((st = tyche_json_check_keys(r, k1, path, err))) return st;
        if ((st = output_ref(s, r, "value", path, &o, err))) return st;
        int n_tests = 0;
        for (const cJSON *it = r->child; it; it = it->next) n_tests += strcmp(it->string, "value") != 0;
        if (n_tests != 1)
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s: a value rule needs exactly one of <, <=, >, >=, ==, between",
                                 path);
        const cJSON *band = cJSON_GetObjectItemCaseSensitive(r, "between");
        if (band) {
            if (!cJSON_IsArray(band) || cJSON_GetArraySize(band) != 2 ||
                !cJSON_IsNumber(band->child) || !cJSON_IsNumber(band->child->next))
                return tyche_err_set(err, TYCHE_EINPUT, "%s.between: expected [low, high]", path);
            const double lo = band->child->valuedouble, hi = band->child->next->valuedouble;
            if (!isfinite(lo) || !isfinite(hi) || lo > hi)
                return tyche_err_set(err, TYCHE_EINPUT,
                                     "%s.between: expected finite numbers with low <= high", path);
            if (!emit(b, ST_BETWEEN, (uint32_t)o, lo, hi) ||
                !put(b, "%s in [%g, %g]", s->output_name(s->ctx, o), lo, hi))
                return nomem(err);
        } else {
            for (size_t k = 0; k < sizeof cmp_ops / sizeof cmp_ops[0]; k++) {
                double x;
                if (!cJSON_GetObjectItemCaseSensitive(r, cmp_ops[k].key)) continue;
                if ((st = tyche_json_number(r, cmp_ops[k].key, 1, 0, path, &x, err))) return st;
                if (!emit(b, cmp_ops[k].op, (uint32_t)o, x, 0) ||
                    !put(b, "%s %s %g", s->output_name(s->ctx, o), cmp_ops[k].key, x))
                    return nomem(err);
            }
        }
        if (++b->depth > b->max_depth) b->max_depth = b->depth;
        return TYCHE_OK;
    }
    return tyche_err_set(err, TYCHE_EINPUT,
                         "%s: unknown rule \"%s\" (expected event, value, expr, all, any, not or statement)",
                         path, first->string);
}

tyche_status tyche_statement_compile(const tyche_stmt_scope *scope, size_t self, const void *rule,
                                     const char *path, tyche_statement *out, tyche_err *err) {
    builder b = {0};
    tyche_status st = compile(scope, self, rule, path, &b, err);
    if (st == TYCHE_OK && b.text == NULL && !put(&b, "%s", "")) st = nomem(err);
    if (st) {
        free(b.v);
        free(b.text);
        for (size_t k = 0; k < b.n_exprs; k++) tyche_expr_free(b.exprs[k]);
        free(b.exprs);
        return st;
    }
    out->prog = b.v;
    out->n_prog = b.n;
    out->rule_text = b.text;
    out->exprs = b.exprs;
    out->n_exprs = b.n_exprs;
    /* the truth values' bytes, then (8-byte aligned) the expressions' doubles */
    out->expr_at = b.n_exprs ? (b.max_depth + 7) / 8 * 8 : b.max_depth;
    out->max_stack = out->expr_at + b.expr_rows * sizeof(double);
    return TYCHE_OK;
}

void tyche_statement_release(tyche_statement *st) {
    free(st->rule_text);
    free(st->prog);
    for (size_t k = 0; k < st->n_exprs; k++) tyche_expr_free(st->exprs[k]);
    free(st->exprs);
    st->rule_text = NULL;
    st->prog = NULL;
    st->exprs = NULL;
    st->n_prog = st->n_exprs = 0;
}

void tyche_statement_eval_lanes(const tyche_statement *st, const double *out, const uint8_t *done,
                                size_t stride, size_t n, uint8_t *stack, uint8_t *result) {
    /* the stack's slot j is a column of n results; an instruction fills or
     * folds whole columns (a loop the compiler vectorises) */
    size_t sp = 0;
    for (size_t i = 0; i < st->n_prog; i++) {
        const tyche_stmt_instr *in = &st->prog[i];
        const double *x = out + (size_t)in->a * stride, c = in->x, y = in->y;
        uint8_t *r = stack + sp * stride;
        switch (in->op) {
        case ST_EVENT_BY: for (size_t j = 0; j < n; j++) r[j] = x[j] <= c; break;
        case ST_EVENT_AFTER: for (size_t j = 0; j < n; j++) r[j] = !(x[j] <= c); break;
        case ST_LT: for (size_t j = 0; j < n; j++) r[j] = x[j] < c; break;
        case ST_LE: for (size_t j = 0; j < n; j++) r[j] = x[j] <= c; break;
        case ST_GT: for (size_t j = 0; j < n; j++) r[j] = x[j] > c; break;
        case ST_GE: for (size_t j = 0; j < n; j++) r[j] = x[j] >= c; break;
        case ST_EQ: for (size_t j = 0; j < n; j++) r[j] = x[j] == c; break;
        case ST_BETWEEN: for (size_t j = 0; j < n; j++) r[j] = x[j] >= c && x[j] <= y; break;
        case ST_STMT: memcpy(r, done + (size_t)in->a * stride, n); break;
        case ST_EXPR: {
            /* its columns after the truth values (expr_at * stride bytes in,
             * a multiple of 8); the result into the first of them */
            double *xs = (double *)(void *)(stack + st->expr_at * stride);
            const tyche_expr_frame f = {.base = out, .stride = stride};
            tyche_expr_eval(st->exprs[in->a], &f, n, xs, xs);
            for (size_t j = 0; j < n; j++) r[j] = (uint8_t)tyche_expr_truth(xs[j]);
            break;
        }
        case ST_ALL:
        case ST_ANY: {
            /* fold the top a columns into the lowest of them */
            uint8_t *base = stack + (sp - in->a) * stride;
            if (in->a == 0) {
                memset(r, in->op == ST_ALL, n);
                break;
            }
            for (uint32_t k = 1; k < in->a; k++) {
                const uint8_t *col = base + (size_t)k * stride;
                if (in->op == ST_ALL)
                    for (size_t j = 0; j < n; j++) base[j] &= col[j];
                else
                    for (size_t j = 0; j < n; j++) base[j] |= col[j];
            }
            sp -= in->a;
            r = base;
            break;
        }
        case ST_NOT:
            r = stack + --sp * stride;
            for (size_t j = 0; j < n; j++) r[j] = !r[j];
            break;
        default: memset(r, 0, n); break;
        }
        sp++;
        (void)r;
    }
    if (sp)
        memcpy(result, stack, n);
    else
        memset(result, 0, n);
}

uint8_t tyche_statement_eval(const tyche_statement *st, const double *out, const uint8_t *done,
                             uint8_t *stack) {
    size_t sp = 0;
    for (size_t i = 0; i < st->n_prog; i++) {
        const tyche_stmt_instr *in = &st->prog[i];
        uint8_t r;
        switch (in->op) {
        case ST_EVENT_BY: r = out[in->a] <= in->x; break;
        case ST_EVENT_AFTER: r = !(out[in->a] <= in->x); break;
        case ST_LT: r = out[in->a] < in->x; break;
        case ST_LE: r = out[in->a] <= in->x; break;
        case ST_GT: r = out[in->a] > in->x; break;
        case ST_GE: r = out[in->a] >= in->x; break;
        case ST_EQ: r = out[in->a] == in->x; break;
        case ST_BETWEEN: r = out[in->a] >= in->x && out[in->a] <= in->y; break;
        case ST_STMT: r = done[in->a]; break;
        case ST_EXPR: {
            double *xs = (double *)(void *)(stack + st->expr_at);
            const tyche_expr_frame f = {.base = out, .stride = 1};
            tyche_expr_eval(st->exprs[in->a], &f, 1, xs, xs);
            r = (uint8_t)tyche_expr_truth(xs[0]);
            break;
        }
        case ST_ALL:
        case ST_ANY: {
            uint8_t acc = in->op == ST_ALL;
            for (uint32_t k = 0; k < in->a; k++) {
                const uint8_t x = stack[--sp];
                acc = in->op == ST_ALL ? (acc & x) : (acc | x);
            }
            r = acc;
            break;
        }
        case ST_NOT: r = !stack[--sp]; break;
        default: r = 0; break;
        }
        stack[sp++] = r;
    }
    return sp ? stack[0] : 0;
}
