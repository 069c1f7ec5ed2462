/*
 * Per-request memory arena (the h2o/nginx pool idea): many small allocations that all die
 * together when the request ends (the request body's cJSON tree among them: json.h), plus
 * cleanup callbacks for resources that are not memory (a store connection). Nothing allocated
 * here is ever freed by hand. In ASan builds every allocation is followed by a poisoned
 * redzone, so an overflow into the next allocation of the same chunk is reported.
 *
 * Allocation failure is fatal (abort): a server that cannot get a few KiB cannot answer
 * anything useful, and making every caller handle NULL would hide real bugs in noise.
 */
#ifndef CP_CORE_ARENA_H
#define CP_CORE_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct cp_arena_chunk;
struct cp_arena_cleanup;

struct cp_arena {
    struct cp_arena_chunk *head;
    struct cp_arena_cleanup *cleanups;
    size_t chunk_bytes;
};

typedef void (*cp_cleanup_fn)(void *ptr);

/* Initialise an empty arena in caller-owned storage. No memory is taken until the first alloc. */
void cp_arena_init(struct cp_arena *a);
/* Run cleanups (last registered first), free every chunk, leave the arena empty and reusable. */
void cp_arena_reset(struct cp_arena *a);

/* Zeroed, 16-byte aligned memory valid until reset. n may be 0 (returns a valid pointer). */
void *cp_arena_alloc(struct cp_arena *a, size_t n);
/* Copy of n bytes plus a terminating NUL. */
char *cp_arena_strndup(struct cp_arena *a, const char *s, size_t n);
/* Copy of a NUL-terminated string; NULL in gives NULL out. */
char *cp_arena_strdup(struct cp_arena *a, const char *s);
/* printf into the arena. */
char *cp_arena_printf(struct cp_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *cp_arena_vprintf(struct cp_arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* True if p points into memory this arena handed out and has not reset (for assertions and
 * tests: it walks the chunks). */
bool cp_arena_contains(const struct cp_arena *a, const void *p);
/* Call fn(ptr) on reset. Cleanups run in reverse order of registration. */
void cp_arena_defer(struct cp_arena *a, cp_cleanup_fn fn, void *ptr);

#endif
