/*
 * token.h - access tokens: "<id>.<expires>.<user hex>.<mac>", where id is 16 random bytes in
 * hex, expires a Unix time, user the user name in hex, and mac the HMAC-SHA256 (server secret)
 * of everything before it, in hex. The signature makes a token unforgeable and its expiry
 * tamper-proof without a store read; the store keeps each token's use count (and deleting a
 * token row revokes it).
 *
 * Ownership: reg_token_sign() writes into the arena; reg_token_verify() fills caller storage.
 */
#ifndef REG_AUTH_TOKEN_H
#define REG_AUTH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/limits.h"
#include "base/status.h"

#define REG_TOKEN_ID_HEX 32
#define REG_SECRET_BYTES 32

struct reg_token_claims {
    char id[REG_TOKEN_ID_HEX + 1];
    int64_t expires_at;
    char user[REG_NAME_MAX + 1];
};

/* Fills claims->id with a fresh random id. */
enum reg_status reg_token_new_id(struct reg_token_claims *claims);

/* The signed token text for claims. */
char *reg_token_sign(struct reg_arena *a, const unsigned char secret[REG_SECRET_BYTES],
                     const struct reg_token_claims *claims);

/* Checks token's form, signature (constant time) and expiry against now. Any failure is
 * REG_EAUTH with a detail that says which. */
enum reg_status reg_token_verify(const unsigned char secret[REG_SECRET_BYTES], const char *token,
                                 int64_t now, struct reg_token_claims *out);

#endif
