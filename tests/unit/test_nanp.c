/*
 * Unit tests for the TZif reader and POSIX TZ rules (domain/tzif.c, RFC 8536) and for the
 * area-code table and calling-hours check (domain/nanp.c, 47 CFR 64.1200(c)(1): 8 a.m. to
 * 9 p.m. local time at the called party's location). They read the system zone files under
 * /usr/share/zoneinfo (Debian package tzdata) and share/nanp_area_codes.tsv, so they run from
 * the repository root.
 */
#include "unit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/time.h"
#include "core/util.h"
#include "domain/civil.h"
#include "domain/nanp.h"
#include "domain/tzif.h"

#define TSV_PATH "share/nanp_area_codes.tsv"

static int64_t
iso_s(const char *s)
{
    int64_t ms = 0;
    if (!cp_time_parse_iso(s, &ms))
        fail_msg("bad test date %s", s);
    return ms / 1000;
}

static int64_t
iso_ms(const char *s)
{
    return iso_s(s) * 1000;
}

static const struct cp_tz *
zone(const char *name)
{
    const struct cp_tz *tz = cp_tz_get(name);
    if (tz == NULL)
        fail_msg("cannot load %s (is tzdata installed?)", name);
    return tz;
}

static void
check_offset(const struct cp_tz *tz, const char *when, int want)
{
    int got = cp_tz_offset_s(tz, iso_s(when));
    if (got != want)
        fail_msg("%s at %s: offset %d, want %d", cp_tz_name(tz), when, got, want);
}

/* ---- time zones ---- */

static void
test_tz__new_york_dst_instants(void **state)
{
    (void)state;
    const struct cp_tz *ny = zone("America/New_York");
    check_offset(ny, "2026-01-15T12:00:00Z", -5 * 3600);
    check_offset(ny, "2026-07-15T12:00:00Z", -4 * 3600);
    /* 2026-03-08 02:00 EST = 07:00Z: clocks jump to 03:00 EDT. */
    check_offset(ny, "2026-03-08T06:59:59Z", -5 * 3600);
    check_offset(ny, "2026-03-08T07:00:00Z", -4 * 3600);
    /* 2026-11-01 02:00 EDT = 06:00Z: clocks fall back to 01:00 EST. */
    check_offset(ny, "2026-11-01T05:59:59Z", -4 * 3600);
    check_offset(ny, "2026-11-01T06:00:00Z", -5 * 3600);
    /* Before 2007 the US switched on the first Sunday of April: 2006-04-02. */
    check_offset(ny, "2006-03-20T12:00:00Z", -5 * 3600);
    check_offset(ny, "2006-04-02T07:00:00Z", -4 * 3600);
    /* Before the first transition in the file: local mean time, -4:56:02. */
    assert_int_equal(cp_tz_offset_s(ny, cp_civil_days_from(1850, 1, 1) * CP_CIVIL_DAY_S),
                     -(4 * 3600 + 56 * 60 + 2));
}

static void
test_tz__fixed_and_indiana(void **state)
{
    (void)state;
    const struct cp_tz *phx = zone("America/Phoenix");
    check_offset(phx, "2026-01-15T12:00:00Z", -7 * 3600);
    check_offset(phx, "2026-07-15T12:00:00Z", -7 * 3600);
    check_offset(phx, "2026-03-08T10:00:00Z", -7 * 3600);
    const struct cp_tz *hnl = zone("Pacific/Honolulu");
    check_offset(hnl, "2026-01-15T12:00:00Z", -10 * 3600);
    check_offset(hnl, "2026-07-15T12:00:00Z", -10 * 3600);
    const struct cp_tz *ind = zone("America/Indiana/Indianapolis");
    check_offset(ind, "2026-01-15T12:00:00Z", -5 * 3600);
    check_offset(ind, "2026-07-15T12:00:00Z", -4 * 3600);
    check_offset(ind, "2026-03-08T07:00:00Z", -4 * 3600);
    /* Most of Indiana kept EST all year until 2006. */
    check_offset(ind, "2005-07-01T12:00:00Z", -5 * 3600);
}

static void
test_tz__far_future_uses_footer_rule(void **state)
{
    (void)state;
    /* Zone files list transitions to 2037 at most; 2090 comes from "EST5EDT,M3.2.0,M11.1.0":
     * the second Sunday of March 2090 is the 12th, the first Sunday of November the 5th. */
    const struct cp_tz *ny = zone("America/New_York");
    check_offset(ny, "2090-01-01T00:00:00Z", -5 * 3600);
    check_offset(ny, "2090-03-12T06:59:59Z", -5 * 3600);
    check_offset(ny, "2090-03-12T07:00:00Z", -4 * 3600);
    check_offset(ny, "2090-11-05T05:59:59Z", -4 * 3600);
    check_offset(ny, "2090-11-05T06:00:00Z", -5 * 3600);
    check_offset(zone("America/Phoenix"), "2090-07-01T00:00:00Z", -7 * 3600);
    check_offset(zone("America/Indiana/Indianapolis"), "2090-07-01T00:00:00Z", -4 * 3600);
    check_offset(zone("America/Los_Angeles"), "9999-07-01T00:00:00Z", -7 * 3600);
    /* Absurd instants are clamped, not overflowed. */
    (void)cp_tz_offset_s(ny, INT64_MAX);
    (void)cp_tz_offset_s(ny, INT64_MIN);
}

