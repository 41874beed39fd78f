/* Proper scores of resolved statements (the formulas are in score.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "tyche/tyche.h"
#include "json_util.h"

struct tyche_scores {
    size_t n;
    tyche_score_row *rows;
    char **strings;
    size_t n_strings;
};

void tyche_scores_free(tyche_scores *s) {
    if (s == NULL) return;
    for (size_t i = 0; i < s->n_strings; i++) free(s->strings[i]);
    free(s->strings);
    free(s->rows);
    free(s);
}

size_t tyche_scores_n(const tyche_scores *s) { return s->n; }
const tyche_score_row *tyche_scores_row(const tyche_scores *s, size_t i) { return &s->rows[i]; }

void tyche_scores_overall(const tyche_scores *s, double *brier, double *log_score, double *baseline,
                          size_t *n) {
    double b = 0, l = 0, m = 0;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!s->rows[i].resolved) continue;
        b += s->rows[i].brier;
        l += s->rows[i].log_score;
        m += s->rows[i].baseline;
        k++;
    }
    *n = k;
    *brier = k ? b / (double)k : NAN;
    *log_score = k ? l / (double)k : NAN;
    *baseline = k ? m / (double)k : NAN;
}

static cJSON *load_json(const char *file, tyche_err *err) {
    char *buf = tyche_read_file(file, NULL, "file", err);
    if (buf == NULL) return NULL;
    const char *end = NULL;
    int oom;
    cJSON *j = tyche_json_parse(buf, 0, &end, &oom);
    if (j == NULL && oom) {
        tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory reading it", file);
    } else if (j == NULL) {
        int line = 1;
        for (const char *p = buf; end && p < end; p++) line += *p == '\n';
        tyche_err_set(err, TYCHE_EINPUT, "%s: line %d: malformed JSON", file, line);
    }
    free(buf);
    return j;
}

static char *keep(tyche_scores *s, const char *text) {
    char *d = tyche_strdup(text);
    if (d) s->strings[s->n_strings++] = d;
    return d;
}

tyche_scores *tyche_score_files(const char *summary, const char *outcomes, tyche_err *err) {
    tyche_scores *s = NULL;
    cJSON *js = load_json(summary, err), *jo = NULL;
    if (js == NULL) return NULL;
    jo = load_json(outcomes, err);
    if (jo == NULL) goto fail;
    char root[600];
    snprintf(root, sizeof root, "%s: ", summary);
    const cJSON *sts = cJSON_GetObjectItemCaseSensitive(js, "statements");
    const cJSON *trials = cJSON_GetObjectItemCaseSensitive(js, "trials");
    if (!cJSON_IsObject(sts) || !cJSON_IsNumber(trials) || trials->valuedouble < 1) {
        tyche_err_set(err, TYCHE_EINPUT, "%s: not a tyche summary (no \"statements\" or \"trials\")", summary);
        goto fail;
    }
    const double n_trials = trials->valuedouble;
    /* the outcomes file */
    static const char *const keys[] = {"scenario", "outcomes", "comment", NULL};
    snprintf(root, sizeof root, "%s: ", outcomes);
    if (!cJSON_IsObject(jo)) {
        tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object with \"outcomes\"", outcomes);
        goto fail;
    }
    if (tyche_json_check_keys(jo, keys, root, err)) goto fail;
    const char *scen;
    if (tyche_json_string(jo, "scenario", 0, NULL, root, &scen, err)) goto fail;
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(js, "scenario");
    const cJSON *sname = sc ? cJSON_GetObjectItemCaseSensitive(sc, "name") : NULL;
    if (scen && cJSON_IsString(sname) && strcmp(scen, sname->valuestring) != 0) {
        tyche_err_set(err, TYCHE_EINPUT, "%sscenario: \"%s\" but %s forecasts \"%s\"", root, scen,
                      summary, sname->valuestring);
        goto fail;
    }
    /* the scenario's start (older summaries may lack it): nothing the
     * forecast is about can have resolved before it */
    const cJSON *sstart = sc ? cJSON_GetObjectItemCaseSensitive(sc, "start") : NULL;
    int32_t start = 0;
    int has_start = 0;
    if (cJSON_IsString(sstart)) {
        tyche_err e;
        if (tyche_date_parse(sstart->valuestring, &start, "scenario.start", &e)) {
            tyche_err_set(err, TYCHE_EINPUT, "%s: scenario.start: \"%s\" is not a date", summary,
                          sstart->valuestring);
            goto fail;
        }
        has_start = 1;
    }
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(jo, "outcomes");
    if (!cJSON_IsObject(outs)) {
        tyche_err_set(err, TYCHE_EINPUT, "%soutcomes: expected an object of statement ids", root);
        goto fail;
    }
    for (const cJSON *o = outs->child; o; o = o->next) {
        static const char *const okeys[] = {"outcome", "resolved", "comment", NULL};
        char where[800];
        snprintf(where, sizeof where, "%soutcomes.%s", root, o->string);
        if (!cJSON_GetObjectItemCaseSensitive(sts, o->string)) {
            tyche_err_set(err, TYCHE_EINPUT, "%s: %s has no statement \"%s\"", where, summary, o->string);
            goto fail;
        }
        for (const cJSON *b = outs->child; b != o; b = b->next)
            if (strcmp(b->string, o->string) == 0) {
                tyche_err_set(err, TYCHE_EINPUT, "%s: listed twice", where);
                goto fail;
            }
        if (!cJSON_IsObject(o)) {
            tyche_err_set(err, TYCHE_EINPUT, "%s: expected {\"outcome\": true|false, \"resolved\": \"YYYY-MM-DD\"}", where);
            goto fail;
        }
        if (tyche_json_check_keys(o, okeys, where, err)) goto fail;
        const cJSON *oc = cJSON_GetObjectItemCaseSensitive(o, "outcome");
        if (!cJSON_IsBool(oc)) {
            tyche_err_set(err, TYCHE_EINPUT, "%s.outcome: expected true or false, got %s", where,
                          tyche_json_type_name(oc));
            goto fail;
        }
        int32_t day;
        if (tyche_json_date(o, "resolved", 1, 0, where, &day, err)) goto fail;
        if (has_start && day < start) {
            tyche_err_set(err, TYCHE_EINPUT,
                          "%s.resolved: %s is before the scenario's start %s (%s): the "
                          "forecast cannot be scored on it",
                          where, cJSON_GetObjectItemCaseSensitive(o, "resolved")->valuestring,
                          sstart->valuestring, summary);
            goto fail;
        }
    }
    /* one row per statement of the summary, in its order */
    s = tyche_calloc(1, sizeof *s);
    const size_t n = (size_t)cJSON_GetArraySize(sts);
    if (s == NULL || (s->rows = tyche_calloc(n + 1, sizeof *s->rows)) == NULL ||
        (s->strings = tyche_calloc(2 * n + 1, sizeof *s->strings)) == NULL) {
        tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
        goto fail;
    }
    for (const cJSON *st = sts->child; st; st = st->next) {
        tyche_score_row *r = &s->rows[s->n++];
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(st, "probability");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(st, "text");
        if (!cJSON_IsNumber(p) || !(p->valuedouble >= 0 && p->valuedouble <= 1)) {
            tyche_err_set(err, TYCHE_EINPUT, "%s: statements.%s.probability: expected a number in [0, 1]",
                          summary, st->string);
            goto fail;
        }
        r->id = keep(s, st->string);
        r->text = keep(s, cJSON_IsString(text) ? text->valuestring : "");
        if (!r->id || !r->text) {
            tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
            goto fail;
        }
        r->p = p->valuedouble;
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(outs, st->string);
        if (o == NULL) continue;
        r->resolved = 1;
        r->outcome = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "outcome"));
        snprintf(r->resolved_on, sizeof r->resolved_on, "%s",
                 cJSON_GetObjectItemCaseSensitive(o, "resolved")->valuestring);
        const double lo = 0.5 / n_trials;
        const double pc = fmin(fmax(r->p, lo), 1 - lo);
        const double po = r->outcome ? pc : 1 - pc;
        r->brier = (r->p - r->outcome) * (r->p - r->outcome);
        r->log_score = log(po);
        r->baseline = 100 * log2(po / 0.5);
    }
    cJSON_Delete(js);
    cJSON_Delete(jo);
    return s;
