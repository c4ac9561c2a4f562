/*
 * password.c - PBKDF2-HMAC-SHA256 records and their constant-time check.
 */
#include "auth/password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"

#define SALT_BYTES 16
#define HASH_BYTES 32
#define PREFIX "pbkdf2-sha256$"

static enum reg_status
derive(const char *password, const unsigned char *salt, int iterations,
       unsigned char out[HASH_BYTES])
{
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, SALT_BYTES, iterations,
                          EVP_sha256(), HASH_BYTES, out) != 1)
        return reg_errorf(REG_EINTERNAL, "PBKDF2 failed");
    return REG_OK;
}

enum reg_status
reg_password_hash(const char *password, int iterations, char out[REG_PASSWORD_RECORD_MAX])
{
    unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
    char salt_hex[2 * SALT_BYTES + 1], hash_hex[2 * HASH_BYTES + 1];
    enum reg_status st;

    if (iterations < 1)
        return reg_errorf(REG_EINVAL, "PBKDF2 needs at least one iteration");
    if (RAND_bytes(salt, SALT_BYTES) != 1)
        return reg_errorf(REG_EINTERNAL, "no randomness for a salt");
    st = derive(password, salt, iterations, hash);
    if (st != REG_OK)
        return st;
    reg_str_hex(salt, SALT_BYTES, salt_hex);
    reg_str_hex(hash, HASH_BYTES, hash_hex);
    snprintf(out, REG_PASSWORD_RECORD_MAX, PREFIX "%d$%s$%s", iterations, salt_hex, hash_hex);
    OPENSSL_cleanse(hash, sizeof(hash));
    return REG_OK;
}

bool
reg_password_verify(const char *password, const char *record)
{
    unsigned char salt[SALT_BYTES], want[HASH_BYTES], got[HASH_BYTES];
    const char *p = record;
    char *end;
    long iterations;
    bool ok;

    if (strncmp(p, PREFIX, strlen(PREFIX)) != 0)
        return false;
    p += strlen(PREFIX);
    iterations = strtol(p, &end, 10);
    if (end == p || *end != '$' || iterations < 1 || iterations > 100000000)
        return false;
    p = end + 1;
    if (!reg_str_unhex(p, 2 * SALT_BYTES, salt) || p[2 * SALT_BYTES] != '$' ||
        !reg_str_unhex(p + 2 * SALT_BYTES + 1, 2 * HASH_BYTES, want) ||
        p[2 * SALT_BYTES + 1 + 2 * HASH_BYTES] != '\0')
        return false;
    if (derive(password, salt, (int)iterations, got) != REG_OK)
        return false;
    ok = CRYPTO_memcmp(got, want, HASH_BYTES) == 0;
    OPENSSL_cleanse(got, sizeof(got));
    return ok;
}
