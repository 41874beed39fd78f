/* Model kind `formula`: outputs computed by expressions (expr.h) written in
 * the scenario, so a new question needs no C.
 *
 *   {"name": "cost", "kind": "formula",
 *    "params": {"a": {"dist": "normal", "mean": 1, "sd": 0.5}, "b": 2},
 *    "settings": {"outputs": {
 *      "y":    {"expr": "a + b * option.exercise_time / 365", "units": "USD billions"},
 *      "late": {"expr": "y + lognormal(30, 0.5)", "type": "time"},
 *      "flag": "y > 3"}}}
 *
 * Its parameters are the keys of "params" (any identifiers; all reals
 * unless the prior says otherwise; units "1").  An expression names them,
 * the common factor by its scenario name (common_factor.name, "Z" by
 * default), an earlier output of this model by its bare name, and an
 * output of a model listed before this one as "model.output": those are
 * the model's inputs, declared here (declare) in the order first named.
 * An output is "value" (the default) or "time": days since the start, like
 * the other kinds' times; a time after the horizon is recorded as never
 * (+inf), and an observed time (as-of) replaces the computed one.
 *
 * Draws: the j-th draw call across the outputs, in order, is site j: one
 * uniform per lane from Philox block j of substream 0 (expr.h), drawn on
 * every trial.  Adding a draw before another moves the later sites' blocks,
 * so it changes their numbers; appending one does not.
 *
 * The expressions are parsed twice: in declare, which must know the
 * inputs before the scenario connects them, and in prepare, which builds
 * the programs the model runs (declare's setup has no place to hand them
 * on); both passes see the same text and names, so they agree. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../kind.h"
#include "../expr.h"
#include "../json_util.h"

/* ---- names ------------------------------------------------------------------ */

static const char *const reserved_words[] = {
    "and", "or", "not", "exp", "log", "sqrt", "abs", "floor", "ceil", "pow", "min", "max", "if",
    "clamp", "normal", "lognormal", "uniform", "bernoulli", "exponential", NULL};

/* A name an expression can use: an identifier of at most 64 characters
 * that is neither a keyword nor a function.  Returns why not, or NULL. */
static const char *bad_name(const char *s) {
    if (s[0] == '\0' || strlen(s) > 64) return "must be 1-64 characters";
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return "must start with a letter or '_'";
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return "may have only letters, digits and '_'";
    for (size_t k = 0; reserved_words[k]; k++)
        if (strcmp(s, reserved_words[k]) == 0) return "is a keyword or a function of expressions";
    return NULL;
}

/* ---- compiling every output ------------------------------------------------------ */

/* Slots of the columns an expression reads: the parameters, the common
 * factor, this model's outputs, then the inputs. */
typedef struct {
    const tyche_model_setup *su;
    const char *const *pnames;
    size_t np;
    const char *const *onames;
    size_t no, cur;          /* outputs, and the one being compiled */
    char **inputs;           /* sources, "model.output" */
    size_t n_in;
    int fixed;               /* 1: the inputs are su->inputs (prepare) */
} names;

static uint32_t out_slot(const names *c, size_t k) { return (uint32_t)(c->np + 1 + k); }
static uint32_t in_slot(const names *c, size_t k) { return (uint32_t)(c->np + 1 + c->no + k); }