static void
test_tz__posix_rules(void **state)
{
    (void)state;
    struct cp_error err;
    /* Southern hemisphere: DST from the first Sunday of October 02:00 AEST to the first Sunday
     * of April 03:00 AEDT. 2026-04-05 03:00 +11 = 04-04T16:00Z; 2026-10-04 02:00 +10 =
     * 10-03T16:00Z. */
    struct cp_tz *syd = cp_tz_from_posix("AEST-10AEDT,M10.1.0,M4.1.0/3", &err);
    assert_non_null(syd);
    check_offset(syd, "2026-01-15T00:00:00Z", 11 * 3600);
    check_offset(syd, "2026-04-04T15:59:59Z", 11 * 3600);
    check_offset(syd, "2026-04-04T16:00:00Z", 10 * 3600);
    check_offset(syd, "2026-07-15T00:00:00Z", 10 * 3600);
    check_offset(syd, "2026-10-03T15:59:59Z", 10 * 3600);
    check_offset(syd, "2026-10-03T16:00:00Z", 11 * 3600);
    check_offset(syd, "2026-12-31T23:00:00Z", 11 * 3600);
    cp_tz_free(syd);
    /* All-year DST as zic writes it (RFC 8536 section 3.3.1): always -4, year ends included. */
    struct cp_tz *perm = cp_tz_from_posix("EST5EDT,0/0,J365/25", &err);
    assert_non_null(perm);
    check_offset(perm, "2026-01-01T04:00:00Z", -4 * 3600);
    check_offset(perm, "2026-01-01T05:00:00Z", -4 * 3600);
    check_offset(perm, "2026-07-01T00:00:00Z", -4 * 3600);
    check_offset(perm, "2028-12-31T23:59:59Z", -4 * 3600);
    cp_tz_free(perm);
    /* Jn skips February 29, n counts it: J60 is always March 1, 59 is Feb 29 in a leap year.
     * Both rules switch at 00:00 local standard time (3 h west: 03:00Z). */
    struct cp_tz *j = cp_tz_from_posix("AAA3BBB,J60/0,J300/0", &err);
    assert_non_null(j);
    check_offset(j, "2028-02-29T12:00:00Z", -3 * 3600);
    check_offset(j, "2028-03-01T02:59:59Z", -3 * 3600);
    check_offset(j, "2028-03-01T03:00:00Z", -2 * 3600);
    cp_tz_free(j);
    struct cp_tz *z = cp_tz_from_posix("AAA3BBB,59/0,300/0", &err);
    assert_non_null(z);
    check_offset(z, "2028-02-29T02:59:59Z", -3 * 3600);
    check_offset(z, "2028-02-29T03:00:00Z", -2 * 3600);
    check_offset(z, "2027-02-28T12:00:00Z", -3 * 3600);
    check_offset(z, "2027-03-01T03:00:00Z", -2 * 3600);
    cp_tz_free(z);
    /* Quoted numeric abbreviations, offsets with minutes, explicit DST offset, and the RFC 8536
     * extension of rule hours beyond 24 (Israel: Friday before the last Sunday, 02:00). */
    struct cp_tz *q = cp_tz_from_posix("<+0330>-3:30", &err);
    assert_non_null(q);
    check_offset(q, "2026-07-01T00:00:00Z", 3 * 3600 + 1800);
    cp_tz_free(q);
    struct cp_tz *il = cp_tz_from_posix("IST-2IDT,M3.4.4/26,M10.5.0", &err);
    assert_non_null(il);
    check_offset(il, "2026-07-01T00:00:00Z", 3 * 3600);
    check_offset(il, "2026-01-01T00:00:00Z", 2 * 3600);
    cp_tz_free(il);
    struct cp_tz *lh = cp_tz_from_posix("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", &err);
    assert_non_null(lh);
    check_offset(lh, "2026-01-15T00:00:00Z", 11 * 3600);
    check_offset(lh, "2026-07-15T00:00:00Z", 10 * 3600 + 1800);
    cp_tz_free(lh);
    struct cp_tz *neg = cp_tz_from_posix("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", &err);
    assert_non_null(neg);
    cp_tz_free(neg);

    const char *bad[] = {"",
                         "EST",
                         "ES5",
                         "EST5EDT",
                         "EST5EDT,M3.2.0",
                         "EST5EDT,M3.2.0,",
                         "EST25",
                         "EST5 ",
                         "EST5EDT,M13.1.0,M11.1.0",
                         "EST5EDT,M3.6.0,M11.1.0",
                         "EST5EDT,M3.2.7,M11.1.0",
                         "EST5EDT,M3.2.0/168,M11.1.0",
                         "EST5EDT,J0,J365",
                         "EST5EDT,366,0",
                         "<AB>5",
                         "<EST5",
                         "EST5:60",
                         "EST5EDT,M3.2.0,M11.1.0x"};
    for (size_t i = 0; i < CP_ARRAY_LEN(bad); i++) {
        struct cp_tz *tz = cp_tz_from_posix(bad[i], &err);
        if (tz != NULL)
            fail_msg("accepted TZ string '%s'", bad[i]);
        assert_int_equal(err.code, CP_ERR_INVALID_FIELD);
    }
    assert_null(cp_tz_from_posix(NULL, NULL));
}

