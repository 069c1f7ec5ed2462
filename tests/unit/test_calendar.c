/*
 * Unit tests for civil date arithmetic (domain/civil.c) and the US business-day calendar
 * (domain/calendar.c): observed federal holidays under 5 U.S.C. 6103, including the weekend
 * shifts across a year end, Juneteenth from 2021, the pre-1986 and 1971-1977 rules, whole-year
 * business-day counts checked against an independent count, and the ten-business-day
 * revocation deadline of 47 CFR 64.1200(a)(10) worked out by hand.
 */
#include "unit.h"

#include <stdio.h>

#include "core/time.h"
#include "core/util.h"
#include "domain/calendar.h"
#include "domain/civil.h"

/* Sakamoto's weekday (0 = Sunday), written independently of civil.c on purpose. */
static int
sakamoto(int y, int m, int d)
{
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    if (m < 3)
        y -= 1;
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

static int64_t
iso(const char *s)
{
    int64_t ms = 0;
    if (!cp_time_parse_iso(s, &ms))
        fail_msg("bad test date %s", s);
    return ms;
}

/* Ten business days after `from` must be `want` (both RFC 3339, UTC). */
static void
check_add(const char *from, int n, const char *want)
{
    int64_t out = 0;
    assert_true(cp_business_days_add(iso(from), n, &out));
    char got[CP_TIME_ISO_LEN];
    cp_time_format_iso(out, got);
    if (strcmp(got, want) != 0)
        fail_msg("%d business days after %s: got %s, want %s", n, from, got, want);
}

static void
test_calendar__civil_matches_core_time(void **state)
{
    (void)state;
    /* Every day from 1970 to 2400 round-trips and agrees with core's RFC 3339 parser and with
     * an independent weekday formula. */
    int64_t end = cp_civil_days_from(2400, 12, 31);
    for (int64_t d = 0; d <= end; d++) {
        int64_t y;
        int m, day;
        cp_civil_from_days(d, &y, &m, &day);
        assert_true(cp_civil_valid(y, m, day));
        assert_int_equal(cp_civil_days_from(y, m, day), d);
        assert_int_equal(cp_civil_weekday(d), sakamoto((int)y, m, day));
        if (d % 97 == 0) {
            char s[32];
            snprintf(s, sizeof(s), "%04d-%02d-%02dT00:00:00Z", (int)y, m, day);
            assert_int_equal(iso(s), d * CP_CIVIL_DAY_MS);
        }
    }
    assert_int_equal(cp_civil_weekday(0), CP_THURSDAY);
    assert_int_equal(cp_civil_weekday(-1), CP_WEDNESDAY); /* 1969-12-31 */
    assert_int_equal(cp_civil_days_from(1969, 12, 31), -1);
    assert_int_equal(cp_civil_floor_div(-1, 86400), -1);
    assert_int_equal(cp_civil_floor_mod(-1, 86400), 86399);
    assert_false(cp_civil_valid(2025, 2, 29));
    assert_true(cp_civil_valid(2024, 2, 29));
    assert_true(cp_civil_valid(2000, 2, 29));
    assert_false(cp_civil_valid(2100, 2, 29));
    assert_false(cp_civil_valid(2025, 13, 1));
    assert_false(cp_civil_valid(2025, 4, 31));
}

static void
test_calendar__fixed_holidays_move_off_weekends(void **state)
{
    (void)state;
    /* Independence Day 2026 is a Saturday: observed Friday July 3. */
    assert_true(cp_us_federal_holiday(2026, 7, 3));
    assert_false(cp_us_federal_holiday(2026, 7, 4));
    assert_false(cp_business_day(2026, 7, 3));
    /* Christmas 2022 is a Sunday: observed Monday December 26. */
    assert_true(cp_us_federal_holiday(2022, 12, 26));
    assert_false(cp_us_federal_holiday(2022, 12, 25));
    assert_false(cp_us_federal_holiday(2022, 12, 23));
    /* New Year's Day 2022 is a Saturday: observed Friday December 31, 2021, a date of the
     * previous year; the Saturday itself is not the holiday. */
    assert_true(cp_us_federal_holiday(2021, 12, 31));
    assert_false(cp_business_day(2021, 12, 31));
    assert_false(cp_us_federal_holiday(2022, 1, 1));
    assert_false(cp_us_federal_holiday(2021, 12, 30));
    /* Same for 2028 (January 1 a Saturday) and Christmas 2021 (a Saturday). */
    assert_true(cp_us_federal_holiday(2027, 12, 31));
    assert_true(cp_us_federal_holiday(2021, 12, 24));
    /* New Year's Day 2023 is a Sunday: observed Monday January 2. */
    assert_true(cp_us_federal_holiday(2023, 1, 2));
    assert_false(cp_us_federal_holiday(2023, 1, 1));
    assert_false(cp_us_federal_holiday(2022, 12, 30));
    /* Veterans Day 2023 is a Saturday: Friday November 10. */
    assert_true(cp_us_federal_holiday(2023, 11, 10));
    assert_false(cp_us_federal_holiday(2023, 11, 11));
    /* Weekday fixed dates stay put. */
    assert_true(cp_us_federal_holiday(2025, 1, 1));
    assert_true(cp_us_federal_holiday(2025, 7, 4));
    assert_true(cp_us_federal_holiday(2025, 11, 11));
    assert_true(cp_us_federal_holiday(2025, 12, 25));
    /* Christmas Eve and the day after Thanksgiving are ordinary business days by statute. */
    assert_false(cp_us_federal_holiday(2025, 12, 24));
    assert_true(cp_business_day(2025, 12, 24));
    assert_true(cp_business_day(2025, 11, 28));
}

static void
test_calendar__juneteenth_from_2021(void **state)
{
    (void)state;
    assert_false(cp_us_federal_holiday(2020, 6, 19)); /* a Friday, before the Act */
    assert_true(cp_business_day(2020, 6, 19));
    assert_true(cp_us_federal_holiday(2021, 6, 18)); /* the 19th was a Saturday */
    assert_false(cp_us_federal_holiday(2021, 6, 19));
    assert_true(cp_us_federal_holiday(2022, 6, 20)); /* the 19th was a Sunday */
    assert_true(cp_us_federal_holiday(2023, 6, 19));
    assert_true(cp_us_federal_holiday(2026, 6, 19));
    assert_false(cp_business_day(2026, 6, 19));
    assert_false(cp_us_federal_holiday(1999, 6, 18));
}

static void
test_calendar__monday_holidays_and_thanksgiving(void **state)
{
    (void)state;
    assert_true(cp_us_federal_holiday(2025, 1, 20));  /* MLK: 3rd Monday of January */
    assert_true(cp_us_federal_holiday(2025, 2, 17));  /* Washington's Birthday */
    assert_true(cp_us_federal_holiday(2025, 5, 26));  /* Memorial Day: last Monday of May */
    assert_true(cp_us_federal_holiday(2025, 9, 1));   /* Labor Day */
    assert_true(cp_us_federal_holiday(2025, 10, 13)); /* Columbus Day */
    assert_true(cp_us_federal_holiday(2025, 11, 27)); /* Thanksgiving: 4th Thursday */
    assert_false(cp_us_federal_holiday(2025, 11, 20));
    assert_true(cp_us_federal_holiday(2024, 11, 28));
    assert_true(cp_us_federal_holiday(2024, 5, 27));
    assert_false(cp_us_federal_holiday(2024, 5, 20));
    /* A month with five Mondays: May 2026 has Mondays 4, 11, 18, 25; May 2021 has 3..31. */
    assert_true(cp_us_federal_holiday(2026, 5, 25));
    assert_true(cp_us_federal_holiday(2021, 5, 31));
    assert_false(cp_us_federal_holiday(2021, 5, 24));
    /* Thanksgiving on the 22nd, its earliest, and the 28th, its latest. */
    assert_true(cp_us_federal_holiday(2029, 11, 22));
    assert_true(cp_us_federal_holiday(2030, 11, 28));
}

static void
test_calendar__history_and_range(void **state)
{
    (void)state;
    /* MLK Day was first observed in 1986. */
    assert_false(cp_us_federal_holiday(1985, 1, 21));
    assert_true(cp_us_federal_holiday(1986, 1, 20));
    /* Veterans Day on the 4th Monday of October, 1971-1977. */
    assert_true(cp_us_federal_holiday(1971, 10, 25));
    assert_true(cp_us_federal_holiday(1975, 10, 27));
    assert_false(cp_us_federal_holiday(1975, 11, 11));
    assert_true(cp_us_federal_holiday(1978, 11, 10)); /* back to Nov 11, a Saturday in 1978 */
    /* Outside the supported years, and invalid dates: never a holiday, never a business day. */
    assert_false(cp_us_federal_holiday(1970, 12, 25));
    assert_false(cp_business_day(1970, 12, 23));
    assert_false(cp_business_day(10000, 1, 3));
    assert_false(cp_business_day(2025, 2, 29));
    assert_false(cp_business_day(2025, 0, 1));
    assert_false(cp_business_day(2025, 1, 32));
    assert_true(cp_business_day(9999, 12, 30));  /* a Thursday */
    assert_false(cp_business_day(9999, 12, 31)); /* observed New Year's Day of 10000 */
    assert_true(cp_business_day(1971, 1, 4));
}

/* Holidays of 2024 and 2025 as published by OPM, typed in by hand. */
static const int holidays_2024[][2] = {{1, 1}, {1, 15},  {2, 19},  {5, 27},  {6, 19}, {7, 4},
                                       {9, 2}, {10, 14}, {11, 11}, {11, 28}, {12, 25}};
static const int holidays_2025[][2] = {{1, 1}, {1, 20},  {2, 17},  {5, 26},  {6, 19}, {7, 4},
                                       {9, 1}, {10, 13}, {11, 11}, {11, 27}, {12, 25}};

/* Business days of a year counted without calendar.c: weekdays by Sakamoto minus a holiday
 * list. */
static int
independent_count(int year, const int (*hol)[2], size_t n_hol)
{
    int count = 0;
    for (int m = 1; m <= 12; m++) {
        for (int d = 1; d <= cp_civil_days_in_month(year, m); d++) {
            int wd = sakamoto(year, m, d);
            if (wd == 0 || wd == 6)
                continue;
            bool hol_day = false;
            for (size_t i = 0; i < n_hol; i++)
                hol_day = hol_day || (hol[i][0] == m && hol[i][1] == d);
            count += !hol_day;
        }
    }
    return count;
}

static int
calendar_count(int year)
{
    int count = 0;
    for (int m = 1; m <= 12; m++)
        for (int d = 1; d <= cp_civil_days_in_month(year, m); d++)
            count += cp_business_day(year, m, d);
    return count;
}

static void
test_calendar__whole_year_counts(void **state)
{
    (void)state;
    /*
     * 2024: leap year starting on a Monday, 366 days = 52 weeks + Monday Dec 30 and Tuesday
     * Dec 31, so 262 weekdays; all 11 holidays fall on weekdays: 251. 2025: starts on a
     * Wednesday, 52 weeks + Wednesday Dec 31 = 261 weekdays, 11 weekday holidays: 250.
     */
    assert_int_equal(calendar_count(2024), 251);
    assert_int_equal(independent_count(2024, holidays_2024, CP_ARRAY_LEN(holidays_2024)), 251);
    assert_int_equal(calendar_count(2025), 250);
    assert_int_equal(independent_count(2025, holidays_2025, CP_ARRAY_LEN(holidays_2025)), 250);
    for (size_t i = 0; i < CP_ARRAY_LEN(holidays_2024); i++)
        assert_true(cp_us_federal_holiday(2024, holidays_2024[i][0], holidays_2024[i][1]));
    for (size_t i = 0; i < CP_ARRAY_LEN(holidays_2025); i++)
        assert_true(cp_us_federal_holiday(2025, holidays_2025[i][0], holidays_2025[i][1]));
}

static void
test_calendar__every_year_has_its_holidays(void **state)
{
    (void)state;
    /*
     * For every supported year: the number of observed holidays dated in that year is the
     * statutory count (9, + MLK from 1986, + Juneteenth from 2021), less one when January 1 is
     * a Saturday (observed the year before), plus one when next January 1 is (observed on this
     * December 31); and no observed holiday is on a weekend.
     */
    for (int y = CP_CALENDAR_MIN_YEAR; y <= CP_CALENDAR_MAX_YEAR; y++) {
        int want =
            9 + (y >= 1986) + (y >= 2021) - (sakamoto(y, 1, 1) == 6) + (sakamoto(y + 1, 1, 1) == 6);
        int got = 0;
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= cp_civil_days_in_month(y, m); d++) {
                if (!cp_us_federal_holiday(y, m, d))
                    continue;
                got++;
                int wd = sakamoto(y, m, d);
                if (wd == 0 || wd == 6)
                    fail_msg("%04d-%02d-%02d is a weekend holiday", y, m, d);
            }
        }
        if (got != want)
            fail_msg("%d has %d holidays, want %d", y, got, want);
    }
}

