/*
 * North American Numbering Plan area codes and the calling-hours rule. 47 CFR 64.1200(c)(1)
 * forbids telephone solicitations "before the hour of 8 a.m. or after 9 p.m. (local time at the
 * called party's location)". The location is not known, so the area code stands in for it: the
 * table (nanp_table.c, the same data as share/nanp_area_codes.tsv) maps every US and Canadian
 * area code to each IANA zone kept somewhere in its territory, and a call is inside the hours
 * only if it is inside them in every one of those zones. A number whose area code is not in the
 * table (not NANP, non-geographic, a Caribbean country) gets CP_HOURS_UNKNOWN_AREA, which the
 * caller records as a compliance note rather than a pass. Pure logic apart from loading zones
 * through cp_tz_get; thread-safe.
 */
#ifndef CP_DOMAIN_NANP_H
#define CP_DOMAIN_NANP_H

#include <stddef.h>
#include <stdint.h>

#define CP_NANP_MAX_ZONES 4

struct cp_nanp_entry {
    char npa[4];        /* "212" */
    const char *region; /* ISO 3166-2, '+' between several: "US-NY", "CA-NS+CA-PE" */
    const char *zones[CP_NANP_MAX_ZONES]; /* IANA names, the zone of most people first */
    int n_zones;                          /* 1..CP_NANP_MAX_ZONES */
};

/* The whole table, sorted by NPA (static storage); *out_n gets its length. */
const struct cp_nanp_entry *cp_nanp_entries(size_t *out_n);

/*
 * The entry for a NANP number in E.164 form, "+1" then exactly ten digits whose area code and
 * exchange code both start with 2..9 ("+12125550123"). Returns a pointer into the static table,
 * or NULL for NULL, anything else, or an area code not in the table.
 */
const struct cp_nanp_entry *cp_nanp_lookup(const char *e164);

enum cp_hours_verdict {
    CP_HOURS_OK,           /* inside the window in every zone of the area code */
    CP_HOURS_OUTSIDE,      /* outside it in at least one zone */
    CP_HOURS_UNKNOWN_AREA, /* not a NANP number, or an area code the table does not have */
    CP_HOURS_NO_TZDATA,    /* a zone could not be loaded (tzdata missing or broken) */
};

/* "ok", "outside", "unknown_area", "no_tzdata" (stable: may be stored in evidence). */
const char *cp_hours_verdict_name(enum cp_hours_verdict v);

struct cp_hours_detail {
    const struct cp_nanp_entry *entry; /* NULL for CP_HOURS_UNKNOWN_AREA */
    const char *zone;                  /* the zone that decided (static), or NULL */
    int utc_offset_s;                  /* that zone's UTC offset at the instant */
    char local_time[20];               /* its local time, "YYYY-MM-DDTHH:MM:SS", or "" */
};

/*
 * Is utc_ms (Unix milliseconds) inside [start_hour:00, end_hour:00) local time at e164's area
 * code, in every zone of it? 8 and 21 implement 64.1200(c)(1): 08:00:00 and 20:59:59 are
 * inside, 21:00:00 is not. The deciding zone in *out (may be NULL) is the first zone where the
 * call is outside; when it is inside everywhere, the zone nearest to either end of the window.
 * Hours must satisfy 0 <= start_hour < end_hour <= 24; anything else is our bug, logged, and
 * answered CP_HOURS_OUTSIDE so that nobody is called on a broken configuration.
 */
enum cp_hours_verdict cp_calling_hours_check(const char *e164, int64_t utc_ms, int start_hour,
                                             int end_hour, struct cp_hours_detail *out);

#endif