/* ---- TZif data built by hand ---- */

struct tzbuf {
    uint8_t b[512];
    size_t n;
};

static void
put(struct tzbuf *t, const void *p, size_t n)
{
    assert_true(t->n + n <= sizeof(t->b));
    memcpy(t->b + t->n, p, n);
    t->n += n;
}

static void
put32(struct tzbuf *t, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(t, b, 4);
}

static void
put_header(struct tzbuf *t, char version, uint32_t timecnt, uint32_t typecnt, uint32_t charcnt)
{
    uint8_t h[20] = {'T', 'Z', 'i', 'f', (uint8_t)version};
    put(t, h, sizeof(h));
    put32(t, 0); /* isutcnt */
    put32(t, 0); /* isstdcnt */
    put32(t, 0); /* leapcnt */
    put32(t, timecnt);
    put32(t, typecnt);
    put32(t, charcnt);
}

static void
put_type(struct tzbuf *t, int32_t utoff, uint8_t isdst, uint8_t desigidx)
{
    put32(t, (uint32_t)utoff);
    uint8_t b[2] = {isdst, desigidx};
    put(t, b, 2);
}

/* A "slim" v2 file as zic -b slim writes for a US zone: no transitions at all, only the
 * standard type and the footer rule, so every DST change comes from the footer. */
static void
build_slim(struct tzbuf *t, const char *footer)
{
    t->n = 0;
    put_header(t, '2', 0, 1, 4);
    put_type(t, -18000, 0, 0);
    put(t, "EST", 4);
    put_header(t, '2', 0, 1, 4);
    put_type(t, -18000, 0, 0);
    put(t, "EST", 4);
    put(t, "\n", 1);
    put(t, footer, strlen(footer));
    put(t, "\n", 1);
}