static void
test_calendar__ten_business_days(void **state)
{
    (void)state;
    /* Mon 2026-03-02: Mar 3,4,5,6 (4), 9..13 (9), 16 (10). No holidays. */
    check_add("2026-03-02T12:00:00Z", 10, "2026-03-16T12:00:00Z");
    /* Wed 2025-11-19: Nov 20,21 (2), 24,25,26 (5), Thanksgiving 27 skipped, 28 (6),
     * Dec 1,2,3,4 (10). */
    check_add("2025-11-19T15:30:00Z", 10, "2025-12-04T15:30:00Z");
    /* Fri 2022-12-16: Dec 19..23 (5), Mon 26 = Christmas observed, 27..30 (9), Mon Jan 2 2023 =
     * New Year observed, Tue Jan 3 (10). */
    check_add("2022-12-16T14:00:00Z", 10, "2023-01-03T14:00:00Z");
    /* Fri 2026-06-26: Jun 29,30, Jul 1,2 (4), Fri Jul 3 = Independence Day observed, Jul 6..10
     * (9), Mon Jul 13 (10). */
    check_add("2026-06-26T18:00:00Z", 10, "2026-07-13T18:00:00Z");
    /* Across a year end where both holidays are Saturdays: Wed 2021-12-22: Dec 23 (1), Fri 24 =
     * Christmas observed, Dec 27..30 (5), Fri 31 = New Year 2022 observed, Jan 3..7 (10). */
    check_add("2021-12-22T10:00:00Z", 10, "2022-01-07T10:00:00Z");
    /* From a Saturday: Mon 2026-01-19 is MLK Day, so the first business day is Tue 20. */
    check_add("2026-01-17T23:59:59Z", 1, "2026-01-20T23:59:59Z");
    /* From a holiday itself: Thanksgiving 2025 + 1 is Friday 28. */
    check_add("2025-11-27T00:00:00Z", 1, "2025-11-28T00:00:00Z");
    /* Juneteenth 2026 (Friday) is skipped; 2020's (no holiday yet) is not. */
    check_add("2026-06-18T09:00:00Z", 1, "2026-06-22T09:00:00Z");
    check_add("2020-06-18T09:00:00Z", 1, "2020-06-19T09:00:00Z");
}

