/*
 * callproof: argv -> subcommand. Everything else lives in cli/ and below.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

static void
usage(FILE *out)
{
    fputs("callproof " CP_VERSION " - evidence-grade records of AI voice calls\n\n"
          "usage: callproof <command> [options]\n\n"
          "commands:\n"
          "  serve        serve the HTTP API (callproof serve --help)\n"
          "  keys         create, list and revoke API keys (callproof keys --help)\n"
          "  verify       check an evidence export offline (callproof verify --help)\n"
          "  version      print the version\n\n"
          "Docs: README.md, docs/API.md, docs/ERRORS.md.\n",
          out);
}

int
main(int argc, char **argv)
{
    /* Everything callproof writes (database, WAL, later recordings and keys) is for its own
     * user only. */
    umask(077);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("callproof %s\n", CP_VERSION);
        return 0;
    }
    if (strcmp(cmd, "serve") == 0)
        return cp_cli_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "keys") == 0)
        return cp_cli_keys(argc - 2, argv + 2);
    if (strcmp(cmd, "verify") == 0)
        return cp_cli_verify(argc - 2, argv + 2);
    fprintf(stderr, "callproof: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
