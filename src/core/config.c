/*
 * The settings table and its parsers. Integer settings are range-checked: a limit of 0 that
 * silently means "unlimited" is how libmicrohttpd's defaults became unsafe, so every limit here
 * has a positive minimum.
 */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

enum kind { K_STR, K_INT };

struct setting {
    const char *name;
    enum kind kind;
    size_t offset;
    size_t size; /* K_STR buffer size */
    int64_t min, max;
    const char *def;
    const char *help;
};

#define STR(n, d, h)                                                                               \
    {                                                                                              \
#n, K_STR, offsetof(struct cp_config, n), sizeof(((struct cp_config *)0)->n), 0, 0, d, h   \
    }
#define INT(n, mn, mx, d, h)                                                                       \
    {                                                                                              \
#n, K_INT, offsetof(struct cp_config, n), 0, mn, mx, d, h                                  \
    }

static const struct setting settings[] = {
    STR(listen, "127.0.0.1:8080",
        "address and port to serve on (HOST:PORT, [V6]:PORT; port 0 = any free port)"),
    {"data", K_STR, offsetof(struct cp_config, data_dir), sizeof(((struct cp_config *)0)->data_dir),
     0, 0, "./data", "data directory (SQLite database, and later recordings and signing keys)"},
    STR(database, "",
        "database URL: a SQLite path or sqlite:PATH (default DATA/callproof.db), or "
        "postgres://USER:PASS@HOST:PORT/DB for PostgreSQL"),
    STR(public_url, "",
        "URL clients reach this server at, used in links it hands out (default http://LISTEN)"),
    {"config", K_STR, offsetof(struct cp_config, config_file),
     sizeof(((struct cp_config *)0)->config_file), 0, 0, "",
     "config file of `key = value` lines with these same names"},
    STR(log_level, "info", "debug, info, warn or error"),
    INT(threads, 0, 256, "0",
        "HTTP worker threads (0 = four per CPU it may use; creates and post-calls hand their write "
        "to the store's writer thread, which commits concurrent writes together)"),
    INT(max_body_bytes, 1024, 1LL << 30, "1048576", "largest JSON request body; larger -> 413"),
    INT(max_url_bytes, 256, 65536, "8192", "longest request URL (path and query); longer -> 414"),
    INT(max_header_bytes, 1024, 1048576, "16384",
        "largest total size of request headers; larger -> 431"),
    INT(max_headers, 8, 1000, "64", "most request headers; more -> 431"),
    INT(max_connections, 4, 100000, "1024",
        "most open connections in total; more are closed at once"),
    INT(max_connections_per_ip, 1, 100000, "128",
        "most open connections from one client address; more are closed at once"),
    INT(idle_timeout_s, 1, 3600, "30", "close a connection idle this long (seconds)"),
    INT(header_timeout_s, 1, 3600, "10",
        "cut off a connection whose request line and headers take longer (seconds; on a "
        "kept-alive connection, counted after idle-timeout-s)"),
    INT(body_timeout_s, 1, 3600, "60",
        "cut off a request whose headers and body take longer (seconds)"),
    INT(shutdown_timeout_s, 1, 3600, "30",
        "on SIGTERM, wait this long for in-flight requests (seconds)"),
    INT(idempotency_ttl_hours, 24, 24 * 365, "24",
        "keep Idempotency-Key responses at least this long (hours)"),
    INT(max_audio_bytes, 1024, 1LL << 40, "536870912", "largest recording upload; larger -> 413"),
    INT(recording_url_ttl_s, 1, 7 * 86400, "900",
        "how long a signed recording link stays valid (seconds)"),
    INT(retention_years, 1, 100, "4",
        "keep sealed evidence at least this many years after the call ends (TSR records: 5)"),
};

static const struct setting *
find(const char *name)
{
    char norm[64];
    size_t i = 0;
    for (; name[i] != '\0' && i < sizeof(norm) - 1; i++)
        norm[i] = name[i] == '-' ? '_' : name[i];
    norm[i] = '\0';
    for (size_t k = 0; k < CP_ARRAY_LEN(settings); k++)
        if (strcmp(settings[k].name, norm) == 0)
            return &settings[k];
    return NULL;
}

static bool
apply(struct cp_config *c, const struct setting *s, const char *value, char *err, size_t n)
{
    char *base = (char *)c + s->offset;
    if (s->kind == K_STR) {
        if (strlen(value) >= s->size) {
            snprintf(err, n, "%s: value too long (at most %zu bytes)", s->name, s->size - 1);
            return false;
        }
        memcpy(base, value, strlen(value) + 1);
        return true;
    }
    int64_t v;
    if (!cp_parse_int(value, s->min, s->max, &v)) {
        snprintf(err, n, "%s: '%s' is not an integer between %lld and %lld", s->name, value,
                 (long long)s->min, (long long)s->max);
        return false;
    }
    memcpy(base, &v, sizeof(v));
    return true;
}

void
cp_config_defaults(struct cp_config *c)
{
    memset(c, 0, sizeof(*c));
    char err[128];
    for (size_t k = 0; k < CP_ARRAY_LEN(settings); k++)
        CP_ASSERT(apply(c, &settings[k], settings[k].def, err, sizeof(err)));
}

