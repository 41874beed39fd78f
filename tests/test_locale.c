/* Numbers parse (and results come out) the same under a comma-decimal
 * locale: run by tests/cli/locale.sh with TYCHE_TEST_LOCALE set to a
 * de_DE.UTF-8 locale it compiled; without it the test has nothing to do. */
#include <locale.h>
#include <stdlib.h>
#include <cjson/cJSON.h>
#include "scenario_impl.h"
#include "test.h"

static tyche_results *run_article(tyche_scenario **s, tyche_err *err) {
    *s = tyche_scenario_load(TYCHE_SOURCE_DIR "/models/article.json", err);
    if (*s == NULL) return NULL;
    tyche_run_config cfg;
    tyche_run_config_init(&cfg);
    cfg.trials = 3000;
    cfg.seed = 5;
    cfg.threads = 2;
    cfg.rng = NULL;
    cfg.store = TYCHE_STORE_OUTPUTS;
    return tyche_run(*s, &cfg, err);
}

TEST(numbers_parse_the_same_under_a_comma_decimal_locale) {
    const char *loc = getenv("TYCHE_TEST_LOCALE");
    if (loc == NULL) return; /* tests/cli/locale.sh sets it */
    tyche_err err;
    tyche_scenario *a, *b;
    tyche_results *ra = run_article(&a, &err);
    ASSERT(ra != NULL);
    char *text_c = tyche_summary_json_string(a, ra, NULL);
    ASSERT(setlocale(LC_ALL, loc) != NULL);
    ASSERT_STR_EQ(localeconv()->decimal_point, ",");
    tyche_results *rb = run_article(&b, &err);
    if (rb == NULL) FAIL_("under %s: %s", loc, err.msg);
    for (size_t p = 0; p < a->n_params; p++) {
        ASSERT_DBL_IDENTICAL(a->params[p].prior.p[0], b->params[p].prior.p[0]);
        ASSERT_DBL_IDENTICAL(a->params[p].prior.p[1], b->params[p].prior.p[1]);
    }
    for (size_t o = 0; o < a->n_outputs; o++)
        ASSERT(memcmp(tyche_results_output_column(ra, o), tyche_results_output_column(rb, o),
                      3000 * sizeof(double)) == 0);
    /* the summary is the same JSON ('.' decimals), runtime aside */
    char *text = tyche_summary_json_string(b, rb, NULL);
    setlocale(LC_ALL, "C");
    ASSERT(text != NULL && text_c != NULL);
    cJSON *j = cJSON_Parse(text), *jc = cJSON_Parse(text_c);
    ASSERT(j != NULL && jc != NULL);
    const char *keys[] = {"statements", "outputs", "events", "joint"};
    for (size_t k = 0; k < 4; k++)
        ASSERT(cJSON_Compare(cJSON_GetObjectItem(j, keys[k]), cJSON_GetObjectItem(jc, keys[k]), 1));
    cJSON_Delete(j);
    cJSON_Delete(jc);
    free(text);
    free(text_c);
    tyche_results_free(ra);
    tyche_results_free(rb);
    tyche_scenario_free(a);
    tyche_scenario_free(b);
}
