/*
 * The three assertion macros and the few helpers everything uses.
 *
 *   CP_ASSERT(x)     fatal: a broken invariant. Stays on in release builds (Redis style):
 *                    continuing with corrupt state in an evidence store is worse than a restart.
 *   CP_BUG(x)        our bug, but survivable: logs loudly with file:line and evaluates to x, so
 *                    `if (CP_BUG(p == NULL)) return CP_ERR_INTERNAL;` reads naturally.
 *   CP_CLIENT(x)     the client's fault: logs at debug level and evaluates to x; the caller
 *                    answers 4xx.
 */
#ifndef CP_CORE_UTIL_H
#define CP_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

_Noreturn void cp_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cp_bug_report(const char *file, int line, const char *expr);
/* From now on cp_bug_report aborts after logging (default: log and go on). For fuzzers and
 * tests, where a survivable bug of ours must still stop the run and be reported. */
void cp_bug_set_fatal(bool fatal);
void cp_client_report(const char *file, int line, const char *expr);

#define CP_ASSERT(x)                                                                               \
    do {                                                                                           \
        if (!(x))                                                                                  \
            cp_die("assertion failed at %s:%d: %s", __FILE__, __LINE__, #x);                       \
    } while (0)

#define CP_BUG(x) ((x) ? (cp_bug_report(__FILE__, __LINE__, #x), true) : false)
#define CP_CLIENT(x) ((x) ? (cp_client_report(__FILE__, __LINE__, #x), true) : false)

/* Cut an incomplete UTF-8 sequence off the end of s (left by a byte-count truncation such as
 * snprintf's), so the string stays valid UTF-8 if it was before the cut. */
void cp_utf8_trim_tail(char *s);
/* Value of one hex digit (either case), or -1. */
int cp_hex_digit(char c);
/* Hex-encode n bytes into out (2n+1 bytes, NUL-terminated). */
void cp_hex_encode(const uint8_t *in, size_t n, char *out);
/* Decode exactly 2n lowercase/uppercase hex chars into n bytes. Returns false on any bad char. */
bool cp_hex_decode(const char *in, size_t n_chars, uint8_t *out);
/* Parse all of s as a decimal integer (strtoll's syntax) within [lo, hi] into *out; false (and
 * *out untouched) otherwise. For settings, not for untrusted wire input. */
bool cp_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out);
/* CPUs this process may run on (its affinity mask, as `taskset` or a container's cpuset set
 * it; else the online CPUs); at least 1. */
int cp_cpu_count(void);

#endif
