/* Civil-date arithmetic (H. Hinnant's days_from_civil algorithm): exact,
 * branch-light and independent of the C library's time zone or locale. */
#include <stdio.h>
#include <string.h>
#include "tyche/date.h"

int32_t tyche_date_from_ymd(int y, int m, int d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tyche_date_to_ymd(int32_t days, int *y, int *m, int *d) {
    int32_t z = days + 719468;
    const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int32_t doe = z - era * 146097;
    const int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int32_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m) {
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return dm[m - 1] + (m == 2 && leap);
}

tyche_status tyche_date_parse(const char *s, int32_t *out, const char *where, tyche_err *err) {
    int y, m, d;
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected a date as YYYY-MM-DD, got \"%s\"",
                             where, s ? s : "");
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s: expected a date as YYYY-MM-DD, got \"%s\"", where, s);
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: \"%s\" is not a calendar date", where, s);
    *out = tyche_date_from_ymd(y, m, d);
    return TYCHE_OK;
}

void tyche_date_format(int32_t days, char buf[11]) {
    int y, m, d;
    tyche_date_to_ymd(days, &y, &m, &d);
    if (y < 0 || y > 9999) y = 0;
    buf[0] = (char)('0' + y / 1000);
    buf[1] = (char)('0' + y / 100 % 10);
    buf[2] = (char)('0' + y / 10 % 10);
    buf[3] = (char)('0' + y % 10);
    buf[4] = '-';
    buf[5] = (char)('0' + m / 10);
    buf[6] = (char)('0' + m % 10);
    buf[7] = '-';
    buf[8] = (char)('0' + d / 10);
    buf[9] = (char)('0' + d % 10);
    buf[10] = '\0';
}

double tyche_date_decimal_year(double days) {
    int y, m, d;
    int32_t whole = (int32_t)days;
    if ((double)whole > days) whole--;
    tyche_date_to_ymd(whole, &y, &m, &d);
    const int32_t y0 = tyche_date_from_ymd(y, 1, 1), y1 = tyche_date_from_ymd(y + 1, 1, 1);
    return y + (days - y0) / (double)(y1 - y0);
}

int32_t tyche_date_next_month(int32_t days) {
    int y, m, d;
    tyche_date_to_ymd(days, &y, &m, &d);
    return m == 12 ? tyche_date_from_ymd(y + 1, 1, 1) : tyche_date_from_ymd(y, m + 1, 1);
}
