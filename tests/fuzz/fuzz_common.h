/* Shared by the libFuzzer targets: a scratch folder of their own for the
 * files the library reads by name, and the source tree for the models. */
#ifndef TYCHE_FUZZ_COMMON_H
#define TYCHE_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tyche/tyche.h"

#ifndef TYCHE_SOURCE_DIR
#error "TYCHE_SOURCE_DIR must name the source tree"
#endif

static char fuzz_dir[256];

static inline void fuzz_cleanup(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
    if (fuzz_dir[0] && system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir);
}

/* The scratch folder (made once, removed at exit). */
static inline const char *fuzz_scratch(void) {
    if (fuzz_dir[0] == '\0') {
        const char *t = getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/tyche-fuzz-XXXXXX", t && *t ? t : "/tmp");
        if (mkdtemp(fuzz_dir) == NULL) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_cleanup);
    }
    return fuzz_dir;
}

/* Writes data to NAME in the scratch folder; returns the path (static). */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", fuzz_scratch(), name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return path;
}

/* A whole-run setting that keeps every input quick: few trials, one thread. */
static inline tyche_run_config fuzz_config(uint64_t trials, tyche_store store) {
    tyche_run_config c;
    tyche_run_config_init(&c);
    c.trials = trials;
    c.seed = 1;
    c.threads = 1;
    c.store = store;
    return c;
}

/* Loads a scenario of the source tree, aborting if it does not load. */
static inline tyche_scenario *fuzz_model(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/models/%s", TYCHE_SOURCE_DIR, name);
    tyche_err err;
    tyche_scenario *s = tyche_scenario_load(path, &err);
    if (s == NULL) {
        fprintf(stderr, "fuzz: %s\n", err.msg);
        abort();
    }
    return s;
}

/* Runs a loaded scenario briefly and renders its summary: what every input
 * that loads goes on to do, so that values validation let through are also
 * simulated (an infinite walk or a NaN would show here). */
static inline void fuzz_run_briefly(const tyche_scenario *s, uint64_t trials) {
    tyche_err err;
    tyche_run_config cfg = fuzz_config(trials, TYCHE_STORE_OUTPUTS);
    tyche_results *r = tyche_run(s, &cfg, &err);
    if (r == NULL) return;
    tyche_provenance prov = {"fuzz", "2026-01-01T00:00:00Z", 0, NULL, NULL};
    free(tyche_summary_json_string(s, r, &prov));
    tyche_results_free(r);
}

#endif
