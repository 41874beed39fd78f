/* Scenario files: JSON text to a validated tyche_scenario.  Everything a
 * run could trip over is checked here, before any trial, and each problem
 * is reported once with the file and the JSON path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include "scenario_impl.h"
#include "json_util.h"

#define MAX_JOINT 64
#define M_PI_VALUE 3.14159265358979323846
#define DEFAULT_JOINT_MAX 32

/* Limits (1)-(3) of kind.h, which the engine relies on without checking. */
tyche_status tyche_model_kind_check(const tyche_model_kind *k, const char *path, tyche_err *err) {
    const uint32_t max_streams =
        k->posterior ? TYCHE_POSTERIOR_SUBSTREAM : TYCHE_STREAMS_PER_MODEL;
    if (k->n_streams > max_streams)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.kind: kind %s uses %u substreams, more than the %u a model has%s",
                             path, k->name, (unsigned)k->n_streams, (unsigned)max_streams,
                             k->posterior ? " besides its posterior's (substream 7)" : "");
    if (k->n_inputs > TYCHE_KIND_MAX_INPUTS)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.kind: kind %s declares %zu inputs, more than the %d a model may have",
                             path, k->name, k->n_inputs, TYCHE_KIND_MAX_INPUTS);
    if (k->posterior && k->n_params > TYCHE_KIND_MAX_POSTERIOR_PARAMS)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.kind: kind %s has %zu parameters and a posterior, whose mask "
                             "holds %d",
                             path, k->name, k->n_params, TYCHE_KIND_MAX_POSTERIOR_PARAMS);
    if ((k->declare == NULL) != (k->decl_free == NULL))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.kind: kind %s has one of declare and decl_free without the other",
                             path, k->name);
    if (k->simulate == NULL && k->simulate_block == NULL)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.kind: kind %s has neither simulate nor simulate_block",
                             path, k->name);
    return TYCHE_OK;
}

void tyche_scenario_free(tyche_scenario *s) {
    if (s == NULL) return;
    for (size_t i = 0; i < s->n_models; i++) {
        tyche_model_inst *m = &s->models[i];
        if (m->cfg && m->kind->cfg_free) m->kind->cfg_free(m->cfg);
        if (m->kind && m->kind->decl_free) m->kind->decl_free(&m->decl);
        free(m->name);
        free(m->input_src);
    }
    free(s->models);
    for (size_t i = 0; i < s->n_params; i++) {
        free(s->params[i].name);
        free(s->params[i].units);
        free(s->params[i].description);
        tyche_dist_clear(&s->params[i].prior);
    }
    free(s->params);
    for (size_t i = 0; i < s->n_outputs; i++) {
        free(s->outputs[i].name);
        free(s->outputs[i].units);
        free(s->outputs[i].description);
    }
    free(s->outputs);
    for (size_t i = 0; i < s->n_statements; i++) {
        tyche_statement *st = &s->statements[i];
        free(st->id);
        free(st->text);
        free(st->group);
        tyche_statement_release(st);
    }
    free(s->statements);
    for (size_t i = 0; i < s->n_paths; i++) {
        free(s->paths[i].name);
        free(s->paths[i].units);
    }
    free(s->paths);
    free(s->joint);
    free(s->fixed_time);
    free(s->not_before);
    free(s->overridden);
    free(s->overrides);
    free(s->as_of_opt);
    for (size_t i = 0; i < s->n_observed_opts; i++) free(s->observed_opts[i]);
    free(s->observed_joined);
    free(s->observed_opts);
    for (size_t i = 0; i < s->n_sets; i++) free(s->sets[i]);
    free(s->sets);
    for (size_t g = 0; g < s->n_groups; g++) {
        free(s->groups[g].param);
        free(s->groups[g].L);
    }
    free(s->groups);
    free(s->in_group);
    free(s->file);
    free(s->dir);
    free(s->text);
    free(s->name);
    free(s->title);
    free(s);
}

static char *join2(const char *a, const char *sep, const char *b) {
    size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
    char *d = tyche_malloc(n);
    if (d) snprintf(d, n, "%s%s%s", a, sep, b);
    return d;
}

static tyche_status oom(tyche_err *err) {
    return tyche_err_set(err, TYCHE_ENOMEM, "out of memory while reading the scenario");
}

/* Names the HDF5 layout uses for itself. */
static int reserved(const char *name) {
    return strcmp(name, "trial") == 0 || strcmp(name, "summary") == 0 || strcmp(name, "paths") == 0;
}

/* Identifiers: names of models, statements and the common factor become
 * HDF5 dataset names and JSON keys, so keep them plain. */
static int valid_ident(const char *s) {
    if (s == NULL || *s == '\0' || strlen(s) > 64) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
}

size_t tyche_scenario_find_output(const tyche_scenario *s, const char *name) {
    for (size_t i = 0; i < s->n_outputs; i++)
        if (strcmp(s->outputs[i].name, name) == 0) return i;
    return (size_t)-1;
}

static tyche_status check_domain(const tyche_dist *d, const tyche_param_spec *ps,
                                 const char *path, tyche_err *err) {
    double lo, hi;
    int open_below;
    char buf[160];
    tyche_dist_support(d, &lo, &hi, &open_below);
    const int below = ps->lo_open ? (lo < ps->lo || (lo == ps->lo && !open_below)) : lo < ps->lo;
    if (below || hi > ps->hi) {
        tyche_dist_format(d, buf, sizeof buf);
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s: %s can take values outside the parameter's domain %s%g, %g]",
                             path, buf, ps->lo_open ? "(" : "[", ps->lo, ps->hi);
    }
    return TYCHE_OK;
}

/* ---- models ---------------------------------------------------------------- */

static tyche_status check_models(const cJSON *models, const char *root, tyche_err *err) {
    if (models == NULL) return tyche_err_set(err, TYCHE_EINPUT, "%smissing key \"models\"", root);
    if (!cJSON_IsArray(models))
        return tyche_err_set(err, TYCHE_EINPUT, "%smodels: expected an array, got %s", root,
                             tyche_json_type_name(models));
    if (cJSON_GetArraySize(models) == 0)
        return tyche_err_set(err, TYCHE_EINPUT, "%smodels: must name at least one model", root);
    return TYCHE_OK;
}

/* --set overrides, parsed: name "model.param" and its JSON value. */
typedef struct {
    size_t n;
    char **name;
    cJSON **value;
    uint8_t *used;
} overrides;

/* The setup's earlier_output: an output of the models loaded so far. */
static int earlier_output(const void *scope, const char *name, tyche_output_type *type) {
    const tyche_scenario *s = scope;
    const size_t o = tyche_scenario_find_output(s, name);
    if (o == (size_t)-1) return 0;
    if (type) *type = s->outputs[o].type;
    return 1;
}

/* Room for `need` parameters: sized from the kinds before the models load,
 * grown when a declared kind names more than its JSON's "params" has keys. */
static tyche_status reserve_params(tyche_scenario *s, size_t need, tyche_err *err) {
    if (need <= s->params_cap) return TYCHE_OK;
    tyche_param *p = tyche_realloc(s->params, need * sizeof *p);
    if (p == NULL) return oom(err);
    s->params = p;
    uint8_t *o = tyche_realloc(s->overridden, need);
    if (o == NULL) return oom(err);
    s->overridden = o;
    memset(s->params + s->params_cap, 0, (need - s->params_cap) * sizeof *p);
    memset(s->overridden + s->params_cap, 0, need - s->params_cap);
    s->params_cap = need;
    return TYCHE_OK;
}

