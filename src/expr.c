/* Expressions (expr.h): a recursive-descent parser that emits postfix code
 * as it reads, and an evaluator that runs the code over columns of lanes.
 *
 * Why postfix over columns: a scenario's formula runs on every trial, so
 * the per-trial cost must be a few arithmetic operations, not a tree walk;
 * one instruction per column of up to TYCHE_LANES trials leaves the
 * dispatch to once per block and gives the compiler plain loops to
 * vectorise.  The stack depth the code needs is known when it is compiled,
 * so the caller allocates the scratch once. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include "expr.h"
#include "json_util.h"

typedef enum {
    X_CONST, X_LOAD,
    X_NEG, X_ADD, X_SUB, X_MUL, X_DIV, X_POW,
    X_LT, X_LE, X_GT, X_GE, X_EQ, X_NE,
    X_AND, X_OR, X_NOT,
    X_EXP, X_LOG, X_SQRT, X_ABS, X_FLOOR, X_CEIL,
    X_MIN, X_MAX, X_IF, X_CLAMP,
    X_NORMAL, X_LOGNORMAL, X_UNIFORM, X_BERNOULLI, X_EXPONENTIAL
} op_t;

typedef struct {
    op_t op;
    uint32_t a;   /* X_LOAD: the slot; a draw: its Philox block */
    double x;     /* X_CONST */
} instr;

struct tyche_expr {
    instr *prog;
    size_t n;
    size_t rows;       /* scratch columns */
    uint32_t n_sites;
};

/* ---- the functions ------------------------------------------------------- */

static const struct {
    const char *name;
    op_t op;
    int min_args, max_args; /* max_args -1: any number from min_args */
    int draw;
} funcs[] = {
    {"exp", X_EXP, 1, 1, 0},           {"log", X_LOG, 1, 1, 0},
    {"sqrt", X_SQRT, 1, 1, 0},         {"abs", X_ABS, 1, 1, 0},
    {"floor", X_FLOOR, 1, 1, 0},       {"ceil", X_CEIL, 1, 1, 0},
    {"pow", X_POW, 2, 2, 0},           {"min", X_MIN, 2, -1, 0},
    {"max", X_MAX, 2, -1, 0},          {"if", X_IF, 3, 3, 0},
    {"clamp", X_CLAMP, 3, 3, 0},       {"normal", X_NORMAL, 2, 2, 1},
    {"lognormal", X_LOGNORMAL, 2, 2, 1}, {"uniform", X_UNIFORM, 2, 2, 1},
    {"bernoulli", X_BERNOULLI, 1, 1, 1}, {"exponential", X_EXPONENTIAL, 1, 1, 1},
};
#define N_FUNCS (sizeof funcs / sizeof funcs[0])

static int find_func(const char *name) {
    for (size_t k = 0; k < N_FUNCS; k++)
        if (strcmp(funcs[k].name, name) == 0) return (int)k;
    return -1;
}

/* ---- the lexer ------------------------------------------------------------ */

typedef enum {
    T_END, T_NUM, T_NAME, T_LP, T_RP, T_COMMA,
    T_PLUS, T_MINUS, T_STAR, T_SLASH, T_CARET,
    T_LT, T_LE, T_GT, T_GE, T_EQ, T_NE,
    T_AND, T_OR, T_NOT
} tok_t;

#define NAME_MAX_LEN 200