fail:
    cJSON_Delete(js);
    cJSON_Delete(jo);
    tyche_scores_free(s);
    return NULL;
}

char *tyche_scores_json(const tyche_scores *s) {
    const unsigned long long failures = tyche_alloc_failures();
    cJSON *root = cJSON_CreateObject();
    cJSON *sts = cJSON_AddObjectToObject(root, "statements");
    cJSON *open = cJSON_AddArrayToObject(root, "unresolved");
    for (size_t i = 0; i < s->n; i++) {
        const tyche_score_row *r = &s->rows[i];
        if (!r->resolved) {
            tyche_json_push(open, cJSON_CreateString(r->id));
            continue;
        }
        cJSON *o = cJSON_AddObjectToObject(sts, r->id);
        cJSON_AddNumberToObject(o, "probability", r->p);
        cJSON_AddBoolToObject(o, "outcome", r->outcome);
        cJSON_AddStringToObject(o, "resolved", r->resolved_on);
        cJSON_AddNumberToObject(o, "brier", r->brier);
        cJSON_AddNumberToObject(o, "log_score", r->log_score);
        cJSON_AddNumberToObject(o, "baseline_score", r->baseline);
    }
    double b, l, m;
    size_t n;
    tyche_scores_overall(s, &b, &l, &m, &n);
    cJSON *ov = cJSON_AddObjectToObject(root, "overall");
    cJSON_AddNumberToObject(ov, "resolved", (double)n);
    tyche_json_add(ov, "brier", n ? cJSON_CreateNumber(b) : cJSON_CreateNull());
    tyche_json_add(ov, "log_score", n ? cJSON_CreateNumber(l) : cJSON_CreateNull());
    tyche_json_add(ov, "baseline_score", n ? cJSON_CreateNumber(m) : cJSON_CreateNull());
    char *text = tyche_json_print(root, failures, 0);
    return text;
}

tyche_status tyche_scores_write_json(const tyche_scores *s, const char *path, tyche_err *err) {
    return tyche_write_text_file(path, tyche_scores_json(s), "scores", err);
}