static void
test_tz__parse_built_files(void **state)
{
    (void)state;
    struct tzbuf t;
    struct cp_error err;
    build_slim(&t, "EST5EDT,M3.2.0,M11.1.0");
    struct cp_tz *tz = cp_tz_parse(t.b, t.n, "Test/Slim", &err);
    assert_non_null(tz);
    assert_string_equal(cp_tz_name(tz), "Test/Slim");
    check_offset(tz, "2026-03-08T06:59:59Z", -5 * 3600);
    check_offset(tz, "2026-03-08T07:00:00Z", -4 * 3600);
    check_offset(tz, "2026-11-01T05:59:59Z", -4 * 3600);
    check_offset(tz, "2026-11-01T06:00:00Z", -5 * 3600);
    check_offset(tz, "1970-01-01T00:00:00Z", -5 * 3600);
    cp_tz_free(tz);

    /* Empty footer: the last type holds for ever. */
    build_slim(&t, "");
    tz = cp_tz_parse(t.b, t.n, "Test/NoRule", &err);
    assert_non_null(tz);
    check_offset(tz, "2026-07-01T00:00:00Z", -5 * 3600);
    cp_tz_free(tz);

    /* A bad footer refuses the whole file. */
    build_slim(&t, "EST5EDT");
    assert_null(cp_tz_parse(t.b, t.n, "Test/Bad", &err));
    assert_int_equal(err.code, CP_ERR_INTERNAL);

    /* A version 1 file: 32-bit transitions, no footer, last type after the last transition. */
    t.n = 0;
    put_header(&t, '\0', 2, 2, 8);
    put32(&t, (uint32_t)(int32_t)iso_s("2000-04-02T07:00:00Z"));
    put32(&t, (uint32_t)(int32_t)iso_s("2000-10-29T06:00:00Z"));
    uint8_t idx[2] = {1, 0};
    put(&t, idx, 2);
    put_type(&t, -18000, 0, 0);
    put_type(&t, -14400, 1, 4);
    put(&t, "EST\0EDT", 8);
    tz = cp_tz_parse(t.b, t.n, "Test/V1", &err);
    assert_non_null(tz);
    check_offset(tz, "2000-01-01T00:00:00Z", -5 * 3600);
    check_offset(tz, "2000-04-02T06:59:59Z", -5 * 3600);
    check_offset(tz, "2000-04-02T07:00:00Z", -4 * 3600);
    check_offset(tz, "2000-10-29T06:00:00Z", -5 * 3600);
    check_offset(tz, "2030-07-01T00:00:00Z", -5 * 3600);
    cp_tz_free(tz);

    /* Broken files, each refused: bad magic, type index out of range, descending times,
     * offset out of range, leap-second records, typecnt 0, designation not NUL-terminated. */
    struct tzbuf bad;
    bad = t;
    bad.b[0] = 'X';
    assert_null(cp_tz_parse(bad.b, bad.n, "x", NULL));
    bad = t;
    bad.b[44 + 8] = 2; /* first transition's type index */
    assert_null(cp_tz_parse(bad.b, bad.n, "x", NULL));
    bad = t;
    memcpy(bad.b + 44, t.b + 48, 4); /* both transitions at the same instant */
    assert_null(cp_tz_parse(bad.b, bad.n, "x", NULL));
    bad = t;
    bad.b[44 + 10] = 0x7f; /* utoff of type 0 becomes huge */
    assert_null(cp_tz_parse(bad.b, bad.n, "x", NULL));
    bad = t;
    bad.b[31] = 1; /* leapcnt = 1 (and the data is then short, too) */
    assert_null(cp_tz_parse(bad.b, bad.n, "x", NULL));
    bad = t;
    bad.b[39] = 0; /* typecnt = 0 */
    assert_null(cp_tz_parse(bad.b, bad.n, "x", NULL));
    bad = t;
    bad.b[bad.n - 1] = 'T';
    assert_null(cp_tz_parse(bad.b, bad.n, "x", NULL));
    assert_null(cp_tz_parse(NULL, 0, "x", NULL));
    assert_null(cp_tz_parse(t.b, 0, "x", NULL));
}

static uint8_t *
slurp(const char *path, size_t *out_n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *buf = malloc(1 << 20);
    assert_non_null(buf);
    *out_n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void
test_tz__truncated_and_corrupted_files_are_safe(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *full = slurp(CP_TZ_DIR "/America/New_York", &n);
    if (full == NULL)
        fail_msg("cannot read %s/America/New_York (is tzdata installed?)", CP_TZ_DIR);
    struct cp_tz *whole = cp_tz_parse(full, n, "America/New_York", NULL);
    assert_non_null(whole);
    cp_tz_free(whole);
    /* Every strict prefix is refused (the footer's closing newline is the last byte), and under
     * ASan any read past the prefix would abort the test. Each prefix is copied to a buffer of
     * exactly its size so that ASan sees the end. */
    for (size_t k = 0; k < n; k++) {
        uint8_t *prefix = malloc(k + 1);
        assert_non_null(prefix);
        memcpy(prefix, full, k);
        struct cp_tz *tz = cp_tz_parse(prefix, k, "cut", NULL);
        if (tz != NULL)
            fail_msg("accepted a %zu-byte prefix of a %zu-byte file", k, n);
        free(prefix);
    }
    /* Random corruption: whatever is accepted must answer without crashing. */
    uint32_t seed = 12345;
    for (int round = 0; round < 3000; round++) {
        uint8_t *copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, full, n);
        for (int flips = 0; flips < 1 + round % 4; flips++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            seed = seed * 1103515245u + 12345u;
            copy[at] ^= (uint8_t)(1u << ((seed >> 16) % 8));
        }
        struct cp_tz *tz = cp_tz_parse(copy, n, "fuzz", NULL);
        if (tz != NULL) {
            (void)cp_tz_offset_s(tz, 0);
            (void)cp_tz_offset_s(tz, iso_s("2090-07-01T00:00:00Z"));
            (void)cp_tz_offset_s(tz, -((int64_t)1 << 40));
            cp_tz_free(tz);
        }
        free(copy);
    }
    free(full);
}