bool
cp_config_set(struct cp_config *c, const char *name, const char *value, char *err, size_t n)
{
    const struct setting *s = find(name);
    if (s == NULL) {
        snprintf(err, n, "unknown setting '%s'", name);
        return false;
    }
    return apply(c, s, value, err, n);
}

static char *
trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

bool
cp_config_load_file(struct cp_config *c, const char *path, char *err, size_t n)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, n, "cannot open config file %s: %s", path, strerror(errno));
        return false;
    }
    char line[2048];
    int lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *l = trim(line);
        if (*l == '\0')
            continue;
        char *eq = strchr(l, '=');
        if (eq == NULL) {
            snprintf(err, n, "%s:%d: expected `key = value`", path, lineno);
            ok = false;
            break;
        }
        *eq = '\0';
        char *key = trim(l), *val = trim(eq + 1);
        size_t vl = strlen(val);
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val[vl - 1] = '\0';
            val++;
        }
        if (strncmp(key, "tenant.", 7) == 0) {
            struct cp_config_tenant_line *t = &c->tenant_lines[c->n_tenant_lines];
            if (c->n_tenant_lines == CP_CONFIG_MAX_TENANT_LINES ||
                strlen(key + 7) >= sizeof(t->key) || strlen(val) >= sizeof(t->value)) {
                snprintf(err, n, "%s:%d: too many tenant settings (at most %d) or one too long",
                         path, lineno, CP_CONFIG_MAX_TENANT_LINES);
                ok = false;
                break;
            }
            snprintf(t->key, sizeof(t->key), "%s", key + 7);
            snprintf(t->value, sizeof(t->value), "%s", val);
            t->lineno = lineno;
            c->n_tenant_lines++;
            continue;
        }
        char e2[256];
        if (strcmp(key, "config") == 0 || !cp_config_set(c, key, val, e2, sizeof(e2))) {
            snprintf(err, n, "%s:%d: %s", path, lineno,
                     strcmp(key, "config") == 0 ? "a config file cannot name another" : e2);
            ok = false;
        }
    }
    fclose(f);
    return ok;
}

bool
cp_config_load_env(struct cp_config *c, char *err, size_t n)
{
    for (size_t k = 0; k < CP_ARRAY_LEN(settings); k++) {
        char env[80] = "CALLPROOF_";
        size_t off = strlen(env);
        for (const char *p = settings[k].name; *p && off < sizeof(env) - 1; p++)
            env[off++] = (char)toupper((unsigned char)*p);
        env[off] = '\0';
        const char *v = getenv(env);
        if (v == NULL)
            continue;
        char e2[256];
        if (!apply(c, &settings[k], v, e2, sizeof(e2))) {
            snprintf(err, n, "%s: %s", env, e2);
            return false;
        }
    }
    return true;
}

bool
cp_config_is_flag(const char *flag, char *out_name, size_t n)
{
    if (strncmp(flag, "--", 2) != 0)
        return false;
    const struct setting *s = find(flag + 2);
    if (s == NULL)
        return false;
    snprintf(out_name, n, "%s", s->name);
    return true;
}

void
cp_config_print_help(FILE *out)
{
    for (size_t k = 0; k < CP_ARRAY_LEN(settings); k++) {
        char flag[64], env[64];
        size_t i;
        for (i = 0; settings[k].name[i] && i < sizeof(flag) - 1; i++)
            flag[i] = settings[k].name[i] == '_' ? '-' : settings[k].name[i];
        flag[i] = '\0';
        for (i = 0; settings[k].name[i] && i < sizeof(env) - 1; i++)
            env[i] = (char)toupper((unsigned char)settings[k].name[i]);
        env[i] = '\0';
        fprintf(out, "  --%-24s %s\n  %-26s env CALLPROOF_%s%s%s%s\n", flag, settings[k].help, "",
                env, settings[k].def[0] ? ", default " : "", settings[k].def, "");
    }
}

bool
cp_config_finish(struct cp_config *c, char *err, size_t n)
{
    if (cp_log_level_parse(c->log_level) < 0) {
        snprintf(err, n, "log_level: '%s' is not debug, info, warn or error", c->log_level);
        return false;
    }
    cp_log_set_level((enum cp_log_level)cp_log_level_parse(c->log_level));
    if (c->threads == 0) {
        c->threads = 4 * cp_cpu_count();
    }
    if (c->database[0] == '\0') {
        if ((size_t)snprintf(c->database, sizeof(c->database), "%s/callproof.db", c->data_dir) >=
            sizeof(c->database)) {
            snprintf(err, n, "data: path too long");
            return false;
        }
    }
    if (c->public_url[0] == '\0')
        return true; /* serve fills it in from the address actually bound */
    size_t pl = strlen(c->public_url);
    while (pl > 0 && c->public_url[pl - 1] == '/')
        c->public_url[--pl] = '\0';
    if (strncmp(c->public_url, "http://", 7) != 0 && strncmp(c->public_url, "https://", 8) != 0) {
        snprintf(err, n, "public_url: '%s' must start with http:// or https://", c->public_url);
        return false;
    }
    return true;
}
