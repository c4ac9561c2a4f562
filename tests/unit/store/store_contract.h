/*
 * store_contract.h - the behaviour every store backend must have, as one suite of cases that
 * each backend's test file runs on a fresh, empty store of its own (as libgit2 shares
 * tests/libgit2/odb/backend/backend_helpers between its odb backend tests). lib/store/store.h
 * is the interface and its comments are the contract; a case here checks only what those
 * comments promise, so that SQLite and DynamoDB are held to the same lines.
 *
 * How it is shared: a unity build. The Makefile compiles each test_*.c under tests/unit/ into a
 * binary of its own and nothing else, so a backend test file includes store_contract.c (which
 * includes this header) and every function of the suite is static: no library, no link step,
 * and an unused case is a compile error (-Wunused-function), so a backend cannot silently skip
 * one. Backend-specific cases (files, WAL, several connections, 1 MB pages, chunked READMEs,
 * faults) stay in the backend's test file, built from the same helpers (store_helpers.h).
 *
 * Usage, in a backend's test file:
 *     #include "store/store_contract.c"
 *     struct fixture { struct contract c; ... };   // first: the store (store_helpers.h)
 *     static int setup(void **state);    // *state = a fixture with a fresh, empty store
 *     static int teardown(void **state); // closes it
 *     const struct CMUnitTest tests[] = { STORE_CONTRACT_TESTS(setup, teardown) ... };
 * Each case is also a plain function, store_contract_<name>(struct reg_store *s), with an arena
 * of its own for what the store returns.
 */
#ifndef REG_TEST_STORE_CONTRACT_H
#define REG_TEST_STORE_CONTRACT_H

#include "store/store.h"

/* Every contract case, in the order they run: X(name, a, b) for each. */
#define STORE_CONTRACT_CASES(X, a, b)                                                              \
    X(insert_get, a, b)                                                                            \
    X(insert_conflicts, a, b)                                                                      \
    X(insert_same_id_same_url_keeps_claim, a, b)                                                   \
    X(insert_taken_id_keeps_readme, a, b)                                                          \
    X(update, a, b)                                                                                \
    X(update_clears_readme_and_metadata, a, b)                                                     \
    X(remove, a, b)                                                                                \
    X(list_filters, a, b)                                                                          \
    X(list_item_fields, a, b)                                                                      \
    X(list_pagination, a, b)                                                                       \
    X(list_pagination_under_writes, a, b)                                                          \
    X(scan, a, b)                                                                                  \
    X(readmes, a, b)                                                                               \
    X(generation, a, b)                                                                            \
    X(count, a, b)                                                                                 \
    X(reset, a, b)                                                                                 \
    X(close_null, a, b)                                                                            \
    X(user_insert_get, a, b)                                                                       \
    X(user_unknown_names, a, b)                                                                    \
    X(user_list, a, b)                                                                             \
    X(user_list_by_creation, a, b)                                                                 \
    X(user_update, a, b)                                                                           \
    X(last_admin, a, b)                                                                            \
    X(user_remove_cascades, a, b)                                                                  \
    X(token_use_counts, a, b)                                                                      \
    X(token_unknown, a, b)                                                                         \
    X(token_check, a, b)                                                                           \
    X(token_take_blocks, a, b)                                                                     \
    X(token_give_back, a, b)                                                                       \
    X(token_insert_integrity, a, b)                                                                \
    X(audit_append_list, a, b)                                                                     \
    X(audit_many, a, b)                                                                            \
    X(audit_goes_with_artifact, a, b)                                                              \
    X(audit_pages, a, b)                                                                           \
    X(audit_append_once, a, b)                                                                     \
    X(secret, a, b)                                                                                \
    X(secret_any_bytes, a, b)                                                                      \
    X(reset_keeps_secret, a, b)                                                                    \
    X(sensitive_mark_and_program, a, b)                                                            \
    X(sensitive_unknown_artifact, a, b)                                                            \
    X(sensitive_goes_with_artifact, a, b)                                                          \
    X(download_history_pages, a, b)                                                                \
    X(group_put_get, a, b)                                                                         \
    X(group_commit, a, b)                                                                          \
    X(group_commit_conflict_leaves_nothing, a, b)                                                  \
    X(group_sweep, a, b)

/* store_contract_<name>(s): runs one case on s, a fresh, empty store. */
#define STORE_CONTRACT_DECLARE_(name, a, b) static void store_contract_##name(struct reg_store *s);
STORE_CONTRACT_CASES(STORE_CONTRACT_DECLARE_, , )

/* The cmocka test of each case: contract_<name>, run between setup and teardown, which leave
 * in *state a struct whose first member is a struct contract holding the fresh store. */
#define STORE_CONTRACT_TEST_(name, setup, teardown)                                                \
    cmocka_unit_test_setup_teardown(contract_##name, setup, teardown),
#define STORE_CONTRACT_TESTS(setup, teardown)                                                      \
    STORE_CONTRACT_CASES(STORE_CONTRACT_TEST_, setup, teardown)

#endif
