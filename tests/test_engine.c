/* The engine's contracts: per-trial results and summaries identical for
 * any thread count; replay equals the stored trial; the summary agrees
 * with an independent computation from the stored columns. */
#include "run_impl.h"
#include "scen.h"
#include "test.h"

static tyche_results *run(const tyche_scenario *s, uint64_t n, int threads, tyche_store store,
                          const char *rng) {
    tyche_err err;
    tyche_run_config cfg;
    tyche_run_config_init(&cfg);
    cfg.trials = n;
    cfg.seed = 20260420;
    cfg.threads = threads;
    cfg.rng = rng;
    cfg.store = store;
    tyche_results *r = tyche_run(s, &cfg, &err);
    if (r == NULL) fprintf(stderr, "run failed: %s\n", err.msg);
    return r;
}

static int same_summary(const tyche_scenario *s, const tyche_results *a, const tyche_results *b) {
    for (size_t i = 0; i < s->n_statements; i++) {
        tyche_prob pa, pb;
        tyche_results_statement(a, i, &pa);
        tyche_results_statement(b, i, &pb);
        if (memcmp(&pa, &pb, sizeof pa) != 0) return 0;
    }
    for (size_t i = 0; i < s->n_outputs; i++) {
        tyche_output_summary oa, ob;
        tyche_results_output(a, i, &oa);
        tyche_results_output(b, i, &ob);
        if (memcmp(&oa, &ob, sizeof oa) != 0) return 0;
        for (size_t m = 0; m < tyche_results_n_months(a); m++) {
            tyche_prob pa, pb;
            tyche_results_incidence(a, i, m, &pa);
            tyche_results_incidence(b, i, m, &pb);
            if (memcmp(&pa, &pb, sizeof pa) != 0) return 0;
        }
    }
    tyche_prob ja, jb;
    tyche_results_joint_all(a, &ja);
    tyche_results_joint_all(b, &jb);
    if (memcmp(&ja, &jb, sizeof ja) != 0) return 0;
    /* and every byte of the state the summary is made from (accum.h): the
     * sketches' bins, missing and joint counts, attempts */
    const tyche_accum *xa = tyche_results_summary(a), *xb = tyche_results_summary(b);
    const size_t na = tyche_accum_pack_size(xa), nb = tyche_accum_pack_size(xb);
    unsigned char *pa = malloc(na), *pb = malloc(nb);
    int same = pa && pb && na == nb;
    if (same) {
        tyche_accum_pack(xa, pa);
        tyche_accum_pack(xb, pb);
        same = memcmp(pa, pb, na) == 0;
    }
    free(pa);
    free(pb);
    return same;
}

static void check_thread_invariance(const char *rng) {
    tyche_err err;
    tyche_scenario *s = option_scenario(DEFAULT_OPTION_PARAMS, P1_STATEMENTS, &err);
    ASSERT(s != NULL);
    const uint64_t n = 5 * TYCHE_BLOCK_TRIALS + 123; /* a ragged last block */
    tyche_results *r1 = run(s, n, 1, TYCHE_STORE_PATHS, rng);
    tyche_results *r2 = run(s, n, 2, TYCHE_STORE_PATHS, rng);
    tyche_results *r3 = run(s, n, 3, TYCHE_STORE_PATHS, rng);
    ASSERT(r1 && r2 && r3);
    const tyche_results *other[2] = {r2, r3};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < s->n_params; i++)
            ASSERT(memcmp(tyche_results_param_column(r1, i), tyche_results_param_column(other[k], i),
                          n * sizeof(double)) == 0);
        for (size_t i = 0; i < s->n_outputs; i++)
            ASSERT(memcmp(tyche_results_output_column(r1, i),
                          tyche_results_output_column(other[k], i), n * sizeof(double)) == 0);
        for (size_t i = 0; i < s->n_statements; i++)
            ASSERT(memcmp(tyche_results_statement_column(r1, i),
                          tyche_results_statement_column(other[k], i), n) == 0);
        for (size_t i = 0; i < s->n_paths; i++) {
            tyche_path_info pi;
            tyche_scenario_path(s, i, &pi);
            ASSERT(memcmp(tyche_results_path(r1, i), tyche_results_path(other[k], i),
                          n * pi.n_points * sizeof(double)) == 0);
        }
        ASSERT(same_summary(s, r1, other[k]));
    }
    tyche_results_free(r1);
    tyche_results_free(r2);
    tyche_results_free(r3);
    tyche_scenario_free(s);
}

TEST(per_trial_results_and_summary_are_identical_at_1_2_and_3_threads) {
    check_thread_invariance(NULL);
}

TEST(thread_invariance_holds_for_a_gsl_generator_too) { check_thread_invariance("mt19937"); }