typedef struct {
    const char *src;
    size_t len, pos;
    tok_t tok;
    size_t tpos, tlen;   /* the current token's place in src */
    double num;
    char name[NAME_MAX_LEN + 1];
    const char *where;
    const tyche_expr_scope *scope;
    instr *v;
    size_t n, cap;
    size_t depth, max_depth;
    int nest;
    uint32_t site;
    tyche_err *err;
    tyche_status st;
} parser;

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Records the error at 0-based position `at` and returns -1. */
static int fail(parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(parser *p, size_t at, const char *fmt, ...) {
    char msg[TYCHE_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->st = tyche_err_set(p->err, TYCHE_EINPUT, "%s: at character %zu: %s", p->where, at + 1, msg);
    return -1;
}

static int nomem(parser *p) {
    p->st = tyche_err_set(p->err, TYCHE_ENOMEM, "out of memory compiling an expression");
    return -1;
}

/* The current token, quoted, for messages: "\"x\"" or "the end". */
static void tok_text(const parser *p, char *buf, size_t len) {
    if (p->tok == T_END) {
        snprintf(buf, len, "the end");
        return;
    }
    const int n = p->tlen > 40 ? 40 : (int)p->tlen;
    snprintf(buf, len, "\"%.*s%s\"", n, p->src + p->tpos, p->tlen > 40 ? "..." : "");
}

/* Reads the number at p->pos: digits, an optional fraction and exponent
 * (at least one digit before the exponent), converted under any locale. */
static int lex_number(parser *p) {
    const char *s = p->src;
    size_t i = p->pos, int_digits = 0, frac_digits = 0;
    char buf[400];
    size_t k = 0;
    while (i < p->len && is_digit(s[i])) i++, int_digits++;
    const size_t int_end = i;
    if (i < p->len && s[i] == '.') {
        i++;
        while (i < p->len && is_digit(s[i])) i++, frac_digits++;
    }
    if (int_digits + frac_digits == 0) return fail(p, p->pos, "malformed number");
    size_t exp_at = i;
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < p->len && (s[j] == '+' || s[j] == '-')) j++;
        if (j >= p->len || !is_digit(s[j]))
            return fail(p, p->pos, "malformed number \"%.*s\" (an exponent needs digits)",
                        (int)(j - p->pos), s + p->pos);
        while (j < p->len && is_digit(s[j])) j++;
        i = j;
    }
    if (i < p->len && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '.')) {
        size_t j = i;
        while (j < p->len && (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '.')) j++;
        return fail(p, p->pos, "malformed number \"%.*s\"", (int)(j - p->pos), s + p->pos);
    }
    if (i - p->pos + 4 > sizeof buf) return fail(p, p->pos, "number too long");
    /* as JSON writes it (tyche_parse_number reads JSON): no leading zeros,
     * digits on both sides of the point */
    size_t z = p->pos;
    while (z + 1 < int_end && s[z] == '0') z++;
    if (int_digits == 0) buf[k++] = '0';
    for (size_t j = z; j < int_end; j++) buf[k++] = s[j];
    if (int_end < exp_at) { /* a point */
        buf[k++] = '.';
        if (frac_digits == 0) buf[k++] = '0';
        for (size_t j = int_end + 1; j < exp_at; j++) buf[k++] = s[j];
    }
    for (size_t j = exp_at; j < i; j++) buf[k++] = s[j];
    buf[k] = '\0';
    const int r = tyche_parse_number(buf, &p->num);
    if (r < 0) return nomem(p);
    if (r == 0)
        return fail(p, p->pos, "number \"%.*s\" is out of range", (int)(i - p->pos), s + p->pos);
    p->tok = T_NUM;
    p->tlen = i - p->pos;
    p->pos = i;
    return 0;
}

/* Moves to the next token. */
static int next(parser *p) {
    const char *s = p->src;
    while (p->pos < p->len && (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' ||
                               s[p->pos] == '\r'))
        p->pos++;
    p->tpos = p->pos;
    if (p->pos >= p->len) {
        p->tok = T_END;
        p->tlen = 0;
        return 0;
    }
    const char c = s[p->pos], d = p->pos + 1 < p->len ? s[p->pos + 1] : '\0';
    if (is_digit(c) || (c == '.' && is_digit(d))) return lex_number(p);
    if (is_alpha(c)) {
        size_t i = p->pos;
        while (i < p->len && (is_alpha(s[i]) || is_digit(s[i]))) i++;
        if (i < p->len && s[i] == '.') {
            /* "model.output" */
            size_t j = i + 1;
            if (j >= p->len || !(is_alpha(s[j]) || is_digit(s[j])))
                return fail(p, p->pos, "expected an output name after \"%.*s\"",
                            (int)(j - p->pos), s + p->pos);
            while (j < p->len && (is_alpha(s[j]) || is_digit(s[j]))) j++;
            if (j < p->len && s[j] == '.')
                return fail(p, j, "a name has at most one '.' (\"model.output\")");
            i = j;
        }
        if (i - p->pos > NAME_MAX_LEN)
            return fail(p, p->pos, "name longer than %d characters", NAME_MAX_LEN);
        memcpy(p->name, s + p->pos, i - p->pos);
        p->name[i - p->pos] = '\0';
        p->tlen = i - p->pos;
        p->pos = i;
        p->tok = strcmp(p->name, "and") == 0   ? T_AND
                 : strcmp(p->name, "or") == 0  ? T_OR
                 : strcmp(p->name, "not") == 0 ? T_NOT
                                               : T_NAME;
        return 0;
    }
    if (c == '*' && d == '*') return fail(p, p->pos, "unexpected \"**\" (write ^ for a power)");
    static const struct { const char *text; tok_t tok; } ops[] = {
        {"<=", T_LE}, {">=", T_GE}, {"==", T_EQ}, {"!=", T_NE}, {"&&", T_AND}, {"||", T_OR},
        {"<", T_LT},  {">", T_GT},  {"!", T_NOT}, {"+", T_PLUS}, {"-", T_MINUS}, {"*", T_STAR},
        {"/", T_SLASH}, {"^", T_CARET}, {"(", T_LP}, {")", T_RP}, {",", T_COMMA},
    };
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        const size_t n = strlen(ops[k].text);
        if (p->pos + n <= p->len && memcmp(s + p->pos, ops[k].text, n) == 0) {
            p->tok = ops[k].tok;
            p->tlen = n;
            p->pos += n;
            return 0;
        }
    }
    if (c == '=') return fail(p, p->pos, "unexpected \"=\" (write == to compare)");
    if (c == '&') return fail(p, p->pos, "unexpected \"&\" (write && or and)");
    if (c == '|') return fail(p, p->pos, "unexpected \"|\" (write || or or)");
    if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
        return fail(p, p->pos, "unexpected character (byte 0x%02x)", (unsigned)(unsigned char)c);
    return fail(p, p->pos, "unexpected character '%c'", c);
}

