/*
 * Unit tests for the reply writer's hand-written formatting (json/write.c, core/time.c): the
 * string escaper, integers, the shortest form of doubles and RFC 3339 times. Each is compared
 * with the printf-based code it replaced (kept here as the reference, as it was) over edge
 * cases and many pseudo-random values, because replies and idempotent replays are compared
 * byte for byte.
 */
#include "unit.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/buf.h"
#include "core/time.h"
#include "json/scan.h"
#include "json/write.h"

/* xorshift64*: reproducible inputs, so a failure names a value that fails again. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* ---- references: the code as it was before the hand-written versions ---- */

static void
ref_escape(struct cp_buf *b, const char *s, size_t n)
{
    cp_buf_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        char tmp[8];
        if (c == '"')
            rep = "\\\"";
        else if (c == '\\')
            rep = "\\\\";
        else if (c == '\n')
            rep = "\\n";
        else if (c == '\r')
            rep = "\\r";
        else if (c == '\t')
            rep = "\\t";
        else if (c < 0x20) {
            snprintf(tmp, sizeof(tmp), "\\u%04x", c);
            rep = tmp;
        } else if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
            rep = (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
            cp_buf_append(b, s + start, i - start);
            cp_buf_puts(b, rep);
            i += 2;
            start = i + 1;
            continue;
        }
        if (rep != NULL) {
            cp_buf_append(b, s + start, i - start);
            cp_buf_puts(b, rep);
            start = i + 1;
        }
    }
    cp_buf_append(b, s + start, n - start);
    cp_buf_putc(b, '"');
}

static void
ref_double(double v, char out[32])
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
}

static int64_t
ref_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void
ref_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
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

/* The old formatter; defined for |ms| up to INT64_MAX - 999 (it negated ms). */
static void
ref_format(int64_t ms, bool with_ms, char out[32])
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    unsigned milli = (unsigned)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    unsigned rem = (unsigned)(secs - days * 86400);
    int64_t y;
    unsigned mo, d;
    ref_civil_from_days(days, &y, &mo, &d);
    unsigned yy = y < 0 ? 0u : y > 9999 ? 9999u : (unsigned)y;
    if (with_ms)
        snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", yy, mo % 100, d % 100,
                 rem / 3600 % 100, rem / 60 % 60 % 100, rem % 60 % 100, milli % 1000);
    else
        snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02uZ", yy, mo % 100, d % 100, rem / 3600 % 100,
                 rem / 60 % 60 % 100, rem % 60 % 100);
}

/* ---- strings ---- */

static void
expect_escape_n(const char *s, size_t n)
{
    struct cp_buf got = CP_BUF_INIT, want = CP_BUF_INIT;
    struct cp_jw w;
    cp_jw_init(&w, &got);
    cp_jw_strn(&w, s, n);
    ref_escape(&want, s, n);
    if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0)
        fail_msg("escape of %zu bytes: got %s, want %s", n, got.data, want.data);
    assert_int_equal(got.data[got.len], '\0');
    cp_buf_free(&got);
    cp_buf_free(&want);
}

static void
test_write__escape_every_byte(void **state)
{
    (void)state;
    /* Each byte alone, and between plain text on both sides (the run copy around it). */
    for (int c = 0; c < 256; c++) {
        char one[1] = {(char)c};
        expect_escape_n(one, 1);
        char mid[7] = {'a', 'b', (char)c, 'c', (char)c, (char)c, 'd'};
        expect_escape_n(mid, sizeof(mid));
    }
    expect_escape_n("", 0);
    /* A short escape is the named one, in lowercase hex otherwise. */
    struct cp_buf b = CP_BUF_INIT;
    struct cp_jw w;
    cp_jw_init(&w, &b);
    cp_jw_strn(&w, "\x1f\"\\\n\r\t\x7f\x08", 8);
    assert_string_equal(b.data, "\"\\u001f\\\"\\\\\\n\\r\\t\x7f\\u0008\"");
    cp_buf_free(&b);
}

