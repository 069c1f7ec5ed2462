/*
 * A SQLite VFS that gathers each commit's WAL writes into one pwrite.
 *
 * SQLite writes a WAL frame as two writes: its 24-byte header, then the 4,096-byte page. A frame
 * is 4,120 bytes, so the two writes touch three kernel pages, and a commit of 300 frames (a batch
 * of creates dirties ~10 index and table pages each) costs 600 pwrite calls and ~900 page-cache
 * write operations on the writer thread, which is the one serial path every write goes through.
 * This VFS wraps the default one and, for WAL files only, keeps writes that continue the previous
 * one in a buffer; the buffer goes to the file in one pwrite before anything that must see it:
 * xSync (a commit's flush, so "on disk before the reply" holds exactly as before), a read, the
 * file's size, truncation, a write that does not continue it, a full buffer, and close.
 *
 * Why that is safe: what other connections may read of the WAL is bounded by the wal-index
 * header, which SQLite updates only after the commit's frames are written and, with
 * synchronous=FULL (the only mode the store runs in: open_db refuses any other), synced; the
 * xSync flushes first. The connection that wrote reads its own frames through this file, which
 * flushes before any read. A crash loses what was buffered, exactly like what the kernel had not
 * yet written: an unsynced commit was never acknowledged, and WAL recovery stops at the first
 * frame whose checksum does not match. A failed write is reported to SQLite and the buffer kept,
 * so a later write of it keeps the frames in order (never a hole in the WAL).
 *
 * A transaction that wrote frames early (SQLite spills pages when its cache fills) and is then
 * rolled back may leave frames in the buffer that SQLite will never write again; once its WAL
 * write lock is released, another connection puts its own committed frames at those offsets,
 * and writing the stale ones later would overwrite them. So the buffer is written while the
 * lock is still held: the database file of the same connection, whose shared-memory lock calls
 * take and release that lock, flushes its WAL's buffer before releasing it.
 *
 * Every other file (temporary files, journals) and every other method go straight to the
 * wrapped VFS.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "store/sqlite/walbuf.h"

/*
 * Largest run of writes kept: a commit larger than this goes out in several pwrites. The unix
 * VFS writes at most 128 KiB - 1 bytes per call (it masks the length: SQLite's own writes are
 * never longer than a 64 KiB page), so a longer run would be cut short and reported as a full
 * disk. 30 frames of 4 KiB pages.
 */
#define WALBUF_CAP_BYTES ((size_t)120 << 10)

/* The shared-memory lock that is the WAL's write lock (SQLite's WAL_WRITE_LOCK, wal.c). */
#define WAL_WRITE_LOCK_OFFSET 0

struct wb_file {
    sqlite3_file base;  /* methods: wb_methods */
    sqlite3_file *real; /* the wrapped VFS's file, allocated right after this struct */
    bool wal;           /* a WAL file: its writes are gathered */
    unsigned char *buf; /* malloc'd on the first buffered write, WALBUF_CAP_BYTES */
    size_t len;         /* bytes held, to go at offset off */
    sqlite3_int64 off;
    /* A main database file: its name as SQLite passed it (the connection's own copy, which its
     * WAL's name points into), its WAL while open, and the next open database file. */
    const char *name;
    struct wb_file *wal_file;
    struct wb_file *next_db;
    struct wb_file *db_file; /* a WAL file: its connection's database file */
};

/* The open main database files, for a WAL file to find its own when it is opened. */
static pthread_mutex_t dbs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wb_file *dbs;

static sqlite3_io_methods wb_methods;

static struct wb_file *
wbf(sqlite3_file *f)
{
    return (struct wb_file *)f;
}

/* Write what is held: SQLITE_OK, or the wrapped write's error with the bytes still held (a
 * later flush writes them, in order). */
static int
flush(struct wb_file *f)
{
    if (f->len == 0)
        return SQLITE_OK;
    int rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->len, f->off);
    if (rc == SQLITE_OK)
        f->len = 0;
    return rc;
}

