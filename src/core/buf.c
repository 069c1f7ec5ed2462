/*
 * Growable buffer. Doubles its capacity, keeps a NUL after the data so it can be handed to
 * string functions without a copy.
 */
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void
cp_buf_free(struct cp_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
cp_buf_reserve(struct cp_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need < b->len)
        cp_die("buffer size overflow");
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        cp_die("out of memory (buffer of %zu bytes)", cap);
    b->data = p;
    b->cap = cap;
}

void
cp_buf_puts(struct cp_buf *b, const char *s)
{
    cp_buf_append(b, s, strlen(s));
}

void
cp_buf_printf(struct cp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        cp_die("vsnprintf failed");
    if ((size_t)n < sizeof(tmp)) {
        cp_buf_append(b, tmp, (size_t)n);
        return;
    }
    cp_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *
cp_buf_steal(struct cp_buf *b, size_t *out_len)
{
    if (b->data == NULL)
        cp_buf_reserve(b, 0), b->data[0] = '\0';
    char *p = b->data;
    if (out_len != NULL)
        *out_len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
