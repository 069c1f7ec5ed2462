/*
 * Server configuration. One table (config.c) names every setting once; from it come the
 * command-line flag (--max-body-bytes), the environment variable (CALLPROOF_MAX_BODY_BYTES),
 * the config-file key (max_body_bytes = 1048576), the default and the help text.
 * Precedence, lowest first: default, config file, environment, command line.
 */
#ifndef CP_CORE_CONFIG_H
#define CP_CORE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A config-file line under "tenant." (per-tenant policy), kept as text for the domain layer
 * (domain/policy.h) to check and apply. */
#define CP_CONFIG_MAX_TENANT_LINES 64
struct cp_config_tenant_line {
    char key[160]; /* without the "tenant." prefix */
    char value[512];
    int lineno;
};

struct cp_config {
    char listen[128];     /* HOST:PORT; port 0 picks a free one */
    char data_dir[512];   /* holds callproof.db (and, later, recordings and keys) */
    char database[1024];  /* "" = SQLite file in data_dir */
    char public_url[512]; /* "" = http://<listen> */
    char config_file[512];
    char log_level[16];
    int64_t threads;
    int64_t max_body_bytes;
    int64_t max_url_bytes;
    int64_t max_header_bytes;
    int64_t max_headers;
    int64_t max_connections;
    int64_t max_connections_per_ip;
    int64_t idle_timeout_s;
    int64_t header_timeout_s;
    int64_t body_timeout_s;
    int64_t shutdown_timeout_s;
    int64_t idempotency_ttl_hours;
    int64_t max_audio_bytes;
    int64_t recording_url_ttl_s;
    int64_t retention_years;
    struct cp_config_tenant_line tenant_lines[CP_CONFIG_MAX_TENANT_LINES]; /* file only */
    size_t n_tenant_lines;
};

/* Fill c with the defaults. */
void cp_config_defaults(struct cp_config *c);

/*
 * Apply one setting by name (file-key form, "max_body_bytes"; dashes are accepted too).
 * Returns false with a message in err (size n) for an unknown name or a bad value.
 */
bool cp_config_set(struct cp_config *c, const char *name, const char *value, char *err, size_t n);

/* Read a config file of `key = value` lines ('#' starts a comment). Keys under "tenant." are
 * kept in tenant_lines unchecked. False + err on failure. */
bool cp_config_load_file(struct cp_config *c, const char *path, char *err, size_t n);

/* Apply every CALLPROOF_<NAME> environment variable that is set. False + err on a bad value. */
bool cp_config_load_env(struct cp_config *c, char *err, size_t n);

/* True if `flag` (e.g. "--max-body-bytes") names a setting; *out_name gets the key form. */
bool cp_config_is_flag(const char *flag, char *out_name, size_t n);

/* Print the settings table as help text ("  --name VALUE  help (default)"). */
void cp_config_print_help(FILE *out);

/* Derive what depends on other settings (database path, public URL, threads = cores).
 * False + err if something is inconsistent. */
bool cp_config_finish(struct cp_config *c, char *err, size_t n);

#endif