/* Write what is held, or forget it if that fails: for when nothing can be reported any more
 * (the write lock is being released, the file closed). Frames not written then belong to no
 * commit: a commit's sync has flushed its own. */
static void
flush_or_drop(struct wb_file *f)
{
    (void)flush(f);
    f->len = 0;
}

static int
wb_close(sqlite3_file *file)
{
    struct wb_file *f = wbf(file);
    if (f->wal) {
        flush_or_drop(f);
        if (f->db_file != NULL)
            f->db_file->wal_file = NULL;
    } else if (f->name != NULL) {
        pthread_mutex_lock(&dbs_lock);
        struct wb_file **p = &dbs;
        while (*p != f)
            p = &(*p)->next_db;
        *p = f->next_db;
        pthread_mutex_unlock(&dbs_lock);
        if (f->wal_file != NULL)
            f->wal_file->db_file = NULL;
    }
    int rc = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    return rc;
}

static int
wb_read(sqlite3_file *file, void *out, int n, sqlite3_int64 off)
{
    struct wb_file *f = wbf(file);
    int rc = flush(f);
    if (rc != SQLITE_OK)
        return rc;
    return f->real->pMethods->xRead(f->real, out, n, off);
}

static int
wb_write(sqlite3_file *file, const void *data, int n, sqlite3_int64 off)
{
    struct wb_file *f = wbf(file);
    CP_ASSERT(n >= 0 && off >= 0);
    if (!f->wal)
        return f->real->pMethods->xWrite(f->real, data, n, off);
    if (f->len > 0 &&
        (off != f->off + (sqlite3_int64)f->len || f->len + (size_t)n > WALBUF_CAP_BYTES)) {
        int rc = flush(f);
        if (rc != SQLITE_OK)
            return rc;
    }
    if ((size_t)n > WALBUF_CAP_BYTES)
        return f->real->pMethods->xWrite(f->real, data, n, off);
    if (f->buf == NULL && (f->buf = malloc(WALBUF_CAP_BYTES)) == NULL)
        return f->real->pMethods->xWrite(f->real, data, n, off);
    if (f->len == 0)
        f->off = off;
    memcpy(f->buf + f->len, data, (size_t)n);
    f->len += (size_t)n;
    return SQLITE_OK;
}

static int
wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    struct wb_file *f = wbf(file);
    int rc = flush(f);
    if (rc != SQLITE_OK)
        return rc;
    return f->real->pMethods->xTruncate(f->real, size);
}

static int
wb_sync(sqlite3_file *file, int flags)
{
    struct wb_file *f = wbf(file);
    int rc = flush(f);
    if (rc != SQLITE_OK)
        return rc;
    return f->real->pMethods->xSync(f->real, flags);
}

static int
wb_file_size(sqlite3_file *file, sqlite3_int64 *out_size)
{
    struct wb_file *f = wbf(file);
    int rc = flush(f);
    if (rc != SQLITE_OK)
        return rc;
    return f->real->pMethods->xFileSize(f->real, out_size);
}

/* ---- the rest goes straight through ---- */

static int
wb_lock(sqlite3_file *file, int lock)
{
    return wbf(file)->real->pMethods->xLock(wbf(file)->real, lock);
}

static int
wb_unlock(sqlite3_file *file, int lock)
{
    return wbf(file)->real->pMethods->xUnlock(wbf(file)->real, lock);
}

static int
wb_check_reserved_lock(sqlite3_file *file, int *out)
{
    return wbf(file)->real->pMethods->xCheckReservedLock(wbf(file)->real, out);
}

