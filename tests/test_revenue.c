/* revenue_slowdown and the fiscal calendar against closed forms:
 *  - period ends as listed in models/README.md and every row of the data file;
 *  - with no displacement (a = 0) and fixed parameters, log-growth at
 *    horizon h has mean g_inf + phi^h (g_0 - g_inf) and variance
 *    sigma^2 (1 - phi^(2h)) / (1 - phi^2), and the counterfactual equals
 *    the baseline bit for bit;
 *  - with no noise, the displacement equals the logistic formula;
 *  - with Student-t shocks (nu_g), one quarter's log-growth has the t's
 *    quantiles (scale sigma_g) and the next its variance; a huge nu_g gives
 *    the normal model's paths (the same normals, divided by ~1).
 * Fixed seeds; 4 standard errors. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include "fiscal.h"
#include "scenario_impl.h"
#include "scen.h"
#include "test.h"

#define DATA TYCHE_SOURCE_DIR "/models/data/nvidia_data_center_revenue.csv"

static int32_t day(int y, int m, int d) { return tyche_date_from_ymd(y, m, d); }

TEST(fiscal_quarters_end_where_the_models_readme_says) {
    static const struct { const char *q; int y, m, d; } ends[] = {
        {"FY2026Q4", 2026, 1, 25}, {"FY2027Q1", 2026, 4, 26}, {"FY2027Q2", 2026, 7, 26},
        {"FY2027Q3", 2026, 10, 25}, {"FY2027Q4", 2027, 1, 31}, {"FY2028Q1", 2027, 5, 2},
        {"FY2028Q2", 2027, 8, 1},  {"FY2028Q3", 2027, 10, 31}, {"FY2028Q4", 2028, 1, 30}};
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        tyche_quarter q;
        char back[16];
        ASSERT(tyche_quarter_parse(ends[i].q, &q));
        ASSERT_INT_EQ(tyche_quarter_end(q), day(ends[i].y, ends[i].m, ends[i].d));
        tyche_quarter_format(q, back, sizeof back);
        ASSERT_STR_EQ(back, ends[i].q);
    }
    /* FY2027 is a 53-week year: its Q4 has 14 weeks, FY2028's 13 */
    tyche_quarter q;
    tyche_quarter_parse("FY2027Q4", &q);
    ASSERT_INT_EQ(tyche_quarter_end(q) - tyche_quarter_end(q - 1), 98);
    ASSERT_INT_EQ(tyche_quarter_end(q + 4) - tyche_quarter_end(q + 3), 91);
    ASSERT(!tyche_quarter_parse("FY2028Q5", &q));
    ASSERT(!tyche_quarter_parse("2028Q4", &q));
}

TEST(every_period_end_in_the_data_file_matches_the_fiscal_calendar) {
    FILE *f = fopen(DATA, "r");
    ASSERT(f != NULL);
    char line[1024];
    int rows = 0;
    ASSERT(fgets(line, sizeof line, f) != NULL); /* header */
    while (fgets(line, sizeof line, f)) {
        char qs[16];
        int y, m, d;
        ASSERT(sscanf(line, "%15[^,],%d-%d-%d,", qs, &y, &m, &d) == 4);
        tyche_quarter q;
        ASSERT(tyche_quarter_parse(qs, &q));
        ASSERT_INT_EQ(tyche_quarter_end(q), day(y, m, d));
        rows++;
    }
    fclose(f);
    ASSERT_INT_EQ(rows, 17);
}