static void
test_tz__names_and_loading(void **state)
{
    (void)state;
    const char *good[] = {"America/New_York",
                          "Etc/GMT+5",
                          "Etc/GMT-14",
                          "UTC",
                          "America/Port-au-Prince",
                          "America/Argentina/Buenos_Aires"};
    const char *bad[] = {"",
                         "/etc/passwd",
                         "../etc/passwd",
                         "America/../../etc/passwd",
                         "America//New_York",
                         "America/",
                         "America/New York",
                         "zone.tab",
                         "America/New_York\n",
                         "America\\New_York",
                         NULL};
    for (size_t i = 0; i < CP_ARRAY_LEN(good); i++)
        if (!cp_tz_name_valid(good[i]))
            fail_msg("refused name %s", good[i]);
    for (size_t i = 0; i < CP_ARRAY_LEN(bad); i++)
        if (cp_tz_name_valid(bad[i]))
            fail_msg("accepted name '%s'", bad[i]);
    char longname[CP_TZ_NAME_MAX + 2];
    memset(longname, 'a', sizeof(longname));
    longname[CP_TZ_NAME_MAX] = '\0';
    assert_true(cp_tz_name_valid(longname));
    longname[CP_TZ_NAME_MAX] = 'a';
    longname[CP_TZ_NAME_MAX + 1] = '\0';
    assert_false(cp_tz_name_valid(longname));

    struct cp_error err;
    assert_null(cp_tz_load("../etc/passwd", &err));
    assert_int_equal(err.code, CP_ERR_INVALID_FIELD);
    assert_null(cp_tz_load("America/Nowhere", &err));
    assert_int_equal(err.code, CP_ERR_NOT_FOUND);
    assert_null(cp_tz_load("America", &err)); /* a directory */
    assert_int_equal(err.code, CP_ERR_NOT_FOUND);
    struct cp_tz *tz = cp_tz_load("UTC", &err);
    assert_non_null(tz);
    check_offset(tz, "2026-07-01T00:00:00Z", 0);
    cp_tz_free(tz);
    cp_tz_free(NULL);
    /* Leap-second files (the right/ tree, when installed) are refused, not misread. */
    FILE *f = fopen(CP_TZ_DIR "/right/America/New_York", "rb");
    if (f != NULL) {
        fclose(f);
        assert_null(cp_tz_load("right/America/New_York", &err));
        assert_int_equal(err.code, CP_ERR_INTERNAL);
    }

    /* The cache hands out one shared zone per name. */
    assert_ptr_equal(cp_tz_get("America/Chicago"), cp_tz_get("America/Chicago"));
    assert_ptr_not_equal(cp_tz_get("America/Chicago"), cp_tz_get("America/Denver"));
    assert_null(cp_tz_get("../x"));
    assert_null(cp_tz_get("America/Nowhere"));
}

struct worker {
    const char *name;
    int want_winter, want_summer;
    bool ok;
};

static void *
work(void *arg)
{
    struct worker *w = arg;
    w->ok = true;
    for (int i = 0; i < 2000 && w->ok; i++) {
        const struct cp_tz *tz = cp_tz_get(w->name);
        w->ok = tz != NULL && cp_tz_offset_s(tz, 1768478400) == w->want_winter && /* 2026-01-15 */
                cp_tz_offset_s(tz, 1784116800) == w->want_summer;                 /* 2026-07-15 */
    }
    return NULL;
}

static void
test_tz__cache_is_thread_safe(void **state)
{
    (void)state;
    struct worker w[8] = {
        {"America/Anchorage", -9 * 3600, -8 * 3600, false},
        {"America/Halifax", -4 * 3600, -3 * 3600, false},
        {"America/St_Johns", -(3 * 3600 + 1800), -(2 * 3600 + 1800), false},
        {"America/Regina", -6 * 3600, -6 * 3600, false},
        {"America/Anchorage", -9 * 3600, -8 * 3600, false},
        {"Pacific/Guam", 10 * 3600, 10 * 3600, false},
        {"America/Winnipeg", -6 * 3600, -5 * 3600, false},
        {"America/Puerto_Rico", -4 * 3600, -4 * 3600, false},
    };
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        if (!w[i].ok)
            fail_msg("thread %d (%s) saw a wrong offset", i, w[i].name);
    }
}

/* ---- the area-code table ---- */