/* A file control may look at or change the file (its size, its chunks): it sees all writes. */
static int
wb_file_control(sqlite3_file *file, int op, void *arg)
{
    struct wb_file *f = wbf(file);
    int rc = flush(f);
    if (rc != SQLITE_OK)
        return rc;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int
wb_sector_size(sqlite3_file *file)
{
    return wbf(file)->real->pMethods->xSectorSize(wbf(file)->real);
}

static int
wb_device_characteristics(sqlite3_file *file)
{
    return wbf(file)->real->pMethods->xDeviceCharacteristics(wbf(file)->real);
}

/* The wrapped file's methods may be of an older version (without shared memory or mmap). */
static int
wb_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
    sqlite3_file *r = wbf(file)->real;
    if (r->pMethods->iVersion < 2)
        return SQLITE_IOERR_SHMMAP;
    return r->pMethods->xShmMap(r, region, size, extend, out);
}

/* Called on the database file; releasing the WAL's write lock first writes the WAL's buffer
 * (the file comment says why). */
static int
wb_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    struct wb_file *f = wbf(file);
    if (f->real->pMethods->iVersion < 2)
        return SQLITE_IOERR_SHMLOCK;
    if (f->wal_file != NULL && offset == WAL_WRITE_LOCK_OFFSET && (flags & SQLITE_SHM_UNLOCK) &&
        (flags & SQLITE_SHM_EXCLUSIVE))
        flush_or_drop(f->wal_file);
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void
wb_shm_barrier(sqlite3_file *file)
{
    sqlite3_file *r = wbf(file)->real;
    if (r->pMethods->iVersion >= 2)
        r->pMethods->xShmBarrier(r);
}

static int
wb_shm_unmap(sqlite3_file *file, int delete_flag)
{
    sqlite3_file *r = wbf(file)->real;
    if (r->pMethods->iVersion < 2)
        return SQLITE_OK;
    return r->pMethods->xShmUnmap(r, delete_flag);
}

static int
wb_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **out)
{
    sqlite3_file *r = wbf(file)->real;
    if (r->pMethods->iVersion < 3) {
        *out = NULL; /* SQLite then reads the page with xRead */
        return SQLITE_OK;
    }
    return r->pMethods->xFetch(r, off, n, out);
}

static int
wb_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
    sqlite3_file *r = wbf(file)->real;
    if (r->pMethods->iVersion < 3)
        return SQLITE_OK;
    return r->pMethods->xUnfetch(r, off, p);
}

static sqlite3_io_methods wb_methods = {
    .iVersion = 3, /* the default unix VFS's files are version 3; older ones are handled above */
    .xClose = wb_close,
    .xRead = wb_read,
    .xWrite = wb_write,
    .xTruncate = wb_truncate,
    .xSync = wb_sync,
    .xFileSize = wb_file_size,
    .xLock = wb_lock,
    .xUnlock = wb_unlock,
    .xCheckReservedLock = wb_check_reserved_lock,
    .xFileControl = wb_file_control,
    .xSectorSize = wb_sector_size,
    .xDeviceCharacteristics = wb_device_characteristics,
    .xShmMap = wb_shm_map,
    .xShmLock = wb_shm_lock,
    .xShmBarrier = wb_shm_barrier,
    .xShmUnmap = wb_shm_unmap,
    .xFetch = wb_fetch,
    .xUnfetch = wb_unfetch,
};

static sqlite3_vfs *
parent_of(sqlite3_vfs *vfs)
{
    return vfs->pAppData;
}

static int
wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
    struct wb_file *f = wbf(file);
    memset(f, 0, sizeof(*f));
    f->real = (sqlite3_file *)(f + 1);
    int rc = parent_of(vfs)->xOpen(parent_of(vfs), name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        /* SQLite calls xClose only through our methods, which are not set on failure. */
        if (f->real->pMethods != NULL)
            f->real->pMethods->xClose(f->real);
        return rc;
    }
    f->wal = (flags & SQLITE_OPEN_WAL) != 0;
    f->base.pMethods = &wb_methods;
    if (f->wal) {
        /* Its name lies in the same block as its database's (sqlite3_filename_database). */
        const char *db_name = sqlite3_filename_database(name);
        pthread_mutex_lock(&dbs_lock);
        for (struct wb_file *d = dbs; d != NULL; d = d->next_db)
            if (d->name == db_name) {
                d->wal_file = f;
                f->db_file = d;
                break;
            }
        pthread_mutex_unlock(&dbs_lock);
        /* Cannot happen (a WAL is opened by its database's pager); if it did, its writes would
         * go straight to the file, which is always safe. */
        if (CP_BUG(f->db_file == NULL))
            f->wal = false;
    } else if ((flags & SQLITE_OPEN_MAIN_DB) && name != NULL) {
        f->name = name;
        pthread_mutex_lock(&dbs_lock);
        f->next_db = dbs;
        dbs = f;
        pthread_mutex_unlock(&dbs_lock);
    }
    return SQLITE_OK;
}

