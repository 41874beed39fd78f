/* The engine alone, for benchmarks: `tyche_bench SCENARIO TRIALS THREADS
 * [floor]` prints the simulation's trials per second (no file is written),
 * or, with `floor`, the rate of a loop that makes the article's random
 * draws and nothing else, as the engine makes them (a block of TYCHE_LANES
 * trials at a time, draws.h): every parameter's draw from its own stream,
 * then the models' draws (option: one normal per valuation step, one
 * Exp(1), a uniform and a Gamma delay; exclusivity: a uniform pair and a
 * normal; revenue: one normal per simulated quarter).  Full trial / floor
 * says what the models' own arithmetic (exp, hazard walks, statements,
 * the accumulator) costs on top of their random numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_randist.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "dist_impl.h"
#include "kind.h"
#include "scenario_impl.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double floor_loop(const tyche_scenario *s, uint64_t n, int threads) {
    double sink = 0;
    /* the option model's valuation steps, and the revenue model's quarters */
    const size_t steps = s->models[0].layout.n_points - 1, quarters = 8;
    const double t0 = now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
        tyche_draws *d = tyche_draws_alloc(NULL, 1, TYCHE_LANES, NULL);
        static _Thread_local double out[64 * TYCHE_LANES], tmp[3 * TYCHE_LANES], shape[TYCHE_LANES];
        uint64_t trial[TYCHE_LANES];
        uint32_t redraw[TYCHE_LANES] = {0};
        for (size_t i = 0; i < TYCHE_LANES; i++) shape[i] = 2.0;
#pragma omp for schedule(dynamic, 16)
        for (uint64_t b = 0; b < (n + 2047) / 2048; b++) {
            for (uint64_t c0 = b * 2048; c0 < (b + 1) * 2048 && c0 < n; c0 += TYCHE_LANES) {
                const size_t m = n - c0 < TYCHE_LANES ? (size_t)(n - c0) : TYCHE_LANES;
                for (size_t i = 0; i < m; i++) trial[i] = c0 + i;
                const tyche_lanes L = {m, trial, redraw};
                for (size_t p = 0; p < s->n_params; p++) {
                    if (s->params[p].prior.kind == TYCHE_DIST_FIXED) continue;
                    tyche_dist_sample_block(&s->params[p].prior, d, &L, TYCHE_STREAM_PARAM0 + (uint32_t)p, out, tmp);
                    sink += out[0];
                }
                const uint32_t m0 = TYCHE_STREAM_MODEL0;
                tyche_draws_normals(d, &L, m0 + 0, steps, out, TYCHE_LANES);
                tyche_draws_exponential(d, &L, m0 + 1, 0, out + steps * TYCHE_LANES);
                tyche_draws_uniform(d, &L, m0 + 2, 0, out, NULL);
                tyche_draws_gamma(d, &L, m0 + 2, 1, shape, out + TYCHE_LANES);
                tyche_draws_uniform(d, &L, m0 + 8, 0, out, out + TYCHE_LANES);
                tyche_draws_normals(d, &L, m0 + 9, 1, out + 2 * TYCHE_LANES, m);
                tyche_draws_normals(d, &L, m0 + 16, quarters, out, TYCHE_LANES);
                sink += out[0];
            }
        }
        tyche_draws_free(d);
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