static tyche_scenario *revenue_scenario_with(const char *params, const char *as_of,
                                             const char *settings, tyche_err *err) {
    static char text[8192];
    snprintf(text, sizeof text,
             "{\"name\": \"r\", \"start\": \"2026-04-20\", \"horizon\": \"2028-01-31\", \"as_of\": \"%s\","
             " \"common_factor\": {\"name\": \"Z\"},"
             " \"models\": [{\"name\": \"revenue\", \"kind\": \"revenue_slowdown\","
             " \"settings\": {\"data\": \"%s\", \"target\": \"FY2028Q4\", \"reference\": \"FY2026Q4\","
             " \"also_at\": [\"FY2028Q3\"]%s}, \"params\": {%s}}],"
             " \"statements\": [{\"id\": \"P3\", \"text\": \"t\", \"rule\": "
             "{\"value\": \"revenue.slowdown_pp\", \"between\": [5, 8]}}]}",
             as_of, DATA, settings, params);
    return tyche_scenario_parse(text, strlen(text), "test.json", err);
}

static tyche_scenario *revenue_scenario(const char *params, const char *as_of, tyche_err *err) {
    return revenue_scenario_with(params, as_of, "", err);
}

static tyche_results *run_paths(const tyche_scenario *s, uint64_t n, uint64_t seed) {
    return run_trials(s, n, seed, 2, TYCHE_STORE_PATHS);
}

TEST(without_displacement_log_growth_follows_the_ar1_closed_forms) {
    tyche_err err;
    tyche_scenario *s = revenue_scenario(
        "\"g_inf\": 0.04, \"phi\": 0.6, \"sigma_g\": 0.05, \"s_max\": 0.6, \"k\": 1.2,"
        "\"t_mid\": 2027, \"beta_tz\": 0.25, \"a\": 0", "2026-04-20", &err);
    ASSERT(s != NULL);
    const uint64_t n = 40000;
    tyche_results *r = run_paths(s, n, 31);
    ASSERT(r != NULL);
    tyche_path_info pi;
    tyche_scenario_path(s, 0, &pi);
    ASSERT_INT_EQ(pi.n_points, 16 + 8);  /* FY2023Q1..FY2026Q4 history, 8 simulated */
    ASSERT_STR_EQ(pi.labels[15], "FY2026Q4");
    ASSERT_STR_EQ(pi.labels[23], "FY2028Q4");
    const double *rev = tyche_results_path(r, 0), *cf = tyche_results_path(r, 1);
    /* a = 0: the counterfactual is the baseline, bit for bit */
    ASSERT(memcmp(rev, cf, n * pi.n_points * sizeof(double)) == 0);
    const double g0 = log(62.3 / 51.2), gi = 0.04, phi = 0.6, sg = 0.05;
    for (size_t h = 1; h <= 8; h++) {
        double sum = 0, sum2 = 0;
        for (uint64_t i = 0; i < n; i++) {
            const double *row = rev + i * pi.n_points;
            const double g = log(row[15 + h] / row[14 + h]);
            sum += g;
            sum2 += g * g;
        }
        const double mean = sum / n, var = (sum2 - n * mean * mean) / (n - 1);
        const double want_mean = gi + pow(phi, (double)h) * (g0 - gi);
        const double want_var = sg * sg * (1 - pow(phi, 2.0 * h)) / (1 - phi * phi);
        ASSERT_NEAR(mean, want_mean, 4 * sqrt(want_var / n));
        /* sample variance of normals: sd about var sqrt(2 / (n - 1)) */
        ASSERT_NEAR(var, want_var, 4 * want_var * sqrt(2.0 / (n - 1)));
    }
    /* and no displacement in any trial */
    const double *disp = tyche_results_output_column(r, tyche_scenario_find_output(s, "revenue.displacement_pp"));
    for (uint64_t i = 0; i < n; i++) ASSERT_DBL_IDENTICAL(disp[i], 0.0);
    tyche_results_free(r);
    tyche_scenario_free(s);
}