static void
test_write__escape_every_byte_at_every_offset(void **state)
{
    (void)state;
    /* The escaper looks at plain text 16 bytes (SSE2) or 8 bytes at a time: each byte value
     * at each offset of a 41-byte ASCII run (two blocks of 16, a word of 8 and a byte), alone
     * and next to a second one, and plain runs of every length from 0 to 40 (the one-copy
     * path). */
    char s[41] = {0};
    for (size_t n = 0; n <= 40; n++) {
        for (size_t i = 0; i < n; i++)
            s[i] = (char)('a' + i % 26);
        expect_escape_n(s, n);
    }
    for (int c = 0; c < 256; c++) {
        for (size_t at = 0; at < 41; at++) {
            memset(s, 'm', 41);
            s[at] = (char)c;
            expect_escape_n(s, 41);
            s[(at + 9) % 41] = (char)(255 - c);
            expect_escape_n(s, 41);
        }
    }
    /* U+2028 and U+2029 (E2 80 A8/A9) starting at each offset, the last ones cut short. */
    for (size_t at = 0; at < 41; at++) {
        for (int k = 0; k < 2; k++) {
            memset(s, 'm', 41);
            const char seq[3] = {(char)0xe2, (char)0x80, (char)(k ? 0xa9 : 0xa8)};
            memcpy(s + at, seq, at + 3 <= 41 ? 3 : 41 - at);
            expect_escape_n(s, 41);
        }
    }
}

static void
test_write__scan_pairs_in_one_block(void **state)
{
    (void)state;
    /* cp_json_plain_len against a byte-by-byte reference with two stops in the same 16-byte
     * block (offsets 0-15) and in the same 8-byte word after two blocks (offsets 32-39): every
     * byte value at every position, with a second of the telling values at every other one. */
    static const unsigned char seconds[] = {0x00, 0x1f, 0x20, '"',  '\\', 0xe2,
                                            0xe3, 0x7f, 0x80, 0xff, 'm'};
    unsigned char s[41];
    for (int c = 0; c < 256; c++) {
        for (size_t base = 0; base <= 32; base += 32) {
            size_t span = base == 0 ? 16 : 8;
            for (size_t p1 = 0; p1 < span; p1++) {
                for (size_t k = 0; k < sizeof(seconds); k++) {
                    for (size_t p2 = 0; p2 < span; p2++) {
                        memset(s, 'm', sizeof(s));
                        s[base + p1] = (unsigned char)c;
                        if (p2 != p1)
                            s[base + p2] = seconds[k];
                        size_t want = 0;
                        while (want < sizeof(s) && !cp_json_byte_special(s[want]))
                            want++;
                        size_t got = cp_json_plain_len(s, sizeof(s));
                        if (got != want)
                            fail_msg("0x%02x at %zu, 0x%02x at %zu: %zu plain, want %zu", c,
                                     base + p1, seconds[k], base + p2, got, want);
                    }
                }
            }
        }
    }
    for (int c = 0; c < 256; c++)
        assert_int_equal(cp_json_byte_special((unsigned char)c),
                         c < 0x20 || c == '"' || c == '\\' || c == 0xe2);
}