/* The VFS-level methods take the VFS itself: each is handed the wrapped one. */
static int
wb_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    return parent_of(vfs)->xDelete(parent_of(vfs), name, sync_dir);
}

static int
wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    return parent_of(vfs)->xAccess(parent_of(vfs), name, flags, out);
}

static int
wb_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    return parent_of(vfs)->xFullPathname(parent_of(vfs), name, n, out);
}

static void *
wb_dl_open(sqlite3_vfs *vfs, const char *name)
{
    return parent_of(vfs)->xDlOpen(parent_of(vfs), name);
}

static void
wb_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
    parent_of(vfs)->xDlError(parent_of(vfs), n, out);
}

static void (*wb_dl_sym(sqlite3_vfs *vfs, void *lib, const char *sym))(void)
{
    return parent_of(vfs)->xDlSym(parent_of(vfs), lib, sym);
}

static void
wb_dl_close(sqlite3_vfs *vfs, void *lib)
{
    parent_of(vfs)->xDlClose(parent_of(vfs), lib);
}

static int
wb_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    return parent_of(vfs)->xRandomness(parent_of(vfs), n, out);
}

static int
wb_sleep(sqlite3_vfs *vfs, int us)
{
    return parent_of(vfs)->xSleep(parent_of(vfs), us);
}

static int
wb_current_time(sqlite3_vfs *vfs, double *out)
{
    return parent_of(vfs)->xCurrentTime(parent_of(vfs), out);
}

static int
wb_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    return parent_of(vfs)->xGetLastError(parent_of(vfs), n, out);
}

static int
wb_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    sqlite3_vfs *p = parent_of(vfs);
    if (p->iVersion >= 2 && p->xCurrentTimeInt64 != NULL)
        return p->xCurrentTimeInt64(p, out);
    double days = 0;
    int rc = p->xCurrentTime(p, &days);
    *out = (sqlite3_int64)(days * 86400000.0); /* Julian days to milliseconds */
    return rc;
}

static sqlite3_vfs wb_vfs = {
    .iVersion = 2, /* no system-call overrides: those are the wrapped VFS's own business */
    .zName = CP_SQLITE_WALBUF_VFS,
    .xOpen = wb_open,
    .xDelete = wb_delete,
    .xAccess = wb_access,
    .xFullPathname = wb_full_pathname,
    .xDlOpen = wb_dl_open,
    .xDlError = wb_dl_error,
    .xDlSym = wb_dl_sym,
    .xDlClose = wb_dl_close,
    .xRandomness = wb_randomness,
    .xSleep = wb_sleep,
    .xCurrentTime = wb_current_time,
    .xGetLastError = wb_get_last_error,
    .xCurrentTimeInt64 = wb_current_time_int64,
};

int
cp_sqlite_walbuf_register(void)
{
    sqlite3_vfs *parent = sqlite3_vfs_find(NULL);
    if (parent == NULL)
        return SQLITE_ERROR;
    wb_vfs.szOsFile = (int)sizeof(struct wb_file) + parent->szOsFile;
    wb_vfs.mxPathname = parent->mxPathname;
    wb_vfs.pAppData = parent;
    return sqlite3_vfs_register(&wb_vfs, 0);
}
