/*
 * fault.h - fault injection for the unit tests (test code only, never linked into registryd),
 * in the spirit of SQLite's fault simulation: make the Nth call of a system or library function
 * that libreg.a makes fail, in process, with a chosen errno, and count the calls.
 *
 * How: tests/unit/fault.c defines open, write, fsync, rename, RAND_bytes, sqlite3_step, ... in
 * the test executable. A definition in the executable takes the place of libc's, OpenSSL's and
 * SQLite's for every call from libreg.a; the shim passes each call on to the next definition
 * (dlsym(RTLD_NEXT): libc, or ASan's interceptor on the sanitizer build) unless it is the call
 * armed to fail. Only the tests named test_*_faults link it (the Makefile's fault block).
 *
 * One rule is armed at a time: a function name, an optional path part, and N. A call matches
 * when it is of that function and, with a path part, when the path it works on contains it:
 *   - path calls (open, rename, stat, opendir, mkdir, ...): the path argument (either of
 *     rename's and link's);
 *   - fd and FILE* calls (write, read, fsync, flock, mmap, fclose, ...): the file the
 *     descriptor is open on (/proc/self/fd);
 *   - sqlite3_step and sqlite3_prepare_*: the statement's SQL text; sqlite3_open_v2: the file;
 *   - calls without a path (RAND_bytes, EVP_*, HMAC, PKCS5_PBKDF2_HMAC, fork,
 *     pthread_mutex_init, pthread_mutex_lock, curl_multi_init): only a rule without a path
 *     part matches them.
 * Matching calls are numbered from 1 after arming; the Nth fails (with FAULT_FROM, the Nth and
 * every later one), setting errno to err (sqlite3_* return err as their result code;
 * posix_spawn and pthread_mutex_* return it). A failing call has no effect, except that
 * close and fclose still release the descriptor or stream, as the kernel does when close fails.
 * Unarmed, or armed with N = 0 (counting only), every call passes through.
 *
 * Fidelity: a failing call is refused before it does anything. That is what the kernel and
 * OpenSSL do, but not all of what SQLite does: a failed sqlite3_step leaves no error message on
 * the connection (sqlite3_errmsg says "not an error"), and failing a statement's second step
 * (after a first that returned a row of an UPDATE ... RETURNING) would keep the changes the first
 * made, where SQLite rolls the statement back; sweep only a statement's first step.
 *
 * Usage (a failure sweep; fault_sweep below does this, with the checks):
 *     fault_count("write", "/meta/");
 *     operation();                       // succeeds
 *     long calls = fault_calls();
 *     for (long n = 1; n <= calls; n++) {
 *         fault_fail("write", "/meta/", n, ENOSPC);
 *         assert_int_equal(operation(), REG_ESTORE);
 *         assert_true(fault_fired());
 *         fault_off();
 *         ...the state is as before...
 *     }
 *
 * Thread use: the rule is set and read by the test's thread; calls from other threads match
 * and are counted too (atomically). Processes: a fork's child inherits the rule and the count
 * so far, so a rule can fail a call in a filler or runner the operation forks (call N of the
 * child's counting), but the child's calls are not counted in the test's process.
 *
 * Parts: choose one that names the files under test only. The shim sees every call of the test
 * process, the census's own (REG_ERROR_TRACE_FILE, build/cov/errors.trace, written with open
 * and write) and libgcov's at exit included.
 */
#ifndef REG_TEST_FAULT_H
#define REG_TEST_FAULT_H

#include <stdbool.h>
#include <string.h>

#include "base/status.h"
#include "unit.h"

/* Fail the Nth matching call only, or the Nth and every one after it. */
enum fault_mode { FAULT_ONCE, FAULT_FROM };

/* Arms the rule: the nth call of fn (whose path contains part, when part is not NULL) fails
 * with err. Replaces any rule armed before and restarts the count. */
void fault_fail(const char *fn, const char *part, long nth, int err);

/* fault_fail with a mode: FAULT_FROM fails the nth matching call and every later one. */
void fault_fail_mode(const char *fn, const char *part, long nth, int err, enum fault_mode mode);

/* Counts the calls of fn (on paths containing part) from now on, failing none. */
void fault_count(const char *fn, const char *part);

/* The matching calls since the rule was armed. */
long fault_calls(void);

/* Whether a call has failed since the rule was armed. */
bool fault_fired(void);

/* Disarms: every call passes through again (the standing fault below stays). */
void fault_off(void);

/* A standing fault, besides the armed rule and not counted: every call of fn (on a path
 * containing part) fails with err until fault_also_off(). For a condition an operation must
 * meet on the way to the call under test (a link across file systems: EXDEV). The standing
 * fault is checked first. */
void fault_also(const char *fn, const char *part, int err);
void fault_also_off(void);

/* One failure a sweep injects, and what the operation must answer. */
struct fault_case {
    const char *fn;     /* the function that fails */
    const char *part;   /* in the path it works on, or NULL for any call */
    int err;            /* errno it fails with (the result code for sqlite3_*) */
    long nth;           /* the one call to fail, or 0 for each call the operation makes */
    enum reg_status st; /* the status the operation returns then */
    const char *detail; /* a part of reg_error_detail() then */
};

typedef enum reg_status (*fault_run_fn)(void *ctx);
typedef void (*fault_state_fn)(void *ctx);

/* The operation a sweep repeats, on ctx. */
struct fault_op {
    fault_run_fn run;     /* the operation (its status is what the sweep checks) */
    fault_state_fn undo;  /* after a run that succeeded: back to the state before it, or NULL */
    fault_state_fn check; /* after a run that failed: the state is as before it, or NULL */
};

/* A failure sweep: runs op->run once unarmed, which must succeed, counting its matching calls
 * of c->fn (then op->undo); then, for each of those calls (or only c->nth), runs it with that
 * call failing and asserts that the call was made and failed, that run returned c->st with
 * c->detail in the error detail, and then op->check: nothing half-written, the previous state
 * intact. undo and check run unarmed. Returns the number of failing runs. */
static inline long
fault_sweep(const struct fault_case *c, const struct fault_op *op, void *ctx)
{
    long calls, first, last;

    fault_count(c->fn, c->part);
    assert_int_equal(op->run(ctx), REG_OK);
    calls = fault_calls();
    fault_off();
    if (op->undo)
        op->undo(ctx);
    first = c->nth ? c->nth : 1;
    last = c->nth ? c->nth : calls;
    if (calls < first)
        fail_msg("%s on '%s': %ld calls, want at least %ld", c->fn, c->part ? c->part : "", calls,
                 first);
    for (long n = first; n <= last; n++) {
        enum reg_status st;
        bool fired;

        reg_error_clear();
        fault_fail(c->fn, c->part, n, c->err);
        st = op->run(ctx);
        fired = fault_fired();
        fault_off();
        if (!fired || st != c->st || !strstr(reg_error_detail(), c->detail))
            fail_msg("%s on '%s', call %ld of %ld: fired %d, got %s '%s', want %s '%s'", c->fn,
                     c->part ? c->part : "", n, calls, fired, reg_status_name(st),
                     reg_error_detail(), reg_status_name(c->st), c->detail);
        if (op->check)
            op->check(ctx);
    }
    return last - first + 1;
}

#endif
