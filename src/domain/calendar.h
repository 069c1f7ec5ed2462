/*
 * US business days: the federal holidays of 5 U.S.C. 6103 as observed by the federal government
 * (a fixed-date holiday on a Saturday is observed the Friday before, on a Sunday the Monday
 * after, 5 U.S.C. 6103(b) and Executive Order 11582), and "n business days after" an instant.
 * The latter is the clock for honoring a revocation of consent: 47 CFR 64.1200(a)(10), as
 * amended by the FCC's 2024 revocation order (FCC 24-24), requires a caller to honor a
 * do-not-call / revocation request within a reasonable time not exceeding ten business days
 * of receipt. A business day is Monday to Friday and not an observed federal holiday.
 *
 * Which calendar the days are counted in: UTC civil dates. The rule does not say whose
 * business days count, and a deadline that is part of signed evidence must come out the same
 * whenever it is recomputed, on any machine, with any version of the time zone database; UTC
 * dates need none. The price is that an instant late in a US evening already falls on the next
 * UTC date, so the deadline can differ by a day or two from one counted in a US local calendar
 * (either way); a caller that wants a margin honors requests a day or two before it.
 *
 * Only the statutory holidays are known. Inauguration Day (a holiday only in the Washington,
 * D.C. area, 5 U.S.C. 6103(c)) and one-off closures by executive order (such as Christmas Eve
 * in some years) are not business-day exceptions here. Pure functions, thread-safe.
 */
#ifndef CP_DOMAIN_CALENDAR_H
#define CP_DOMAIN_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

/* Years for which the holiday rules are implemented: the Uniform Monday Holiday Act took effect
 * in 1971; 9999 is the last year RFC 3339 can write. */
#define CP_CALENDAR_MIN_YEAR 1971
#define CP_CALENDAR_MAX_YEAR 9999

/*
 * True if year-month-day is a day off for federal employees by statute, as observed: New
 * Year's Day, Martin Luther King Jr. Day (3rd Monday of January, from 1986), Washington's
 * Birthday (3rd Monday of February), Memorial Day (last Monday of May), Juneteenth (June 19,
 * from 2021), Independence Day, Labor Day (1st Monday of September), Columbus Day (2nd Monday
 * of October), Veterans Day (November 11; the 4th Monday of October from 1971 to 1977),
 * Thanksgiving (4th Thursday of November) and Christmas. Fixed dates move off weekends as
 * above, so January 1 on a Saturday makes Friday December 31 of the previous year a holiday
 * and the Saturday itself is not one. False for an invalid date or a year outside
 * CP_CALENDAR_MIN_YEAR..CP_CALENDAR_MAX_YEAR.
 */
bool cp_us_federal_holiday(int year, int month, int day);

/* True if year-month-day is Monday to Friday and not an observed federal holiday. False for an
 * invalid date or a year outside the supported range. */
bool cp_business_day(int year, int month, int day);

/*
 * The instant n business days after from_ms (Unix milliseconds): starting from from_ms's UTC
 * date, which itself never counts, step through the following UTC dates and stop at the n-th
 * business day, keeping from_ms's UTC time of day. n == 0 gives from_ms unchanged.
 *
 * Example: from Wednesday 2025-11-19T15:30Z, ten business days skip the weekends and
 * Thanksgiving (Thursday 27th) and give Thursday 2025-12-04T15:30Z.
 *
 * Returns true and sets *out_ms; returns false and leaves *out_ms untouched if n < 0, or if
 * from_ms or the result lies outside the supported years.
 */
bool cp_business_days_add(int64_t from_ms, int n, int64_t *out_ms);

#endif