static void
test_nanp__tsv_matches_compiled_table(void **state)
{
    (void)state;
    FILE *f = fopen(TSV_PATH, "r");
    if (f == NULL)
        fail_msg("cannot open %s (run the tests from the repository root)", TSV_PATH);
    size_t n_table;
    const struct cp_nanp_entry *t = cp_nanp_entries(&n_table);
    char line[512];
    size_t row = 0, lineno = 0, comments = 0;
    bool seen_data = false, names_sources = false;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n')
            fail_msg("%s:%zu: line too long or unterminated", TSV_PATH, lineno);
        line[--len] = '\0';
        if (line[0] == '#') {
            if (seen_data)
                fail_msg("%s:%zu: comment after the data", TSV_PATH, lineno);
            comments++;
            names_sources = names_sources || strstr(line, "Sources, retrieved") != NULL;
            continue;
        }
        if (lineno == 1)
            fail_msg("%s must start with comment lines", TSV_PATH);
        seen_data = true;
        if (row >= n_table)
            fail_msg("%s:%zu: more rows than the compiled table (%zu)", TSV_PATH, lineno, n_table);
        char *tab1 = strchr(line, '\t');
        char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
        if (tab1 == NULL || tab2 == NULL || strchr(tab2 + 1, '\t') != NULL)
            fail_msg("%s:%zu: want exactly three tab-separated fields", TSV_PATH, lineno);
        *tab1 = *tab2 = '\0';
        const struct cp_nanp_entry *e = &t[row];
        if (strcmp(line, e->npa) != 0 || strcmp(tab1 + 1, e->region) != 0)
            fail_msg("%s:%zu: %s %s, compiled table row %zu has %s %s", TSV_PATH, lineno, line,
                     tab1 + 1, row, e->npa, e->region);
        int z = 0;
        for (char *tok = strtok(tab2 + 1, ","); tok != NULL; tok = strtok(NULL, ","), z++)
            if (z >= e->n_zones || strcmp(tok, e->zones[z]) != 0)
                fail_msg("%s:%zu: zone %d is %s, compiled table says %s", TSV_PATH, lineno, z, tok,
                         z < e->n_zones ? e->zones[z] : "(none)");
        if (z != e->n_zones)
            fail_msg("%s:%zu: %d zones, compiled table has %d", TSV_PATH, lineno, z, e->n_zones);
        row++;
    }
    fclose(f);
    assert_int_equal(row, n_table);
    assert_true(comments >= 5);
    assert_true(names_sources);
}

static void
test_nanp__table_is_well_formed(void **state)
{
    (void)state;
    size_t n;
    const struct cp_nanp_entry *t = cp_nanp_entries(&n);
    assert_true(n > 400);
    for (size_t i = 0; i < n; i++) {
        const struct cp_nanp_entry *e = &t[i];
        assert_int_equal(strlen(e->npa), 3);
        assert_true(e->npa[0] >= '2' && e->npa[0] <= '9');
        if (i > 0 && strcmp(t[i - 1].npa, e->npa) >= 0)
            fail_msg("table not sorted at %s", e->npa);
        assert_true(strncmp(e->region, "US-", 3) == 0 || strncmp(e->region, "CA-", 3) == 0);
        assert_true(e->n_zones >= 1 && e->n_zones <= CP_NANP_MAX_ZONES);
        /* Every zone loads, and the zones of one area code really differ: sampled every six
         * hours through 2026 and 2027, each pair disagrees at some instant (otherwise one of
         * them is redundant under the table's convention). */
        for (int a = 0; a < e->n_zones; a++) {
            const struct cp_tz *za = zone(e->zones[a]);
            for (int b = a + 1; b < e->n_zones; b++) {
                const struct cp_tz *zb = zone(e->zones[b]);
                bool differ = false;
                for (int64_t s = iso_s("2026-01-01T00:00:00Z");
                     s < iso_s("2028-01-01T00:00:00Z") && !differ; s += 6 * 3600)
                    differ = cp_tz_offset_s(za, s) != cp_tz_offset_s(zb, s);
                if (!differ)
                    fail_msg("%s: %s and %s keep the same time", e->npa, e->zones[a], e->zones[b]);
            }
        }
    }
}

static void
expect_entry(const char *e164, const char *region, int n_zones, const char *zone0)
{
    const struct cp_nanp_entry *e = cp_nanp_lookup(e164);
    if (e == NULL)
        fail_msg("%s not found", e164);
    assert_string_equal(e->region, region);
    assert_int_equal(e->n_zones, n_zones);
    assert_string_equal(e->zones[0], zone0);
}

static void
test_nanp__lookup(void **state)
{
    (void)state;
    expect_entry("+12125550123", "US-NY", 1, "America/New_York");
    expect_entry("+12135550123", "US-CA", 1, "America/Los_Angeles");
    expect_entry("+14165550123", "CA-ON", 1, "America/Toronto");
    expect_entry("+16045550123", "CA-BC", 1, "America/Vancouver");
    expect_entry("+19075550123", "US-AK", 2, "America/Anchorage");
    assert_string_equal(cp_nanp_lookup("+19075550123")->zones[1], "America/Adak");
    expect_entry("+16025550123", "US-AZ", 1, "America/Phoenix");
    expect_entry("+18085550123", "US-HI", 1, "Pacific/Honolulu");
    expect_entry("+13175550123", "US-IN", 1, "America/Indiana/Indianapolis");
    expect_entry("+18505550123", "US-FL", 2, "America/Chicago");
    expect_entry("+17875550123", "US-PR", 1, "America/Puerto_Rico");
    expect_entry("+12015550123", "US-NJ", 1, "America/New_York"); /* first row */
    expect_entry("+19895550123", "US-MI", 1, "America/Detroit");  /* last row */
    expect_entry("+14365550123", "US-OH", 1, "America/New_York"); /* 2024 overlay */
    expect_entry("+14835550123", "US-AL", 2, "America/Chicago");  /* 2026 overlay */
    const char *none[] = {
        "+18005550123",  /* toll-free: not a place */
        "+15555550123",  /* not assigned */
        "+18765550123",  /* Jamaica: NANP, not US or Canada */
        "+442071838750", /* not NANP */
        "+1212555012",   /* too short */
        "+121255501234", /* too long */
        "+12120550123",  /* exchange starting with 0 */
        "+11125550123",  /* area code starting with 1 */
        "+1212555012a",  "12125550123", "+1", "", NULL,
    };
    for (size_t i = 0; i < CP_ARRAY_LEN(none); i++)
        if (cp_nanp_lookup(none[i]) != NULL)
            fail_msg("found an entry for '%s'", none[i] ? none[i] : "(null)");
}