/* ---- code ------------------------------------------------------------------ */

/* Appends an instruction that pops `pops` columns and pushes one (or, for
 * X_CONST and X_LOAD, pops none); `scratch`: it also uses the column just
 * above its arguments. */
static int emit(parser *p, op_t op, uint32_t a, double x, size_t pops, int scratch) {
    if (p->n == p->cap) {
        const size_t cap = p->cap ? 2 * p->cap : 16;
        instr *nv = tyche_realloc(p->v, cap * sizeof *nv);
        if (nv == NULL) return nomem(p);
        p->v = nv;
        p->cap = cap;
    }
    p->v[p->n++] = (instr){op, a, x};
    if (scratch && p->depth + 1 > p->max_depth) p->max_depth = p->depth + 1;
    p->depth = p->depth - pops + 1;
    if (p->depth > p->max_depth) p->max_depth = p->depth;
    return 0;
}

static int enter(parser *p) {
    if (++p->nest > TYCHE_EXPR_MAX_NESTING)
        return fail(p, p->tpos, "nested too deeply (more than %d levels)", TYCHE_EXPR_MAX_NESTING);
    return 0;
}

static int parse_or(parser *p);
static int parse_unary(parser *p);

static int parse_call(parser *p, int f, size_t at) {
    if (funcs[f].draw && !p->scope->allow_draws)
        return fail(p, at, "%s is a random draw, which only a formula model may take", funcs[f].name);
    if (next(p) || next(p)) return -1; /* the name, then "(" (the caller saw it) */
    int args = 0;
    if (p->tok != T_RP) {
        for (;;) {
            if (parse_or(p)) return -1;
            args++;
            if (p->tok == T_COMMA) {
                if (next(p)) return -1;
                continue;
            }
            if (p->tok != T_RP) {
                char got[64];
                tok_text(p, got, sizeof got);
                return fail(p, p->tpos, "expected \",\" or \")\" in the arguments of %s, got %s",
                            funcs[f].name, got);
            }
            break;
        }
    }
    if (args < funcs[f].min_args || (funcs[f].max_args >= 0 && args > funcs[f].max_args)) {
        if (funcs[f].max_args < 0)
            return fail(p, at, "%s takes at least %d arguments, got %d", funcs[f].name,
                        funcs[f].min_args, args);
        return fail(p, at, "%s takes %d argument%s, got %d", funcs[f].name, funcs[f].min_args,
                    funcs[f].min_args == 1 ? "" : "s", args);
    }
    if (next(p)) return -1; /* ")" */
    const op_t op = funcs[f].op;
    if (op == X_MIN || op == X_MAX) {
        for (int k = 1; k < args; k++)
            if (emit(p, op, 0, 0, 2, 0)) return -1;
        return 0;
    }
    uint32_t a = 0;
    if (funcs[f].draw) a = p->scope->first_site + p->site++;
    return emit(p, op, a, 0, (size_t)args, funcs[f].draw);
}