static tyche_status load_model(tyche_scenario *s, size_t mi, const cJSON *jm, const char *root,
                               const char *common_name, overrides *ov, tyche_err *err) {
    static const char *const keys[] = {"name",   "kind",     "description", "params",
                                       "inputs", "settings", "comment",     NULL};
    char path[700], where[800];
    snprintf(path, sizeof path, "%smodels[%zu]", root, mi);
    if (!cJSON_IsObject(jm))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object, got %s", path,
                             tyche_json_type_name(jm));
    tyche_status st = tyche_json_check_keys(jm, keys, path, err);
    if (st) return st;
    const char *name, *kind_name;
    if ((st = tyche_json_string(jm, "name", 1, NULL, path, &name, err))) return st;
    if ((st = tyche_json_string(jm, "kind", 1, NULL, path, &kind_name, err))) return st;
    if (!valid_ident(name))
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.name: \"%s\" must be 1-64 letters, digits, '_' or '-'", path,
                             name);
    for (size_t j = 0; j < mi; j++)
        if (strcmp(s->models[j].name, name) == 0)
            return tyche_err_set(err, TYCHE_EINPUT, "%s.name: \"%s\" is already the name of models[%zu]",
                                 path, name, j);
    const tyche_model_kind *kind = tyche_model_kind_find(kind_name);
    if (kind == NULL) {
        char list[256];
        tyche_model_kinds_list(list, sizeof list);
        return tyche_err_set(err, TYCHE_EINPUT, "%s.kind: unknown model kind \"%s\" (known: %s)",
                             path, kind_name, list);
    }
    if ((st = tyche_model_kind_check(kind, path, err))) return st;
    tyche_model_inst *m = &s->models[mi];
    m->kind = kind;
    if ((m->name = tyche_strdup(name)) == NULL) return oom(err);
    s->n_models = mi + 1;
    tyche_model_setup setup = {.file = s->file, .dir = s->dir, .path = path, .start = s->start,
                               .horizon = s->horizon, .as_of = s->as_of, .scope = s,
                               .earlier_output = earlier_output, .common_name = common_name};
    m->param_spec = kind->params;
    m->n_params = kind->n_params;
    m->input_spec = kind->inputs;
    m->n_inputs = kind->n_inputs;
    if (kind->declare) {
        /* a kind whose names are the model's own: it reads them from the JSON */
        if ((st = kind->declare(&setup, jm, &m->decl, err))) return st;
        m->param_spec = m->decl.params;
        m->n_params = m->decl.n_params;
        m->input_spec = m->decl.inputs;
        m->n_inputs = m->decl.n_inputs;
        const uint32_t max_streams = TYCHE_STREAMS_PER_MODEL;
        if (m->decl.n_streams > max_streams)
            return tyche_err_set(err, TYCHE_EINPUT, "%s: uses %u random substreams, more than the %u a model has",
                                 path, (unsigned)m->decl.n_streams, (unsigned)max_streams);
        if (m->n_inputs > TYCHE_KIND_MAX_INPUTS)
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s: reads %zu other outputs, more than the %d a model may", path,
                                 m->n_inputs, TYCHE_KIND_MAX_INPUTS);
        for (size_t k = 0; k < m->n_inputs; k++)
            if (m->input_spec[k].source == NULL)
                return tyche_err_set(err, TYCHE_ERUN, "%s: kind %s declared input %s without its source",
                                     path, kind->name, m->input_spec[k].name);
    }
    /* each parameter draws from a stream of its own, 16 bits of the counter (rng.h) */
    if (TYCHE_STREAM_PARAM0 + s->n_params + m->n_params + 1 > TYCHE_STREAM_MAX)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.params: at most %d parameters in a scenario, all models together",
                             path, TYCHE_STREAM_MAX - TYCHE_STREAM_PARAM0 - 1);
    if ((st = reserve_params(s, s->n_params + m->n_params + 1, err))) return st;
    const tyche_param_spec *const pspec = m->param_spec;
    const size_t n_pspec = m->n_params;

    /* parameters: every one the kind declares, nothing else */
    const cJSON *jp = cJSON_GetObjectItemCaseSensitive(jm, "params");
    snprintf(where, sizeof where, "%s.params", path);
    if (jp == NULL && n_pspec > 0)
        return tyche_err_set(err, TYCHE_EINPUT, "%s: missing key \"params\"", path);
    if (jp != NULL && !cJSON_IsObject(jp))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object, got %s", where,
                             tyche_json_type_name(jp));
    for (const cJSON *it = jp ? jp->child : NULL; it; it = it->next) {
        size_t k = 0;
        while (k < n_pspec && strcmp(pspec[k].name, it->string) != 0) k++;
        if (k == n_pspec) {
            char list[512] = "";
            size_t used = 0;
            for (size_t j = 0; j < n_pspec && used < sizeof list; j++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "",
                                         pspec[j].name);
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s: unknown parameter \"%s\" for kind %s (expected %s)", where,
                                 it->string, kind->name, list);
        }
        for (const cJSON *b = jp->child; b != it; b = b->next)
            if (strcmp(b->string, it->string) == 0)
                return tyche_err_set(err, TYCHE_EINPUT, "%s: duplicate key \"%s\"", where,
                                     it->string);
    }
    m->param0 = s->n_params;
    for (size_t k = 0; k < n_pspec; k++) {
        const tyche_param_spec *ps = &pspec[k];
        const cJSON *v = jp ? cJSON_GetObjectItemCaseSensitive(jp, ps->name) : NULL;
        char ppath[900];
        snprintf(ppath, sizeof ppath, "%s.%s", where, ps->name);
        /* --set NAME=VALUE replaces the file's value (or supplies a missing one) */
        int overridden = 0;
        for (size_t o = 0; o < ov->n; o++) {
            const char *dot = strchr(ov->name[o], '.');
            if (dot && (size_t)(dot - ov->name[o]) == strlen(name) &&
                strncmp(ov->name[o], name, strlen(name)) == 0 && strcmp(dot + 1, ps->name) == 0) {
                v = ov->value[o];
                ov->used[o] = 1;
                overridden = 1;
                snprintf(ppath, sizeof ppath, "--set %s", ov->name[o]);
            }
        }
        cJSON dflt_json;
        if (v == NULL && ps->has_default) {
            memset(&dflt_json, 0, sizeof dflt_json);
            dflt_json.type = cJSON_Number;
            dflt_json.valuedouble = ps->dflt;
            v = &dflt_json;
        }
        if (v == NULL)
            return tyche_err_set(err, TYCHE_EINPUT, "%s: missing parameter \"%s\" (%s)", where,
                                 ps->name, ps->description);
        tyche_param *p = &s->params[s->n_params];
        if ((st = tyche_dist_from_json_in(v, ppath, s->dir, &p->prior, err))) return st;
        s->overridden[s->n_params] = (uint8_t)overridden;
        s->n_params++;
        if ((st = check_domain(&p->prior, ps, ppath, err))) return st;
        p->model = mi;
        p->name = join2(name, ".", ps->name);
        p->units = tyche_strdup(ps->units);
        p->description = tyche_strdup(ps->description);
        if (!p->name || !p->units || !p->description) return oom(err);
    }

    /* inputs: outputs of models listed earlier (so the order is a valid
     * simulation order and cycles cannot happen), connected before prepare
     * so that it knows their types */
    const cJSON *ji = cJSON_GetObjectItemCaseSensitive(jm, "inputs");
    snprintf(where, sizeof where, "%s.inputs", path);
    if (ji != NULL && !cJSON_IsObject(ji))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object, got %s", where,
                             tyche_json_type_name(ji));
    const size_t n_in = m->n_inputs;
    const tyche_input_spec *const ispec = m->input_spec;
    m->input_src = tyche_malloc((n_in + 1) * sizeof *m->input_src);
    tyche_output_type *in_types = tyche_malloc((n_in + 1) * sizeof *in_types);
    if (m->input_src == NULL || in_types == NULL) {
        free(in_types);
        return oom(err);
    }
    for (size_t k = 0; k < n_in; k++) m->input_src[k] = (size_t)-1, in_types[k] = TYCHE_OUTPUT_TIME;
    for (size_t k = 0; k < n_in && kind->declare; k++) {
        /* a declared input names its source itself (the kind checked the name) */
        const size_t o = tyche_scenario_find_output(s, ispec[k].source);
        if (o == (size_t)-1 || (!ispec[k].any_type && s->outputs[o].type != TYCHE_OUTPUT_TIME)) {
            free(in_types);
            return tyche_err_set(err, TYCHE_EINPUT, "%s: \"%s\" is not %s of a model listed before this one",
                                 path, ispec[k].source, ispec[k].any_type ? "an output" : "an event time");
        }
        m->input_src[k] = o;
        in_types[k] = s->outputs[o].type;
    }
    for (const cJSON *it = ji && !kind->declare ? ji->child : NULL; it; it = it->next) {
        size_t k = 0;
        while (k < n_in && strcmp(ispec[k].name, it->string) != 0) k++;
        const char *why = NULL;
        size_t o = (size_t)-1;
        if (k == n_in)
            why = "unknown input";
        else if (!cJSON_IsString(it))
            why = "not a string";
        else if ((o = tyche_scenario_find_output(s, it->valuestring)) == (size_t)-1)
            why = "not earlier";
        else if (!ispec[k].any_type && s->outputs[o].type != TYCHE_OUTPUT_TIME)
            why = "not a time";
        if (why) {
            free(in_types);
            if (k == n_in)
                return tyche_err_set(err, TYCHE_EINPUT, "%s: unknown input \"%s\" for kind %s", where,
                                     it->string, kind->name);
            if (!cJSON_IsString(it))
                return tyche_err_set(err, TYCHE_EINPUT,
                                     "%s.%s: expected a string naming an output (\"model.output\"), got %s",
                                     where, it->string, tyche_json_type_name(it));
            if (o == (size_t)-1)
                return tyche_err_set(err, TYCHE_EINPUT,
                                     "%s.%s: \"%s\" is not an output of a model listed before this one",
                                     where, it->string, it->valuestring);
            return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: \"%s\" is not an event time", where,
                                 it->string, it->valuestring);
        }
        m->input_src[k] = o;
        in_types[k] = s->outputs[o].type;
    }
    if (ji && kind->declare) {
        /* the kind read "inputs" itself; any key it did not declare is an error */
        for (const cJSON *it = ji->child; it; it = it->next) {
            size_t k = 0;
            while (k < n_in && strcmp(ispec[k].name, it->string) != 0) k++;
            if (k == n_in) {
                free(in_types);
                return tyche_err_set(err, TYCHE_EINPUT, "%s: unknown input \"%s\" (this model does not use it)",
                                     where, it->string);
            }
        }
    }

    /* kind-specific settings and immutable configuration */
    /* the priors of this model's parameters, in spec order */
    tyche_dist *priors = tyche_malloc((n_pspec + 1) * sizeof *priors);
    if (priors == NULL) {
        free(in_types);
        return oom(err);
    }
    for (size_t k = 0; k < n_pspec; k++) priors[k] = s->params[m->param0 + k].prior;
    setup.priors = priors;
    setup.params = pspec;
    setup.n_params = n_pspec;
    setup.inputs = ispec;
    setup.n_inputs = n_in;
    setup.input_types = in_types;
    const cJSON *jset = cJSON_GetObjectItemCaseSensitive(jm, "settings");
    if (jset != NULL && !cJSON_IsObject(jset)) {
        free(priors);
        free(in_types);
        return tyche_err_set(err, TYCHE_EINPUT, "%s.settings: expected an object, got %s", path,
                             tyche_json_type_name(jset));
    }
    m->layout.outputs = kind->outputs;
    m->layout.n_outputs = kind->n_outputs;
    st = kind->prepare(&setup, jset, &m->cfg, &m->layout, err);
    free(priors); /* shallow copies: the scenario owns what they point to */
    free(in_types);
    if (st) return st;
    /* a parameter drawn from a calibration posterior has its prior as the
     * posterior's prior: fixing it would be silently ignored */
    for (size_t k = 0; k < n_pspec; k++)
        if (k < 32 && (m->layout.posterior >> k & 1u) && tyche_dist_is_fixed(&s->params[m->param0 + k].prior))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.params.%s: calibrated on history (settings.calibration), so it "
                                 "needs an uncertain prior, not a fixed value%s",
                                 path, pspec[k].name,
                                 s->overridden[m->param0 + k] ? " (it was fixed by --set)" : "");

    /* outputs, named model.output */
    m->output0 = s->n_outputs;
    char start_units[32];
    char date[11];
    tyche_date_format(s->start, date);
    snprintf(start_units, sizeof start_units, "days since %s", date);
    tyche_output *grown = tyche_realloc(s->outputs, (s->n_outputs + m->layout.n_outputs + 1) * sizeof *grown);
    if (grown == NULL) return oom(err);
    s->outputs = grown;
    for (size_t k = 0; k < m->layout.n_outputs; k++) {
        const tyche_output_spec *os = &m->layout.outputs[k];
        tyche_output *o = &s->outputs[s->n_outputs++];
        memset(o, 0, sizeof *o);
        o->type = os->type;
        o->name = join2(name, ".", os->name);
        o->units = tyche_strdup(os->type == TYCHE_OUTPUT_TIME ? start_units : os->units);
        o->description = tyche_strdup(os->description);
        if (!o->name || !o->units || !o->description) return oom(err);
    }


    return TYCHE_OK;
}

