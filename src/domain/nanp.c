/*
 * Area-code lookup and the calling-hours check (see nanp.h). The most restrictive zone wins:
 * for an area code that straddles a boundary the permitted window is the intersection of the
 * windows of all its zones, because the caller cannot tell from the number which side of the
 * line the called party lives on, and 64.1200(c)(1) is about their clock, not ours.
 */
#include "domain/nanp.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "domain/civil.h"
#include "domain/tzif.h"

static bool
digit(char c)
{
    return c >= '0' && c <= '9';
}

const struct cp_nanp_entry *
cp_nanp_lookup(const char *e164)
{
    if (e164 == NULL || e164[0] != '+' || e164[1] != '1')
        return NULL;
    const char *n = e164 + 2;
    for (int i = 0; i < 10; i++)
        if (!digit(n[i]))
            return NULL;
    /* NANP numbers are NXX-NXX-XXXX: neither the area code nor the exchange starts with 0/1. */
    if (n[10] != '\0' || n[0] < '2' || n[3] < '2')
        return NULL;
    size_t count;
    const struct cp_nanp_entry *t = cp_nanp_entries(&count);
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(t[mid].npa, n, 3);
        if (c == 0)
            return &t[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *
cp_hours_verdict_name(enum cp_hours_verdict v)
{
    switch (v) {
    case CP_HOURS_OK:
        return "ok";
    case CP_HOURS_OUTSIDE:
        return "outside";
    case CP_HOURS_UNKNOWN_AREA:
        return "unknown_area";
    case CP_HOURS_NO_TZDATA:
        return "no_tzdata";
    }
    return "unknown";
}

static void
fill_detail(struct cp_hours_detail *out, const char *zone, int off_s, int64_t utc_s)
{
    if (out == NULL)
        return;
    out->zone = zone;
    out->utc_offset_s = off_s;
    int64_t local = utc_s + off_s;
    int64_t days = cp_civil_floor_div(local, CP_CIVIL_DAY_S);
    int64_t sod = local - days * CP_CIVIL_DAY_S;
    int64_t y;
    int m, d;
    cp_civil_from_days(days, &y, &m, &d);
    /* Reduced modulo the field widths so the compiler can see that 20 bytes suffice; the
     * values are already in range for every year the table can meet. */
    unsigned yy = (unsigned)(y < 0 ? 0 : y > 9999 ? 9999 : y);
    snprintf(out->local_time, sizeof(out->local_time), "%04u-%02u-%02uT%02u:%02u:%02u", yy % 10000u,
             (unsigned)m % 100u, (unsigned)d % 100u, (unsigned)(sod / 3600) % 100u,
             (unsigned)(sod / 60 % 60) % 100u, (unsigned)(sod % 60) % 100u);
}

enum cp_hours_verdict
cp_calling_hours_check(const char *e164, int64_t utc_ms, int start_hour, int end_hour,
                       struct cp_hours_detail *out)
{
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (CP_BUG(start_hour < 0 || end_hour > 24 || start_hour >= end_hour))
        return CP_HOURS_OUTSIDE;
    const struct cp_nanp_entry *e = cp_nanp_lookup(e164);
    if (e == NULL || CP_BUG(e->n_zones < 1 || e->n_zones > CP_NANP_MAX_ZONES))
        return CP_HOURS_UNKNOWN_AREA;
    if (out != NULL)
        out->entry = e;

    int64_t utc_s = cp_civil_floor_div(utc_ms, 1000);
    int64_t start_s = (int64_t)start_hour * 3600, end_s = (int64_t)end_hour * 3600;
    int best = -1, best_off = 0;
    int64_t best_margin = 0;
    for (int i = 0; i < e->n_zones; i++) {
        const struct cp_tz *tz = cp_tz_get(e->zones[i]);
        if (tz == NULL) {
            if (out != NULL)
                out->zone = e->zones[i];
            return CP_HOURS_NO_TZDATA;
        }
        int off = cp_tz_offset_s(tz, utc_s);
        int64_t sod = cp_civil_floor_mod(utc_s + off, CP_CIVIL_DAY_S);
        if (sod < start_s || sod >= end_s) {
            fill_detail(out, e->zones[i], off, utc_s);
            return CP_HOURS_OUTSIDE;
        }
        int64_t margin = sod - start_s < end_s - sod ? sod - start_s : end_s - sod;
        if (best < 0 || margin < best_margin) {
            best = i;
            best_margin = margin;
            best_off = off;
        }
    }
    fill_detail(out, e->zones[best], best_off, utc_s);
    return CP_HOURS_OK;
}
