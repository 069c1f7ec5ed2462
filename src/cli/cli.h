/*
 * Subcommands of the callproof binary. Each returns the process exit status:
 * 0 success, 1 runtime failure, 2 usage error.
 */
#ifndef CP_CLI_CLI_H
#define CP_CLI_CLI_H

#include <stdbool.h>

#include "core/config.h"

int cp_cli_serve(int argc, char **argv);
int cp_cli_keys(int argc, char **argv);
int cp_cli_verify(int argc, char **argv);

/*
 * Load configuration in precedence order (defaults < config file < environment < flags) from
 * argv (flags of the form --name VALUE or --name=VALUE). Unknown flags are errors unless
 * extra_ok(flag) accepts them; *out_positional collects non-flag arguments (at most
 * max_positional). Returns 0 on success or the exit status to use (2 for usage errors).
 */
typedef bool (*cp_cli_extra_fn)(const char *flag, const char *value, void *cls);
int cp_cli_config(int argc, char **argv, struct cp_config *cfg, cp_cli_extra_fn extra_ok, void *cls,
                  const char **out_positional, int max_positional, int *out_n_pos);

/* Initialise libsodium and open the store named by cfg->database, printing the reason to
 * stderr on failure (NULL). */
struct cp_store *cp_cli_open_store(const struct cp_config *cfg);

/* mkdir -p with mode 0700 for the data directory. False (and errno) on failure. */
bool cp_cli_mkdirs(const char *path);

#endif
