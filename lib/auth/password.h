/*
 * password.h - password storage: PBKDF2-HMAC-SHA256 (OpenSSL) with a random 16-byte salt, kept
 * as one self-describing record "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>", so the
 * iteration count can rise later without invalidating stored passwords.
 *
 * Ownership: records are written into caller-provided buffers of REG_PASSWORD_RECORD_MAX.
 */
#ifndef REG_AUTH_PASSWORD_H
#define REG_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/status.h"

#define REG_PASSWORD_RECORD_MAX 192
/* OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
#define REG_PASSWORD_ITERATIONS 600000

/* Derives a record for password with a fresh salt. */
enum reg_status reg_password_hash(const char *password, int iterations,
                                  char out[REG_PASSWORD_RECORD_MAX]);

/* True if password matches record; the comparison takes the same time wherever they differ.
 * A malformed record never matches. */
bool reg_password_verify(const char *password, const char *record);

#endif
