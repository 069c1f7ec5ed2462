/*
 * Shared argv handling for subcommands: config precedence and the data directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "crypto/crypto.h"
#include "store/store.h"

bool
cp_cli_mkdirs(const char *path)
{
    char tmp[1024];
    if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return false;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return false;
    return true;
}

/* Split "--name=value" or take the next argument as the value. */
static bool
flag_value(int argc, char **argv, int *i, char *name, size_t n, const char **value)
{
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');
    if (eq != NULL) {
        snprintf(name, n, "%.*s", (int)(eq - a), a);
        *value = eq + 1;
        return true;
    }
    snprintf(name, n, "%s", a);
    if (*i + 1 >= argc)
        return false;
    *value = argv[++*i];
    return true;
}

int
cp_cli_config(int argc, char **argv, struct cp_config *cfg, cp_cli_extra_fn extra_ok, void *cls,
              const char **out_positional, int max_positional, int *out_n_pos)
{
    char err[512];
    cp_config_defaults(cfg);

    /* The config file comes first in precedence, so find it before anything else. */
    const char *file = getenv("CALLPROOF_CONFIG");
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (file != NULL && file[0] != '\0') {
        if (!cp_config_load_file(cfg, file, err, sizeof(err))) {
            fprintf(stderr, "callproof: %s\n", err);
            return 2;
        }
        snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", file);
    }
    if (!cp_config_load_env(cfg, err, sizeof(err))) {
        fprintf(stderr, "callproof: %s\n", err);
        return 2;
    }
    *out_n_pos = 0;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) {
            if (*out_n_pos >= max_positional) {
                fprintf(stderr, "callproof: unexpected argument '%s'\n", argv[i]);
                return 2;
            }
            out_positional[(*out_n_pos)++] = argv[i];
            continue;
        }
        char name[64], key[64];
        const char *value = NULL;
        if (!flag_value(argc, argv, &i, name, sizeof(name), &value)) {
            fprintf(stderr, "callproof: %s needs a value\n", name);
            return 2;
        }
        if (cp_config_is_flag(name, key, sizeof(key))) {
            if (!cp_config_set(cfg, key, value, err, sizeof(err))) {
                fprintf(stderr, "callproof: %s\n", err);
                return 2;
            }
        } else if (extra_ok == NULL || !extra_ok(name, value, cls)) {
            fprintf(stderr, "callproof: unknown option '%s' (see --help)\n", name);
            return 2;
        }
    }
    if (!cp_config_finish(cfg, err, sizeof(err))) {
        fprintf(stderr, "callproof: %s\n", err);
        return 2;
    }
    return 0;
}

struct cp_store *
cp_cli_open_store(const struct cp_config *cfg)
{
    cp_crypto_init();
    struct cp_error err;
    struct cp_store *store = cp_store_open(cfg->database, &err);
    if (store == NULL)
        fprintf(stderr, "callproof: %s\n", err.message);
    return store;
}