static int resolve(void *ctx, const char *name, uint32_t *slot, char *why, size_t why_len) {
    names *c = ctx;
    if (strchr(name, '.')) {
        for (size_t k = 0; k < c->n_in; k++)
            if (strcmp(c->inputs[k], name) == 0) return *slot = in_slot(c, k), 1;
        tyche_output_type type;
        if (c->fixed || !c->su->earlier_output(c->su->scope, name, &type)) {
            snprintf(why, why_len, "\"%s\" is not an output of a model listed before this one", name);
            return -1;
        }
        if (c->n_in == TYCHE_KIND_MAX_INPUTS) {
            snprintf(why, why_len, "\"%s\": a model may read at most %d outputs of other models", name,
                     TYCHE_KIND_MAX_INPUTS);
            return -1;
        }
        char *dup = tyche_strdup(name);
        if (dup == NULL) return -2;
        c->inputs[c->n_in] = dup;
        *slot = in_slot(c, c->n_in++);
        return 1;
    }
    for (size_t k = 0; k < c->np; k++)
        if (strcmp(c->pnames[k], name) == 0) return *slot = (uint32_t)k, 1;
    if (c->su->common_name && strcmp(c->su->common_name, name) == 0) return *slot = (uint32_t)c->np, 1;
    for (size_t k = 0; k < c->no; k++) {
        if (strcmp(c->onames[k], name) != 0) continue;
        if (k < c->cur) return *slot = out_slot(c, k), 1;
        snprintf(why, why_len,
                 k == c->cur ? "\"%s\" is this output itself"
                             : "\"%s\" is an output listed after this one (an output may use only those "
                               "before it)",
                 name);
        return -1;
    }
    return 0;
}

static void known(void *ctx, char *buf, size_t len) {
    const names *c = ctx;
    size_t used = 0;
    buf[0] = '\0';
#define ADD(s) (used < len ? (void)(used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", (s))) : (void)0)
    for (size_t k = 0; k < c->np; k++) ADD(c->pnames[k]);
    if (c->su->common_name) ADD(c->su->common_name);
    for (size_t k = 0; k < c->cur; k++) ADD(c->onames[k]);
    for (size_t k = 0; k < c->n_in; k++) ADD(c->inputs[k]);
    ADD("or model.output of a model listed before this one");
#undef ADD
}

typedef struct {
    char *name, *units, *description;
    tyche_output_type type;
    tyche_expr *expr;
} fout;

/* Reads settings.outputs and compiles each output's expression against
 * the names in *c (the caller set pnames, np and, in prepare, the inputs);
 * *outs gets the outputs (NULL to compile and drop them).  c->onames is
 * filled here (pointing into the JSON). */