/* ---- statements ------------------------------------------------------------ */

/* The statement compiler's view of the scenario (statement.h). */
static size_t scope_find_output(const void *ctx, const char *name) {
    return tyche_scenario_find_output(ctx, name);
}
static const char *scope_output_name(const void *ctx, size_t i) {
    return ((const tyche_scenario *)ctx)->outputs[i].name;
}
static tyche_output_type scope_output_type(const void *ctx, size_t i) {
    return ((const tyche_scenario *)ctx)->outputs[i].type;
}
static size_t scope_find_statement(const void *ctx, const char *id, size_t before) {
    const tyche_scenario *s = ctx;
    for (size_t j = 0; j < before && j < s->n_statements; j++)
        if (strcmp(s->statements[j].id, id) == 0) return j;
    return (size_t)-1;
}

static tyche_status load_statement(tyche_scenario *s, size_t i, const cJSON *js, const char *root,
                                   tyche_err *err) {
    static const char *const keys[] = {"id", "text", "group", "rule", "comment", NULL};
    char path[700];
    snprintf(path, sizeof path, "%sstatements[%zu]", root, i);
    if (!cJSON_IsObject(js))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object, got %s", path,
                             tyche_json_type_name(js));
    tyche_status st = tyche_json_check_keys(js, keys, path, err);
    if (st) return st;
    const char *id, *text, *group;
    if ((st = tyche_json_string(js, "id", 1, NULL, path, &id, err))) return st;
    if ((st = tyche_json_string(js, "text", 1, NULL, path, &text, err))) return st;
    if ((st = tyche_json_string(js, "group", 0, "", path, &group, err))) return st;
    if (!valid_ident(id))
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.id: \"%s\" must be 1-64 letters, digits, '_' or '-'", path, id);
    /* (duplicate ids are found once all are read: check_unique_ids) */
    if ((s->common != (size_t)-1 && strcmp(id, s->params[s->common].name) == 0) || reserved(id))
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.id: \"%s\" is a reserved name (trial, summary, paths, the common factor's)",
                             path, id);
    const cJSON *rule = cJSON_GetObjectItemCaseSensitive(js, "rule");
    if (rule == NULL) return tyche_err_set(err, TYCHE_EINPUT, "%s: missing key \"rule\"", path);
    tyche_statement *t = &s->statements[i];
    s->n_statements = i + 1;
    t->id = tyche_strdup(id);
    t->text = tyche_strdup(text);
    t->group = tyche_strdup(group);
    if (!t->id || !t->text || !t->group) return oom(err);
    char rpath[800];
    snprintf(rpath, sizeof rpath, "%s.rule", path);
    const tyche_stmt_scope scope = {
        .ctx = s,
        .n_outputs = s->n_outputs,
        .find_output = scope_find_output,
        .output_name = scope_output_name,
        .output_type = scope_output_type,
        .find_statement = scope_find_statement,
        .start = s->start,
        .horizon = s->horizon,
    };
    if ((st = tyche_statement_compile(&scope, i, rule, rpath, t, err))) return st;
    if (t->max_stack > s->max_stack) s->max_stack = t->max_stack;
    return TYCHE_OK;
}

/* Sorting (id, index) pairs finds duplicate ids in n log n: a scenario
 * may have 10^5 statements, and comparing each with all before it took
 * half a minute. */
typedef struct {
    const char *id;
    size_t i;
} id_at;

