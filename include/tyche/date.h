/* tyche: calendar dates and the time axis.
 *
 * Dates are proleptic Gregorian days since 1970-01-01 (int32).  Scenario
 * time is continuous, in days since the scenario's start date; an event
 * "by DATE" means at or before the end of that day, i.e. t <= day(DATE) + 1
 * - day(start). */
#ifndef TYCHE_DATE_H
#define TYCHE_DATE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TYCHE_DAYS_PER_YEAR 365.25

/* Days since 1970-01-01 of a valid civil date. */
TYCHE_API int32_t tyche_date_from_ymd(int y, int m, int d);
TYCHE_API void tyche_date_to_ymd(int32_t days, int *y, int *m, int *d);

/* Parses exactly "YYYY-MM-DD" (a real calendar date, years 1900..2999).
 * Returns TYCHE_OK or TYCHE_EINPUT with "<where>: ..." in err. */
TYCHE_API tyche_status tyche_date_parse(const char *s, int32_t *out, const char *where,
                                        tyche_err *err);

/* Writes "YYYY-MM-DD" (11 bytes with the NUL). */
TYCHE_API void tyche_date_format(int32_t days, char buf[11]);

/* Decimal year of a day (e.g. 2027.0 at 2027-01-01), used by logistic curves. */
TYCHE_API double tyche_date_decimal_year(double days);

/* First day of the month after the month holding `days`. */
TYCHE_API int32_t tyche_date_next_month(int32_t days);

#ifdef __cplusplus
}
#endif
#endif