/* ---- calling hours ---- */

static void
expect_hours(const char *e164, const char *utc, enum cp_hours_verdict want, const char *zone_want,
             const char *local_want)
{
    struct cp_hours_detail d;
    enum cp_hours_verdict v = cp_calling_hours_check(e164, iso_ms(utc), 8, 21, &d);
    if (v != want)
        fail_msg("%s at %s: %s, want %s (decided by %s at %s)", e164, utc, cp_hours_verdict_name(v),
                 cp_hours_verdict_name(want), d.zone ? d.zone : "-", d.local_time);
    if (zone_want != NULL) {
        assert_non_null(d.zone);
        assert_string_equal(d.zone, zone_want);
    }
    if (local_want != NULL)
        assert_string_equal(d.local_time, local_want);
}

static void
test_nanp__hours_single_zone_edges(void **state)
{
    (void)state;
    /* Arizona (602): MST, UTC-7, all year. */
    expect_hours("+16025550123", "2026-07-16T03:59:59Z", CP_HOURS_OK, "America/Phoenix",
                 "2026-07-15T20:59:59");
    expect_hours("+16025550123", "2026-07-16T04:00:00Z", CP_HOURS_OUTSIDE, "America/Phoenix",
                 "2026-07-15T21:00:00");
    expect_hours("+16025550123", "2026-01-15T14:59:59Z", CP_HOURS_OUTSIDE, NULL,
                 "2026-01-15T07:59:59");
    expect_hours("+16025550123", "2026-01-15T15:00:00Z", CP_HOURS_OK, NULL, "2026-01-15T08:00:00");
    /* Hawaii (808): HST, UTC-10. */
    expect_hours("+18085550123", "2026-01-16T06:59:00Z", CP_HOURS_OK, "Pacific/Honolulu",
                 "2026-01-15T20:59:00");
    expect_hours("+18085550123", "2026-01-16T07:00:00Z", CP_HOURS_OUTSIDE, "Pacific/Honolulu",
                 "2026-01-15T21:00:00");
    /* Indiana (317): EDT in July (UTC-4), EST in January (UTC-5). */
    expect_hours("+13175550123", "2026-07-16T00:59:00Z", CP_HOURS_OK,
                 "America/Indiana/Indianapolis", "2026-07-15T20:59:00");
    expect_hours("+13175550123", "2026-07-16T01:00:00Z", CP_HOURS_OUTSIDE, NULL,
                 "2026-07-15T21:00:00");
    expect_hours("+13175550123", "2026-01-16T01:59:00Z", CP_HOURS_OK, NULL, "2026-01-15T20:59:00");
    expect_hours("+13175550123", "2026-01-16T02:00:00Z", CP_HOURS_OUTSIDE, NULL,
                 "2026-01-15T21:00:00");
    /* Milliseconds before the hour still count as the previous second. */
    struct cp_hours_detail d;
    assert_int_equal(
        cp_calling_hours_check("+16025550123", iso_ms("2026-07-16T04:00:00Z") - 1, 8, 21, &d),
        CP_HOURS_OK);
    assert_int_equal(d.utc_offset_s, -7 * 3600);
    assert_ptr_equal(d.entry, cp_nanp_lookup("+16025550123"));
}