static int by_id(const void *a, const void *b) {
    const id_at *x = a, *y = b;
    const int c = strcmp(x->id, y->id);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

static tyche_status check_unique_ids(const tyche_scenario *s, const char *root, tyche_err *err) {
    if (s->n_statements < 2) return TYCHE_OK;
    id_at *v = tyche_malloc(s->n_statements * sizeof *v);
    if (v == NULL) return oom(err);
    for (size_t i = 0; i < s->n_statements; i++) v[i] = (id_at){s->statements[i].id, i};
    qsort(v, s->n_statements, sizeof *v, by_id);
    tyche_status st = TYCHE_OK;
    for (size_t k = 1; k < s->n_statements && st == TYCHE_OK; k++)
        if (strcmp(v[k].id, v[k - 1].id) == 0)
            st = tyche_err_set(err, TYCHE_EINPUT,
                               "%sstatements[%zu].id: \"%s\" is already used by statements[%zu]",
                               root, v[k].i, v[k].id, v[k - 1].i);
    free(v);
    return st;
}

static tyche_status load_joint(tyche_scenario *s, const cJSON *jj, const char *root,
                               tyche_err *err) {
    if (jj == NULL) {
        /* default: every statement, when few enough for pairwise tables */
        s->n_joint = s->n_statements <= DEFAULT_JOINT_MAX ? s->n_statements : 0;
        if (s->n_joint) {
            s->joint = tyche_malloc(s->n_joint * sizeof *s->joint);
            if (!s->joint) return oom(err);
        }
        for (size_t k = 0; k < s->n_joint; k++) s->joint[k] = k;
        return TYCHE_OK;
    }
    if (!cJSON_IsArray(jj))
        return tyche_err_set(err, TYCHE_EINPUT, "%sjoint: expected an array of statement ids, got %s",
                             root, tyche_json_type_name(jj));
    size_t n = (size_t)cJSON_GetArraySize(jj);
    if (n > MAX_JOINT)
        return tyche_err_set(err, TYCHE_EINPUT, "%sjoint: at most %d statements (got %zu)", root,
                             MAX_JOINT, n);
    if (n) {
        s->joint = tyche_malloc(n * sizeof *s->joint);
        if (!s->joint) return oom(err);
    }
    size_t k = 0;
    for (const cJSON *it = jj->child; it; it = it->next, k++) {
        if (!cJSON_IsString(it))
            return tyche_err_set(err, TYCHE_EINPUT, "%sjoint[%zu]: expected a statement id, got %s",
                                 root, k, tyche_json_type_name(it));
        size_t j = 0;
        while (j < s->n_statements && strcmp(s->statements[j].id, it->valuestring) != 0) j++;
        if (j == s->n_statements)
            return tyche_err_set(err, TYCHE_EINPUT, "%sjoint[%zu]: no statement has id \"%s\"",
                                 root, k, it->valuestring);
        for (size_t l = 0; l < k; l++)
            if (s->joint[l] == j)
                return tyche_err_set(err, TYCHE_EINPUT, "%sjoint[%zu]: \"%s\" is listed twice",
                                     root, k, it->valuestring);
        s->joint[k] = j;
        s->n_joint = k + 1;
    }
    return TYCHE_OK;
}

/* ---- --set overrides ------------------------------------------------------ */

static void overrides_free(overrides *ov) {
    for (size_t i = 0; i < ov->n; i++) {
        free(ov->name[i]);
        cJSON_Delete(ov->value[i]);
    }
    free(ov->name);
    free(ov->value);
    free(ov->used);
    memset(ov, 0, sizeof *ov);
}

/* "model.param=VALUE", VALUE a number or a prior in JSON. */
static tyche_status parse_overrides(const tyche_scenario_options *opt, overrides *ov,
                                    tyche_err *err) {
    if (opt == NULL || opt->n_set == 0) return TYCHE_OK;
    ov->name = tyche_calloc(opt->n_set, sizeof *ov->name);
    ov->value = tyche_calloc(opt->n_set, sizeof *ov->value);
    ov->used = tyche_calloc(opt->n_set, 1);
    if (!ov->name || !ov->value || !ov->used) return oom(err);
    for (size_t i = 0; i < opt->n_set; i++) {
        const char *a = opt->set[i], *eq = strchr(a, '=');
        if (eq == NULL || eq == a)
            return tyche_err_set(err, TYCHE_EINPUT, "--set %s: expected NAME=VALUE, e.g. option.h0=0.5", a);
        ov->n = i + 1;
        ov->name[i] = tyche_malloc((size_t)(eq - a) + 1);
        if (!ov->name[i]) return oom(err);
        memcpy(ov->name[i], a, (size_t)(eq - a));
        ov->name[i][eq - a] = '\0';
        for (size_t k = 0; k < i; k++)
            if (strcmp(ov->name[k], ov->name[i]) == 0)
                return tyche_err_set(err, TYCHE_EINPUT, "--set %s: given twice", ov->name[i]);
        /* the whole value must be JSON: "0.2abc" or "0.5,0.9" is an error */
        int oom_json;
        ov->value[i] = tyche_json_parse(eq + 1, 0, NULL, &oom_json);
        if (oom_json) return oom(err);
        if (ov->value[i] == NULL)
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "--set %s: \"%s\" is neither a number nor a prior in JSON "
                                 "(e.g. '{\"dist\": \"normal\", \"mean\": 0, \"sd\": 1}')",
                                 ov->name[i], eq + 1);
    }
    return TYCHE_OK;
}

/* ---- the whole file ------------------------------------------------------- */

static void line_col(const char *text, const char *at, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at && *p; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* How many arrays and objects are open just before `at`.  cJSON gives up
 * at CJSON_NESTING_LIMIT levels (a guard against deep recursion) and reports
 * it like any syntax error, at the bracket that went one level too deep:
 * that deserves its own message, since the text there is well formed. */
static int json_depth_at(const char *text, const char *at) {
    int depth = 0, in_string = 0;
    for (const char *p = text; p < at && *p; p++) {
        if (in_string) {
            if (*p == '\\' && p[1]) p++;
            else if (*p == '"') in_string = 0;
        } else if (*p == '"') {
            in_string = 1;
        } else if (*p == '[' || *p == '{') {
            depth++;
        } else if (*p == ']' || *p == '}') {
            depth--;
        }
    }
    return depth;
}

/* "correlations": [{"params": [A, B, ...], "rank": [[1, r], [r, 1]]}, ...]:
 * rank (Spearman) correlations among parameters, through a Gaussian
 * copula: normal scores with correlation 2 sin(pi r / 6) (which has rank
 * correlation r), mapped through each prior's quantile function, so each
 * parameter keeps its prior as its marginal. */
static tyche_status load_correlations(tyche_scenario *s, const cJSON *jc, const char *root,
                                      tyche_err *err) {
    s->in_group = tyche_calloc(s->n_params + 1, 1);
    if (s->in_group == NULL) return oom(err);
    if (jc == NULL) return TYCHE_OK;
    if (!cJSON_IsArray(jc))
        return tyche_err_set(err, TYCHE_EINPUT, "%scorrelations: expected an array of {\"params\", \"rank\"} groups", root);
    const size_t ng = (size_t)cJSON_GetArraySize(jc);
    s->groups = tyche_calloc(ng + 1, sizeof *s->groups);
    if (s->groups == NULL) return oom(err);
    size_t g = 0;
    for (const cJSON *jg = jc->child; jg; jg = jg->next, g++) {
        static const char *const keys[] = {"params", "rank", "comment", NULL};
        char path[800];
        snprintf(path, sizeof path, "%scorrelations[%zu]", root, g);
        if (!cJSON_IsObject(jg))
            return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object", path);
        tyche_status st = tyche_json_check_keys(jg, keys, path, err);
        if (st) return st;
        const cJSON *jp = cJSON_GetObjectItemCaseSensitive(jg, "params");
        const cJSON *jr = cJSON_GetObjectItemCaseSensitive(jg, "rank");
        const size_t n = cJSON_IsArray(jp) ? (size_t)cJSON_GetArraySize(jp) : 0;
        if (n < 2 || n > 64)
            return tyche_err_set(err, TYCHE_EINPUT, "%s.params: expected 2 to 64 parameter names", path);
        tyche_corr_group *gr = &s->groups[g];
        s->n_groups = g + 1;
        gr->param = tyche_calloc(n, sizeof *gr->param);
        gr->L = tyche_calloc(n * n, sizeof *gr->L);
        if (!gr->param || !gr->L) return oom(err);
        gr->n = n;
        size_t i = 0;
        for (const cJSON *it = jp->child; it; it = it->next, i++) {
            size_t p = 0;
            while (p < s->n_params && !(cJSON_IsString(it) && strcmp(s->params[p].name, it->valuestring) == 0)) p++;
            if (p == s->n_params)
                return tyche_err_set(err, TYCHE_EINPUT, "%s.params[%zu]: no parameter named %s%s%s", path, i,
                                     cJSON_IsString(it) ? "\"" : "", cJSON_IsString(it) ? it->valuestring : "(not a string)",
                                     cJSON_IsString(it) ? "\"" : "");
            if (s->in_group[p])
                return tyche_err_set(err, TYCHE_EINPUT, "%s.params[%zu]: \"%s\" is already in a correlation group",
                                     path, i, s->params[p].name);
            s->in_group[p] = 1;
            gr->param[i] = p;
        }
        /* the matrix: square, symmetric, unit diagonal, entries in [-1, 1] */
        if (!cJSON_IsArray(jr) || (size_t)cJSON_GetArraySize(jr) != n)
            return tyche_err_set(err, TYCHE_EINPUT, "%s.rank: expected a %zu x %zu matrix (one row per parameter)", path, n, n);
        double *R = gr->L; /* filled, then factorised in place */
        i = 0;
        for (const cJSON *row = jr->child; row; row = row->next, i++) {
            if (!cJSON_IsArray(row) || (size_t)cJSON_GetArraySize(row) != n)
                return tyche_err_set(err, TYCHE_EINPUT, "%s.rank[%zu]: expected a row of %zu numbers", path, i, n);
            size_t k = 0;
            for (const cJSON *x = row->child; x; x = x->next, k++) {
                if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || fabs(x->valuedouble) > 1)
                    return tyche_err_set(err, TYCHE_EINPUT, "%s.rank[%zu][%zu]: expected a number in [-1, 1]", path, i, k);
                R[i * n + k] = x->valuedouble;
            }
        }
        for (i = 0; i < n; i++) {
            if (R[i * n + i] != 1.0)
                return tyche_err_set(err, TYCHE_EINPUT, "%s.rank[%zu][%zu]: the diagonal must be 1", path, i, i);
            for (size_t k = 0; k < i; k++)
                if (fabs(R[i * n + k] - R[k * n + i]) > 1e-12)
                    return tyche_err_set(err, TYCHE_EINPUT, "%s.rank: not symmetric ([%zu][%zu] = %g, [%zu][%zu] = %g)",
                                         path, i, k, R[i * n + k], k, i, R[k * n + i]);
        }
        /* rank correlation r -> normal-score correlation 2 sin(pi r / 6), then Cholesky */
        for (i = 0; i < n * n; i++) R[i] = (i % (n + 1) == 0) ? 1.0 : 2 * sin(M_PI_VALUE * R[i] / 6);
        for (size_t c = 0; c < n; c++) {
            double d = R[c * n + c];
            for (size_t k = 0; k < c; k++) d -= R[c * n + k] * R[c * n + k];
            if (!(d > 1e-12))
                return tyche_err_set(err, TYCHE_EINPUT, "%s.rank: not positive definite (no joint distribution has these rank correlations)",
                                     path);
            R[c * n + c] = sqrt(d);
            for (size_t r = c + 1; r < n; r++) {
                double v = R[r * n + c];
                for (size_t k = 0; k < c; k++) v -= R[r * n + k] * R[c * n + k];
                R[r * n + c] = v / R[c * n + c];
            }
        }
        for (size_t r = 0; r < n; r++)
            for (size_t c = r + 1; c < n; c++) R[r * n + c] = 0.0;
    }
    return TYCHE_OK;
}

