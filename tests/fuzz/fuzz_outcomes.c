/* Outcome files for `tyche score`: the input is the outcomes JSON, scored
 * against the summary of a small run of models/article.json. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char summary[512];
    if (summary[0] == '\0') {
        tyche_scenario *s = fuzz_model("article.json");
        tyche_err err;
        tyche_run_config cfg = fuzz_config(2048, TYCHE_STORE_NONE);
        tyche_results *r = tyche_run(s, &cfg, &err);
        snprintf(summary, sizeof summary, "%s/summary.json", fuzz_scratch());
        tyche_provenance prov = {"fuzz", "2026-01-01T00:00:00Z", 0, NULL, NULL};
        if (r == NULL || tyche_write_summary_json(s, r, &prov, summary, &err) != TYCHE_OK) abort();
        tyche_results_free(r);
        tyche_scenario_free(s);
    }
    const char *outcomes = fuzz_file("outcomes.json", data, size);
    tyche_err err;
    tyche_scores *sc = tyche_score_files(summary, outcomes, &err);
    if (sc) {
        free(tyche_scores_json(sc));
        tyche_scores_free(sc);
    }
    return 0;
}