static void
test_write__escape_line_separators(void **state)
{
    (void)state;
    /* U+2028 / U+2029 escaped anywhere, including at the very end; a cut-off sequence, other
     * E2 characters (U+2026 ...) and invalid UTF-8 are copied as they are. */
    static const char *const cases[] = {
        "\xe2\x80\xa8",     "\xe2\x80\xa9",     "a\xe2\x80\xa8z",
        "\xe2\x80\xa6",     "\xe2\x80",         "\xe2",
        "x\xe2\x80",        "\xe2\xe2\x80\xa9", "\xe2\x80\xa8\xe2\x80",
        "\xff\xfe\xc0\x80", "\xe2\x80\xaa\xe2", "caf\xc3\xa9 \xe2\x82\xac",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_escape_n(cases[i], strlen(cases[i]));
    struct cp_buf b = CP_BUF_INIT;
    struct cp_jw w;
    cp_jw_init(&w, &b);
    cp_jw_str(&w, "a\xe2\x80\xa8\xe2\x80\xa9");
    assert_string_equal(b.data, "\"a\\u2028\\u2029\"");
    cp_buf_free(&b);
}

static void
test_write__escape_random(void **state)
{
    (void)state;
    /* Byte soup weighted toward what needs escaping, long enough to grow the buffer many
     * times: a slip in the room kept for escapes shows up here (and under ASan). */
    static const unsigned char pick[] = {'a',  ' ',  '"',  '\\', '\n', 0x01, 0x1f, 0xe2,
                                         0x80, 0xa8, 0xa9, 0xc3, 0x7f, 0xff, '\t', 'z'};
    char s[3000];
    for (int round = 0; round < 3000; round++) {
        size_t n = (size_t)(rng() % sizeof(s));
        for (size_t i = 0; i < n; i++)
            s[i] =
                (char)(rng() % 3 == 0 ? (unsigned char)(rng() & 0xff) : pick[rng() % sizeof(pick)]);
        expect_escape_n(s, n);
    }
    /* Many values into one buffer, as a reply does. */
    struct cp_buf got = CP_BUF_INIT, want = CP_BUF_INIT;
    struct cp_jw w;
    cp_jw_init(&w, &got);
    cp_jw_arr_begin(&w);
    cp_buf_putc(&want, '[');
    for (int i = 0; i < 500; i++) {
        size_t n = (size_t)(rng() % 40);
        for (size_t k = 0; k < n; k++)
            s[k] = (char)pick[rng() % sizeof(pick)];
        cp_jw_strn(&w, s, n);
        if (i > 0)
            cp_buf_putc(&want, ',');
        ref_escape(&want, s, n);
    }
    cp_jw_arr_end(&w);
    cp_buf_putc(&want, ']');
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.data, want.data, got.len);
    cp_buf_free(&got);
    cp_buf_free(&want);
}

/* ---- integers ---- */

static void
expect_int(int64_t v)
{
    char want[32];
    snprintf(want, sizeof(want), "%" PRId64, v);
    char got[CP_JW_INT_MAX + 1];
    size_t n = cp_jw_format_int(v, got);
    got[n] = '\0';
    if (strcmp(got, want) != 0)
        fail_msg("int %s: got %s", want, got);
    struct cp_buf b = CP_BUF_INIT;
    struct cp_jw w;
    cp_jw_init(&w, &b);
    cp_jw_int(&w, v);
    assert_string_equal(b.data, want);
    cp_buf_free(&b);
}

static void
test_write__integers(void **state)
{
    (void)state;
    expect_int(0);
    expect_int(INT64_MIN);
    expect_int(INT64_MIN + 1);
    expect_int(INT64_MAX);
    int64_t p = 1;
    for (int k = 0; k < 19; k++) { /* 10^0 .. 10^18 */
        expect_int(p);
        expect_int(p - 1);
        expect_int(p + 1);
        expect_int(-p);
        expect_int(-p + 1);
        expect_int(-p - 1);
        if (k < 18)
            p *= 10;
    }
    for (int i = 0; i < 100000; i++) {
        uint64_t r = rng();
        expect_int((int64_t)(r >> (rng() % 64)));
        expect_int((int64_t)r);
    }
}

/* ---- doubles ---- */

static void
expect_double(double v)
{
    char want[32];
    ref_double(v, want);
    char got[CP_JW_DOUBLE_MAX + 1];
    size_t n = cp_jw_format_double(v, got);
    got[n] = '\0';
    if (strcmp(got, want) != 0)
        fail_msg("double %.17g: got %s, want %s", v, got, want);
}

static void
test_write__doubles_edges(void **state)
{
    (void)state;
    static const double cases[] = {
        0.0,     -0.0,    1,       -1,        10,      100,    1e15,     1e15 - 1,
        1e16,    1e21,    1e22,    1e23,      0.1,     0.2,    0.3,      0.37,
        1.05,    0.0001,  0.00012, 0.00001,   1e-5,    1.5e-5, 1e-7,     123456789012345.0,
        1.0 / 3, 2.0 / 3, 9.995,   99.95,     0.99995, 5e-324, DBL_MIN,  DBL_MAX,
        1e-22,   1e-23,   4.35,    1e12,      1e9,     1e-9,   86400000, 0.07,
        999999,  9999999, 1234.5,  1e6 + 0.5,
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        expect_double(cases[i]);
        expect_double(-cases[i]);
    }
    /* The writer: the same text, non-finite values as null. */
    struct cp_buf b = CP_BUF_INIT;
    struct cp_jw w;
    cp_jw_init(&w, &b);
    cp_jw_arr_begin(&w);
    cp_jw_double(&w, 0.37);
    cp_jw_double(&w, 100);
    cp_jw_double(&w, NAN);
    cp_jw_double(&w, -INFINITY);
    cp_jw_double(&w, 1e-7);
    cp_jw_arr_end(&w);
    assert_string_equal(b.data, "[0.37,1e+02,null,null,1e-07]");
    cp_buf_free(&b);
}

