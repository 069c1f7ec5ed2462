/*
 * Durable file writes (see blob.h for the order of operations and why).
 */
#include "store/blob.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

#define PATH_MAX_LEN 1200

struct cp_blob {
    char root[PATH_MAX_LEN];
    char tmp_path[PATH_MAX_LEN];
    int fd;
    int64_t size;
    bool finished, committed;
    struct cp_sha256_ctx sha;
};

static enum cp_err
io_error(struct cp_error *err, int e, const char *what)
{
    /* The path and errno go to the log; the client learns only whether space ran out. */
    cp_log(CP_LOG_ERROR, "blob: %s: %s", what, strerror(e));
    if (e == ENOSPC || e == EDQUOT)
        return cp_error_set(err, CP_ERR_INSUFFICIENT_STORAGE, NULL,
                            "The server is out of storage space; nothing was saved.");
    return cp_error_set(err, CP_ERR_INTERNAL, NULL,
                        "The server could not store the file; nothing was saved. Please retry.");
}

static int
fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* mkdir -p for the directory part of path (relative to root), fsyncing each parent whose
 * entry changed, so a new directory survives a crash together with its file. */
static bool
make_parents(const char *root, const char *rel, struct cp_error *err)
{
    char path[PATH_MAX_LEN];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path)) {
        io_error(err, ENAMETOOLONG, rel);
        return false;
    }
    size_t root_len = strlen(root);
    for (char *p = path + root_len + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) == 0) {
            char *slash = strrchr(path, '/');
            *slash = '\0';
            int rc = fsync_dir(path);
            *slash = '/';
            if (rc != 0) {
                io_error(err, errno, "fsync parent directory");
                return false;
            }
        } else if (errno != EEXIST) {
            io_error(err, errno, "mkdir");
            return false;
        }
        *p = '/';
    }
    return true;
}

bool
cp_blob_sweep(const char *root, int64_t min_age_s, struct cp_error *err)
{
    time_t cutoff = time(NULL) - (time_t)min_age_s;
    char tmp[PATH_MAX_LEN];
    snprintf(tmp, sizeof(tmp), "%s/tmp", root);
    if ((mkdir(root, 0700) != 0 && errno != EEXIST) || (mkdir(tmp, 0700) != 0 && errno != EEXIST)) {
        io_error(err, errno, "create recordings directory");
        return false;
    }
    DIR *d = opendir(tmp);
    if (d == NULL) {
        io_error(err, errno, "open recordings/tmp");
        return false;
    }
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char p[PATH_MAX_LEN + 300];
        snprintf(p, sizeof(p), "%s/%s", tmp, e->d_name);
        struct stat st;
        if (min_age_s > 0 && (stat(p, &st) != 0 || st.st_mtime > cutoff))
            continue;
        if (unlink(p) == 0)
            n++;
    }
    closedir(d);
    if (n > 0)
        cp_log(CP_LOG_INFO, "blob: removed %d unfinished upload(s) left by an earlier run", n);
    return true;
}

struct cp_blob *
cp_blob_begin(const char *root, struct cp_error *err)
{
    struct cp_blob *b = calloc(1, sizeof(*b));
    if (b == NULL)
        cp_die("out of memory");
    snprintf(b->root, sizeof(b->root), "%s", root);
    if ((size_t)snprintf(b->tmp_path, sizeof(b->tmp_path), "%s/tmp/upload-XXXXXX", root) >=
        sizeof(b->tmp_path)) {
        free(b);
        io_error(err, ENAMETOOLONG, "temporary file name");
        return NULL;
    }
    b->fd = mkostemp(b->tmp_path, O_CLOEXEC);
    if (b->fd < 0) {
        io_error(err, errno, "create temporary file");
        free(b);
        return NULL;
    }
    cp_crypto_sha256_init(&b->sha);
    return b;
}

bool
cp_blob_write(struct cp_blob *b, const void *data, size_t n, struct cp_error *err)
{
    CP_ASSERT(!b->finished);
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(b->fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            io_error(err, errno, "write");
            return false;
        }
        cp_crypto_sha256_update(&b->sha, p, (size_t)w);
        b->size += w;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

int64_t
cp_blob_size(const struct cp_blob *b)
{
    return b->size;
}

bool
cp_blob_finish(struct cp_blob *b, struct cp_sha256 *out_sha, struct cp_error *err)
{
    CP_ASSERT(!b->finished);
    b->finished = true;
    cp_crypto_sha256_final(&b->sha, out_sha);
    if (fsync(b->fd) != 0) {
        io_error(err, errno, "fsync");
        return false; /* never retried: see blob.h */
    }
    return true;
}

bool
cp_blob_commit(struct cp_blob *b, const char *rel_path, struct cp_error *err)
{
    CP_ASSERT(b->finished && !b->committed);
    char final[PATH_MAX_LEN];
    if ((size_t)snprintf(final, sizeof(final), "%s/%s", b->root, rel_path) >= sizeof(final)) {
        io_error(err, ENAMETOOLONG, rel_path);
        return false;
    }
    if (!make_parents(b->root, rel_path, err))
        return false;
    if (rename(b->tmp_path, final) != 0) {
        io_error(err, errno, "rename");
        return false;
    }
    b->committed = true; /* the temporary name is gone either way from here */
    char *slash = strrchr(final, '/');
    *slash = '\0';
    if (fsync_dir(final) != 0) {
        io_error(err, errno, "fsync directory");
        *slash = '/';
        unlink(final); /* not durable, so not ours to keep: the caller answers 5xx */
        return false;
    }
    return true;
}

void
cp_blob_free(struct cp_blob *b)
{
    if (b == NULL)
        return;
    if (b->fd >= 0)
        close(b->fd);
    if (!b->committed)
        unlink(b->tmp_path);
    free(b);
}

void
cp_blob_remove(const char *root, const char *rel_path)
{
    char path[PATH_MAX_LEN];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel_path) < sizeof(path))
        unlink(path);
}
