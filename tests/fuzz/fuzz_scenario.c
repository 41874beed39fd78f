/* Scenario files: the JSON text, parsed and validated as `tyche run` would
 * (named as if in models/, so data files such as data/nvidia.csv resolve), and
 * when it loads, a brief run of it. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (text == NULL) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    tyche_err err;
    tyche_scenario *s = tyche_scenario_parse(text, size, TYCHE_SOURCE_DIR "/models/fuzz.json", &err);
    if (s) {
        fuzz_run_briefly(s, 64);
        tyche_scenario_free(s);
    }
    free(text);
    return 0;
}
