/*
 * Fatal exits, bug reports and hex helpers. Kept free of third-party headers so that every
 * other layer may depend on it.
 */
#include "core/util.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

void
cp_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("callproof: fatal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static _Atomic bool bug_fatal;

void
cp_bug_set_fatal(bool fatal)
{
    bug_fatal = fatal;
}

void
cp_bug_report(const char *file, int line, const char *expr)
{
    cp_log(CP_LOG_ERROR, "BUG at %s:%d: %s", file, line, expr);
    if (bug_fatal)
        abort();
}

void
cp_client_report(const char *file, int line, const char *expr)
{
    cp_log(CP_LOG_DEBUG, "client error at %s:%d: %s", file, line, expr);
}

void
cp_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int
cp_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool
cp_hex_decode(const char *in, size_t n_chars, uint8_t *out)
{
    if (n_chars % 2 != 0)
        return false;
    for (size_t i = 0; i < n_chars; i += 2) {
        int hi = cp_hex_digit(in[i]), lo = cp_hex_digit(in[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void
cp_utf8_trim_tail(char *s)
{
    size_t n = strlen(s);
    /* Walk back over continuation bytes (at most 3) to the lead byte of the last sequence. */
    size_t i = n, cont = 0;
    while (i > 0 && cont < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
        i--;
        cont++;
    }
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
    if (lead < 0x80 && cont == 0)
        return;
    if (need != cont) /* the last sequence is cut short (or is stray continuation bytes) */
        s[i - 1] = '\0';
}

bool
cp_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int
cp_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