static void
test_write__doubles_random(void **state)
{
    (void)state;
    /* Short decimals (what replies carry), at every scale the fast path takes and past it. */
    for (int i = 0; i < 60000; i++) {
        int digits = 1 + (int)(rng() % 17);
        uint64_t m = rng() % 100000000000000000ull;
        for (int k = digits; k < 17; k++)
            m /= 10;
        int e = (int)(rng() % 50) - 30;
        char txt[64];
        snprintf(txt, sizeof(txt), "%" PRIu64 "e%d", m, e);
        expect_double(strtod(txt, NULL));
    }
    /* Arbitrary bit patterns: mostly 17-digit values, every exponent. */
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = rng();
        double v;
        memcpy(&v, &bits, sizeof(v));
        if (isfinite(v))
            expect_double(v);
    }
    /* Money-like sums, whose binary error is where shortcuts go wrong. */
    for (int i = 0; i < 30000; i++) {
        double a = (double)(rng() % 100000) / 100, b = (double)(rng() % 1000) / 1000;
        expect_double(a + b);
        expect_double(a * 3);
        expect_double(a / 7);
    }
}

/* ---- times ---- */

static void
expect_time(int64_t ms)
{
    char want[32], got[CP_TIME_ISO_MS_LEN];
    ref_format(ms, false, want);
    cp_time_format_iso(ms, got);
    if (strcmp(got, want) != 0)
        fail_msg("time %" PRId64 ": got %s, want %s", ms, got, want);
    ref_format(ms, true, want);
    cp_time_format_iso_ms(ms, got);
    if (strcmp(got, want) != 0)
        fail_msg("time %" PRId64 " (ms): got %s, want %s", ms, got, want);
}

static void
test_write__times_against_old_formatter(void **state)
{
    (void)state;
    const int64_t year0 = ref_days_from_civil(0, 1, 1) * 86400000;
    const int64_t year10000 = ref_days_from_civil(10000, 1, 1) * 86400000;
    static const int64_t fixed[] = {
        0,        1,        -1,        999,       -999,          1000,         -1000,
        86399999, 86400000, -86400000, -86400001, 1775835720000, 1775835720123};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        expect_time(fixed[i]);
    /* Around every year boundary of the leap-year rules and the ends of the range. */
    static const int64_t years[] = {0,    1,    4,    100,  400,  1600, 1900, 1969,
                                    1970, 1972, 2000, 2024, 2100, 2400, 9999, 10000};
    for (size_t i = 0; i < sizeof(years) / sizeof(years[0]); i++) {
        for (unsigned m = 1; m <= 12; m++) {
            int64_t day = ref_days_from_civil(years[i], m, 1) * 86400000;
            for (int64_t off = -2 * 86400000; off <= 2 * 86400000; off += 3600000 - 1)
                expect_time(day + off);
        }
    }
    for (int i = 0; i < 300000; i++)
        expect_time(year0 + (int64_t)(rng() % (uint64_t)(year10000 - year0)));
    /* Far outside 0..9999: the year is clamped, as before. */
    for (int i = 0; i < 10000; i++)
        expect_time((int64_t)(rng() >> 1) - (INT64_MAX / 2));
    expect_time(INT64_MAX - 999);
    expect_time(INT64_MIN + 1000);
}

