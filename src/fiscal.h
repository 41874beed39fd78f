/* Fiscal calendars: quarter names such as FY2028Q4 and their period ends,
 * computed from the rule, not typed in.
 *
 * The 52/53-week rule (Nvidia's): the fiscal year FYn ends on the last
 * Sunday of January of calendar year n; Q1-Q3 end 13, 26 and 39 weeks after
 * the previous year's end; Q4 ends with the year (14 weeks in a 53-week
 * year). */
#ifndef TYCHE_FISCAL_H
#define TYCHE_FISCAL_H

#include "tyche/common.h"

/* A quarter as a single index: 4 * year + (q - 1). */
typedef int32_t tyche_quarter;

/* Parses "FY2028Q4".  Returns 1 on success. */
int tyche_quarter_parse(const char *s, tyche_quarter *out);
/* Writes "FY2028Q4" (at least 9 bytes). */
void tyche_quarter_format(tyche_quarter q, char *buf, size_t len);
/* Period end (days since 1970-01-01) under the last-Sunday-of-January rule. */
int32_t tyche_quarter_end(tyche_quarter q);

#endif
