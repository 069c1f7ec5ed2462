/*
 * Bump allocator over a list of chunks. Requests bigger than a quarter of the chunk size get a
 * chunk of their own, so one large body never wastes a chunk's tail and the common case stays
 * one pointer bump.
 */
#include "core/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define ARENA_ALIGN 16u
#define ARENA_CHUNK_DEFAULT (16u * 1024u)

/*
 * Under AddressSanitizer a chunk starts poisoned and each allocation is unpoisoned alone, with
 * a poisoned redzone after it: an overflow from one allocation into the next in the same chunk
 * (two cJSON nodes of a request body, say) is reported like one between two mallocs.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_REDZONE ARENA_ALIGN
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ARENA_REDZONE 0u
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct cp_arena_chunk {
    struct cp_arena_chunk *next;
    size_t used;
    size_t cap;
    _Alignas(16) unsigned char data[];
};

struct cp_arena_cleanup {
    struct cp_arena_cleanup *next;
    cp_cleanup_fn fn;
    void *ptr;
};

void
cp_arena_init(struct cp_arena *a)
{
    CP_ASSERT(a != NULL);
    a->head = NULL;
    a->cleanups = NULL;
    a->chunk_bytes = ARENA_CHUNK_DEFAULT;
}

void
cp_arena_reset(struct cp_arena *a)
{
    CP_ASSERT(a != NULL);
    while (a->cleanups != NULL) {
        struct cp_arena_cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->ptr); /* c itself lives in a chunk, freed below */
    }
    while (a->head != NULL) {
        struct cp_arena_chunk *c = a->head;
        a->head = c->next;
        UNPOISON(c->data, c->cap);
        free(c);
    }
}

static struct cp_arena_chunk *
chunk_new(size_t cap)
{
    struct cp_arena_chunk *c = malloc(sizeof(*c) + cap);
    if (c == NULL)
        cp_die("out of memory (arena chunk of %zu bytes)", cap);
    c->next = NULL;
    c->used = 0;
    c->cap = cap;
    POISON(c->data, cap);
    return c;
}

void *
cp_arena_alloc(struct cp_arena *a, size_t n)
{
    CP_ASSERT(a != NULL);
    size_t need = (n + ARENA_REDZONE + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < n)
        cp_die("arena allocation overflow");
    if (need == 0)
        need = ARENA_ALIGN;

    struct cp_arena_chunk *c = a->head;
    if (c == NULL || c->cap - c->used < need) {
        if (need > a->chunk_bytes / 4) {
            /* A big block gets its own chunk, linked behind the current one. */
            struct cp_arena_chunk *big = chunk_new(need);
            big->used = need;
            if (c == NULL) {
                a->head = big;
            } else {
                big->next = c->next;
                c->next = big;
            }
            UNPOISON(big->data, n);
            memset(big->data, 0, n);
            return big->data;
        }
        c = chunk_new(a->chunk_bytes);
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    UNPOISON(p, n);
    memset(p, 0, n);
    return p;
}

bool
cp_arena_contains(const struct cp_arena *a, const void *p)
{
    CP_ASSERT(a != NULL);
    uintptr_t x = (uintptr_t)p;
    for (const struct cp_arena_chunk *c = a->head; c != NULL; c = c->next) {
        uintptr_t lo = (uintptr_t)c->data;
        if (x >= lo && x < lo + c->used)
            return true;
    }
    return false;
}

char *
cp_arena_strndup(struct cp_arena *a, const char *s, size_t n)
{
    char *p = cp_arena_alloc(a, n + 1);
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
cp_arena_strdup(struct cp_arena *a, const char *s)
{
    if (s == NULL)
        return NULL;
    return cp_arena_strndup(a, s, strlen(s));
}

char *
cp_arena_vprintf(struct cp_arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        cp_die("vsnprintf failed");
    char *p = cp_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *
cp_arena_printf(struct cp_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = cp_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void
cp_arena_defer(struct cp_arena *a, cp_cleanup_fn fn, void *ptr)
{
    CP_ASSERT(a != NULL && fn != NULL);
    struct cp_arena_cleanup *c = cp_arena_alloc(a, sizeof(*c));
    c->fn = fn;
    c->ptr = ptr;
    c->next = a->cleanups;
    a->cleanups = c;
}
