/*
 * bytes.h - reading the fixed-width little-endian integers of binary formats (zip headers,
 * pickle opcode arguments, the safetensors header length) from unaligned bytes.
 */
#ifndef REG_BASE_BYTES_H
#define REG_BASE_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* The n-byte (n <= 8) little-endian unsigned integer at b. */
static inline uint64_t
reg_le_uint(const unsigned char *b, size_t n)
{
    uint64_t v = 0;

    for (size_t i = n; i > 0; i--)
        v = (v << 8) | b[i - 1];
    return v;
}

#endif
