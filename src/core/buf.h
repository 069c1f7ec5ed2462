/*
 * Growable byte buffer (heap-owned) for building response bodies and SQL-free text. Writes never
 * fail: allocation failure aborts (see arena.h for why).
 */
#ifndef CP_CORE_BUF_H
#define CP_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cp_buf {
    char *data; /* always NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
};

#define CP_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void cp_buf_free(struct cp_buf *b); /* frees data, leaves an empty buffer; NULL ok */
/* Make room for extra more bytes and the NUL after them (aborts on overflow or no memory). */
void cp_buf_reserve(struct cp_buf *b, size_t extra);
void cp_buf_puts(struct cp_buf *b, const char *s);

/*
 * The two writes every JSON byte goes through are inline, so the common case (room left) is a
 * compare and a store without a call; cp_buf_reserve only runs when the buffer must grow.
 */
static inline void
cp_buf_append(struct cp_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len <= n) /* cap > len whenever data != NULL; 0 - 0 <= n when empty */
        cp_buf_reserve(b, n);
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static inline void
cp_buf_putc(struct cp_buf *b, char c)
{
    if (b->cap - b->len <= 1)
        cp_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void cp_buf_printf(struct cp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the data to the caller (malloc'd, NUL-terminated, caller frees) and reset the buffer. */
char *cp_buf_steal(struct cp_buf *b, size_t *out_len);

#endif