/* One declaration of what an event did by as_of: `value` is false (it had
 * not happened: trials in which it did are redrawn), "unknown" (averaged
 * over, knowingly) or the date it happened (fixed).  `where` names it in
 * messages (the JSON path, or the flag). */
static tyche_status observe_one(tyche_scenario *s, const char *name, const cJSON *value, const char *flag_value,
                                const char *where, uint8_t *declared, tyche_err *err) {
    const size_t o = tyche_scenario_find_output(s, name);
    if (o == (size_t)-1 || s->outputs[o].type != TYCHE_OUTPUT_TIME)
        return tyche_err_set(err, TYCHE_EINPUT, "%s: no event time named \"%s\"", where, name);
    if (declared[o])
        return tyche_err_set(err, TYCHE_EINPUT, "%s: listed twice", where);
    declared[o] = 1;
    const char *date = NULL;
    if (flag_value) {
        if (strcmp(flag_value, "false") == 0) {
            s->not_before[o] = 1;
            s->n_conditions++;
            return TYCHE_OK;
        }
        if (strcmp(flag_value, "unknown") == 0) return TYCHE_OK;
        date = flag_value;
    } else {
        if (cJSON_IsFalse(value)) {
            s->not_before[o] = 1;
            s->n_conditions++;
            return TYCHE_OK;
        }
        if (cJSON_IsString(value) && strcmp(value->valuestring, "unknown") == 0) return TYCHE_OK;
        if (!cJSON_IsString(value))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s: expected false (not happened by as_of), \"unknown\" or the date it "
                                 "happened, got %s",
                                 where, tyche_json_type_name(value));
        date = value->valuestring;
    }
    int32_t day;
    tyche_status st = tyche_date_parse(date, &day, where, err);
    if (st) return st;
    if (day < s->start || day > s->as_of)
        return tyche_err_set(err, TYCHE_EINPUT, "%s: an observed event must fall between start and as_of", where);
    s->fixed_time[o] = (double)(day - s->start) + 0.5; /* midday of that day */
    return TYCHE_OK;
}

/* Which event times need no declaration at an as-of date, as a fixpoint
 * over the models' layouts (kind.h), one pass per change (each pass only
 * adds, so at most n_outputs passes; no recursion: a recursive rule took
 * time exponential in an event's causes).  falsish[o]: o cannot have
 * happened by as_of (declared false, impossible, after an event that could
 * not have, a cause of an event that could not have, or an event whose
 * every cause could not have).  settled[o]: o needs no word (declared,
 * falsish, a cause of an event given a word, one of causes of which one is
 * dated, or an event whose every cause is settled). */
static void settle_events(const tyche_scenario *s, const uint8_t *declared, uint8_t *falsish, uint8_t *settled) {
    for (size_t m = 0; m < s->n_models; m++) {
        const tyche_model_inst *mi = &s->models[m];
        for (size_t k = 0; k < mi->layout.n_outputs; k++) {
            const size_t o = mi->output0 + k;
            falsish[o] = s->not_before[o] || (k < 64 && (mi->layout.never >> k & 1u));
            settled[o] = declared[o] || falsish[o];
        }
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t m = 0; m < s->n_models; m++) {
            const tyche_model_inst *mi = &s->models[m];
            const tyche_model_layout *L = &mi->layout;
            const size_t o0 = mi->output0;
            for (size_t j = 0; j < L->n_follows && j < TYCHE_LAYOUT_MAX_FOLLOWS; j++) {
                const size_t later = o0 + L->follows[j].later, earlier = o0 + L->follows[j].earlier;
                if (falsish[earlier] && !falsish[later]) falsish[later] = settled[later] = 1, changed = 1;
            }
            for (size_t g = 0; g < L->n_first_of && g < 2; g++) {
                const size_t out = o0 + L->first_of[g].out, c0 = o0 + L->first_of[g].first, n = L->first_of[g].n;
                int all_false = 1, all_settled = 1;
                size_t dated = 0;
                for (size_t c = c0; c < c0 + n; c++) {
                    all_false &= falsish[c];
                    all_settled &= settled[c];
                    dated += !isnan(s->fixed_time[c]);
                }
                if (all_false && !falsish[out]) falsish[out] = settled[out] = 1, changed = 1;
                if ((all_settled || dated) && !settled[out]) settled[out] = 1, changed = 1;
                for (size_t c = c0; c < c0 + n; c++) {
                    if (falsish[out] && !falsish[c]) falsish[c] = settled[c] = 1, changed = 1;
                    if ((declared[out] || dated) && !settled[c]) settled[c] = 1, changed = 1;
                }
            }
        }
    }
}

/* Declarations that contradict each other through a model's layout: two
 * competing causes dated, a cause dated apart from its event's date or
 * with its event declared false, an event following another dated before
 * it or after one that had not happened.  The message, or NULL. */
static const char *contradiction(const tyche_scenario *s, const uint8_t *falsish, char *buf, size_t len) {
    for (size_t m = 0; m < s->n_models; m++) {
        const tyche_model_inst *mi = &s->models[m];
        const tyche_model_layout *L = &mi->layout;
        const size_t o0 = mi->output0;
        for (size_t g = 0; g < L->n_first_of && g < 2; g++) {
            const size_t out = o0 + L->first_of[g].out, c0 = o0 + L->first_of[g].first, n = L->first_of[g].n;
            size_t first = (size_t)-1;
            for (size_t c = c0; c < c0 + n; c++) {
                if (isnan(s->fixed_time[c])) continue;
                if (first != (size_t)-1) {
                    snprintf(buf, len, "%s and %s are both dated, but only one of these competing causes happens",
                             s->outputs[first].name, s->outputs[c].name);
                    return buf;
                }
                first = c;
                if (s->not_before[out]) {
                    snprintf(buf, len, "%s is dated, but %s (its event) is declared false", s->outputs[c].name,
                             s->outputs[out].name);
                    return buf;
                }
                if (!isnan(s->fixed_time[out]) && s->fixed_time[out] != s->fixed_time[c]) {
                    snprintf(buf, len, "%s and %s (its event) are dated differently", s->outputs[c].name,
                             s->outputs[out].name);
                    return buf;
                }
            }
        }
        for (size_t j = 0; j < L->n_follows && j < TYCHE_LAYOUT_MAX_FOLLOWS; j++) {
            const size_t later = o0 + L->follows[j].later, earlier = o0 + L->follows[j].earlier;
            int in_group = 0; /* a cause and its event: the rules above */
            for (size_t g = 0; g < L->n_first_of && g < 2; g++)
                in_group |= earlier == o0 + L->first_of[g].out && later >= o0 + L->first_of[g].first &&
                            later < o0 + L->first_of[g].first + L->first_of[g].n;
            if (in_group || isnan(s->fixed_time[later])) continue;
            /* the earlier event's date: its own, or that of the cause dated for it */
            double te = s->fixed_time[earlier];
            for (size_t g = 0; isnan(te) && g < L->n_first_of && g < 2; g++)
                if (earlier == o0 + L->first_of[g].out)
                    for (size_t c = o0 + L->first_of[g].first; c < o0 + L->first_of[g].first + L->first_of[g].n; c++)
                        if (!isnan(s->fixed_time[c])) te = s->fixed_time[c];
            if (falsish[earlier]) {
                snprintf(buf, len, "%s is dated, but %s, which it follows, had not happened by as_of",
                         s->outputs[later].name, s->outputs[earlier].name);
                return buf;
            }
            if (!isnan(te) && s->fixed_time[later] < te) {
                snprintf(buf, len, "%s is dated before %s, which it follows", s->outputs[later].name,
                         s->outputs[earlier].name);
                return buf;
            }
        }
    }
    return NULL;
}

/* "observed": {"model.output": false | "unknown" | "YYYY-MM-DD", ...},
 * then the --observed flags (NAME=false|unknown|DATE, replacing the file's
 * entry of that name).  With as_of after start, every event that could
 * have happened in between must be declared: a forecast as of a later date
 * that silently ignored what happened by then would be the one a reader
 * cannot defend. */
