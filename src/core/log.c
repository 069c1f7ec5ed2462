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

#define LINE_MAX_BYTES 2048

bool
cp_log_enabled(enum cp_log_level lvl)
{
    return (int)lvl >= atomic_load(&min_level);
}

void
cp_log_text(enum cp_log_level lvl, const char *msg, size_t n)
{
    static const char *const tags[] = {"debug ", "info ", "warn ", "error "};
    if (!cp_log_enabled(lvl))
        return;
    char line[LINE_MAX_BYTES];
    cp_time_format_iso_ms(cp_time_now_ms(), line); /* CP_TIME_ISO_MS_LEN - 1 bytes */
    size_t len = CP_TIME_ISO_MS_LEN - 1;
    line[len++] = ' ';
    size_t t = strlen(tags[lvl]);
    memcpy(line + len, tags[lvl], t);
    len += t;
    if (n > sizeof(line) - 1 - len)
        n = sizeof(line) - 1 - len; /* cut, never split over two writes */
    memcpy(line + len, msg, n);
    len += n;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w; /* nothing sensible to do if stderr is gone */
}

void
cp_log(enum cp_log_level lvl, const char *fmt, ...)
{
    if (!cp_log_enabled(lvl))
        return;
    char msg[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t n = m < 0 ? 0 : (size_t)m < sizeof(msg) ? (size_t)m : sizeof(msg) - 1;
    cp_log_text(lvl, msg, n);
}
