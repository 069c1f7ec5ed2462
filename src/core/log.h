/*
 * Logging to stderr, one line per event, safe from any thread (each line is one write(2)).
 * Request lines are written by the HTTP layer with cp_log_request-like formatting through cp_log.
 */
#ifndef CP_CORE_LOG_H
#define CP_CORE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum cp_log_level { CP_LOG_DEBUG = 0, CP_LOG_INFO, CP_LOG_WARN, CP_LOG_ERROR };

/* Lines below this level are dropped. Default INFO; CALLPROOF_LOG_LEVEL=debug lowers it. */
void cp_log_set_level(enum cp_log_level lvl);
/* Parse "debug|info|warn|error"; returns -1 on anything else. */
int cp_log_level_parse(const char *s);
void cp_log(enum cp_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line already written by the caller (msg[0..n), no newline): the request log, which builds
 * its line without printf. Cut to fit one write of the usual line size. */
void cp_log_text(enum cp_log_level lvl, const char *msg, size_t n);
/* Whether lines of lvl are written (to skip building one). */
bool cp_log_enabled(enum cp_log_level lvl);

#endif
