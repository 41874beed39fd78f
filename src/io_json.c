/* The JSON summary: what a forecaster quotes, with its Monte Carlo error,
 * and enough provenance (scenario, seed, generator, version) to rerun it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "json_util.h"
#include "tyche/tyche.h"

/* JSON has no NaN: a missing number is null. */
static cJSON *num(double x) { return isfinite(x) ? cJSON_CreateNumber(x) : cJSON_CreateNull(); }

static void add_num(cJSON *o, const char *k, double x) { tyche_json_add(o, k, num(x)); }

static cJSON *prob_json(const tyche_prob *p) {
    cJSON *o = cJSON_CreateObject();
    add_num(o, "probability", p->probability);
    add_num(o, "stderr", p->stderr_);
    cJSON *ci = cJSON_AddArrayToObject(o, "ci95");
    tyche_json_push(ci, num(p->ci95_lo));
    tyche_json_push(ci, num(p->ci95_hi));
    add_num(o, "count", (double)p->count);
    return o;
}

static const char *store_name(tyche_store s) {
    return s == TYCHE_STORE_PATHS ? "paths" : s == TYCHE_STORE_OUTPUTS ? "outputs" : "none";
}

static cJSON *build(const tyche_scenario *s, const tyche_results *r, const tyche_provenance *p) {
    tyche_run_info info;
    tyche_results_info(r, &info);
    char date[11];
    cJSON *root = cJSON_CreateObject();
    cJSON *sc = cJSON_AddObjectToObject(root, "scenario");
    cJSON_AddStringToObject(sc, "name", tyche_scenario_name(s));
    cJSON_AddStringToObject(sc, "title", tyche_scenario_title(s));
    cJSON_AddStringToObject(sc, "file", tyche_scenario_file(s));
    tyche_date_format(tyche_scenario_start(s), date);
    cJSON_AddStringToObject(sc, "start", date);
    tyche_date_format(tyche_scenario_horizon(s), date);
    cJSON_AddStringToObject(sc, "horizon", date);
    tyche_date_format(tyche_scenario_as_of(s), date);
    cJSON_AddStringToObject(sc, "as_of", date);
    /* a 64-bit seed does not fit a double exactly: keep it as a string too */
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)info.seed);
    add_num(root, "seed", (double)info.seed);
    cJSON_AddStringToObject(root, "seed_string", seed);
    add_num(root, "trials", (double)info.trials);
    cJSON_AddStringToObject(root, "generator", info.rng);
    add_num(root, "stream_version", TYCHE_STREAM_VERSION);
    cJSON_AddStringToObject(root, "vector_path", tyche_vector_path());
    cJSON_AddStringToObject(root, "store", store_name(info.store));
    cJSON_AddStringToObject(root, "sampling", info.sampling == TYCHE_SAMPLING_LHS   ? "lhs"
                                              : info.sampling == TYCHE_SAMPLING_QMC ? "qmc"
                                                                                    : "mc");
    add_num(root, "replicates", info.replicates);
    cJSON_AddStringToObject(root, "tyche_version", tyche_version());
    if (p && p->command_line) cJSON_AddStringToObject(root, "command_line", p->command_line);
    if (p && p->created_utc) cJSON_AddStringToObject(root, "created_utc", p->created_utc);

    /* A shard says which part of which run it is, so a stray file is not
     * mistaken for the whole run (tyche merge joins the parts). */
    if (info.shard_count != 0) {
        cJSON *sh = cJSON_AddObjectToObject(root, "shard");
        add_num(sh, "index", info.shard_index);
        add_num(sh, "count", info.shard_count);
        add_num(sh, "first_trial", (double)info.first_trial);
        add_num(sh, "trials", (double)info.trials);
        add_num(sh, "total_trials", (double)info.total_trials);
    }

    int any_target = 0, all_reached = 1;
    cJSON *sts = cJSON_AddObjectToObject(root, "statements");
    for (size_t i = 0; i < tyche_scenario_n_statements(s); i++) {
        tyche_statement_info si;
        tyche_prob pr;
        tyche_scenario_statement(s, i, &si);
        tyche_results_statement(r, i, &pr);
        cJSON *o = prob_json(&pr);
        /* with LHS or QMC: the error from the replicates' spread (the binomial
         * stderr above assumes independent draws and overstates it) */
        if (info.replicates > 1) add_num(o, "stderr_replicates", tyche_results_statement_replicate_se(r, i));
        /* --precision: the target, what was achieved, and whether it was met
         * (the run may have hit --max-trials first) */
        double target, half;
        if (tyche_results_precision(r, i, &target, &half)) {
            cJSON *pj = cJSON_CreateObject();
            add_num(pj, "target", target);
            add_num(pj, "half_width", half);
            tyche_json_add(pj, "reached", cJSON_CreateBool(half <= target));
            tyche_json_add(o, "precision", pj);
            any_target = 1;
            all_reached = all_reached && half <= target;
        }
        cJSON_AddStringToObject(o, "text", si.text);
        cJSON_AddStringToObject(o, "group", si.group);
        cJSON_AddStringToObject(o, "rule", si.rule);
        tyche_json_add(sts, si.id, o);
    }

    /* Whether the run stopped because every target was met, or ran out of
     * trials (--max-trials) with some still missed. */
    if (any_target) {
        cJSON *pj = cJSON_AddObjectToObject(root, "precision");
        tyche_json_add(pj, "reached", cJSON_CreateBool(all_reached));
        add_num(pj, "trials", (double)info.trials);
        add_num(pj, "max_trials", (double)info.total_trials);
    }

    cJSON *outs = cJSON_AddObjectToObject(root, "outputs");
    for (size_t i = 0; i < tyche_scenario_n_outputs(s); i++) {
        tyche_output_info oi;
        tyche_output_summary os;
        tyche_scenario_output(s, i, &oi);
        tyche_results_output(r, i, &os);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "units", oi.units);
        cJSON_AddStringToObject(o, "kind", oi.type == TYCHE_OUTPUT_TIME ? "event time" : "value");
        add_num(o, "mean", os.mean);
        add_num(o, "sd", os.sd);
        cJSON *q = cJSON_AddObjectToObject(o, "quantiles");
        for (size_t k = 0; k < 9; k++) {
            char key[8];
            snprintf(key, sizeof key, "p%02d", (int)lround(tyche_quantile_levels[k] * 100));
            add_num(q, key, os.q[k]);
        }
        add_num(o, "missing_fraction", os.missing_fraction);
        tyche_json_add(outs, oi.name, o);
    }

    cJSON *ev = cJSON_AddObjectToObject(root, "events");
    for (size_t i = 0; i < tyche_scenario_n_outputs(s); i++) {
        tyche_output_info oi;
        tyche_scenario_output(s, i, &oi);
        if (oi.type != TYCHE_OUTPUT_TIME) continue;
        cJSON *o = cJSON_AddObjectToObject(ev, oi.name);
        cJSON *dates = cJSON_AddArrayToObject(o, "dates");
        cJSON *cum = cJSON_AddArrayToObject(o, "cumulative_incidence");
        cJSON *se = cJSON_AddArrayToObject(o, "stderr");
        for (size_t m = 0; m < tyche_results_n_months(r); m++) {
            tyche_prob pr;
            tyche_results_incidence(r, i, m, &pr);
            /* the boundary is the start of a day: the incidence is "by the day before" */
            tyche_date_format(tyche_scenario_start(s) +
                                  (int32_t)tyche_results_month_time(r, m) - 1, date);
            tyche_json_push(dates, cJSON_CreateString(date));
            tyche_json_push(cum, num(pr.probability));
            tyche_json_push(se, num(pr.stderr_));
        }
    }

    cJSON *joint = cJSON_AddObjectToObject(root, "joint");
    const size_t nj = tyche_scenario_n_joint(s);
    cJSON *ids = cJSON_AddArrayToObject(joint, "statements");
    for (size_t k = 0; k < nj; k++) {
        tyche_statement_info si;
        tyche_scenario_statement(s, tyche_scenario_joint(s, k), &si);
        tyche_json_push(ids, cJSON_CreateString(si.id));
    }
    if (nj) {
        tyche_prob pr;
        tyche_results_joint_all(r, &pr);
        tyche_json_add(joint, "all", prob_json(&pr));
        cJSON *pairs = cJSON_AddObjectToObject(joint, "pairs");
        cJSON *corr = cJSON_AddArrayToObject(joint, "correlation");
        cJSON *corr_se = cJSON_AddArrayToObject(joint, "correlation_stderr");
        for (size_t k = 0; k < nj; k++) {
            tyche_statement_info a;
            tyche_scenario_statement(s, tyche_scenario_joint(s, k), &a);
            cJSON *row = cJSON_CreateArray(), *row_se = cJSON_CreateArray();
            for (size_t l = 0; l < nj; l++) {
                double c, e;
                tyche_results_joint_corr(r, k, l, &c, &e);
                tyche_json_push(row, num(c));
                tyche_json_push(row_se, num(e));
                if (l <= k) continue;
                tyche_statement_info b;
                tyche_scenario_statement(s, tyche_scenario_joint(s, l), &b);
                char key[160];
                snprintf(key, sizeof key, "%s&%s", a.id, b.id);
                tyche_results_joint_pair(r, k, l, &pr);
                tyche_json_add(pairs, key, prob_json(&pr));
            }
            tyche_json_push(corr, row);
            tyche_json_push(corr_se, row_se);
        }
    }

    cJSON *rt = cJSON_AddObjectToObject(root, "runtime");
    add_num(rt, "seconds", info.seconds);
    add_num(rt, "trials_per_second", info.seconds > 0 ? (double)info.trials / info.seconds : NAN);
    add_num(rt, "threads", info.threads); /* per rank */
    add_num(rt, "ranks", info.ranks > 0 ? info.ranks : 1); /* 0: a caller from before ranks */
    add_num(rt, "attempts", (double)info.attempts);
    return root;
}

char *tyche_summary_json_string(const tyche_scenario *s, const tyche_results *r,
                                const tyche_provenance *p) {
    const unsigned long long failures = tyche_alloc_failures();
    return tyche_json_print(build(s, r, p), failures, 0);
}

tyche_status tyche_write_summary_json(const tyche_scenario *s, const tyche_results *r,
                                      const tyche_provenance *p, const char *path,
                                      tyche_err *err) {
    return tyche_write_text_file(path, tyche_summary_json_string(s, r, p), "summary", err);
}
