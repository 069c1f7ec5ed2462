/*
 * Civil date arithmetic (see civil.h). Written out again rather than exported from core/time.c
 * because core keeps its helpers static and the domain layer must not reach into it; the
 * arithmetic is identical, and test_calendar checks it against core's RFC 3339 parser.
 */
#include "domain/civil.h"

#include <stddef.h>

int64_t
cp_civil_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int64_t
cp_civil_floor_mod(int64_t a, int64_t b)
{
    return a - cp_civil_floor_div(a, b) * b;
}

bool
cp_civil_is_leap(int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int
cp_civil_days_in_month(int64_t year, int month)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    if (month == 2 && cp_civil_is_leap(year))
        return 29;
    return dm[month - 1];
}

bool
cp_civil_valid(int64_t year, int month, int day)
{
    return month >= 1 && month <= 12 && day >= 1 && day <= cp_civil_days_in_month(year, month);
}

int64_t
cp_civil_days_from(int64_t year, int month, int day)
{
    /* Shift the year to start in March so the leap day is the last day of the "year". */
    int64_t y = year - (month <= 2);
    int64_t era = cp_civil_floor_div(y, 400);
    int64_t yoe = y - era * 400;                         /* [0, 399] */
    int64_t mp = (month + 9) % 12;                       /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + day - 1;          /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* [0, 146096] */
    return era * 146097 + doe - 719468; /* 719468 = days from 0000-03-01 to 1970-01-01 */
}

void
cp_civil_from_days(int64_t days, int64_t *out_year, int *out_month, int *out_day)
{
    int64_t z = days + 719468;
    int64_t era = cp_civil_floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    if (out_year != NULL)
        *out_year = yoe + era * 400 + (m <= 2);
    if (out_month != NULL)
        *out_month = m;
    if (out_day != NULL)
        *out_day = d;
}

enum cp_weekday
cp_civil_weekday(int64_t days)
{
    /* Day 0 (1970-01-01) was a Thursday. */
    return (enum cp_weekday)cp_civil_floor_mod(days + CP_THURSDAY, 7);
}