static int parse_atom(parser *p) {
    char got[64];
    switch (p->tok) {
    case T_NUM:
        if (emit(p, X_CONST, 0, p->num, 0, 0)) return -1;
        return next(p);
    case T_LP: {
        if (enter(p) || next(p) || parse_or(p)) return -1;
        if (p->tok != T_RP) {
            tok_text(p, got, sizeof got);
            return fail(p, p->tpos, "expected \")\", got %s", got);
        }
        p->nest--;
        return next(p);
    }
    case T_NAME: {
        const size_t at = p->tpos;
        size_t i = p->pos;
        while (i < p->len && (p->src[i] == ' ' || p->src[i] == '\t' || p->src[i] == '\n' ||
                              p->src[i] == '\r'))
            i++;
        const int f = find_func(p->name);
        if (i < p->len && p->src[i] == '(') {
            if (f < 0) {
                char list[400];
                size_t used = 0;
                list[0] = '\0';
                for (size_t k = 0; k < N_FUNCS && used < sizeof list; k++)
                    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "",
                                             funcs[k].name);
                return fail(p, at, "unknown function \"%s\" (functions: %s)", p->name, list);
            }
            if (enter(p) || parse_call(p, f, at)) return -1;
            p->nest--;
            return 0;
        }
        if (f >= 0) return fail(p, at, "%s is a function: write %s(...)", p->name, p->name);
        uint32_t slot = 0;
        char why[512] = "";
        const int r = p->scope->resolve(p->scope->ctx, p->name, &slot, why, sizeof why);
        if (r == -2) return nomem(p);
        if (r < 0) return fail(p, at, "%s", why);
        if (r == 0) {
            char known[400] = "";
            if (p->scope->known) p->scope->known(p->scope->ctx, known, sizeof known);
            return fail(p, at, "unknown name \"%s\" (known: %s)", p->name,
                        known[0] ? known : "none");
        }
        if (emit(p, X_LOAD, slot, 0, 0, 0)) return -1;
        return next(p);
    }
    default:
        tok_text(p, got, sizeof got);
        return fail(p, p->tpos, "expected a number, a name or \"(\", got %s", got);
    }
}

/* atom [^ unary]: right-associative, and the exponent may be negated */
static int parse_pow(parser *p) {
    if (parse_atom(p)) return -1;
    if (p->tok != T_CARET) return 0;
    if (enter(p) || next(p) || parse_unary(p)) return -1;
    p->nest--;
    return emit(p, X_POW, 0, 0, 2, 0);
}

static int parse_unary(parser *p) {
    if (p->tok == T_MINUS || p->tok == T_PLUS) {
        const int neg = p->tok == T_MINUS;
        if (enter(p) || next(p) || parse_unary(p)) return -1;
        p->nest--;
        return neg ? emit(p, X_NEG, 0, 0, 1, 0) : 0;
    }
    return parse_pow(p);
}

static int parse_mul(parser *p) {
    if (parse_unary(p)) return -1;
    while (p->tok == T_STAR || p->tok == T_SLASH) {
        const op_t op = p->tok == T_STAR ? X_MUL : X_DIV;
        if (next(p) || parse_unary(p) || emit(p, op, 0, 0, 2, 0)) return -1;
    }
    return 0;
}

static int parse_add(parser *p) {
    if (parse_mul(p)) return -1;
    while (p->tok == T_PLUS || p->tok == T_MINUS) {
        const op_t op = p->tok == T_PLUS ? X_ADD : X_SUB;
        if (next(p) || parse_mul(p) || emit(p, op, 0, 0, 2, 0)) return -1;
    }
    return 0;
}

static int cmp_op(tok_t t, op_t *op) {
    switch (t) {
    case T_LT: *op = X_LT; return 1;
    case T_LE: *op = X_LE; return 1;
    case T_GT: *op = X_GT; return 1;
    case T_GE: *op = X_GE; return 1;
    case T_EQ: *op = X_EQ; return 1;
    case T_NE: *op = X_NE; return 1;
    default: return 0;
    }
}

static int parse_cmp(parser *p) {
    if (parse_add(p)) return -1;
    op_t op;
    if (!cmp_op(p->tok, &op)) return 0;
    if (next(p) || parse_add(p) || emit(p, op, 0, 0, 2, 0)) return -1;
    op_t again;
    if (cmp_op(p->tok, &again))
        return fail(p, p->tpos, "comparisons do not chain (write a < b and b < c)");
    return 0;
}