static tyche_status compile_outputs(const tyche_model_setup *su, const cJSON *settings, names *c,
                                    fout **outs, size_t *n_outs, tyche_err *err) {
    char path[900];
    snprintf(path, sizeof path, "%s.settings", su->path);
    static const char *const keys[] = {"outputs", NULL};
    tyche_status st;
    if (settings == NULL || !cJSON_IsObject(settings))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: a formula needs \"settings\": {\"outputs\": {...}}", su->path);
    if ((st = tyche_json_check_keys(settings, keys, path, err))) return st;
    const cJSON *jo = cJSON_GetObjectItemCaseSensitive(settings, "outputs");
    if (jo == NULL) return tyche_err_set(err, TYCHE_EINPUT, "%s: missing key \"outputs\"", path);
    if (!cJSON_IsObject(jo) || jo->child == NULL)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.outputs: expected an object of outputs ({\"name\": {\"expr\": ...}}), got %s",
                             path, cJSON_IsObject(jo) ? "an empty object" : tyche_json_type_name(jo));
    const size_t no = (size_t)cJSON_GetArraySize(jo);
    const char **onames = tyche_calloc(no, sizeof *onames);
    fout *o = outs ? tyche_calloc(no, sizeof *o) : NULL;
    if (onames == NULL || (outs && o == NULL)) {
        free(onames);
        free(o);
        return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    }
    size_t k = 0;
    for (const cJSON *it = jo->child; it; it = it->next) onames[k++] = it->string;
    c->onames = onames;
    c->no = no;
    st = TYCHE_OK;
    uint32_t site = 0;
    k = 0;
    for (const cJSON *it = jo->child; it && st == TYCHE_OK; it = it->next, k++) {
        char opath[1100], where[1200];
        snprintf(opath, sizeof opath, "%s.outputs.%s", path, it->string);
        const char *why = bad_name(it->string);
        if (why) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: the output's name %s", opath, why);
            break;
        }
        for (size_t j = 0; j < k; j++)
            if (strcmp(onames[j], it->string) == 0) {
                why = "duplicate";
                break;
            }
        if (why) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s.outputs: duplicate key \"%s\"", path, it->string);
            break;
        }
        for (size_t j = 0; j < c->np && !why; j++)
            if (strcmp(c->pnames[j], it->string) == 0) why = "a parameter";
        if (!why && su->common_name && strcmp(su->common_name, it->string) == 0) why = "the common factor";
        if (why) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: \"%s\" is already the name of %s", opath,
                               it->string, why);
            break;
        }
        const char *src, *units = "1", *desc = NULL, *type = "value";
        if (cJSON_IsString(it)) {
            src = it->valuestring;
            snprintf(where, sizeof where, "%s", opath);
        } else if (cJSON_IsObject(it)) {
            static const char *const okeys[] = {"expr", "units", "type", "description", NULL};
            if ((st = tyche_json_check_keys(it, okeys, opath, err))) break;
            if ((st = tyche_json_string(it, "expr", 1, NULL, opath, &src, err))) break;
            if ((st = tyche_json_string(it, "type", 0, "value", opath, &type, err))) break;
            if ((st = tyche_json_string(it, "units", 0, "1", opath, &units, err))) break;
            if ((st = tyche_json_string(it, "description", 0, NULL, opath, &desc, err))) break;
            if (strcmp(type, "value") != 0 && strcmp(type, "time") != 0) {
                st = tyche_err_set(err, TYCHE_EINPUT, "%s.type: \"%s\" is not \"value\" or \"time\"",
                                   opath, type);
                break;
            }
            if (strcmp(type, "time") == 0 && cJSON_GetObjectItemCaseSensitive(it, "units")) {
                st = tyche_err_set(err, TYCHE_EINPUT,
                                   "%s.units: a time has no units of its own (days since the start)", opath);
                break;
            }
            snprintf(where, sizeof where, "%s.expr", opath);
        } else {
            st = tyche_err_set(err, TYCHE_EINPUT,
                               "%s: expected an expression or {\"expr\": ..., \"units\": ..., \"type\": ...}, got %s",
                               opath, tyche_json_type_name(it));
            break;
        }
        c->cur = k;
        const tyche_expr_scope xs = {.ctx = c, .resolve = resolve, .known = known, .allow_draws = 1,
                                     .first_site = site};
        tyche_expr *e;
        if ((st = tyche_expr_compile(src, where, &xs, &e, err))) break;
        site += tyche_expr_n_sites(e);
        if (o == NULL) {
            tyche_expr_free(e);
            continue;
        }
        o[k].expr = e;
        o[k].type = strcmp(type, "time") == 0 ? TYCHE_OUTPUT_TIME : TYCHE_OUTPUT_VALUE;
        o[k].name = tyche_strdup(it->string);
        o[k].units = tyche_strdup(o[k].type == TYCHE_OUTPUT_TIME ? "" : units);
        /* without a description, the expression says what it is */
        o[k].description = tyche_strdup(desc ? desc : src);
        if (!o[k].name || !o[k].units || !o[k].description)
            st = tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    }
    /* the names point into the JSON, which lives only while the scenario loads */
    free(onames);
    c->onames = NULL;
    if (st) {
        for (size_t j = 0; o && j < no; j++) {
            free(o[j].name);
            free(o[j].units);
            free(o[j].description);
            tyche_expr_free(o[j].expr);
        }
        free(o);
        return st;
    }
    if (outs) *outs = o, *n_outs = no;
    return TYCHE_OK;
}

/* ---- declare ------------------------------------------------------------------------ */

static void decl_free(tyche_model_decl *d) {
    for (size_t k = 0; k < d->n_params; k++) free((char *)d->params[k].name);
    for (size_t k = 0; k < d->n_inputs; k++) free((char *)d->inputs[k].name);
    free(d->params);
    free(d->inputs);
    memset(d, 0, sizeof *d);
}

