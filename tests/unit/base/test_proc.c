/*
 * test_proc.c - reg_proc_spawn_fds: the program gets stdin from /dev/null, the caller's
 * descriptors as stdout and stderr and no other descriptor of the caller's (a worker's
 * FastCGI socket, its store), and with new_group a process group of its own that kill(-pid)
 * reaches.
 */
#include "unit.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/proc.h"
#include "tmpdir_fixture.h"

/* Runs /bin/sh -c script with stdout into a file and returns what it printed (malloc'd). */
static char *
run_sh(const char *dir, const char *script, bool new_group, int *status)
{
    char out_path[300], sh[] = "/bin/sh", c[] = "-c", *argv[4], path[] = "PATH=/usr/bin:/bin";
    char *envp[] = {path, NULL}, *text = calloc(1, 65536);
    int out, err = open("/dev/null", O_WRONLY | O_CLOEXEC);
    pid_t pid = -1;
    FILE *fp;

    argv[0] = sh;
    argv[1] = c;
    argv[2] = strdup(script);
    argv[3] = NULL;
    snprintf(out_path, sizeof(out_path), "%s/out", dir);
    out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(out >= 0 && err >= 0);
    assert_int_equal(reg_proc_spawn_fds(sh, argv, envp, out, err, new_group, &pid), REG_OK);
    close(out);
    close(err);
    assert_int_equal(waitpid(pid, status, 0), pid);
    fp = fopen(out_path, "r");
    assert_non_null(fp);
    assert_true(fread(text, 1, 65535, fp) < 65535);
    fclose(fp);
    free(argv[2]);
    return text;
}

static void
test_no_descriptor_is_inherited(void **state)
{
    char dir[256], marker[300], *listing;
    int fd, status;

    (void)state;
    tmpdir_make(dir, sizeof(dir), NULL, "proctest");
    /* Held without close-on-exec, as libfcgi's socket is. */
    snprintf(marker, sizeof(marker), "%s/held-by-the-worker", dir);
    fd = open(marker, O_WRONLY | O_CREAT, 0600);
    assert_true(fd > 2);
    listing = run_sh(dir, "ls -l /proc/self/fd/; read x && echo stdin-not-empty", false, &status);
    close(fd);
    assert_true(WIFEXITED(status));
    assert_non_null(strstr(listing, "/out"));      /* stdout: the listing is real */
    assert_non_null(strstr(listing, "/dev/null")); /* stdin and stderr */
    assert_null(strstr(listing, "held-by-the-worker"));
    assert_null(strstr(listing, "stdin-not-empty"));
    free(listing);
    tmpdir_remove(dir);
}

static void
test_new_group(void **state)
{
    char dir[256], *text;
    int status;
    char want[32];

    (void)state;
    tmpdir_make(dir, sizeof(dir), NULL, "proctest");
    /* The shell's process group id is its own pid with new_group... */
    text = run_sh(dir, "echo $$ $(ps -o pgid= -p $$)", true, &status);
    {
        long pid = 0, pgid = 0;
        assert_int_equal(sscanf(text, "%ld %ld", &pid, &pgid), 2);
        assert_true(pid == pgid);
    }
    free(text);
    /* ...and the caller's without. */
    text = run_sh(dir, "ps -o pgid= -p $$", false, &status);
    snprintf(want, sizeof(want), "%ld", (long)getpgrp());
    assert_non_null(strstr(text, want));
    free(text);
    tmpdir_remove(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_descriptor_is_inherited),
        cmocka_unit_test(test_new_group),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