static tyche_status load_observed(tyche_scenario *s, const cJSON *jo, const char *root,
                                  const tyche_scenario_options *opt, tyche_err *err) {
    s->fixed_time = tyche_malloc((s->n_outputs + 1) * sizeof *s->fixed_time);
    s->not_before = tyche_calloc(s->n_outputs + 1, 1);
    uint8_t *declared = tyche_calloc(s->n_outputs + 1, 1);
    if (!s->fixed_time || !s->not_before || !declared) {
        free(declared);
        return oom(err);
    }
    for (size_t o = 0; o < s->n_outputs; o++) s->fixed_time[o] = NAN;
    s->as_of_time = (double)(s->as_of - s->start);
    tyche_status st = TYCHE_OK;
    const size_t n_flags = opt ? opt->n_observed : 0;
    if (jo != NULL && !cJSON_IsObject(jo))
        st = tyche_err_set(err, TYCHE_EINPUT, "%sobserved: expected an object, got %s", root,
                           tyche_json_type_name(jo));
    for (const cJSON *it = jo ? jo->child : NULL; st == TYCHE_OK && it; it = it->next) {
        char where[800];
        snprintf(where, sizeof where, "%sobserved.%s", root, it->string);
        int replaced = 0;
        for (size_t f = 0; f < n_flags && !replaced; f++) {
            const char *eq = strchr(opt->observed[f], '=');
            replaced = eq && (size_t)(eq - opt->observed[f]) == strlen(it->string) &&
                       strncmp(opt->observed[f], it->string, strlen(it->string)) == 0;
        }
        if (!replaced) st = observe_one(s, it->string, it, NULL, where, declared, err);
    }
    for (size_t f = 0; st == TYCHE_OK && f < n_flags; f++) {
        const char *a = opt->observed[f], *eq = strchr(a, '=');
        char name[256], where[300];
        if (eq == NULL || eq == a || (size_t)(eq - a) >= sizeof name) {
            st = tyche_err_set(err, TYCHE_EINPUT,
                               "--observed %s: expected NAME=DATE, NAME=false or NAME=unknown "
                               "(NAME an event time, model.output)",
                               a);
            break;
        }
        memcpy(name, a, (size_t)(eq - a));
        name[eq - a] = '\0';
        snprintf(where, sizeof where, "--observed %s", name);
        st = observe_one(s, name, NULL, eq + 1, where, declared, err);
    }
    for (size_t m = 0; st == TYCHE_OK && m < s->n_models; m++) {
        const tyche_model_inst *mi = &s->models[m];
        const char *why = mi->kind->check_observed ? mi->kind->check_observed(s->fixed_time + mi->output0) : NULL;
        if (why) st = tyche_err_set(err, TYCHE_EINPUT, "%sobserved: model %s: %s", root, mi->name, why);
    }
    uint8_t *falsish = st == TYCHE_OK ? tyche_calloc(s->n_outputs + 1, 1) : NULL;
    uint8_t *settled = st == TYCHE_OK ? tyche_calloc(s->n_outputs + 1, 1) : NULL;
    if (st == TYCHE_OK && (!falsish || !settled)) st = oom(err);
    if (st == TYCHE_OK) {
        settle_events(s, declared, falsish, settled);
        char why[700];
        const char *c = contradiction(s, falsish, why, sizeof why);
        if (c) st = tyche_err_set(err, TYCHE_EINPUT, "%sobserved: %s", root, c);
    }
    if (st == TYCHE_OK && s->as_of > s->start) {
        /* the events left unsaid, named in the refusal */
        size_t len = 0, n_missing = 0;
        for (size_t o = 0; o < s->n_outputs; o++)
            if (s->outputs[o].type == TYCHE_OUTPUT_TIME && !settled[o])
                len += strlen(s->outputs[o].name) + 2, n_missing++;
        if (n_missing) {
            char *list = tyche_malloc(len + 1);
            if (list == NULL) {
                free(declared);
                free(falsish);
                free(settled);
                return oom(err);
            }
            list[0] = '\0';
            for (size_t o = 0, at = 0; o < s->n_outputs; o++)
                if (s->outputs[o].type == TYCHE_OUTPUT_TIME && !settled[o])
                    at += (size_t)sprintf(list + at, "%s%s", at ? ", " : "", s->outputs[o].name);
            char a[11], d0[11];
            tyche_date_format(s->as_of, a);
            tyche_date_format(s->start, d0);
            const int flag = opt && opt->as_of;
            st = tyche_err_set(err, TYCHE_EINPUT,
                               "%s%s %s is after the start %s, and %s could have happened in between: say "
                               "what %s by then in \"observed\" or with --observed NAME=DATE|false|unknown "
                               "(\"unknown\" averages over it): %s",
                               flag ? "" : root, flag ? "--as-of" : "as_of", a, d0,
                               n_missing == 1 ? "this event" : "these events", n_missing == 1 ? "it did" : "each did",
                               list);
            free(list);
        }
    }
    free(falsish);
    free(settled);
    free(declared);
    return st;
}