static tyche_status declare(const tyche_model_setup *su, const void *model, tyche_model_decl *d,
                            tyche_err *err) {
    const cJSON *jm = model;
    memset(d, 0, sizeof *d);
    if (cJSON_GetObjectItemCaseSensitive(jm, "inputs"))
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.inputs: a formula names the outputs it reads in its expressions "
                             "(\"model.output\"), not in \"inputs\"",
                             su->path);
    const cJSON *jp = cJSON_GetObjectItemCaseSensitive(jm, "params");
    if (jp && !cJSON_IsObject(jp))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.params: expected an object, got %s", su->path,
                             tyche_json_type_name(jp));
    const size_t np = jp ? (size_t)cJSON_GetArraySize(jp) : 0;
    d->params = tyche_calloc(np + 1, sizeof *d->params);
    d->inputs = tyche_calloc(TYCHE_KIND_MAX_INPUTS, sizeof *d->inputs);
    const char **pnames = tyche_calloc(np + 1, sizeof *pnames);
    char **inputs = tyche_calloc(TYCHE_KIND_MAX_INPUTS, sizeof *inputs);
    tyche_status st = TYCHE_OK;
    if (!d->params || !d->inputs || !pnames || !inputs) st = tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    size_t k = 0;
    for (const cJSON *it = jp ? jp->child : NULL; it && st == TYCHE_OK; it = it->next, k++) {
        const char *why = bad_name(it->string);
        if (why) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s.params.%s: the parameter's name %s", su->path,
                               it->string, why);
            break;
        }
        if (su->common_name && strcmp(su->common_name, it->string) == 0) {
            st = tyche_err_set(err, TYCHE_EINPUT,
                               "%s.params.%s: \"%s\" is the common factor's name", su->path, it->string,
                               it->string);
            break;
        }
        char *name = tyche_strdup(it->string);
        if (name == NULL) {
            st = tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
            break;
        }
        d->params[k] = (tyche_param_spec){name, "1", "", -INFINITY, INFINITY, 0, 0, 0};
        d->n_params = k + 1;
        pnames[k] = name;
    }
    names c = {.su = su, .pnames = pnames, .np = np, .inputs = inputs};
    if (st == TYCHE_OK)
        st = compile_outputs(su, cJSON_GetObjectItemCaseSensitive(jm, "settings"), &c, NULL, NULL, err);
    for (size_t j = 0; j < c.n_in; j++) {
        if (st == TYCHE_OK) {
            d->inputs[j] = (tyche_input_spec){inputs[j], "an output of an earlier model", inputs[j], 1};
            d->n_inputs = j + 1;
        } else {
            free(inputs[j]);
        }
    }
    free(inputs);
    free(pnames);
    if (st) decl_free(d);
    d->n_streams = 1;
    return st;
}

/* ---- prepare and run ---------------------------------------------------------------------- */

typedef struct {
    size_t np, no, ni;
    fout *out;
    tyche_output_spec *specs;
    size_t rows;    /* scratch columns, the most any output needs */
    double t_end;   /* end of the horizon, days since start */
} cfg_t;

static void cfg_free(void *p) {
    cfg_t *c = p;
    if (c == NULL) return;
    for (size_t k = 0; k < c->no; k++) {
        free(c->out[k].name);
        free(c->out[k].units);
        free(c->out[k].description);
        tyche_expr_free(c->out[k].expr);
    }
    free(c->out);
    free(c->specs);
    free(c);
}

