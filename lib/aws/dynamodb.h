/*
 * dynamodb.h - a DynamoDB client over the JSON 1.0 protocol (libcurl, SigV4), with the retry
 * behaviour of the AWS SDKs' "standard" mode:
 *   - up to 4 attempts, full-jitter exponential backoff from a 25 ms base (capped at 20 s);
 *   - a retry budget of 500 tokens: a retry costs 5 (10 after a timeout), a success refunds 1,
 *     so a store that is down is not hammered;
 *   - retried: throttling errors, HTTP 5xx, transport failures and responses whose
 *     x-amz-crc32 header does not match the body; never retried: validation, access and
 *     ConditionalCheckFailed errors.
 * HTTPS with certificate verification; plain http only to a loopback endpoint (development).
 * One connection per client, reused across calls.
 *
 * Ownership: the client is created with reg_dynamodb_new() and freed with reg_dynamodb_free();
 * responses are parsed into the arena passed to reg_dynamodb_call().
 */
#ifndef REG_AWS_DYNAMODB_H
#define REG_AWS_DYNAMODB_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "base/arena.h"
#include "base/status.h"

/* Retry backoff: the ceiling starts at the base and doubles with each retry, up to the cap. */
#define REG_DYNAMODB_BACKOFF_BASE_MS 25
#define REG_DYNAMODB_BACKOFF_CAP_MS 20000

struct reg_dynamodb_config {
    const char *endpoint; /* AWS_ENDPOINT_URL_DYNAMODB, or NULL for the region's AWS endpoint */
    const char *region;
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL when none */
};

struct reg_dynamodb;

enum reg_status reg_dynamodb_new(const struct reg_dynamodb_config *cfg, struct reg_dynamodb **out);
void reg_dynamodb_free(struct reg_dynamodb *c);

/* Calls operation op ("PutItem") with request (not consumed). On success *out is the parsed
 * response object (owned by the arena). Errors: REG_ECONFLICT for ConditionalCheckFailed and
 * ResourceInUse, REG_ENOTFOUND for ResourceNotFound, REG_EUNAVAILABLE when the service stays
 * unreachable, throttled or failing after the retries, REG_ESTORE for any other refusal. */
enum reg_status reg_dynamodb_call(struct reg_dynamodb *c, struct reg_arena *a, const char *op,
                                  struct json_object *request, struct json_object **out);

/* The ceiling of the pause before retry number `retry` (1: after the first attempt):
 * min(REG_DYNAMODB_BACKOFF_CAP_MS, REG_DYNAMODB_BACKOFF_BASE_MS * 2^(retry - 1)). */
int64_t reg_dynamodb_backoff_ceiling_ms(int retry);

/* The pause before retry number `retry`, full jitter: the share jitter / 2^32 of the ceiling,
 * as a timespec nanosleep accepts (tv_nsec below one second). The one schedule of every retry
 * of this client and of the store's batch writes. */
struct timespec reg_dynamodb_backoff(int retry, uint32_t jitter);

/* Sleeps reg_dynamodb_backoff(retry, <random jitter>), the whole pause even across signals. */
void reg_dynamodb_backoff_sleep(int retry);

/* True if the last call was attempted more than once (a conditional write that then failed
 * may have been this client's own earlier attempt). */
bool reg_dynamodb_last_call_retried(const struct reg_dynamodb *c);

#endif
