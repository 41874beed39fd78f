/* The engine alone, for benchmarks: `tyche_bench SCENARIO TRIALS THREADS
 * [floor]` prints the simulation's trials per second (no file is written),
 * or, with `floor`, the rate of a loop that makes the article's random
 * draws per trial and nothing else: every parameter's draw from its own
 * stream exactly as the engine makes it, then the models' draws (option:
 * one Exp(1), 15 valuation shocks (the months to the deadline: the fewest a
 * trial makes), a uniform and a Gamma delay; exclusivity: one Exp(1), one
 * uniform, one normal; revenue: 8 normals).  Full trial / floor says what
 * the model's own arithmetic costs on top of its random numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_randist.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "scenario_impl.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double floor_loop(const tyche_scenario *s, uint64_t n, int threads) {
    double sink = 0;
    const double t0 = now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
        tyche_err err;
        tyche_rng *rng = tyche_rng_alloc(NULL, 1, &err);
        gsl_rng *g = tyche_rng_gsl(rng);
#pragma omp for schedule(dynamic, 16)
        for (uint64_t b = 0; b < (n + 2047) / 2048; b++) {
            for (uint64_t i = b * 2048; i < (b + 1) * 2048 && i < n; i++) {
                for (size_t p = 0; p < s->n_params; p++) {
                    if (s->params[p].prior.kind == TYCHE_DIST_FIXED) continue;
                    tyche_rng_seek(rng, i, TYCHE_STREAM_PARAM0 + (uint32_t)p, 0);
                    sink += tyche_dist_sample(&s->params[p].prior, g);
                }
                const uint32_t m0 = TYCHE_STREAM_MODEL0;
                tyche_rng_seek(rng, i, m0 + 1, 0);
                sink += gsl_ran_exponential(g, 1.0);
                tyche_rng_seek(rng, i, m0 + 0, 0);
                for (int k = 0; k < 15; k++) sink += gsl_ran_gaussian_ziggurat(g, 1.0);
                tyche_rng_seek(rng, i, m0 + 2, 0);
                sink += gsl_rng_uniform(g) + gsl_ran_gamma(g, 2.0, 2.0);
                tyche_rng_seek(rng, i, m0 + 8, 0);
                sink += gsl_ran_exponential(g, 1.0) + gsl_rng_uniform(g);
                tyche_rng_seek(rng, i, m0 + 9, 0);
                sink += gsl_ran_gaussian_ziggurat(g, 1.0);
                tyche_rng_seek(rng, i, m0 + 16, 0);
                for (int k = 0; k < 8; k++) sink += gsl_ran_gaussian_ziggurat(g, 1.0);
            }
        }
        tyche_rng_free(rng);
    }
    const double dt = now() - t0;
    if (sink == 42.0) puts(""); /* keep the draws alive */
    return (double)n / dt;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: tyche_bench SCENARIO TRIALS THREADS [floor]\n");
        return 2;
    }
    tyche_err err;
    tyche_scenario *s = tyche_scenario_load(argv[1], &err);
    if (s == NULL) {
        fprintf(stderr, "tyche_bench: %s\n", err.msg);
        return 2;
    }
    const uint64_t n = strtoull(argv[2], NULL, 10);
    const int threads = atoi(argv[3]);
    double rate;
    if (argc > 4 && strcmp(argv[4], "floor") == 0) {
        rate = floor_loop(s, n, threads);
    } else {
        tyche_run_config cfg;
        tyche_run_config_init(&cfg);
        cfg.trials = n;
        cfg.seed = 1;
        cfg.threads = threads;
        cfg.rng = NULL;
        cfg.store = TYCHE_STORE_NONE;
        tyche_results *r = tyche_run(s, &cfg, &err);
        if (r == NULL) {
            fprintf(stderr, "tyche_bench: %s\n", err.msg);
            return 1;
        }
        tyche_run_info info;
        tyche_results_info(r, &info);
        rate = (double)n / info.seconds;
        tyche_results_free(r);
    }
    printf("%.0f\n", rate);
    tyche_scenario_free(s);
    return 0;
}