static tyche_status prepare(const tyche_model_setup *su, const void *settings, void **out,
                            tyche_model_layout *layout, tyche_err *err) {
    cfg_t *c = tyche_calloc(1, sizeof *c);
    const char **pnames = tyche_calloc(su->n_params + 1, sizeof *pnames);
    char **inputs = tyche_calloc(su->n_inputs + 1, sizeof *inputs);
    if (!c || !pnames || !inputs) {
        free(c);
        free(pnames);
        free(inputs);
        return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < su->n_params; k++) pnames[k] = su->params[k].name;
    for (size_t k = 0; k < su->n_inputs; k++) inputs[k] = (char *)su->inputs[k].source;
    names nm = {.su = su, .pnames = pnames, .np = su->n_params, .inputs = inputs,
                .n_in = su->n_inputs, .fixed = 1};
    tyche_status st = compile_outputs(su, settings, &nm, &c->out, &c->no, err);
    free(pnames);
    free(inputs);
    if (st) {
        free(c);
        return st;
    }
    c->np = su->n_params;
    c->ni = su->n_inputs;
    c->t_end = (double)(su->horizon + 1 - su->start);
    c->rows = 1;
    if ((c->specs = tyche_calloc(c->no, sizeof *c->specs)) == NULL) {
        cfg_free(c);
        return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < c->no; k++) {
        c->specs[k] = (tyche_output_spec){c->out[k].name, c->out[k].type, c->out[k].units,
                                          c->out[k].description};
        const size_t r = tyche_expr_stack_rows(c->out[k].expr);
        if (r > c->rows) c->rows = r;
    }
    layout->outputs = c->specs;
    layout->n_outputs = c->no;
    *out = c;
    return TYCHE_OK;
}

typedef struct {
    const double **cols; /* per slot, set for each block */
    double *stack;       /* rows columns of TYCHE_LANES */
} ws_t;

static void ws_free(void *p) {
    ws_t *w = p;
    if (w == NULL) return;
    free(w->cols);
    free(w->stack);
    free(w);
}

static void *ws_alloc(const void *vc) {
    const cfg_t *c = vc;
    ws_t *w = tyche_calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    w->cols = tyche_calloc(c->np + 1 + c->no + c->ni, sizeof *w->cols);
    w->stack = tyche_alloc_lines(c->rows * TYCHE_LANES * sizeof(double) + 1);
    if (!w->cols || !w->stack) {
        ws_free(w);
        return NULL;
    }
    return w;
}

static void formula_block(const void *vc, tyche_model_block *b) {
    const cfg_t *c = vc;
    ws_t *w = b->ws;
    const size_t n = b->n, S = b->stride;
    size_t s = 0;
    for (size_t k = 0; k < c->np; k++) w->cols[s++] = b->params + k * S;
    w->cols[s++] = b->z;
    for (size_t k = 0; k < c->no; k++) w->cols[s++] = b->out + k * S;
    for (size_t k = 0; k < c->ni; k++) w->cols[s++] = b->inputs[k];
    const tyche_expr_frame f = {.cols = w->cols, .draws = b->draws, .lanes = b->lanes,
                                .stream = b->stream0 + 0};
    for (size_t k = 0; k < c->no; k++) {
        double *o = b->out + k * S;
        tyche_expr_eval(c->out[k].expr, &f, n, w->stack, o);
        if (c->out[k].type != TYCHE_OUTPUT_TIME) continue;
        /* after the horizon: never, as the other kinds record it; an
         * observed time (as-of) is used as is */
        for (size_t i = 0; i < n; i++)
            if (o[i] > c->t_end) o[i] = INFINITY;
        if (!isnan(b->fixed[k]))
            for (size_t i = 0; i < n; i++) o[i] = b->fixed[k];
    }
}

const tyche_model_kind tyche_model_formula = {
    .name = "formula",
    .description = "outputs computed by expressions over its parameters, the common factor, earlier "
                   "models' outputs and fresh draws",
    .n_streams = 1, /* 0: the draw sites, one Philox block each */
    .declare = declare,
    .decl_free = decl_free,
    .prepare = prepare,
    .cfg_free = cfg_free,
    .ws_alloc = ws_alloc,
    .ws_free = ws_free,
    .simulate_block = formula_block,
};