TEST(without_noise_the_displacement_is_the_logistic_formula) {
    tyche_err err;
    tyche_scenario *s = revenue_scenario(
        "\"g_inf\": 0.04, \"phi\": 0.6, \"sigma_g\": 0, \"s_max\": 0.6, \"k\": 1.2,"
        "\"t_mid\": 2027, \"beta_tz\": 0.25, \"a\": 0.12", "2026-04-20", &err);
    ASSERT(s != NULL);
    const uint64_t n = 500;
    tyche_results *r = run_paths(s, n, 32);
    ASSERT(r != NULL);
    const double *z = tyche_results_param_column(r, s->common);
    const double *rev = tyche_results_path(r, 0), *cf = tyche_results_path(r, 1);
    const double *disp = tyche_results_output_column(r, tyche_scenario_find_output(s, "revenue.displacement_pp"));
    const double t0 = tyche_date_decimal_year(day(2026, 1, 25));
    const double t3 = tyche_date_decimal_year(day(2027, 10, 31)), t4 = tyche_date_decimal_year(day(2028, 1, 30));
    /* the baseline path, by hand: g_h = g_inf + phi^h (g0 - g_inf), no noise */
    double base[9];
    base[0] = 62.3;
    for (int h = 1; h <= 8; h++)
        base[h] = base[h - 1] * exp(0.04 + pow(0.6, h) * (log(62.3 / 51.2) - 0.04));
    for (uint64_t i = 0; i < n; i++) {
        const double mid = 2027 - 0.25 * z[i];
        const double s0 = 0.6 / (1 + exp(-1.2 * (t0 - mid)));
        const double l3 = 0.12 * fmax(0, 0.6 / (1 + exp(-1.2 * (t3 - mid))) - s0) / (1 - s0);
        const double l4 = 0.12 * fmax(0, 0.6 / (1 + exp(-1.2 * (t4 - mid))) - s0) / (1 - s0);
        const double *row = rev + i * 24, *crow = cf + i * 24;
        ASSERT_NEAR(crow[23], base[8], 1e-9 * base[8]);
        ASSERT_NEAR(row[23] / crow[23], 1 - l4, 1e-14);
        ASSERT_NEAR(row[22] / crow[22], 1 - l3, 1e-14);
        const double g = base[8] * (1 - l4) / (base[7] * (1 - l3)) - 1, gcf = base[8] / base[7] - 1;
        ASSERT_NEAR(disp[i], 100 * (gcf - g), 1e-9);
    }
    tyche_results_free(r);
    tyche_scenario_free(s);
}

/* The case: FY2027Q1 ended 2026-04-26 and was published on
 * 2026-05-20; as of 2026-04-27 it is not known yet, so it is simulated. */
TEST(a_quarter_is_history_once_published_not_once_ended) {
    static const char *const dates[] = {"2026-04-27", "2026-05-19", "2026-05-20"};
    for (int k = 0; k < 3; k++) {
        tyche_err err;
        tyche_scenario *s = revenue_scenario(
            "\"g_inf\": 0.04, \"phi\": 0.6, \"sigma_g\": 0.05, \"s_max\": 0.6, \"k\": 1.2,"
            "\"t_mid\": 2027, \"beta_tz\": 0.25, \"a\": 0.12", dates[k], &err);
        if (s == NULL) FAIL_("%s", err.msg);
        tyche_path_info pi;
        tyche_scenario_path(s, 0, &pi);
        ASSERT_INT_EQ(pi.n_points, 16 + 8); /* 16 quarters of history or 17, then to FY2028Q4 */
        tyche_results *r = run_paths(s, 50, 33);
        ASSERT(r != NULL);
        const double *rev = tyche_results_path(r, 0);
        int same = 1; /* FY2027Q1 at its published value in every trial: history */
        for (uint64_t i = 0; i < 50; i++) same &= rev[i * 24 + 16] == 75.2;
        ASSERT_INT_EQ(same, k == 2);
        tyche_results_free(r);
        tyche_scenario_free(s);
    }
}