static void
test_nanp__hours_most_restrictive_zone_decides(void **state)
{
    (void)state;
    /*
     * 850, the Florida panhandle: Pensacola and Panama City keep Central time, Tallahassee
     * Eastern (the boundary follows the Apalachicola River, 49 CFR part 71). In July: CDT UTC-5,
     * EDT UTC-4.
     */
    /* 20:30 CDT is 21:30 EDT: too late in Tallahassee. */
    expect_hours("+18505550123", "2026-07-16T01:30:00Z", CP_HOURS_OUTSIDE, "America/New_York",
                 "2026-07-15T21:30:00");
    /* 08:30 EDT is 07:30 CDT: too early in Pensacola. */
    expect_hours("+18505550123", "2026-07-15T12:30:00Z", CP_HOURS_OUTSIDE, "America/Chicago",
                 "2026-07-15T07:30:00");
    /* 09:00 EDT = 08:00 CDT: allowed on both sides; Central is at the edge and is named. */
    expect_hours("+18505550123", "2026-07-15T13:00:00Z", CP_HOURS_OK, "America/Chicago",
                 "2026-07-15T08:00:00");
    /* 20:59:59 EDT = 19:59:59 CDT: allowed; Eastern is one second from the end. */
    expect_hours("+18505550123", "2026-07-16T00:59:59Z", CP_HOURS_OK, "America/New_York",
                 "2026-07-15T20:59:59");
    expect_hours("+14485550123", "2026-07-16T01:00:00Z", CP_HOURS_OUTSIDE, "America/New_York",
                 "2026-07-15T21:00:00");
    /*
     * 541, Oregon: Pacific, and Mountain in Malheur County (Ontario). In January PST UTC-8,
     * MST UTC-7: 20:30 PST is 21:30 MST.
     */
    expect_hours("+15415550123", "2026-01-16T04:30:00Z", CP_HOURS_OUTSIDE, "America/Boise",
                 "2026-01-15T21:30:00");
    expect_hours("+15415550123", "2026-01-16T03:59:59Z", CP_HOURS_OK, "America/Boise",
                 "2026-01-15T20:59:59");
    /* 907, Alaska: 08:30 AKST (UTC-9) is 07:30 HST (UTC-10) on Adak. */
    expect_hours("+19075550123", "2026-01-15T17:30:00Z", CP_HOURS_OUTSIDE, "America/Adak",
                 "2026-01-15T07:30:00");
}

static void
test_nanp__hours_unknown_and_misuse(void **state)
{
    (void)state;
    struct cp_hours_detail d;
    const char *unknown[] = {
        "+18005550123", "+442071838750", "+18765550123", "anonymous", "", NULL};
    for (size_t i = 0; i < CP_ARRAY_LEN(unknown); i++) {
        memset(&d, 0xab, sizeof(d));
        assert_int_equal(
            cp_calling_hours_check(unknown[i], iso_ms("2026-07-15T16:00:00Z"), 8, 21, &d),
            CP_HOURS_UNKNOWN_AREA);
        assert_null(d.entry);
        assert_null(d.zone);
        assert_string_equal(d.local_time, "");
    }
    /* A broken window is never "inside". */
    assert_int_equal(
        cp_calling_hours_check("+12125550123", iso_ms("2026-07-15T16:00:00Z"), 21, 8, NULL),
        CP_HOURS_OUTSIDE);
    assert_int_equal(
        cp_calling_hours_check("+12125550123", iso_ms("2026-07-15T16:00:00Z"), -1, 8, NULL),
        CP_HOURS_OUTSIDE);
    assert_int_equal(
        cp_calling_hours_check("+12125550123", iso_ms("2026-07-15T16:00:00Z"), 8, 25, NULL),
        CP_HOURS_OUTSIDE);
    /* The whole day, and a narrower window. */
    assert_int_equal(
        cp_calling_hours_check("+12125550123", iso_ms("2026-07-15T04:00:00Z"), 0, 24, NULL),
        CP_HOURS_OK);
    assert_int_equal(
        cp_calling_hours_check("+12125550123", iso_ms("2026-07-15T13:00:00Z"), 10, 18, NULL),
        CP_HOURS_OUTSIDE); /* 09:00 EDT */
    assert_string_equal(cp_hours_verdict_name(CP_HOURS_OK), "ok");
    assert_string_equal(cp_hours_verdict_name(CP_HOURS_OUTSIDE), "outside");
    assert_string_equal(cp_hours_verdict_name(CP_HOURS_UNKNOWN_AREA), "unknown_area");
    assert_string_equal(cp_hours_verdict_name(CP_HOURS_NO_TZDATA), "no_tzdata");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tz__new_york_dst_instants),
        cmocka_unit_test(test_tz__fixed_and_indiana),
        cmocka_unit_test(test_tz__far_future_uses_footer_rule),
        cmocka_unit_test(test_tz__posix_rules),
        cmocka_unit_test(test_tz__parse_built_files),
        cmocka_unit_test(test_tz__truncated_and_corrupted_files_are_safe),
        cmocka_unit_test(test_tz__names_and_loading),
        cmocka_unit_test(test_tz__cache_is_thread_safe),
        cmocka_unit_test(test_nanp__tsv_matches_compiled_table),
        cmocka_unit_test(test_nanp__table_is_well_formed),
        cmocka_unit_test(test_nanp__lookup),
        cmocka_unit_test(test_nanp__hours_single_zone_edges),
        cmocka_unit_test(test_nanp__hours_most_restrictive_zone_decides),
        cmocka_unit_test(test_nanp__hours_unknown_and_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