static tyche_status build(tyche_scenario *s, const cJSON *j, const tyche_scenario_options *opt,
                          tyche_err *err) {
    static const char *const keys[] = {"tyche",   "name",       "title",         "description",
                                       "comment", "start",      "horizon",       "as_of",
                                       "models",  "statements", "common_factor", "joint",
                                       "observed", "correlations", NULL};
    char root[512];
    snprintf(root, sizeof root, "%s: ", s->file);
    if (!cJSON_IsObject(j))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: the scenario must be a JSON object, got %s",
                             s->file, tyche_json_type_name(j));
    tyche_status st = tyche_json_check_keys(j, keys, root, err);
    if (st) return st;
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "tyche");
    if (ver && !(cJSON_IsNumber(ver) && ver->valuedouble == 1.0))
        return tyche_err_set(err, TYCHE_EINPUT, "%styche: this build reads scenario format 1",
                             root);
    const char *name, *title;
    if ((st = tyche_json_string(j, "name", 1, NULL, root, &name, err))) return st;
    if (!valid_ident(name))
        return tyche_err_set(err, TYCHE_EINPUT, "%sname: \"%s\" must be 1-64 letters, digits, '_' or '-'",
                             root, name);
    if ((st = tyche_json_string(j, "title", 0, name, root, &title, err))) return st;
    s->name = tyche_strdup(name);
    s->title = tyche_strdup(title);
    if (!s->name || !s->title) return oom(err);
    if ((st = tyche_json_date(j, "start", 1, 0, root, &s->start, err))) return st;
    if ((st = tyche_json_date(j, "horizon", 1, 0, root, &s->horizon, err))) return st;
    if ((st = tyche_json_date(j, "as_of", 0, s->start, root, &s->as_of, err))) return st;
    int as_of_flag = 0;
    if (opt && opt->as_of) {
        if ((st = tyche_date_parse(opt->as_of, &s->as_of, "--as-of", err))) return st;
        as_of_flag = 1;
    }
    if (s->horizon < s->start)
        return tyche_err_set(err, TYCHE_EINPUT, "%shorizon: must not be before start", root);
    if (s->as_of < s->start || s->as_of > s->horizon) {
        /* the dates themselves, so the reader need not open the file; a
         * message about the flag does not name the file */
        char a[11], d0[11], d1[11];
        tyche_date_format(s->as_of, a);
        tyche_date_format(s->start, d0);
        tyche_date_format(s->horizon, d1);
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s%s %s: must lie between the scenario's start %s and horizon %s",
                             as_of_flag ? "" : root, as_of_flag ? "--as-of" : "as_of", a, d0, d1);
    }
    s->horizon_time = (double)(s->horizon + 1 - s->start);

    /* size the arrays from the model kinds, then fill them */
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(j, "models");
    if ((st = check_models(models, root, err))) return st;
    size_t nm = (size_t)cJSON_GetArraySize(models), np = 1;
    /* every model and parameter needs its own random streams */
    if (TYCHE_STREAM_MODEL0 + nm * TYCHE_STREAMS_PER_MODEL > TYCHE_STREAM_PARAM0)
        return tyche_err_set(err, TYCHE_EINPUT, "%smodels: at most %d models", root,
                             (TYCHE_STREAM_PARAM0 - TYCHE_STREAM_MODEL0) / TYCHE_STREAMS_PER_MODEL);
    for (const cJSON *m = models->child; m; m = m->next) {
        const cJSON *k = cJSON_IsObject(m) ? cJSON_GetObjectItemCaseSensitive(m, "kind") : NULL;
        const tyche_model_kind *kind = cJSON_IsString(k) ? tyche_model_kind_find(k->valuestring) : NULL;
        if (kind && kind->declare) {
            /* its names are in its JSON: room for its "params" (reserve_params grows it) */
            const cJSON *jp = cJSON_GetObjectItemCaseSensitive(m, "params");
            np += cJSON_IsObject(jp) ? (size_t)cJSON_GetArraySize(jp) : 0;
        } else if (kind)
            np += kind->n_params;
    }
    s->models = tyche_calloc(nm, sizeof *s->models);
    s->params = tyche_calloc(np, sizeof *s->params);
    s->overridden = tyche_calloc(np, 1);
    s->params_cap = np;
    if (!s->models || !s->params || !s->overridden) return oom(err);
    /* the common factor, if the scenario has one (created after the models:
     * the last parameter, N(0, 1), so the others' streams do not depend on it) */
    const cJSON *cf = cJSON_GetObjectItemCaseSensitive(j, "common_factor");
    const char *cf_name = "Z", *cf_desc = "common factor";
    if (cf) {
        static const char *const cfkeys[] = {"name", "description", NULL};
        char cpath[600];
        snprintf(cpath, sizeof cpath, "%scommon_factor", root);
        if (!cJSON_IsObject(cf))
            return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object, got %s", cpath,
                                 tyche_json_type_name(cf));
        if ((st = tyche_json_check_keys(cf, cfkeys, cpath, err))) return st;
        if ((st = tyche_json_string(cf, "name", 0, "Z", cpath, &cf_name, err))) return st;
        if ((st = tyche_json_string(cf, "description", 0, cf_desc, cpath, &cf_desc, err)))
            return st;
        if (!valid_ident(cf_name))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.name: \"%s\" must be 1-64 letters, digits, '_' or '-'", cpath,
                                 cf_name);
        if (reserved(cf_name))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.name: \"%s\" is a reserved name (trial, summary, paths)", cpath,
                                 cf_name);
    }
    overrides ov = {0};
    st = parse_overrides(opt, &ov, err);
    {
        size_t len = 1;
        for (size_t k = 0; opt && k < opt->n_set; k++) len += strlen(opt->set[k]) + 1;
        if ((s->overrides = tyche_calloc(len, 1)) == NULL) st = oom(err);
        for (size_t k = 0; s->overrides && opt && k < opt->n_set; k++) {
            strcat(s->overrides, opt->set[k]);
            strcat(s->overrides, "\n");
        }
    }
    size_t mi = 0;
    for (const cJSON *m = models->child; m && st == TYCHE_OK; m = m->next, mi++)
        st = load_model(s, mi, m, root, cf ? cf_name : NULL, &ov, err);
    if (st) {
        overrides_free(&ov);
        return st;
    }

    /* a scenario without "common_factor" has none: no parameter, z = 0 */
    s->common = (size_t)-1;
    if (cf) {
        s->common = s->n_params++;
        tyche_param *cp = &s->params[s->common];
        cp->model = (size_t)-1;
        cp->prior.kind = TYCHE_DIST_NORMAL;
        cp->prior.p[0] = 0.0;
        cp->prior.p[1] = 1.0;
        cp->name = tyche_strdup(cf_name);
        cp->units = tyche_strdup("1");
        cp->description = tyche_strdup(cf_desc);
        if (!cp->name || !cp->units || !cp->description) st = oom(err);
        /* --set may fix or reshape the common factor too (tornado fixes it at quantiles) */
        for (size_t o = 0; o < ov.n && st == TYCHE_OK; o++) {
            if (strcmp(ov.name[o], cf_name) != 0) continue;
            char where[128];
            snprintf(where, sizeof where, "--set %s", cf_name);
            st = tyche_dist_from_json_in(ov.value[o], where, s->dir, &cp->prior, err);
            ov.used[o] = 1;
            s->overridden[s->common] = 1;
        }
    }
    for (size_t o = 0; o < ov.n && st == TYCHE_OK; o++)
        if (!ov.used[o])
            st = tyche_err_set(err, TYCHE_EINPUT,
                               "--set %s: no parameter of that name (names are model.param%s, see "
                               "tyche describe)",
                               ov.name[o], cf ? " or the common factor's" : "");
    overrides_free(&ov);
    if (st) return st;

    /* path variables, flattened */
    size_t n_paths = 0;
    for (size_t i = 0; i < s->n_models; i++) n_paths += s->models[i].layout.n_vars;
    if (n_paths) { /* n_paths is set only with the array, which the free walks */
        s->paths = tyche_calloc(n_paths, sizeof *s->paths);
        if (!s->paths) return oom(err);
        s->n_paths = n_paths;
    }
    size_t pi = 0;
    for (size_t i = 0; i < s->n_models; i++) {
        tyche_model_inst *m = &s->models[i];
        m->path0 = pi;
        m->path_offset = s->path_doubles;
        for (size_t v = 0; v < m->layout.n_vars; v++, pi++) {
            s->paths[pi].name = join2(m->name, ".", m->layout.var_names[v]);
            s->paths[pi].units = tyche_strdup(m->layout.var_units[v]);
            s->paths[pi].model = i;
            s->paths[pi].var = v;
            if (!s->paths[pi].name || !s->paths[pi].units) return oom(err);
            s->path_doubles += m->layout.n_points;
        }
    }

    /* statements */
    const cJSON *stm = cJSON_GetObjectItemCaseSensitive(j, "statements");
    if (stm == NULL) return tyche_err_set(err, TYCHE_EINPUT, "%smissing key \"statements\"", root);
    if (!cJSON_IsArray(stm))
        return tyche_err_set(err, TYCHE_EINPUT, "%sstatements: expected an array, got %s", root,
                             tyche_json_type_name(stm));
    size_t ns = (size_t)cJSON_GetArraySize(stm);
    if (ns) {
        s->statements = tyche_calloc(ns, sizeof *s->statements);
        if (!s->statements) return oom(err);
    }
    size_t si = 0;
    for (const cJSON *it = stm->child; it; it = it->next, si++)
        if ((st = load_statement(s, si, it, root, err))) return st;
    if ((st = check_unique_ids(s, root, err))) return st;
    if ((st = load_correlations(s, cJSON_GetObjectItemCaseSensitive(j, "correlations"), root, err)))
        return st;
    if ((st = load_observed(s, cJSON_GetObjectItemCaseSensitive(j, "observed"), root, opt, err)))
        return st;
    return load_joint(s, cJSON_GetObjectItemCaseSensitive(j, "joint"), root, err);
}

/* Copies the options into s (for tyche_scenario_with_overrides). */
static tyche_status keep_options(tyche_scenario *s, const tyche_scenario_options *opt) {
    if (opt == NULL) return TYCHE_OK;
    if (opt->as_of && (s->as_of_opt = tyche_strdup(opt->as_of)) == NULL) return TYCHE_ENOMEM;
    size_t len = 1;
    for (size_t k = 0; k < opt->n_observed; k++) len += strlen(opt->observed[k]) + 1;
    if ((s->observed_joined = tyche_calloc(len, 1)) == NULL) return TYCHE_ENOMEM;
    for (size_t k = 0; k < opt->n_observed; k++) {
        strcat(s->observed_joined, opt->observed[k]);
        strcat(s->observed_joined, "\n");
    }
    if (opt->n_observed) {
        if ((s->observed_opts = tyche_calloc(opt->n_observed, sizeof *s->observed_opts)) == NULL) return TYCHE_ENOMEM;
        for (; s->n_observed_opts < opt->n_observed; s->n_observed_opts++)
            if ((s->observed_opts[s->n_observed_opts] = tyche_strdup(opt->observed[s->n_observed_opts])) == NULL)
                return TYCHE_ENOMEM;
    }
    if (opt->n_set == 0) return TYCHE_OK;
    if ((s->sets = tyche_calloc(opt->n_set, sizeof *s->sets)) == NULL) return TYCHE_ENOMEM;
    for (; s->n_sets < opt->n_set; s->n_sets++)
        if ((s->sets[s->n_sets] = tyche_strdup(opt->set[s->n_sets])) == NULL) return TYCHE_ENOMEM;
    return TYCHE_OK;
}

/* The length of the name part of "name=value" (all of it without '='). */
static size_t set_name_len(const char *set) {
    const char *eq = strchr(set, '=');
    return eq ? (size_t)(eq - set) : strlen(set);
}

tyche_scenario *tyche_scenario_with_overrides(const tyche_scenario *base, const char *const *sets,
                                              size_t n, tyche_err *err) {
    const char **all = tyche_malloc((base->n_sets + n + 1) * sizeof *all);
    if (all == NULL) {
        oom(err);
        return NULL;
    }
    /* the base's --set values that no new one replaces, then the new ones */
    size_t k = 0;
    for (size_t i = 0; i < base->n_sets; i++) {
        const size_t len = set_name_len(base->sets[i]);
        int replaced = 0;
        for (size_t j = 0; j < n && !replaced; j++)
            replaced = set_name_len(sets[j]) == len && strncmp(sets[j], base->sets[i], len) == 0;
        if (!replaced) all[k++] = base->sets[i];
    }
    for (size_t j = 0; j < n; j++) all[k++] = sets[j];
    const tyche_scenario_options opt = {base->as_of_opt, k, all, base->n_observed_opts,
                                        (const char *const *)base->observed_opts};
    tyche_scenario *s = tyche_scenario_parse_with(base->text, strlen(base->text), base->file, &opt,
                                                  err);
    free(all);
    return s;
}

tyche_scenario *tyche_scenario_parse(const char *text, size_t len, const char *file,
                                     tyche_err *err) {
    return tyche_scenario_parse_with(text, len, file, NULL, err);
}