static void
test_calendar__add_edges(void **state)
{
    (void)state;
    int64_t out = 42;
    /* n = 0 is the instant itself, even on a weekend; milliseconds are kept. */
    int64_t sat = iso("2026-01-17T08:00:00.123Z");
    assert_true(cp_business_days_add(sat, 0, &out));
    assert_int_equal(out, sat);
    assert_true(cp_business_days_add(sat, 2, &out));
    assert_int_equal(out, iso("2026-01-21T08:00:00.123Z"));
    /* Refused: negative n, before 1971, past 9999, NULL out. */
    out = 42;
    assert_false(cp_business_days_add(sat, -1, &out));
    assert_false(cp_business_days_add(-1, 1, &out));
    assert_false(cp_business_days_add(iso("1970-12-31T00:00:00Z"), 1, &out));
    assert_false(cp_business_days_add(iso("9999-12-29T00:00:00Z"), 5, &out));
    assert_int_equal(out, 42);
    assert_false(cp_business_days_add(sat, 1, NULL));
    /* The first supported year works, and so does the end of 9999. */
    assert_true(cp_business_days_add(iso("1971-01-01T00:00:00Z"), 1, &out));
    assert_int_equal(out, iso("1971-01-04T00:00:00Z"));
    assert_true(cp_business_days_add(iso("9999-12-28T00:00:00Z"), 2, &out));
    assert_int_equal(out, iso("9999-12-30T00:00:00Z"));
    /* January 1, 10000 is a Saturday (2000-01-01 was, and 400 Gregorian years are whole
     * weeks), so Friday 9999-12-31 is a holiday and no business day follows within range. */
    assert_true(cp_us_federal_holiday(9999, 12, 31));
    assert_false(cp_business_days_add(iso("9999-12-28T00:00:00Z"), 3, &out));
    /* 250 business days from the last instant of 2024 land on the last business day of 2025
     * (Wednesday Dec 31). */
    assert_true(cp_business_days_add(iso("2024-12-31T23:59:59Z"), 250, &out));
    assert_int_equal(out, iso("2025-12-31T23:59:59Z"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar__civil_matches_core_time),
        cmocka_unit_test(test_calendar__fixed_holidays_move_off_weekends),
        cmocka_unit_test(test_calendar__juneteenth_from_2021),
        cmocka_unit_test(test_calendar__monday_holidays_and_thanksgiving),
        cmocka_unit_test(test_calendar__history_and_range),
        cmocka_unit_test(test_calendar__whole_year_counts),
        cmocka_unit_test(test_calendar__every_year_has_its_holidays),
        cmocka_unit_test(test_calendar__ten_business_days),
        cmocka_unit_test(test_calendar__add_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