TEST(as_of_moves_published_quarters_into_history) {
    tyche_err err;
    tyche_scenario *s = revenue_scenario(
        "\"g_inf\": 0.04, \"phi\": 0.6, \"sigma_g\": 0.05, \"s_max\": 0.6, \"k\": 1.2,"
        "\"t_mid\": 2027, \"beta_tz\": 0.25, \"a\": 0.12", "2026-06-01", &err);
    ASSERT(s != NULL);
    tyche_results *r = run_paths(s, 100, 33);
    ASSERT(r != NULL);
    const double *rev = tyche_results_path(r, 0);
    tyche_path_info pi;
    tyche_scenario_path(s, 0, &pi);
    ASSERT_INT_EQ(pi.n_points, 17 + 7); /* FY2027Q1 is history now: 7 quarters simulated */
    ASSERT_STR_EQ(pi.labels[16], "FY2027Q1");
    for (uint64_t i = 0; i < 100; i++) ASSERT_DBL_IDENTICAL(rev[i * 24 + 16], 75.2);
    tyche_results_free(r);
    tyche_scenario_free(s);
    /* a data file whose period ends disagree with the calendar is refused */
    FILE *f = fopen("bad_calendar.csv", "w");
    fputs("fiscal_quarter,period_end,published,data_center_usd_b\nFY2026Q3,2025-10-26,2025-11-19,51.2\n"
          "FY2026Q4,2026-01-26,2026-02-25,62.3\n", f);
    fclose(f);
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\": \"r\", \"start\": \"2026-04-20\", \"horizon\": \"2028-01-31\","
             " \"common_factor\": {\"name\": \"Z\"},"
             " \"models\": [{\"name\": \"revenue\", \"kind\": \"revenue_slowdown\","
             " \"settings\": {\"data\": \"bad_calendar.csv\", \"target\": \"FY2028Q4\", \"reference\": \"FY2026Q4\"},"
             " \"params\": {\"g_inf\": 0.04, \"phi\": 0.6, \"sigma_g\": 0.05, \"s_max\": 0.6, \"k\": 1.2,"
             " \"t_mid\": 2027, \"beta_tz\": 0.25, \"a\": 0.1}}], \"statements\": []}");
    s = tyche_scenario_parse(text, strlen(text), "./x.json", &err);
    remove("bad_calendar.csv");
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err.msg, "line 3: FY2026Q4 ends on 2026-01-25 by the fiscal calendar");
    /* nor one whose quarters share a publication day: a backtest origin as of
     * that day would have the next quarter's figure as history */
    f = fopen("bad_calendar.csv", "w");
    fputs("fiscal_quarter,period_end,published,data_center_usd_b\nFY2026Q3,2025-10-26,2026-02-25,51.2\n"
          "FY2026Q4,2026-01-25,2026-02-25,62.3\n", f);
    fclose(f);
    s = tyche_scenario_parse(text, strlen(text), "./x.json", &err);
    remove("bad_calendar.csv");
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err.msg, "line 3: FY2026Q4 is published (2026-02-25) on or before the day the quarter above it was");
}

#define FIXED_NO_DISPLACEMENT \
    "\"g_inf\": 0.04, \"phi\": 0.6, \"sigma_g\": 0.05, \"s_max\": 0.6, \"k\": 1.2," \
    "\"t_mid\": 2027, \"beta_tz\": 0.25, \"a\": 0"

