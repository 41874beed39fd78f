/* The 52/53-week fiscal calendar (see fiscal.h). */
#include <stdio.h>
#include <string.h>
#include "fiscal.h"
#include "tyche/date.h"

/* 1970-01-01 was a Thursday: weekday 0 = Sunday. */
static int weekday(int32_t day) { return (int)(((day % 7) + 7 + 4) % 7); }

static int32_t fiscal_year_end(int year) {
    const int32_t jan31 = tyche_date_from_ymd(year, 1, 31);
    return jan31 - weekday(jan31);
}

int32_t tyche_quarter_end(tyche_quarter q) {
    const int year = q / 4, k = q % 4;
    if (k == 3) return fiscal_year_end(year);
    return fiscal_year_end(year - 1) + 91 * (k + 1);
}

int tyche_quarter_parse(const char *s, tyche_quarter *out) {
    if (s == NULL || strlen(s) != 8 || s[0] != 'F' || s[1] != 'Y' || s[6] != 'Q') return 0;
    for (int i = 2; i < 6; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    if (s[7] < '1' || s[7] > '4') return 0;
    const int year = (s[2] - '0') * 1000 + (s[3] - '0') * 100 + (s[4] - '0') * 10 + (s[5] - '0');
    if (year < 1901 || year > 2999) return 0;
    *out = 4 * year + (s[7] - '1');
    return 1;
}

void tyche_quarter_format(tyche_quarter q, char *buf, size_t len) {
    snprintf(buf, len, "FY%04dQ%d", (int)(q / 4) % 10000, (int)(q % 4) + 1);
}