tyche_scenario *tyche_scenario_parse_with(const char *text, size_t len, const char *file,
                                          const tyche_scenario_options *opt, tyche_err *err) {
    /* GSL's default handler aborts the process: errors are values here */
    gsl_set_error_handler_off();
    tyche_scenario *s = tyche_calloc(1, sizeof *s);
    if (s == NULL) {
        oom(err);
        return NULL;
    }
    s->file = tyche_strdup(file ? file : "<scenario>");
    s->text = tyche_malloc(len + 1);
    if (!s->file || !s->text) {
        oom(err);
        tyche_scenario_free(s);
        return NULL;
    }
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    const char *slash = strrchr(s->file, '/');
    s->dir = slash ? tyche_malloc((size_t)(slash - s->file) + 1) : tyche_strdup(".");
    if (s->dir == NULL) {
        oom(err);
        tyche_scenario_free(s);
        return NULL;
    }
    if (slash) {
        memcpy(s->dir, s->file, (size_t)(slash - s->file));
        s->dir[slash - s->file] = '\0';
        if (s->dir[0] == '\0') strcpy(s->dir, "/");
    }
    if (keep_options(s, opt) != TYCHE_OK) {
        oom(err);
        tyche_scenario_free(s);
        return NULL;
    }
    if (strlen(s->text) != len) {
        tyche_err_set(err, TYCHE_EINPUT, "%s: contains a NUL byte: not a JSON text", s->file);
        tyche_scenario_free(s);
        return NULL;
    }
    /* cJSON reads numbers through strtod after swapping '.' for the
     * locale's decimal point, so parsing is the same under any locale. */
    const char *end = NULL;
    int oom_json;
    cJSON *j = tyche_json_parse(s->text, len, &end, &oom_json);
    if (j == NULL && oom_json) {
        tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory reading the scenario", s->file);
        tyche_scenario_free(s);
        return NULL;
    }
    if (j == NULL) {
        int line, col;
        const char *at = end ? end : s->text;
        line_col(s->text, at, &line, &col);
        if (json_depth_at(s->text, at) >= CJSON_NESTING_LIMIT)
            tyche_err_set(err, TYCHE_EINPUT,
                          "%s: line %d, column %d: nested more than %d levels deep (arrays and "
                          "objects; the JSON reader's limit)",
                          s->file, line, col, CJSON_NESTING_LIMIT);
        else
            tyche_err_set(err, TYCHE_EINPUT, "%s: line %d, column %d: malformed JSON", s->file,
                          line, col);
        tyche_scenario_free(s);
        return NULL;
    }
    tyche_status st = build(s, j, opt, err);
    cJSON_Delete(j);
    if (st) {
        tyche_scenario_free(s);
        return NULL;
    }
    return s;
}

tyche_scenario *tyche_scenario_load(const char *file, tyche_err *err) {
    return tyche_scenario_load_with(file, NULL, err);
}

tyche_scenario *tyche_scenario_load_with(const char *file, const tyche_scenario_options *opt,
                                         tyche_err *err) {
    size_t len;
    char *buf = tyche_read_file(file, &len, "scenario file", err);
    if (buf == NULL) return NULL;
    tyche_scenario *s = tyche_scenario_parse_with(buf, len, file, opt, err);
    free(buf);
    return s;
}

/* ---- accessors ------------------------------------------------------------ */

const char *tyche_scenario_name(const tyche_scenario *s) { return s->name; }
const char *tyche_scenario_title(const tyche_scenario *s) { return s->title; }
const char *tyche_scenario_file(const tyche_scenario *s) { return s->file; }
const char *tyche_scenario_text(const tyche_scenario *s) { return s->text; }
int32_t tyche_scenario_start(const tyche_scenario *s) { return s->start; }
int32_t tyche_scenario_horizon(const tyche_scenario *s) { return s->horizon; }
const char *tyche_scenario_observed_flags(const tyche_scenario *s) {
    return s->observed_joined ? s->observed_joined : "";
}
int32_t tyche_scenario_as_of(const tyche_scenario *s) { return s->as_of; }
size_t tyche_scenario_n_observed(const tyche_scenario *s) {
    size_t n = 0;
    for (size_t o = 0; o < s->n_outputs; o++) n += s->not_before[o] || !isnan(s->fixed_time[o]);
    return n;
}
size_t tyche_scenario_n_params(const tyche_scenario *s) { return s->n_params; }
size_t tyche_scenario_n_outputs(const tyche_scenario *s) { return s->n_outputs; }
size_t tyche_scenario_n_statements(const tyche_scenario *s) { return s->n_statements; }
size_t tyche_scenario_n_paths(const tyche_scenario *s) { return s->n_paths; }
size_t tyche_scenario_n_models(const tyche_scenario *s) { return s->n_models; }
size_t tyche_scenario_n_joint(const tyche_scenario *s) { return s->n_joint; }
size_t tyche_scenario_joint(const tyche_scenario *s, size_t k) { return s->joint[k]; }

/* Parameter i is drawn from its model's calibration posterior (the
 * layout's mask), not from its prior. */
static int param_is_posterior(const tyche_scenario *s, size_t i) {
    const tyche_param *p = &s->params[i];
    if (p->model == (size_t)-1) return 0;
    const tyche_model_inst *m = &s->models[p->model];
    return m->kind->posterior != NULL && i - m->param0 < 32 && (m->layout.posterior >> (i - m->param0) & 1u);
}

void tyche_scenario_param(const tyche_scenario *s, size_t i, tyche_param_info *out) {
    const tyche_param *p = &s->params[i];
    out->name = p->name;
    out->units = p->units;
    out->description = p->description;
    out->prior = &p->prior;
    out->overridden = s->overridden[i];
    out->posterior = param_is_posterior(s, i);
}

void tyche_scenario_param_format(const tyche_scenario *s, size_t i, char *buf, size_t len) {
    char prior[200];
    tyche_dist_format(&s->params[i].prior, prior, sizeof prior);
    if (param_is_posterior(s, i)) snprintf(buf, len, "posterior given the data (prior %s)", prior);
    else snprintf(buf, len, "%s", prior);
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

tyche_status tyche_scenario_param_quantiles(const tyche_scenario *s, size_t i, const double *p,
                                            size_t n, double *q, tyche_err *err) {
    const tyche_param *par = &s->params[i];
    if (!param_is_posterior(s, i)) {
        for (size_t k = 0; k < n; k++) q[k] = tyche_dist_quantile(&par->prior, p[k]);
        return TYCHE_OK;
    }
    /* the posterior sees the model's slice of a trial's parameters: the
     * others at their prior medians (it replaces only those of its mask) */
    const tyche_model_inst *m = &s->models[par->model];
    const size_t np = m->n_params, k0 = i - m->param0;
    const size_t N = TYCHE_POSTERIOR_SAMPLE;
    double *slice = tyche_malloc(np * sizeof *slice), *x = tyche_malloc(N * sizeof *x);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (slice == NULL || x == NULL || r == NULL) {
        free(slice);
        free(x);
        if (r) gsl_rng_free(r);
        return tyche_err_set(err, TYCHE_ENOMEM, "out of memory for the posterior's sample");
    }
    gsl_rng_set(r, 20260420u);
    for (size_t t = 0; t < N; t++) {
        for (size_t k = 0; k < np; k++)
            slice[k] = tyche_dist_quantile(&s->params[m->param0 + k].prior, 0.5);
        m->kind->posterior(m->cfg, slice, r);
        x[t] = slice[k0];
    }
    qsort(x, N, sizeof *x, cmp_double);
    /* linear interpolation between order statistics (R's type 7) */
    for (size_t k = 0; k < n; k++) {
        const double h = (double)(N - 1) * fmin(fmax(p[k], 0.0), 1.0);
        const size_t lo = (size_t)floor(h), hi = lo + 1 < N ? lo + 1 : lo;
        q[k] = x[lo] + (h - (double)lo) * (x[hi] - x[lo]);
    }
    free(slice);
    free(x);
    gsl_rng_free(r);
    return TYCHE_OK;
}

void tyche_scenario_output(const tyche_scenario *s, size_t i, tyche_output_info *out) {
    const tyche_output *o = &s->outputs[i];
    out->name = o->name;
    out->units = o->units;
    out->description = o->description;
    out->type = o->type;
}

void tyche_scenario_statement(const tyche_scenario *s, size_t i, tyche_statement_info *out) {
    const tyche_statement *t = &s->statements[i];
    out->id = t->id;
    out->text = t->text;
    out->group = t->group;
    out->rule = t->rule_text;
}

void tyche_scenario_path(const tyche_scenario *s, size_t i, tyche_path_info *out) {
    const tyche_path_var *p = &s->paths[i];
    const tyche_model_layout *mp = &s->models[p->model].layout;
    out->name = p->name;
    out->units = p->units;
    out->dim = mp->dim;
    out->n_points = mp->n_points;
    out->labels = (const char *const *)mp->labels;
    out->times = mp->times;
}

void tyche_scenario_model(const tyche_scenario *s, size_t i, const char **name,
                          const char **kind) {
    *name = s->models[i].name;
    *kind = s->models[i].kind->name;
}
