/*
 * US federal holidays and business-day arithmetic (see calendar.h for the rules and the choice
 * of UTC dates). Holidays are computed, not tabulated, so every year in the supported range is
 * right without a table to maintain; test_calendar checks the rules against hand-worked dates
 * and every year's count.
 */
#include "domain/calendar.h"

#include <stddef.h>

#include "domain/civil.h"

/* Day number of the n-th (1-based) weekday wd of year-month. */
static int64_t
nth_weekday(int64_t year, int month, enum cp_weekday wd, int n)
{
    int64_t first = cp_civil_days_from(year, month, 1);
    int64_t ahead = cp_civil_floor_mod((int64_t)wd - cp_civil_weekday(first), 7);
    return first + ahead + 7 * (int64_t)(n - 1);
}

/* Day number of the last weekday wd of year-month. */
static int64_t
last_weekday(int64_t year, int month, enum cp_weekday wd)
{
    int64_t last = cp_civil_days_from(year, month, cp_civil_days_in_month(year, month));
    return last - cp_civil_floor_mod(cp_civil_weekday(last) - (int64_t)wd, 7);
}

/* A fixed-date holiday moves off the weekend: Saturday to the Friday before, Sunday to the
 * Monday after (5 U.S.C. 6103(b)). */
static int64_t
observed(int64_t day)
{
    switch (cp_civil_weekday(day)) {
    case CP_SATURDAY:
        return day - 1;
    case CP_SUNDAY:
        return day + 1;
    default:
        return day;
    }
}

#define MAX_HOLIDAYS 11

/*
 * The observed holidays of year (day numbers, unordered) into out; returns how many. The
 * observed New Year's Day of year can fall on December 31 of year - 1: it is still returned
 * here, and callers asking about a December 31 also look at the next year.
 */
static int
holidays_of(int64_t year, int64_t out[MAX_HOLIDAYS])
{
    int n = 0;
    out[n++] = observed(cp_civil_days_from(year, 1, 1));
    /* Designated in 1983, first observed in 1986. */
    if (year >= 1986)
        out[n++] = nth_weekday(year, 1, CP_MONDAY, 3);
    out[n++] = nth_weekday(year, 2, CP_MONDAY, 3);
    out[n++] = last_weekday(year, 5, CP_MONDAY);
    /* Juneteenth National Independence Day Act, signed 2021-06-17; first observed that year
     * on Friday June 18 because the 19th was a Saturday. */
    if (year >= 2021)
        out[n++] = observed(cp_civil_days_from(year, 6, 19));
    out[n++] = observed(cp_civil_days_from(year, 7, 4));
    out[n++] = nth_weekday(year, 9, CP_MONDAY, 1);
    out[n++] = nth_weekday(year, 10, CP_MONDAY, 2);
    /* The Uniform Monday Holiday Act moved Veterans Day to the 4th Monday of October from 1971;
     * Pub. L. 94-97 returned it to November 11 from 1978. */
    if (year <= 1977)
        out[n++] = nth_weekday(year, 10, CP_MONDAY, 4);
    else
        out[n++] = observed(cp_civil_days_from(year, 11, 11));
    out[n++] = nth_weekday(year, 11, CP_THURSDAY, 4);
    out[n++] = observed(cp_civil_days_from(year, 12, 25));
    return n;
}

static bool
in_range(int64_t year)
{
    return year >= CP_CALENDAR_MIN_YEAR && year <= CP_CALENDAR_MAX_YEAR;
}

/* day lies in year; is it an observed holiday? */
static bool
holiday_day(int64_t year, int64_t day)
{
    int64_t h[MAX_HOLIDAYS];
    int n = holidays_of(year, h);
    for (int i = 0; i < n; i++)
        if (h[i] == day)
            return true;
    /* January 1 of the next year on a Saturday is observed on this year's December 31. */
    return observed(cp_civil_days_from(year + 1, 1, 1)) == day;
}

static bool
business_day(int64_t year, int64_t day)
{
    enum cp_weekday wd = cp_civil_weekday(day);
    return wd != CP_SATURDAY && wd != CP_SUNDAY && !holiday_day(year, day);
}

bool
cp_us_federal_holiday(int year, int month, int day)
{
    if (!in_range(year) || !cp_civil_valid(year, month, day))
        return false;
    return holiday_day(year, cp_civil_days_from(year, month, day));
}

bool
cp_business_day(int year, int month, int day)
{
    if (!in_range(year) || !cp_civil_valid(year, month, day))
        return false;
    return business_day(year, cp_civil_days_from(year, month, day));
}

bool
cp_business_days_add(int64_t from_ms, int n, int64_t *out_ms)
{
    if (n < 0 || out_ms == NULL)
        return false;
    int64_t day = cp_civil_floor_div(from_ms, CP_CIVIL_DAY_MS);
    int64_t ms_of_day = from_ms - day * CP_CIVIL_DAY_MS;
    int64_t year;
    cp_civil_from_days(day, &year, NULL, NULL);
    if (!in_range(year))
        return false;
    /* One day at a time: at most about 2.9 million steps before the year check stops it, and
     * real callers ask for ten. */
    for (int counted = 0; counted < n;) {
        day++;
        cp_civil_from_days(day, &year, NULL, NULL);
        if (!in_range(year))
            return false;
        if (business_day(year, day))
            counted++;
    }
    *out_ms = day * CP_CIVIL_DAY_MS + ms_of_day;
    return true;
}
