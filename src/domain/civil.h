/*
 * Civil (proleptic Gregorian) date arithmetic on day numbers: days since 1970-01-01, the same
 * epoch as Unix time, so an instant's date is just floor(seconds / 86400). The business-day
 * calendar (calendar.c) and the time zone rules (tzif.c) share these helpers so that there is
 * one implementation of "which day is it" in the domain layer. The algorithms are Howard
 * Hinnant's days-from-civil / civil-from-days (public domain arithmetic, the same as
 * core/time.c), exact for every year an int64 day count can hold; no locale, no tz database,
 * no I/O, thread-safe.
 */
#ifndef CP_DOMAIN_CIVIL_H
#define CP_DOMAIN_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

#define CP_CIVIL_DAY_S 86400
#define CP_CIVIL_DAY_MS 86400000LL

/* Weekdays as returned by cp_civil_weekday: 0 = Sunday .. 6 = Saturday (POSIX TZ numbering). */
enum cp_weekday {
    CP_SUNDAY = 0,
    CP_MONDAY,
    CP_TUESDAY,
    CP_WEDNESDAY,
    CP_THURSDAY,
    CP_FRIDAY,
    CP_SATURDAY
};

/* floor(a / b) and the matching non-negative remainder, for b > 0 (C's / truncates toward 0). */
int64_t cp_civil_floor_div(int64_t a, int64_t b);
int64_t cp_civil_floor_mod(int64_t a, int64_t b);

/* True for Gregorian leap years (divisible by 4, except centuries not divisible by 400). */
bool cp_civil_is_leap(int64_t year);
/* Days in month (1..12) of year; 0 for a month out of range. */
int cp_civil_days_in_month(int64_t year, int month);

/* Day number (days since 1970-01-01) of year-month-day. month 1..12 and day 1..31 are the
 * caller's to check (cp_civil_valid); out-of-range values give a meaningless number, never UB,
 * for |year| below 2^40. */
int64_t cp_civil_days_from(int64_t year, int month, int day);
/* Inverse of cp_civil_days_from. Any out pointer may be NULL. */
void cp_civil_from_days(int64_t days, int64_t *out_year, int *out_month, int *out_day);
/* True if year-month-day names a real date. */
bool cp_civil_valid(int64_t year, int month, int day);
/* Weekday of a day number (1970-01-01 was a Thursday). */
enum cp_weekday cp_civil_weekday(int64_t days);

#endif