static void
test_write__times_against_gmtime(void **state)
{
    (void)state;
    /* An independent check of the calendar arithmetic, over 1970..9999. */
    for (int i = 0; i < 100000; i++) {
        time_t t = (time_t)(rng() % 253402300800ull);
        struct tm tm;
        gmtime_r(&t, &tm);
        char want[32], got[CP_TIME_ISO_LEN];
        strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
        cp_time_format_iso((int64_t)t * 1000 + (int64_t)(rng() % 1000), got);
        assert_string_equal(got, want);
    }
}

static void
test_write__extreme_times_do_not_overflow(void **state)
{
    (void)state;
    /* The old code negated ms and overflowed here; the new one must give a clamped year. */
    char out[CP_TIME_ISO_MS_LEN];
    cp_time_format_iso(INT64_MIN, out);
    assert_int_equal(strlen(out), CP_TIME_ISO_LEN - 1);
    assert_memory_equal(out, "0000-", 5);
    cp_time_format_iso_ms(INT64_MAX, out);
    assert_int_equal(strlen(out), CP_TIME_ISO_MS_LEN - 1);
    assert_memory_equal(out, "9999-", 5);
}

static void
test_write__ktime(void **state)
{
    (void)state;
    struct cp_buf b = CP_BUF_INIT;
    struct cp_jw w;
    cp_jw_init(&w, &b);
    cp_jw_obj_begin(&w);
    cp_jw_ktime(&w, "a", 0);
    cp_jw_ktime(&w, "b", 1775835720000);
    cp_jw_ktime(&w, "c", 1775835720123);
    cp_jw_ktime(&w, "d", -1);
    cp_jw_obj_end(&w);
    assert_string_equal(b.data, "{\"a\":null,\"b\":\"2026-04-10T15:42:00Z\","
                                "\"c\":\"2026-04-10T15:42:00.123Z\","
                                "\"d\":\"1969-12-31T23:59:59.999Z\"}");
    cp_buf_free(&b);
}

static void
test_write__literal_keys(void **state)
{
    (void)state;
    /* CP_JW_KEY writes what cp_jw_key does: first member, later members (comma), nested,
     * then values and times after it. */
    struct cp_buf a = CP_BUF_INIT, b = CP_BUF_INIT;
    struct cp_jw w, v;
    cp_jw_init(&w, &a);
    cp_jw_init(&v, &b);
    cp_jw_obj_begin(&w);
    CP_JW_KEY(&w, "id");
    cp_jw_str(&w, "x");
    CP_JW_KEY(&w, "callId");
    cp_jw_obj_begin(&w);
    CP_JW_KEY(&w, "a_1");
    cp_jw_time(&w, 1775835720123);
    CP_JW_KEY(&w, "b");
    cp_jw_time(&w, 0);
    cp_jw_obj_end(&w);
    CP_JW_KEY(&w, "");
    cp_jw_int(&w, 7);
    cp_jw_obj_end(&w);
    cp_jw_obj_begin(&v);
    cp_jw_kstr(&v, "id", "x");
    cp_jw_key(&v, "callId");
    cp_jw_obj_begin(&v);
    cp_jw_ktime(&v, "a_1", 1775835720123);
    cp_jw_ktime(&v, "b", 0);
    cp_jw_obj_end(&v);
    cp_jw_kint(&v, "", 7);
    cp_jw_obj_end(&v);
    assert_string_equal(a.data, b.data);
    assert_string_equal(
        a.data,
        "{\"id\":\"x\",\"callId\":{\"a_1\":\"2026-04-10T15:42:00.123Z\",\"b\":null},\"\":7}");
    cp_buf_free(&a);
    cp_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write__escape_every_byte),
        cmocka_unit_test(test_write__escape_every_byte_at_every_offset),
        cmocka_unit_test(test_write__scan_pairs_in_one_block),
        cmocka_unit_test(test_write__escape_line_separators),
        cmocka_unit_test(test_write__escape_random),
        cmocka_unit_test(test_write__integers),
        cmocka_unit_test(test_write__doubles_edges),
        cmocka_unit_test(test_write__doubles_random),
        cmocka_unit_test(test_write__times_against_old_formatter),
        cmocka_unit_test(test_write__times_against_gmtime),
        cmocka_unit_test(test_write__extreme_times_do_not_overflow),
        cmocka_unit_test(test_write__ktime),
        cmocka_unit_test(test_write__literal_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
