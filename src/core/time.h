/*
 * Time: wall clock in milliseconds since the Unix epoch (UTC), a monotonic clock for durations,
 * and strict ISO 8601 / RFC 3339 formatting and parsing. Timestamps are int64 milliseconds
 * everywhere inside callproof; text only exists at the edges.
 */
#ifndef CP_CORE_TIME_H
#define CP_CORE_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_TIME_ISO_LEN 21    /* "2026-04-10T15:42:00Z" + NUL */
#define CP_TIME_ISO_MS_LEN 25 /* "2026-04-10T15:42:00.123Z" + NUL */

int64_t cp_time_now_ms(void);
/* Monotonic milliseconds, for deadlines and durations only. */
int64_t cp_time_mono_ms(void);
/* Monotonic microseconds, for request timing. */
int64_t cp_time_mono_us(void);

/* Format as "YYYY-MM-DDTHH:MM:SSZ" (seconds precision; milliseconds are truncated). */
void cp_time_format_iso(int64_t ms, char out[CP_TIME_ISO_LEN]);
/* Format as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void cp_time_format_iso_ms(int64_t ms, char out[CP_TIME_ISO_MS_LEN]);
/* cp_time_format_iso_ms when ms has milliseconds, else cp_time_format_iso (so a time sent as
 * "2026-04-10T15:42:00Z" is written back the same). Returns the length written (no NUL). */
size_t cp_time_format_iso_auto(int64_t ms, char out[CP_TIME_ISO_MS_LEN]);

/*
 * Parse an RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)". The 'T' and
 * 'Z' may be lowercase; the fraction keeps milliseconds (extra digits are truncated). Date
 * fields are range-checked (no Feb 30, no hour 24, leap second 60 is rejected). Years
 * 1970..9999. Returns false on anything else and leaves *out_ms untouched.
 */
bool cp_time_parse_iso(const char *s, int64_t *out_ms);

#endif
