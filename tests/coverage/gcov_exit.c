/*
 * gcov_exit.c - linked into the coverage build only (make coverage, -Wl,--wrap=_exit): a
 * process that ends with _exit skips the atexit handler that writes gcov's counters, so a
 * forked child (the bundler, lib/base/proc.c's detached children) would count for nothing.
 * Writes them first, then exits as asked.
 */
void __gcov_dump(void);
void __real__exit(int status) __attribute__((noreturn));
void __wrap__exit(int status) __attribute__((noreturn));

void
__wrap__exit(int status)
{
    __gcov_dump();
    __real__exit(status);
}
