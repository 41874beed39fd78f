/* --set and --as-of values: each line of the input is one "--set
 * model.param=VALUE" applied to models/article.json, except a line
 * "as_of=DATE", which is --as-of; a scenario that loads is run briefly. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_LINES = 16 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char *article;
    static size_t article_len;
    if (article == NULL) {
        FILE *f = fopen(TYCHE_SOURCE_DIR "/models/article.json", "rb");
        if (f == NULL) abort();
        article = calloc(1, 1 << 20);
        article_len = fread(article, 1, (1 << 20) - 1, f);
        fclose(f);
    }
    char *text = malloc(size + 1);
    if (text == NULL) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *set[MAX_LINES];
    size_t n = 0;
    tyche_scenario_options opt = {NULL, 0, set, 0, NULL};
    for (char *line = text, *next; line && n < MAX_LINES; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (strncmp(line, "as_of=", 6) == 0) opt.as_of = line + 6;
        else set[n++] = line;
    }
    opt.n_set = n;
    tyche_err err;
    tyche_scenario *s = tyche_scenario_parse_with(article, article_len,
                                                  TYCHE_SOURCE_DIR "/models/article.json", &opt, &err);
    if (s) {
        fuzz_run_briefly(s, 16);
        tyche_scenario_free(s);
    }
    free(text);
    return 0;
}
