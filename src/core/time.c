/*
 * Clocks and RFC 3339. Civil-date conversions use Howard Hinnant's days-from-civil algorithm
 * (public domain arithmetic), which is exact for the proleptic Gregorian calendar and needs no
 * time zone database or locale, so formatting is thread-safe and locale-proof.
 */
#include "core/time.h"

#include <string.h>
#include <time.h>

int64_t
cp_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
cp_time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
cp_time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/*
 * Split ms into whole seconds (rounded down) and days, with the remainders in range. C's '/'
 * truncates toward zero, so a negative remainder borrows one from the quotient; negating ms
 * first (the obvious fix) or multiplying the quotient back (q * 1000) overflows near
 * INT64_MIN.
 */
static void
split(int64_t ms, int64_t *y, unsigned *mo, unsigned *d, unsigned *h, unsigned *mi, unsigned *s,
      unsigned *milli)
{
    int64_t secs = ms / 1000, r_ms = ms % 1000;
    if (r_ms < 0) {
        secs--;
        r_ms += 1000;
    }
    *milli = (unsigned)r_ms;
    int64_t days = secs / 86400, r_s = secs % 86400;
    if (r_s < 0) {
        days--;
        r_s += 86400;
    }
    unsigned rem = (unsigned)r_s;
    civil_from_days(days, y, mo, d);
    *h = rem / 3600;
    *mi = rem / 60 % 60;
    *s = rem % 60;
}

/* Years outside 0..9999 cannot be written in RFC 3339; clamp rather than emit garbage. */
static unsigned
year4(int64_t y)
{
    return y < 0 ? 0u : y > 9999 ? 9999u : (unsigned)y;
}

/* Two decimal digits of v (0..99) at p. */
static void
put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/*
 * "YYYY-MM-DDTHH:MM:SS" into out (19 bytes, no NUL). Written digit by digit: this runs for
 * every timestamp of every reply, and snprintf took several hundred instructions per call.
 * Every field is already in range (month 1..12, day 1..31, hour 0..23, ...), so two digits
 * each always suffice.
 */
static void
put_date_time(char *out, int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s)
{
    unsigned yy = year4(y);
    put2(out, yy / 100);
    put2(out + 2, yy % 100);
    out[4] = '-';
    put2(out + 5, mo);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = 'T';
    put2(out + 11, h);
    out[13] = ':';
    put2(out + 14, mi);
    out[16] = ':';
    put2(out + 17, s);
}

void
cp_time_format_iso(int64_t ms, char out[CP_TIME_ISO_LEN])
{
    int64_t y;
    unsigned mo, d, h, mi, s, milli;
    split(ms, &y, &mo, &d, &h, &mi, &s, &milli);
    put_date_time(out, y, mo, d, h, mi, s);
    out[19] = 'Z';
    out[20] = '\0';
}

void
cp_time_format_iso_ms(int64_t ms, char out[CP_TIME_ISO_MS_LEN])
{
    int64_t y;
    unsigned mo, d, h, mi, s, milli;
    split(ms, &y, &mo, &d, &h, &mi, &s, &milli);
    put_date_time(out, y, mo, d, h, mi, s);
    out[19] = '.';
    out[20] = (char)('0' + milli / 100);
    put2(out + 21, milli % 100);
    out[23] = 'Z';
    out[24] = '\0';
}

size_t
cp_time_format_iso_auto(int64_t ms, char out[CP_TIME_ISO_MS_LEN])
{
    if (ms % 1000 != 0) {
        cp_time_format_iso_ms(ms, out);
        return CP_TIME_ISO_MS_LEN - 1;
    }
    cp_time_format_iso(ms, out);
    return CP_TIME_ISO_LEN - 1;
}

/* Read exactly n decimal digits. */
static bool
digits(const char **p, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool
expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static unsigned
days_in_month(unsigned y, unsigned m)
{
    static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

bool
cp_time_parse_iso(const char *s, int64_t *out_ms)
{
    if (s == NULL)
        return false;
    const char *p = s;
    unsigned y, mo, d, h, mi, sec, milli = 0;
    if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) || !expect(&p, '-') ||
        !digits(&p, 2, &d))
        return false;
    if (*p != 'T' && *p != 't')
        return false;
    p++;
    if (!digits(&p, 2, &h) || !expect(&p, ':') || !digits(&p, 2, &mi) || !expect(&p, ':') ||
        !digits(&p, 2, &sec))
        return false;
    if (*p == '.') {
        p++;
        int nd = 0;
        while (*p >= '0' && *p <= '9') {
            if (nd < 3)
                milli = milli * 10 + (unsigned)(*p - '0');
            nd++;
            p++;
        }
        if (nd == 0)
            return false;
        for (int i = nd; i < 3; i++)
            milli *= 10;
    }
    int64_t offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        p++;
        unsigned oh, om;
        if (!digits(&p, 2, &oh) || !expect(&p, ':') || !digits(&p, 2, &om) || oh > 23 || om > 59)
            return false;
        offset_min = sign * (int64_t)(oh * 60 + om);
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 59)
        return false;
    int64_t days = days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    *out_ms = secs * 1000 + milli;
    return true;
}
