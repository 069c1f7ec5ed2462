/*
 * Line-oriented logger. Each line is formatted into a stack buffer and written with a single
 * write(2), so lines from concurrent threads never interleave (writes under PIPE_BUF to a pipe
 * are atomic, and journald/docker read stderr as a pipe).
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/time.h"

static _Atomic int min_level = CP_LOG_INFO;

void
cp_log_set_level(enum cp_log_level lvl)
{
    atomic_store(&min_level, (int)lvl);
}

int
cp_log_level_parse(const char *s)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, names[i]) == 0)
            return i;
    return -1;
}

void
cp_log(enum cp_log_level lvl, const char *fmt, ...)
{
    static const char *tags[] = {"debug", "info", "warn", "error"};
    if ((int)lvl < atomic_load(&min_level))
        return;
    char line[2048];
    char ts[CP_TIME_ISO_MS_LEN];
    cp_time_format_iso_ms(cp_time_now_ms(), ts);
    int n = snprintf(line, sizeof(line), "%s %s ", ts, tags[lvl]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w; /* nothing sensible to do if stderr is gone */
}
