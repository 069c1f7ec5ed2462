/*
 * Eight bytes at a time over JSON string text: the writer's escaper and the stored-JSON reader
 * both skip runs of bytes that need nothing, and stop at the same ones.
 */
#ifndef CP_JSON_SCAN_H
#define CP_JSON_SCAN_H

#include <stdbool.h>
#include <stdint.h>

/* Whether one of the 8 bytes in x is below 0x20, '"', '\\' or 0xE2 (which may start U+2028 or
 * U+2029): the "has a byte less than n" and "has a zero byte" tests, exact about whether any
 * byte does (not about which). */
static inline bool
cp_json_word_special(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\'), e2 = x ^ (ones * 0xe2);
    uint64_t hit =
        ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((bs - ones) & ~bs) | ((e2 - ones) & ~e2);
    return (hit & high) != 0;
}

#endif
