/*
 * Time zones from the system time zone database: TZif files (RFC 8536, versions 1 to 4) under
 * /usr/share/zoneinfo, read once by IANA name ("America/Phoenix") and then answered from
 * memory. For instants after a file's last transition the footer's POSIX TZ rule string
 * ("EST5EDT,M3.2.0,M11.1.0", POSIX.1-2017 section 8.3 with the RFC 8536 section 3.3.1
 * extensions) is evaluated, so any future year is right for as long as its rules hold; the
 * compact ("slim") files that zic writes by default rely on it even for the present.
 *
 * Why not localtime_r: it consults the process-wide TZ variable, so answering for two zones
 * at once means setenv, which is not thread-safe. A struct cp_tz is immutable after loading
 * and can be shared by any number of threads. This module reads zoneinfo files and nothing
 * else; every read of file data is bounds-checked, and a file that breaks any rule of RFC 8536
 * is refused whole rather than half-used. Files with leap-second records (the "right/" tree)
 * are refused: their transition times are not POSIX times.
 */
#ifndef CP_DOMAIN_TZIF_H
#define CP_DOMAIN_TZIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#ifndef CP_TZ_DIR
#define CP_TZ_DIR "/usr/share/zoneinfo"
#endif
#define CP_TZ_NAME_MAX 255
/* Real zoneinfo files are a few KiB; anything larger is refused before parsing. */
#define CP_TZ_MAX_FILE_BYTES (1024 * 1024)
/* Distinct zones cp_tz_get keeps; the area-code table names a few dozen. */
#define CP_TZ_CACHE_MAX 128

struct cp_tz;

/* True if name is a plausible IANA zone name that stays inside CP_TZ_DIR: 1..CP_TZ_NAME_MAX
 * characters from [A-Za-z0-9_/+-], not starting or ending with '/', no empty component and
 * no "..". Checked before any file is opened. */
bool cp_tz_name_valid(const char *name);

/*
 * Load the zone `name` from CP_TZ_DIR. Returns an owned zone (free with cp_tz_free), or NULL
 * with *err set (err may be NULL): CP_ERR_INVALID_FIELD for a bad name, CP_ERR_NOT_FOUND if
 * the file cannot be opened, CP_ERR_INTERNAL if it is not a valid TZif file.
 */
struct cp_tz *cp_tz_load(const char *name, struct cp_error *err);

/*
 * Parse TZif data already in memory (n bytes at buf, borrowed) and label it `name` (copied;
 * must be at most CP_TZ_NAME_MAX bytes). Same ownership and errors as cp_tz_load, without the
 * name check. For tests and fuzzing: any bytes at all are safe to pass.
 */
struct cp_tz *cp_tz_parse(const uint8_t *buf, size_t n, const char *name, struct cp_error *err);

/*
 * A zone with no transitions that follows the POSIX TZ rule string tz_string (for example
 * "AEST-10AEDT,M10.1.0,M4.1.0/3"), labelled with that string. DST without a rule ("EST5EDT")
 * is refused: POSIX leaves its meaning to the implementation. Returns an owned zone or NULL
 * with *err set (CP_ERR_INVALID_FIELD).
 */
struct cp_tz *cp_tz_from_posix(const char *tz_string, struct cp_error *err);

/* Free a zone from cp_tz_load, cp_tz_parse or cp_tz_from_posix. Accepts NULL. Never pass a
 * zone from cp_tz_get. */
void cp_tz_free(struct cp_tz *tz);

/* The zone's name (borrowed, lives as long as tz). */
const char *cp_tz_name(const struct cp_tz *tz);

/*
 * UTC offset in seconds (east of Greenwich positive: -14400 for EDT) in force at the instant
 * utc_s (Unix seconds). Before the first transition the file's first local time type applies
 * (RFC 8536 section 3.2); after the last one the footer rule, or the last type when the file
 * has no rule. Instants beyond +-2^52 s are clamped. Thread-safe.
 */
int cp_tz_offset_s(const struct cp_tz *tz, int64_t utc_s);

/*
 * The zone `name` from a process-wide cache, loading it on first use (mutex-protected; a load
 * holds the lock, so concurrent first uses of other zones wait for it). The zone is borrowed
 * and lives until the process exits. NULL if the name is invalid, the zone cannot be loaded
 * (a failed load is retried on the next call) or the cache already holds CP_TZ_CACHE_MAX
 * zones.
 */
const struct cp_tz *cp_tz_get(const char *name);

#endif