static int parse_not(parser *p) {
    if (p->tok == T_NOT) {
        if (enter(p) || next(p) || parse_not(p)) return -1;
        p->nest--;
        return emit(p, X_NOT, 0, 0, 1, 0);
    }
    return parse_cmp(p);
}

static int parse_and(parser *p) {
    if (parse_not(p)) return -1;
    while (p->tok == T_AND)
        if (next(p) || parse_not(p) || emit(p, X_AND, 0, 0, 2, 0)) return -1;
    return 0;
}

static int parse_or(parser *p) {
    if (parse_and(p)) return -1;
    while (p->tok == T_OR)
        if (next(p) || parse_and(p) || emit(p, X_OR, 0, 0, 2, 0)) return -1;
    return 0;
}

tyche_status tyche_expr_compile(const char *src, const char *where, const tyche_expr_scope *scope,
                                tyche_expr **out, tyche_err *err) {
    *out = NULL;
    parser p = {.src = src, .len = strlen(src), .where = where, .scope = scope, .err = err};
    int r = next(&p);
    if (r == 0) r = parse_or(&p);
    if (r == 0 && p.tok != T_END) {
        char got[64];
        tok_text(&p, got, sizeof got);
        r = fail(&p, p.tpos, "unexpected %s (expected an operator or the end)", got);
    }
    tyche_expr *e = NULL;
    if (r == 0 && (e = tyche_calloc(1, sizeof *e)) == NULL) r = nomem(&p);
    if (r) {
        free(p.v);
        return p.st;
    }
    e->prog = p.v;
    e->n = p.n;
    e->rows = p.max_depth ? p.max_depth : 1;
    e->n_sites = p.site;
    *out = e;
    return TYCHE_OK;
}

void tyche_expr_free(tyche_expr *e) {
    if (e == NULL) return;
    free(e->prog);
    free(e);
}

size_t tyche_expr_stack_rows(const tyche_expr *e) { return e->rows; }
uint32_t tyche_expr_n_sites(const tyche_expr *e) { return e->n_sites; }

int tyche_expr_uses(const tyche_expr *e, uint32_t slot) {
    for (size_t k = 0; k < e->n; k++)
        if (e->prog[k].op == X_LOAD && e->prog[k].a == slot) return 1;
    return 0;
}

/* ---- evaluation ------------------------------------------------------------- */

static inline double truth(double x) { return (x < 0 || x > 0) ? 1.0 : 0.0; }

