/* The calendar: day numbers, parsing and month stepping. */
#include "test.h"
#include "tyche/date.h"

TEST(day_numbers_match_known_dates) {
    ASSERT_INT_EQ(tyche_date_from_ymd(1970, 1, 1), 0);
    ASSERT_INT_EQ(tyche_date_from_ymd(2000, 3, 1), 11017);   /* `date -d 2000-03-01 +%s` / 86400 */
    ASSERT_INT_EQ(tyche_date_from_ymd(2026, 4, 20), 20563);  /* `date -d 2026-04-20 +%s` / 86400 */
    /* 2027-06-30 is 436 days after 2026-04-20 */
    ASSERT_INT_EQ(tyche_date_from_ymd(2027, 6, 30) - tyche_date_from_ymd(2026, 4, 20), 436);
}

TEST(day_numbers_round_trip_over_two_centuries) {
    for (int32_t d = tyche_date_from_ymd(1900, 1, 1); d < tyche_date_from_ymd(2100, 1, 1); d++) {
        int y, m, dd;
        tyche_date_to_ymd(d, &y, &m, &dd);
        ASSERT_INT_EQ(tyche_date_from_ymd(y, m, dd), d);
    }
}

TEST(parsing_accepts_real_dates_and_names_the_place_of_bad_ones) {
    tyche_err err;
    int32_t d;
    ASSERT_INT_EQ(tyche_date_parse("2028-02-29", &d, "x.by", &err), TYCHE_OK);
    char buf[11];
    tyche_date_format(d, buf);
    ASSERT_STR_EQ(buf, "2028-02-29");
    const char *bad[] = {"2027-02-29", "2026-4-20", "2026-04-31", "20260420", "2026-13-01",
                         "abcd-ef-gh", "", "2026-04-20T00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_INT_EQ(tyche_date_parse(bad[i], &d, "models[0].settings.deadline", &err), TYCHE_EINPUT);
        ASSERT_STR_CONTAINS(err.msg, "models[0].settings.deadline");
    }
}

TEST(next_month_and_decimal_year) {
    char buf[11];
    tyche_date_format(tyche_date_next_month(tyche_date_from_ymd(2026, 12, 15)), buf);
    ASSERT_STR_EQ(buf, "2027-01-01");
    tyche_date_format(tyche_date_next_month(tyche_date_from_ymd(2026, 4, 1)), buf);
    ASSERT_STR_EQ(buf, "2026-05-01");
    ASSERT_NEAR(tyche_date_decimal_year(tyche_date_from_ymd(2027, 1, 1)), 2027.0, 1e-12);
    ASSERT_NEAR(tyche_date_decimal_year(tyche_date_from_ymd(2027, 7, 2) + 0.5), 2027.5, 1e-12);
}
