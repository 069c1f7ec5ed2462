/*
 * `callproof serve`: open the store, make the first key on an empty store, serve until SIGTERM
 * or SIGINT, then drain: stop accepting, let in-flight requests finish (up to
 * shutdown_timeout_s), close the store, exit 0.
 *
 * Signals are blocked in every thread (the mask is set before libmicrohttpd starts its
 * workers, which inherit it) and taken synchronously by the main thread with sigtimedwait,
 * which also gives the main thread a once-a-minute tick for maintenance (purging expired
 * idempotency records). No async-signal-safety puzzles.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "domain/apikey.h"
#include "domain/policy.h"
#include "handlers/log_integrator.h"
#include "http/idem.h"
#include "http/server.h"
#include "domain/signed_url.h"
#include "store/blob.h"
#include "store/store.h"

#define MAINTENANCE_EVERY_S 60
#define SHARED_SWEEP_AGE_S 3600 /* an upload temp file untouched this long is abandoned */

static void
usage(FILE *out)
{
    fputs("usage: callproof serve [options]\n\n"
          "Serve the callproof HTTP API. Every option is also an environment variable\n"
          "(CALLPROOF_<NAME>) and a config-file key (<name> = value).\n\n",
          out);
    cp_config_print_help(out);
}

/*
 * Only one serve per SQLite database: the in-memory idempotency claims (and later the log
 * writer) assume one process owns it. The lock is a separate file next to the database
 * ("<db>-serve.lock"), never the database itself: closing any descriptor of a file drops the
 * process's POSIX locks on it, SQLite's included. It dies with the process.
 */
