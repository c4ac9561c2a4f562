/*
 * token.c - signing and verifying access tokens with HMAC-SHA256.
 */
#include "auth/token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"

#define MAC_BYTES 32
/* Longest token: id, expires (20 digits), user in hex, mac, three dots. */
#define TOKEN_MAX (REG_TOKEN_ID_HEX + 20 + 2 * REG_NAME_MAX + 2 * MAC_BYTES + 3)

enum reg_status
reg_token_new_id(struct reg_token_claims *claims)
{
    unsigned char raw[REG_TOKEN_ID_HEX / 2];

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return reg_errorf(REG_EINTERNAL, "no randomness for a token id");
    reg_str_hex(raw, sizeof(raw), claims->id);
    return REG_OK;
}

static void
mac_hex(const unsigned char secret[REG_SECRET_BYTES], const char *text, size_t len,
        char out[2 * MAC_BYTES + 1])
{
    unsigned char mac[MAC_BYTES];
    unsigned int mac_len = 0;

    HMAC(EVP_sha256(), secret, REG_SECRET_BYTES, (const unsigned char *)text, len, mac, &mac_len);
    reg_str_hex(mac, MAC_BYTES, out);
}

char *
reg_token_sign(struct reg_arena *a, const unsigned char secret[REG_SECRET_BYTES],
               const struct reg_token_claims *claims)
{
    size_t user_len = strlen(claims->user);
    char *user_hex = reg_arena_alloc(a, 2 * user_len + 1);
    char *body, mac[2 * MAC_BYTES + 1];

    reg_str_hex((const unsigned char *)claims->user, user_len, user_hex);
    body = reg_arena_sprintf(a, "%s.%lld.%s", claims->id, (long long)claims->expires_at, user_hex);
    mac_hex(secret, body, strlen(body), mac);
    return reg_arena_sprintf(a, "%s.%s", body, mac);
}

/* Splits "id.expires.userhex.mac" into claims; false if the form is wrong. */
static bool
parse(const char *token, struct reg_token_claims *out, size_t *body_len, const char **mac)
{
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    const char *dot3 = dot2 ? strchr(dot2 + 1, '.') : NULL;
    size_t user_hex_len;
    char *end;

    if (!dot3 || strchr(dot3 + 1, '.') || dot1 - token != REG_TOKEN_ID_HEX ||
        strlen(dot3 + 1) != 2 * MAC_BYTES)
        return false;
    memcpy(out->id, token, REG_TOKEN_ID_HEX);
    out->id[REG_TOKEN_ID_HEX] = '\0';
    out->expires_at = strtoll(dot1 + 1, &end, 10);
    user_hex_len = (size_t)(dot3 - dot2 - 1);
    if (end != dot2 || user_hex_len == 0 || user_hex_len > 2 * REG_NAME_MAX ||
        !reg_str_unhex(dot2 + 1, user_hex_len, (unsigned char *)out->user))
        return false;
    out->user[user_hex_len / 2] = '\0';
    *body_len = (size_t)(dot3 - token);
    *mac = dot3 + 1;
    return strlen(out->user) == user_hex_len / 2;
}

enum reg_status
reg_token_verify(const unsigned char secret[REG_SECRET_BYTES], const char *token, int64_t now,
                 struct reg_token_claims *out)
{
    char want[2 * MAC_BYTES + 1];
    const char *mac;
    size_t body_len;

    memset(out, 0, sizeof(*out));
    if (strlen(token) > TOKEN_MAX || !parse(token, out, &body_len, &mac))
        return reg_errorf(REG_EAUTH, "the access token is malformed");
    mac_hex(secret, token, body_len, want);
    if (CRYPTO_memcmp(want, mac, 2 * MAC_BYTES) != 0)
        return reg_errorf(REG_EAUTH, "the access token's signature is invalid");
    if (out->expires_at <= now)
        return reg_errorf(REG_EAUTH, "the access token has expired; authenticate again");
    return REG_OK;
}
