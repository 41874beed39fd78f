/* How the JSON files spell numbers (tyche_json_format_number and
 * tyche_json_print): the shortest of %.15g, %.16g and %.17g that reads back
 * to the same double, '.' under any locale, the layout otherwise cJSON's. */
#include <float.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <cjson/cJSON.h>
#include "json_util.h"
#include "test.h"

/* out reads back (strtod, "C" locale) to exactly x, sign of zero included */
static int reads_back(const char *out, double x) {
    char *end;
    const double y = strtod(out, &end);
    return *end == '\0' && memcmp(&x, &y, sizeof x) == 0;
}

TEST(json_numbers_known_spellings) {
    static const struct {
        double x;
        const char *want;
    } cases[] = {
        {0.1, "0.1"},
        {1.0 / 3, "0.3333333333333333"},     /* 16 digits; cJSON: 0.33333333333333331 */
        {0.1 + 0.2, "0.30000000000000004"},  /* 17; cJSON: 0.3, which is another double */
        {0.00945, "0.00945"},                /* the forecast log's %.17g: 0.0094500000000000001 */
        {3.84e-05, "3.84e-05"},
        {1e-300, "1e-300"},
        {5e-324, "5e-324"},                  /* the least subnormal; %.15g: 4.94065645841247e-324 */
        {1e21, "1e+21"},
        {0, "0"},
        {-0.0, "-0"},
        {3, "3"},
        {-42, "-42"},
        {200000, "200000"},
        {20260101, "20260101"},
        {9007199254740992.0, "9007199254740992"}, /* 2^53; cJSON: 9.00719925474099e+15 */
        {12345678901234570.0, "12345678901234570"}, /* %.17g, shorter than %.16g's exponent */
        {DBL_MAX, "1.7976931348623157e+308"},
        {DBL_MIN, "2.2250738585072014e-308"},
        {NAN, "null"},
        {INFINITY, "null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[TYCHE_NUMBER_CHARS];
        const size_t n = tyche_json_format_number(cases[i].x, out);
        ASSERT_STR_EQ(out, cases[i].want);
        ASSERT_INT_EQ(n, strlen(out));
        if (isfinite(cases[i].x) && !reads_back(out, cases[i].x))
            FAIL_("%s does not read back to %.17g", out, cases[i].x);
    }
}

/* xorshift64*: reproducible bit patterns without the library's generators */
static uint64_t next_bits(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

TEST(json_numbers_random_doubles_read_back_and_are_never_longer) {
    uint64_t state = 20261201;
    for (int i = 0; i < 6000; i++) {
        double x;
        const uint64_t b = next_bits(&state);
        if (i % 3 == 0) {
            memcpy(&x, &b, sizeof x); /* any bit pattern: every exponent, subnormals */
            if (!isfinite(x)) continue;
        } else if (i % 3 == 1) {
            x = (double)(b >> 11) * 0x1p-53; /* a probability in [0, 1) */
        } else {
            x = (double)(b >> 11) * 0x1p-53 * 1e-4; /* a small one, as in the log */
        }
        char out[TYCHE_NUMBER_CHARS], ref[320]; /* %.*g with a variable precision: room for any */
        const size_t n = tyche_json_format_number(x, out);
        if (!reads_back(out, x)) FAIL_("%.17g written as %s, which reads back otherwise", x, out);
        /* no longer than %.17g, nor than any of %.15g and %.16g that reads back */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(ref, sizeof ref, "%.*g", prec, x);
            if (reads_back(ref, x) && n > strlen(ref))
                FAIL_("%.17g written as %s, longer than %%.%dg's %s", x, out, prec, ref);
        }
        /* and no fewer digits would do: %.(k-1)g of a spelling with k
         * significant digits does not read back */
        const char *m = out, *e = strchr(out, 'e');
        const char *stop = e ? e : out + n;
        while (m < stop && (*m == '-' || *m == '0' || *m == '.')) m++; /* 0.000123 */
        if (!strchr(out, '.') && !e)
            while (stop > m && stop[-1] == '0') stop--; /* 12345678901234570 */
        int digits = 0;
        for (const char *p = m; p < stop; p++) digits += *p >= '0' && *p <= '9';
        if (digits > 1) {
            snprintf(ref, sizeof ref, "%.*g", digits - 1, x);
            if (reads_back(ref, x)) FAIL_("%.17g written as %s, but %s reads back too", x, out, ref);
        }
    }
}

TEST(json_print_writes_numbers_shortest_and_keeps_the_layout) {
    const unsigned long long failures = tyche_alloc_failures();
    cJSON *root = cJSON_CreateObject();
    tyche_json_add(root, "p", cJSON_CreateNumber(1.0 / 3));
    cJSON *a = cJSON_CreateArray();
    tyche_json_push(a, cJSON_CreateNumber(0.1 + 0.2));
    tyche_json_push(a, cJSON_CreateNumber(0.00945));
    tyche_json_push(a, cJSON_CreateNumber(3));
    tyche_json_push(a, cJSON_CreateNull());
    tyche_json_add(root, "ci95", a);
    cJSON *o = cJSON_CreateObject();
    tyche_json_add(o, "text", cJSON_CreateString("a \"quoted\" 0.1"));
    tyche_json_add(o, "inner", cJSON_CreateNumber(1e21));
    tyche_json_add(root, "o", o);
    tyche_json_add(root, "empty", cJSON_CreateObject());
    char *text = tyche_json_print(root, failures, 0);
    ASSERT(text != NULL);
    ASSERT_STR_EQ(text, "{\n"
                        "\t\"p\":\t0.3333333333333333,\n"
                        "\t\"ci95\":\t[0.30000000000000004, 0.00945, 3, null],\n"
                        "\t\"o\":\t{\n"
                        "\t\t\"text\":\t\"a \\\"quoted\\\" 0.1\",\n"
                        "\t\t\"inner\":\t1e+21\n"
                        "\t},\n"
                        "\t\"empty\":\t{\n"
                        "\t}\n"
                        "}");
    /* what cJSON reads back is the same double */
    cJSON *back = cJSON_Parse(text);
    ASSERT(back != NULL);
    const double p = cJSON_GetObjectItem(back, "p")->valuedouble;
    const double x = cJSON_GetArrayItem(cJSON_GetObjectItem(back, "ci95"), 0)->valuedouble;
    cJSON_Delete(back);
    free(text);
    ASSERT_DBL_IDENTICAL(p, 1.0 / 3);
    ASSERT_DBL_IDENTICAL(x, 0.1 + 0.2);

    root = cJSON_CreateNumber(0.1 + 0.2); /* a bare number, compact */
    text = tyche_json_print(root, tyche_alloc_failures(), 1);
    ASSERT(text != NULL);
    ASSERT_STR_EQ(text, "0.30000000000000004");
    free(text);
}

/* Under a comma-decimal locale the spelling is the same ('.'): run with
 * TYCHE_TEST_LOCALE (and LOCPATH) naming one, as tests/cli/locale.sh
 * makes; without it the test has nothing to do. */
TEST(json_numbers_use_a_point_under_a_comma_locale) {
    const char *loc = getenv("TYCHE_TEST_LOCALE");
    if (loc == NULL) return;
    ASSERT(setlocale(LC_ALL, loc) != NULL);
    const int comma = strcmp(localeconv()->decimal_point, ",") == 0;
    char a[TYCHE_NUMBER_CHARS], b[TYCHE_NUMBER_CHARS], c[TYCHE_NUMBER_CHARS];
    tyche_json_format_number(1.0 / 3, a);
    tyche_json_format_number(3.84e-05, b);
    tyche_json_format_number(0.1 + 0.2, c);
    setlocale(LC_ALL, "C");
    ASSERT(comma);
    ASSERT_STR_EQ(a, "0.3333333333333333");
    ASSERT_STR_EQ(b, "3.84e-05");
    ASSERT_STR_EQ(c, "0.30000000000000004");
}
