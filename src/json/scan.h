/*
 * Many bytes at a time over JSON string text: the writer's escaper and the stored-JSON reader
 * both skip runs of bytes that need nothing, and stop at the same ones: below 0x20, '"', '\\'
 * and 0xE2 (which may start U+2028 or U+2029); the strict parser's pre-scan skips printable
 * ASCII. 16 at a time with SSE2 (every x86-64), else 8
 * in a 64-bit word, then byte by byte.
 */
#ifndef CP_JSON_SCAN_H
#define CP_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static inline bool
cp_json_byte_special(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\' || c == 0xe2;
}

#define CP_JSON_WORD_ONES UINT64_C(0x0101010101010101)
#define CP_JSON_WORD_HIGH UINT64_C(0x8080808080808080)

/* The "has a byte less than c" (c <= 0x80) and "has a byte equal to c" tests on the 8 bytes of
 * x: the result, masked with CP_JSON_WORD_HIGH, is nonzero exactly when one byte is (it does
 * not say which). */
static inline uint64_t
cp_json_word_below(uint64_t x, unsigned char c)
{
    return (x - CP_JSON_WORD_ONES * c) & ~x;
}

static inline uint64_t
cp_json_word_eq(uint64_t x, unsigned char c)
{
    return cp_json_word_below(x ^ (CP_JSON_WORD_ONES * c), 1);
}

/* Whether one of the 8 bytes in x is below 0x20, '"', '\\' or 0xE2 (which may start U+2028 or
 * U+2029). */
static inline bool
cp_json_word_special(uint64_t x)
{
    uint64_t hit = cp_json_word_below(x, 0x20) | cp_json_word_eq(x, '"') |
                   cp_json_word_eq(x, '\\') | cp_json_word_eq(x, 0xe2);
    return (hit & CP_JSON_WORD_HIGH) != 0;
}

/* How many bytes at the start of p[0..n) are plain (none of the four above). */
static inline size_t
cp_json_plain_len(const unsigned char *p, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128i below = _mm_set1_epi8(0x1f), quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\'), e2 = _mm_set1_epi8((char)0xe2);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        /* max(v, 0x1f) == 0x1f exactly when v <= 0x1f (unsigned) */
        __m128i hit = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, below), below), _mm_cmpeq_epi8(v, quote)),
            _mm_or_si128(_mm_cmpeq_epi8(v, bslash), _mm_cmpeq_epi8(v, e2)));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask != 0)
            return i + (size_t)__builtin_ctz(mask);
    }
#endif
    for (uint64_t x; i + 8 <= n; i += 8) {
        memcpy(&x, p + i, 8);
        if (cp_json_word_special(x))
            break;
    }
    while (i < n && !cp_json_byte_special(p[i]))
        i++;
    return i;
}

/*
 * How many bytes at the start of p[0..n) are printable ASCII other than '"' and '\\' (0x20 to
 * 0x7F): string text the strict parser (json.c) can pass over with nothing to check. It stops
 * at a control character, a quote, a backslash, and any byte of 0x80 or more (UTF-8 to
 * validate).
 */
static inline size_t
cp_json_ascii_plain_len(const unsigned char *p, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        /* Signed: bytes 0x80..0xFF are negative, so "less than 0x20" takes them too. */
        __m128i hit =
            _mm_or_si128(_mm_cmplt_epi8(v, space),
                         _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask != 0)
            return i + (size_t)__builtin_ctz(mask);
    }
#endif
    for (uint64_t x; i + 8 <= n; i += 8) {
        memcpy(&x, p + i, 8);
        /* x itself: a byte of 0x80 or more has its high bit set. */
        uint64_t hit =
            cp_json_word_below(x, 0x20) | x | cp_json_word_eq(x, '"') | cp_json_word_eq(x, '\\');
        if ((hit & CP_JSON_WORD_HIGH) != 0)
            break;
    }
    while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
        i++;
    return i;
}

#endif