void tyche_expr_eval(const tyche_expr *e, const tyche_expr_frame *f, size_t n, double *stack,
                     double *result) {
    size_t sp = 0; /* columns in use; the code was checked to keep 1 <= sp <= rows */
#define COL(k) (stack + (size_t)(k) * n)
    for (size_t k = 0; k < e->n; k++) {
        const instr *in = &e->prog[k];
        switch (in->op) {
        case X_CONST: {
            double *r = COL(sp++);
            const double c = in->x;
            for (size_t i = 0; i < n; i++) r[i] = c;
            break;
        }
        case X_LOAD: {
            double *r = COL(sp++);
            const double *c = f->cols ? f->cols[in->a] : f->base + (size_t)in->a * f->stride;
            memcpy(r, c, n * sizeof *r);
            break;
        }
#define UNARY(expr)                                    \
    {                                                  \
        double *x = COL(sp - 1);                       \
        for (size_t i = 0; i < n; i++) x[i] = (expr);  \
        break;                                         \
    }
#define BINARY(expr)                                   \
    {                                                  \
        double *a = COL(sp - 2);                       \
        const double *b = COL(sp - 1);                 \
        for (size_t i = 0; i < n; i++) a[i] = (expr);  \
        sp--;                                          \
        break;                                         \
    }
        case X_NEG: UNARY(-x[i])
        case X_ADD: BINARY(a[i] + b[i])
        case X_SUB: BINARY(a[i] - b[i])
        case X_MUL: BINARY(a[i] * b[i])
        case X_DIV: BINARY(a[i] / b[i])
        case X_POW: BINARY(pow(a[i], b[i]))
        case X_LT: BINARY(a[i] < b[i] ? 1.0 : 0.0)
        case X_LE: BINARY(a[i] <= b[i] ? 1.0 : 0.0)
        case X_GT: BINARY(a[i] > b[i] ? 1.0 : 0.0)
        case X_GE: BINARY(a[i] >= b[i] ? 1.0 : 0.0)
        case X_EQ: BINARY(a[i] == b[i] ? 1.0 : 0.0)
        /* NaN: false, like every comparison (IEEE's != would say true) */
        case X_NE: BINARY((a[i] < b[i] || a[i] > b[i]) ? 1.0 : 0.0)
        case X_AND: BINARY(truth(a[i]) * truth(b[i]))
        case X_OR: BINARY((truth(a[i]) + truth(b[i])) > 0 ? 1.0 : 0.0)
        case X_NOT: UNARY(1.0 - truth(x[i]))
        case X_EXP: UNARY(exp(x[i]))
        case X_LOG: UNARY(log(x[i]))
        case X_SQRT: UNARY(sqrt(x[i]))
        case X_ABS: UNARY(fabs(x[i]))
        case X_FLOOR: UNARY(floor(x[i]))
        case X_CEIL: UNARY(ceil(x[i]))
        /* a NaN argument gives NaN (fmin and fmax would drop it) */
        case X_MIN: BINARY(a[i] < b[i] ? a[i] : (b[i] <= a[i] ? b[i] : NAN))
        case X_MAX: BINARY(a[i] > b[i] ? a[i] : (b[i] >= a[i] ? b[i] : NAN))
        case X_IF: {
            double *c = COL(sp - 3);
            const double *a = COL(sp - 2), *b = COL(sp - 1);
            for (size_t i = 0; i < n; i++) c[i] = truth(c[i]) > 0 ? a[i] : b[i];
            sp -= 2;
            break;
        }
        case X_CLAMP: {
            double *x = COL(sp - 3);
            const double *lo = COL(sp - 2), *hi = COL(sp - 1);
            for (size_t i = 0; i < n; i++)
                x[i] = !(lo[i] <= hi[i]) ? NAN : x[i] < lo[i] ? lo[i] : x[i] > hi[i] ? hi[i] : x[i];
            sp -= 2;
            break;
        }
        /* draws: the site's uniform into the column above the arguments */
        case X_NORMAL: {
            double *m = COL(sp - 2), *u = COL(sp);
            const double *s = COL(sp - 1);
            tyche_draws_uniform(f->draws, f->lanes, f->stream, in->a, u, NULL);
            for (size_t i = 0; i < n; i++)
                m[i] = s[i] >= 0 ? m[i] + s[i] * gsl_cdf_ugaussian_Pinv(u[i]) : NAN;
            sp--;
            break;
        }
        case X_LOGNORMAL: {
            double *m = COL(sp - 2), *u = COL(sp);
            const double *s = COL(sp - 1);
            tyche_draws_uniform(f->draws, f->lanes, f->stream, in->a, u, NULL);
            for (size_t i = 0; i < n; i++)
                m[i] = m[i] > 0 && s[i] >= 0 ? m[i] * exp(s[i] * gsl_cdf_ugaussian_Pinv(u[i])) : NAN;
            sp--;
            break;
        }
        case X_UNIFORM: {
            double *a = COL(sp - 2), *u = COL(sp);
            const double *b = COL(sp - 1);
            tyche_draws_uniform(f->draws, f->lanes, f->stream, in->a, u, NULL);
            for (size_t i = 0; i < n; i++) a[i] = a[i] <= b[i] ? a[i] + (b[i] - a[i]) * u[i] : NAN;
            sp--;
            break;
        }
        case X_BERNOULLI: {
            double *pr = COL(sp - 1), *u = COL(sp);
            tyche_draws_uniform(f->draws, f->lanes, f->stream, in->a, u, NULL);
            for (size_t i = 0; i < n; i++)
                pr[i] = pr[i] >= 0 && pr[i] <= 1 ? (u[i] < pr[i] ? 1.0 : 0.0) : NAN;
            break;
        }
        case X_EXPONENTIAL: {
            double *rate = COL(sp - 1), *u = COL(sp);
            tyche_draws_uniform(f->draws, f->lanes, f->stream, in->a, u, NULL);
            for (size_t i = 0; i < n; i++) rate[i] = rate[i] > 0 ? -log(u[i]) / rate[i] : NAN;
            break;
        }
#undef UNARY
#undef BINARY
        }
    }
    /* one NaN: a NaN's sign and payload are not IEEE's to fix, and a
     * compiler's vector and scalar code may differ in them (clang's did:
     * -nan alone, nan in the block), while results are compared bit for bit */
    const double *top = COL(0);
    for (size_t i = 0; i < n; i++) result[i] = top[i] == top[i] ? top[i] : NAN;
#undef COL
}