TEST(replay_recomputes_the_stored_trial_bit_for_bit) {
    tyche_err err;
    tyche_scenario *s = option_scenario(DEFAULT_OPTION_PARAMS, P1_STATEMENTS, &err);
    ASSERT(s != NULL);
    const uint64_t n = 3000;
    tyche_results *r = run(s, n, 2, TYCHE_STORE_PATHS, NULL);
    ASSERT(r != NULL);
    tyche_trial_record *t = tyche_trial_record_alloc(s);
    const uint64_t trials[] = {0, 1, 2047, 2048, 2999};
    for (size_t k = 0; k < sizeof trials / sizeof trials[0]; k++) {
        const uint64_t i = trials[k];
        ASSERT_INT_EQ(tyche_replay(s, 20260420, NULL, i, t, &err), TYCHE_OK);
        for (size_t p = 0; p < s->n_params; p++)
            ASSERT_DBL_IDENTICAL(t->params[p], tyche_results_param_column(r, p)[i]);
        for (size_t o = 0; o < s->n_outputs; o++)
            ASSERT_DBL_IDENTICAL(t->outputs[o], tyche_results_output_column(r, o)[i]);
        for (size_t j = 0; j < s->n_statements; j++)
            ASSERT_INT_EQ(t->statements[j], tyche_results_statement_column(r, j)[i]);
        tyche_path_info pi;
        tyche_scenario_path(s, 0, &pi);
        for (size_t m = 0; m < pi.n_points; m++)
            ASSERT_DBL_IDENTICAL(t->paths[m], tyche_results_path(r, 0)[i * pi.n_points + m]);
    }
    tyche_trial_record_free(t);
    tyche_results_free(r);
    tyche_scenario_free(s);
}

static int cmp_dbl(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

TEST(the_summary_agrees_with_the_stored_columns_and_does_not_depend_on_storing) {
    tyche_err err;
    tyche_scenario *s = option_scenario(DEFAULT_OPTION_PARAMS, P1_STATEMENTS, &err);
    ASSERT(s != NULL);
    const uint64_t n = 20000;
    tyche_results *r = run(s, n, 2, TYCHE_STORE_OUTPUTS, NULL);
    tyche_results *rn = run(s, n, 2, TYCHE_STORE_NONE, NULL);
    ASSERT(r && rn);
    ASSERT(tyche_results_output_column(rn, 0) == NULL);
    ASSERT(same_summary(s, r, rn));
    double *v = malloc(n * sizeof *v);
    for (size_t o = 0; o < s->n_outputs; o++) {
        const double *col = tyche_results_output_column(r, o);
        size_t k = 0;
        long double sum = 0;
        for (uint64_t i = 0; i < n; i++)
            if (isfinite(col[i])) {
                v[k++] = col[i];
                sum += col[i];
            }
        tyche_output_summary os;
        tyche_results_output(r, o, &os);
        ASSERT_INT_EQ(os.n, k);
        ASSERT_NEAR(os.missing_fraction, (double)(n - k) / n, 1e-15);
        if (k == 0) continue;
        ASSERT_NEAR(os.mean, (double)(sum / k), 1e-9 * fabs((double)(sum / k)));
        qsort(v, k, sizeof *v, cmp_dbl);
        for (size_t q = 0; q < 9; q++) {
            const double exact = v[(size_t)floor(tyche_quantile_levels[q] * (double)(k - 1))];
            /* within one bucket: 1/128 of the value (stats.h) */
            ASSERT_NEAR(os.q[q], exact, fabs(exact) / 128 + 1e-12);
        }
    }
    /* statements: probability = column mean exactly */
    for (size_t j = 0; j < s->n_statements; j++) {
        const uint8_t *col = tyche_results_statement_column(r, j);
        uint64_t c = 0;
        for (uint64_t i = 0; i < n; i++) c += col[i];
        tyche_prob p;
        tyche_results_statement(r, j, &p);
        ASSERT_INT_EQ(p.count, c);
    }
    free(v);
    tyche_results_free(r);
    tyche_results_free(rn);
    tyche_scenario_free(s);
}

TEST(the_wilson_interval_matches_a_hand_computation) {
    /* k = 10 of n = 100: centre (0.1 + 1.92/100)/(1 + 3.84/100), half-width
     * 1.96 sqrt(0.0009 + 0.000096)/1.0384 -> [0.0552, 0.1744] (Wilson 1927) */
    tyche_err err;
    tyche_scenario *s = option_scenario(DEFAULT_OPTION_PARAMS, P1_STATEMENTS, &err);
    ASSERT(s != NULL);
    tyche_results *r = run(s, 100, 1, TYCHE_STORE_NONE, NULL);
    ASSERT(r != NULL);
    tyche_prob p;
    tyche_results_statement(r, 1, &p);
    const double z = 1.959963984540054, ph = p.probability, nn = 100;
    const double c = (ph + z * z / (2 * nn)) / (1 + z * z / nn);
    const double h = z * sqrt(ph * (1 - ph) / nn + z * z / (4 * nn * nn)) / (1 + z * z / nn);
    ASSERT_NEAR(p.ci95_lo, c - h, 1e-12);
    ASSERT_NEAR(p.ci95_hi, c + h, 1e-12);
    tyche_results_free(r);
    tyche_scenario_free(s);
}