static int
lock_store(const char *database)
{
    if (strstr(database, "://") != NULL)
        return -2; /* a server database: not a file to lock */
    const char *path = strncmp(database, "sqlite:", 7) == 0 ? database + 7 : database;
    static const char suffix[] = "-serve.lock";
    char lock[sizeof(((struct cp_config *)0)->database) + sizeof(suffix)];
    size_t pl = strlen(path);
    if (pl + sizeof(suffix) > sizeof(lock))
        return -1;
    memcpy(lock, path, pl);
    memcpy(lock + pl, suffix, sizeof(suffix));
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "callproof: cannot open %s: %s\n", lock, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "callproof: another callproof serve is using %s\n", path);
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * A secret of n bytes in <data>/<name> (0600): made on first start and durable before use (file
 * and directory fsync'd), so what it signed still verifies after a crash. A file of the wrong
 * size is refused, never silently replaced: that would void everything signed with it.
 *
 * Several instances may share the data directory (scale-out on PostgreSQL) and start at once:
 * the secret is written to a private temporary name and link()ed into place, which fails if
 * the name exists, so exactly one instance's secret wins, nobody ever reads a half-written
 * file, and the others read the winner's.
 */
static bool
load_secret(const char *data_dir, const char *name, uint8_t *out, size_t n)
{
    char path[600], tmp[640];
    snprintf(path, sizeof(path), "%s/%s", data_dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        cp_crypto_random(out, n);
        snprintf(tmp, sizeof(tmp), "%s/.%s-XXXXXX", data_dir, name);
        fd = mkostemp(tmp, O_CLOEXEC);
        bool ok =
            fd >= 0 && fchmod(fd, 0600) == 0 && write(fd, out, n) == (ssize_t)n && fsync(fd) == 0;
        if (fd >= 0)
            close(fd);
        bool won = ok && link(tmp, path) == 0;
        bool lost = ok && !won && errno == EEXIST;
        if (fd >= 0)
            unlink(tmp);
        int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ok = (won || lost) && dfd >= 0 && fsync(dfd) == 0;
        if (dfd >= 0)
            close(dfd);
        if (!ok) {
            fprintf(stderr, "callproof: cannot create %s: %s\n", path, strerror(errno));
            if (won)
                unlink(path); /* not durable: never sign with it */
            return false;
        }
        if (won) {
            cp_log(CP_LOG_INFO, "created %s", path);
            return true;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC); /* another instance made it first: use its */
    }
    uint8_t buf[64 + 1]; /* one more than any secret, to see a file that is too long */
    ssize_t got = fd >= 0 ? read(fd, buf, n + 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n >= sizeof(buf) || got != (ssize_t)n) {
        fprintf(stderr, "callproof: %s must hold exactly %zu bytes; refusing to start\n", path, n);
        return false;
    }
    memcpy(out, buf, n);
    return true;
}

struct first_key {
    struct cp_key_row row;
    struct cp_key_token token;
    bool created;
};

static enum cp_qs
first_key_txn(struct cp_store_conn *c, void *cls)
{
    struct first_key *fk = cls;
    fk->created = false;
    int64_t n = 0;
    enum cp_qs qs = c->ops->key_count(c, &n);
    if (qs < 0 || n > 0)
        return qs;
    int64_t now = cp_time_now_ms();
    qs = c->ops->tenant_ensure(c, "default", now, &fk->row.tenant_id);
    if (qs < 0)
        return qs;
    struct cp_key_secret secret;
    cp_apikey_generate(&fk->row.key_id, &secret, &fk->token);
    cp_apikey_hash(&fk->row.key_id, &secret, &fk->row.hash);
    fk->row.scopes = CP_SCOPE_ALL;
    fk->row.created_ms = now;
    qs = c->ops->key_insert(c, &fk->row);
    if (qs == CP_QS_ONE)
        fk->created = true;
    return qs == CP_QS_NONE ? CP_QS_SOFT : qs; /* id collision: run again with a new id */
}

struct purge {
    int64_t before_ms;
    int64_t n;
};

static enum cp_qs
purge_txn(struct cp_store_conn *c, void *cls)
{
    struct purge *p = cls;
    return c->ops->idem_purge(c, p->before_ms, &p->n);
}

static void
maintenance(struct cp_store *store, const struct cp_config *cfg)
{
    struct cp_error err;
    struct cp_store_conn *c = cp_store_acquire(store, &err);
    if (c == NULL) {
        cp_log(CP_LOG_WARN, "maintenance: store unavailable: %s", err.message);
        return;
    }
    struct purge p = {.before_ms = cp_time_now_ms() - cfg->idempotency_ttl_hours * 3600 * 1000};
    if (cp_store_run(c, true, purge_txn, &p) < 0)
        cp_log(CP_LOG_WARN, "maintenance: idempotency purge failed");
    else if (p.n > 0)
        cp_log(CP_LOG_INFO, "maintenance: purged %lld expired idempotency records", (long long)p.n);
    cp_store_release(c);
}

int
cp_cli_serve(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("callproof %s\n", CP_VERSION);
            return 0;
        }
    }
    struct cp_config cfg;
    const char *pos[1];
    int npos = 0;
    int rc = cp_cli_config(argc, argv, &cfg, NULL, NULL, pos, 0, &npos);
    if (rc != 0)
        return rc;

    /* Per-tenant policy: checked before anything is opened, so a typo stops the start. */
    static struct cp_policies policies;
    cp_policies_init(&policies);
    char perr[1024] = "";
    bool pol_ok = true;
    for (size_t i = 0; pol_ok && i < cfg.n_tenant_lines; i++) {
        const struct cp_config_tenant_line *l = &cfg.tenant_lines[i];
        char e2[400];
        pol_ok = cp_policies_set(&policies, l->key, l->value, e2, sizeof(e2));
        if (!pol_ok)
            snprintf(perr, sizeof(perr), "%s:%d: %s", cfg.config_file, l->lineno, e2);
    }
    if (pol_ok && !cp_policies_finish(&policies, perr, sizeof(perr)))
        pol_ok = false;
    if (!pol_ok) {
        fprintf(stderr, "callproof: %s\n", perr);
        return 2;
    }

    if (!cp_cli_mkdirs(cfg.data_dir)) {
        fprintf(stderr, "callproof: cannot create data directory %s: %s\n", cfg.data_dir,
                strerror(errno));
        return 1;
    }
    int lock_fd = lock_store(cfg.database);
    if (lock_fd == -1)
        return 1;

    struct cp_store *store = cp_cli_open_store(&cfg);
    if (store == NULL) {
        if (lock_fd >= 0)
            close(lock_fd);
        return 1;
    }
    struct cp_error err = {0};
    maintenance(store, &cfg);
    static struct cp_url_key url_key;
    static struct cp_signer signer;
    uint8_t url_secret[CP_URL_KEY_BYTES];
    struct cp_ed25519_seed seed;
    char recordings_dir[sizeof(cfg.data_dir) + 16];
    snprintf(recordings_dir, sizeof(recordings_dir), "%s/recordings", cfg.data_dir);
    bool keys_ok = load_secret(cfg.data_dir, "url-signing.key", url_secret, sizeof(url_secret)) &&
                   load_secret(cfg.data_dir, "signing.key", seed.b, sizeof(seed.b));
    /* The signing key's validity starts when its file was made (kept by backups with cp -a). */
    int64_t key_since_ms = 0;
    char key_path[600];
    snprintf(key_path, sizeof(key_path), "%s/signing.key", cfg.data_dir);
    struct stat key_st;
    if (keys_ok && stat(key_path, &key_st) == 0)
        key_since_ms = (int64_t)key_st.st_mtim.tv_sec * 1000 + key_st.st_mtim.tv_nsec / 1000000;
    if (keys_ok) {
        cp_url_key_init(&url_key, url_secret);
        cp_signer_init(&signer, &seed);
    }
    /* With a server database the data directory may be shared by several instances: leave
     * the temporary files of uploads that may still be running elsewhere. */
    int64_t sweep_age_s = lock_fd == -2 ? SHARED_SWEEP_AGE_S : 0;
    if (!keys_ok || !cp_blob_sweep(recordings_dir, sweep_age_s, &err)) {
        if (err.message[0] != '\0')
            fprintf(stderr, "callproof: cannot prepare %s: %s\n", recordings_dir, err.message);
        cp_store_close(store);
        if (lock_fd >= 0)
            close(lock_fd);
        return 1;
    }

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct cp_app app = {
        .cfg = &cfg,
        .store = store,
        .inflight = cp_idem_inflight_new(),
        .mhd_version = cp_server_mhd_version(),
        .url_key = &url_key,
        .signer = &signer,
        .policies = &policies,
        .signer_valid_from_ms = key_since_ms,
        .recordings_dir = recordings_dir,
        .started_mono_ms = cp_time_mono_ms(),
    };
    atomic_init(&app.draining, false);
    /* Before any other thread writes: from here on every batch runs on the writer thread. */
    app.log =
        cp_store_start_writer(store, &err) ? cp_log_integrator_start(store, &signer, &err) : NULL;
    struct cp_server *srv = app.log != NULL ? cp_server_listen(&app, &err) : NULL;
    if (srv != NULL && cfg.public_url[0] == '\0')
        snprintf(cfg.public_url, sizeof(cfg.public_url), "http://%s", cp_server_address(srv));
    /* The first key is made once the address is ours (so a failed bind does not swallow a
     * token nobody saw) and before any worker runs (so nothing reads the store half-made). */
    struct first_key fk = {0};
    struct cp_store_conn *c = srv ? cp_store_acquire(store, &err) : NULL;
    bool ok = srv != NULL && c != NULL;
    if (ok && cp_store_run(c, true, first_key_txn, &fk) < 0) {
        cp_error_set(&err, CP_ERR_INTERNAL, NULL, "cannot initialise the store");
        ok = false;
    }
    cp_store_release(c);
    if (ok)
        ok = cp_server_run(srv, &err);
    if (!ok) {
        fprintf(stderr, "callproof: %s\n", err.message);
        cp_server_stop(srv);
        cp_log_integrator_stop(app.log);
        cp_idem_inflight_free(app.inflight);
        cp_store_close(store);
        if (lock_fd >= 0)
            close(lock_fd);
        return 1;
    }
    char where[sizeof(cfg.database)];
    cp_log(CP_LOG_INFO,
           "callproof %s listening on %s (store %s at %s, %lld threads, "
           "libmicrohttpd %s)",
           CP_VERSION, cp_server_address(srv), cp_store_backend(store),
           cp_store_url_redact(cfg.database, where, sizeof(where)), (long long)cfg.threads,
           app.mhd_version);
    if (fk.created) {
        printf("\nFirst start: created tenant 'default' and an API key with every scope.\n"
               "It is shown only this once; store it now:\n\n  %s\n\n"
               "Try it:\n\n  curl -H 'Authorization: Bearer %s' %s/api/v1/calls\n\n",
               fk.token.s, fk.token.s, cfg.public_url);
        fflush(stdout);
    }

    /* Every second: after a second without a new request, give the memory kept for speed
     * back (the store's page caches, then malloc's free pages), once per idle spell; every
     * MAINTENANCE_EVERY_S, the maintenance. */
    int sig = 0;
    int64_t seen = -1, next_maintenance = cp_time_mono_ms() + MAINTENANCE_EVERY_S * 1000;
    bool trimmed = false;
    for (;;) {
        struct timespec tick = {1, 0};
        sig = sigtimedwait(&sigs, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT)
            break;
        int64_t n = cp_server_requests(srv);
        if (n != seen) {
            seen = n;
            trimmed = false;
        } else if (!trimmed) {
            cp_store_trim(store);
            malloc_trim(0);
            trimmed = true;
        }
        if (cp_time_mono_ms() >= next_maintenance) {
            maintenance(store, &cfg);
            next_maintenance = cp_time_mono_ms() + MAINTENANCE_EVERY_S * 1000;
        }
    }
    cp_log(CP_LOG_INFO, "received %s: draining (up to %llds)",
           sig == SIGTERM ? "SIGTERM" : "SIGINT", (long long)cfg.shutdown_timeout_s);
    atomic_store(&app.draining, true);
    cp_server_quiesce(srv);
    if (!cp_server_wait_idle(srv, cfg.shutdown_timeout_s * 1000))
        cp_log(CP_LOG_WARN, "shutdown timeout: closing requests still in flight");
    cp_server_stop(srv);
    cp_log_integrator_stop(app.log);
    cp_idem_inflight_free(app.inflight);
    struct cp_store_stats st;
    cp_store_stats(store, &st);
    if (st.write_batches > 0)
        cp_log(CP_LOG_INFO,
               "group commit: %lld write transactions in %lld commits (%.2f per commit)",
               (long long)st.write_jobs, (long long)st.write_batches,
               (double)st.write_jobs / (double)st.write_batches);
    if (st.ckpt_passes + st.ckpt_hard > 0)
        cp_log(CP_LOG_INFO,
               "WAL checkpoints: %lld passes of the checkpointing thread, %lld finished and %lld "
               "at the WAL's limit by the writer",
               (long long)st.ckpt_passes, (long long)st.ckpt_finishes, (long long)st.ckpt_hard);
    cp_store_close(store);
    if (lock_fd >= 0)
        close(lock_fd);
    cp_log(CP_LOG_INFO, "stopped");
    return 0;
}