static int cmp_d(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

TEST(student_t_shocks_have_the_t_quantiles) {
    tyche_err err;
    const double nu = 4, g0 = log(62.3 / 51.2), gi = 0.04, phi = 0.6, sg = 0.05;
    tyche_scenario *s = revenue_scenario_with(FIXED_NO_DISPLACEMENT, "2026-04-20", ", \"nu_g\": 4", &err);
    ASSERT(s != NULL);
    const uint64_t n = 40000;
    tyche_results *r = run_paths(s, n, 37);
    ASSERT(r != NULL);
    tyche_path_info pi;
    tyche_scenario_path(s, 0, &pi);
    const double *rev = tyche_results_path(r, 0);
    double *g1 = malloc(n * sizeof *g1), sum2 = 0;
    for (uint64_t i = 0; i < n; i++) {
        const double *row = rev + i * pi.n_points;
        /* the standardised first shock, and the second quarter's own shock */
        g1[i] = (log(row[16] / row[15]) - gi - phi * (g0 - gi)) / sg;
        const double e2 = log(row[17] / row[16]) - gi - phi * (log(row[16] / row[15]) - gi);
        sum2 += e2 * e2;
    }
    qsort(g1, n, sizeof *g1, cmp_d);
    static const double lv[] = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99};
    for (size_t k = 0; k < sizeof lv / sizeof lv[0]; k++) {
        const double q = gsl_cdf_tdist_Pinv(lv[k], nu);
        /* a sample quantile's se: sqrt(p (1 - p) / n) / density */
        const double se = sqrt(lv[k] * (1 - lv[k]) / n) / gsl_ran_tdist_pdf(q, nu);
        ASSERT_NEAR(g1[(size_t)(lv[k] * n)], q, 4 * se);
    }
    /* a normal's 1% quantile is -2.33, the t(4)'s -3.75: the tails are the t's */
    ASSERT(g1[(size_t)(0.01 * n)] < -3.2);
    /* E e2^2 = sg^2 nu / (nu - 2); the t(4)'s fourth moment is infinite, so
     * only a loose check: within 15% */
    ASSERT_NEAR(sum2 / n, sg * sg * nu / (nu - 2), 0.15 * sg * sg * nu / (nu - 2));
    free(g1);
    tyche_results_free(r);
    tyche_scenario_free(s);
}

TEST(a_huge_nu_g_gives_the_normal_models_paths) {
    tyche_err err;
    tyche_scenario *a = revenue_scenario(FIXED_NO_DISPLACEMENT, "2026-04-20", &err);
    tyche_scenario *b = revenue_scenario_with(FIXED_NO_DISPLACEMENT, "2026-04-20", ", \"nu_g\": 1e12", &err);
    ASSERT(a != NULL && b != NULL);
    const uint64_t n = 2000;
    tyche_results *ra = run_paths(a, n, 41), *rb = run_paths(b, n, 41);
    ASSERT(ra != NULL && rb != NULL);
    tyche_path_info pi;
    tyche_scenario_path(a, 0, &pi);
    const double *x = tyche_results_path(ra, 0), *y = tyche_results_path(rb, 0);
    int differ = 0;
    for (size_t i = 0; i < n * pi.n_points; i++) {
        ASSERT_NEAR(y[i], x[i], 1e-4 * x[i]);
        differ |= x[i] != y[i];
    }
    ASSERT(differ); /* and the chi-squares were drawn */
    tyche_results_free(ra);
    tyche_results_free(rb);
    tyche_scenario_free(a);
    tyche_scenario_free(b);
}

TEST(nu_g_must_be_a_number_above_2) {
    tyche_err err;
    ASSERT(revenue_scenario_with(FIXED_NO_DISPLACEMENT, "2026-04-20", ", \"nu_g\": 0", &err) == NULL);
    ASSERT_STR_CONTAINS(err.msg, "nu_g: the growth shocks' degrees of freedom must be above 2");
    /* 0.01 once made every revenue output missing without a word */
    ASSERT(revenue_scenario_with(FIXED_NO_DISPLACEMENT, "2026-04-20", ", \"nu_g\": 0.01", &err) == NULL);
    ASSERT(revenue_scenario_with(FIXED_NO_DISPLACEMENT, "2026-04-20", ", \"nu_g\": 2", &err) == NULL);
    ASSERT(revenue_scenario_with(FIXED_NO_DISPLACEMENT, "2026-04-20", ", \"nu_g\": \"5\"", &err) == NULL);
    ASSERT_STR_CONTAINS(err.msg, "nu_g: expected a number");
}
