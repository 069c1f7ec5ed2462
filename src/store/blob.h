/*
 * Durable files for recordings. A file is written to a temporary name under
 * <root>/tmp/, hashed (SHA-256) and counted on the way, then made durable in the one order that
 * survives a crash at any point (PostgreSQL's durable_rename): fsync the file, rename it into
 * place, fsync the directory. Only then may a 2xx be sent. A failed fsync fails the write and is
 * never retried into a success: after a failed fsync the kernel may have dropped the dirty pages
 * and a second fsync can "succeed" without them (the 2018 fsyncgate lesson).
 *
 * Temporary files left by a crash are swept at start (cp_blob_sweep).
 */
#ifndef CP_STORE_BLOB_H
#define CP_STORE_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/crypto.h"

struct cp_blob;

/* Create the root (and root/tmp) if missing and remove leftover temporary files not modified
 * for min_age_s seconds (0: all of them; a directory shared by several instances passes the
 * longest an upload may stall, so another instance's upload in progress is never taken). */
bool cp_blob_sweep(const char *root, int64_t min_age_s, struct cp_error *err);

/* Start a new temporary file under root/tmp. NULL + *err on failure (507 on ENOSPC). */
struct cp_blob *cp_blob_begin(const char *root, struct cp_error *err);
/* Append; false + *err on failure (ENOSPC -> 507). */
bool cp_blob_write(struct cp_blob *b, const void *data, size_t n, struct cp_error *err);
/* Bytes written so far, and (after cp_blob_commit or cp_blob_finish) the SHA-256. */
int64_t cp_blob_size(const struct cp_blob *b);
/* Finish hashing and fsync the temporary file; false + *err on failure. */
bool cp_blob_finish(struct cp_blob *b, struct cp_sha256 *out_sha, struct cp_error *err);
/* Move the finished file to root/rel_path (parent directories created and fsync'd), then fsync
 * the directory. After this returns true the file survives a crash. */
bool cp_blob_commit(struct cp_blob *b, const char *rel_path, struct cp_error *err);
/* Close and free; an uncommitted temporary file is removed. NULL ok. */
void cp_blob_free(struct cp_blob *b);
/* Remove root/rel_path (a committed file that lost a race): best effort. */
void cp_blob_remove(const char *root, const char *rel_path);

#endif
