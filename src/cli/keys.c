/*
 * `callproof keys create|list|revoke`: API key administration on the store directly (no server
 * needed; safe while one runs, SQLite serialises the writes). A new token is printed once, as
 * the last line of stdout, so scripts can take it with `tail -n 1`; only its hash is stored.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "domain/apikey.h"
#include "store/store.h"

static void
usage(FILE *out)
{
    fputs("usage:\n"
          "  callproof keys create --tenant NAME --scopes SCOPE[,SCOPE...] [--data DIR | "
          "--database URL]\n"
          "  callproof keys list   [--data DIR | --database URL]\n"
          "  callproof keys revoke KEY_ID [--data DIR | --database URL]\n\n"
          "Scopes: voice:read, voice:write, audio:download, consent:write, evidence:write,\n"
          "or 'all'. The tenant is created if it does not exist. `create` prints the token\n"
          "(cp_<key id>_<secret>) as the last line of stdout; it cannot be shown again.\n",
          out);
}

struct key_args {
    const char *tenant;
    const char *scopes;
};

static bool
key_flag(const char *flag, const char *value, void *cls)
{
    struct key_args *a = cls;
    if (strcmp(flag, "--tenant") == 0)
        a->tenant = value;
    else if (strcmp(flag, "--scopes") == 0)
        a->scopes = value;
    else
        return false;
    return true;
}

static bool
tenant_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > CP_TENANT_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && strchr("._-", s[i]) == NULL)
            return false;
    return true;
}

struct create {
    const char *tenant;
    struct cp_key_row row;
    struct cp_key_token token;
};

static enum cp_qs
create_txn(struct cp_store_conn *c, void *cls)
{
    struct create *k = cls;
    int64_t now = cp_time_now_ms();
    enum cp_qs qs = c->ops->tenant_ensure(c, k->tenant, now, &k->row.tenant_id);
    if (qs < 0)
        return qs;
    struct cp_key_secret secret;
    cp_apikey_generate(&k->row.key_id, &secret, &k->token);
    cp_apikey_hash(&k->row.key_id, &secret, &k->row.hash);
    k->row.created_ms = now;
    qs = c->ops->key_insert(c, &k->row);
    return qs == CP_QS_NONE ? CP_QS_SOFT : qs; /* id collision: run again with a new id */
}

static void
fmt_time(int64_t ms, char *out)
{
    if (ms == 0)
        strcpy(out, "-");
    else
        cp_time_format_iso(ms, out);
}

static void
list_row(void *cls, const struct cp_key_row *r)
{
    (void)cls;
    char scopes[128], created[CP_TIME_ISO_LEN], used[CP_TIME_ISO_LEN], revoked[CP_TIME_ISO_LEN];
    cp_scope_format(r->scopes, scopes, sizeof(scopes));
    fmt_time(r->created_ms, created);
    fmt_time(r->last_used_ms, used);
    fmt_time(r->revoked_ms, revoked);
    printf("%-16s  %-16s  %-20s  %-20s  %-20s  %s\n", r->key_id.s, r->tenant_name, created, used,
           revoked, scopes);
}

static enum cp_qs
list_txn(struct cp_store_conn *c, void *cls)
{
    (void)cls;
    printf("%-16s  %-16s  %-20s  %-20s  %-20s  %s\n", "KEY ID", "TENANT", "CREATED", "LAST USED",
           "REVOKED", "SCOPES");
    return c->ops->key_list(c, list_row, NULL);
}

struct revoke {
    struct cp_key_id id;
    bool existed;
};

static enum cp_qs
revoke_txn(struct cp_store_conn *c, void *cls)
{
    struct revoke *r = cls;
    struct cp_key_row row;
    enum cp_qs qs = c->ops->key_get(c, &r->id, &row);
    if (qs < 0)
        return qs;
    r->existed = qs == CP_QS_ONE;
    return c->ops->key_revoke(c, &r->id, cp_time_now_ms());
}

int
cp_cli_keys(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        usage(argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    const char *verb = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    }
    struct cp_config cfg;
    struct key_args ka = {0};
    const char *pos[2];
    int npos = 0;
    int rc = cp_cli_config(argc - 1, argv + 1, &cfg, key_flag, &ka, pos, 2, &npos);
    if (rc != 0)
        return rc;

    struct create cr = {0};
    struct revoke rv = {0};
    if (strcmp(verb, "create") == 0) {
        const char *bad = NULL;
        if (ka.tenant == NULL || !tenant_name_valid(ka.tenant)) {
            fprintf(stderr, "callproof: --tenant NAME is required (1-%d of A-Z a-z 0-9 . _ -)\n",
                    CP_TENANT_NAME_MAX);
            return 2;
        }
        if (ka.scopes == NULL || !cp_scope_parse(ka.scopes, &cr.row.scopes, &bad)) {
            fprintf(stderr,
                    "callproof: --scopes needs a comma-separated list of voice:read, "
                    "voice:write, audio:download, consent:write, evidence:write or all%s%s\n",
                    bad && *bad ? "; unknown: " : "", bad && *bad ? bad : "");
            return 2;
        }
        if (npos != 0) {
            usage(stderr);
            return 2;
        }
        cr.tenant = ka.tenant;
    } else if (strcmp(verb, "revoke") == 0) {
        if (npos != 1 || !cp_apikey_id_valid(pos[0])) {
            fprintf(stderr, "callproof: keys revoke needs one KEY_ID (16 hex chars, as shown by "
                            "`keys list`)\n");
            return 2;
        }
        snprintf(rv.id.s, sizeof(rv.id.s), "%s", pos[0]);
    } else if (strcmp(verb, "list") != 0 || npos != 0) {
        usage(stderr);
        return 2;
    }

    if (!cp_cli_mkdirs(cfg.data_dir)) {
        fprintf(stderr, "callproof: cannot create data directory %s\n", cfg.data_dir);
        return 1;
    }
    struct cp_store *store = cp_cli_open_store(&cfg);
    if (store == NULL)
        return 1;
    struct cp_error err;
    struct cp_store_conn *c = cp_store_acquire(store, &err);
    enum cp_qs qs = CP_QS_HARD;
    if (c != NULL) {
        if (verb[0] == 'c')
            qs = cp_store_run(c, true, create_txn, &cr);
        else if (verb[0] == 'r')
            qs = cp_store_run(c, true, revoke_txn, &rv);
        else
            qs = cp_store_run(c, false, list_txn, NULL);
    }
    cp_store_release(c);
    cp_store_close(store);
    if (qs < 0) {
        fprintf(stderr, "callproof: the store failed; nothing was changed\n");
        return 1;
    }
    if (verb[0] == 'c') {
        char scopes[128];
        cp_scope_format(cr.row.scopes, scopes, sizeof(scopes));
        printf("key id: %s\ntenant: %s\nscopes: %s\n"
               "The token below is shown only once; only its hash is stored.\n%s\n",
               cr.row.key_id.s, cr.tenant, scopes, cr.token.s);
    } else if (verb[0] == 'r') {
        if (!rv.existed) {
            fprintf(stderr, "callproof: no key %s\n", rv.id.s);
            return 1;
        }
        printf("%s %s\n", rv.id.s, qs == CP_QS_ONE ? "revoked" : "was already revoked");
    }
    return 0;
}
