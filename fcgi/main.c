/*
 * main.c - registryd: reads the configuration, prepares the store once (schema migrations),
 * opens the FastCGI unix socket $REGISTRY_DATA_DIR/run/registryd.sock and runs the master.
 * The only code besides worker.c and fcgi_io.c that knows FastCGI.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include <curl/curl.h>
#include <errno.h>
#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "core/readme_snapshot.h"
#include "master.h"
#include "reg.h"

#define LISTEN_BACKLOG 1024

static int
ensure_dir(const char *path)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return 0;
    reg_log(REG_LOG_ERROR, "cannot create %s: %s", path, strerror(errno));
    return -1;
}

/* Opens the store once in the master so that migrations run before any worker starts and a
 * broken configuration fails here, loudly, instead of in a respawn loop. */
static int
prepare_store(const struct reg_config *cfg)
{
    struct reg_app *app;

    if (reg_app_new(cfg, NULL, &app) != REG_OK) {
        reg_log(REG_LOG_ERROR, "cannot start the application (store, blobs, policy): %s",
                reg_error_detail());
        return -1;
    }
    reg_app_free(app);
    return 0;
}

static struct reg_pool_status *
map_pool(void)
{
    void *p = mmap(NULL, sizeof(struct reg_pool_status), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        reg_log(REG_LOG_ERROR, "mmap: %s", strerror(errno));
        return NULL;
    }
    memset(p, 0, sizeof(struct reg_pool_status));
    if (reg_backoff_init(&((struct reg_pool_status *)p)->login_backoff) != REG_OK ||
        reg_leases_init(&((struct reg_pool_status *)p)->token_leases) != REG_OK) {
        reg_log(REG_LOG_ERROR, "%s", reg_error_detail());
        munmap(p, sizeof(struct reg_pool_status));
        return NULL;
    }
    return p;
}

/* Says once, in the master's log, what in the configuration puts the registry at risk (the
 * health check shows the same to the dashboard). */
static void
log_config_warnings(const struct reg_config *cfg)
{
    const char *warnings[REG_CONFIG_WARNINGS_MAX];
    int n = reg_config_warnings(cfg, warnings);

    for (int i = 0; i < n; i++)
        reg_log(REG_LOG_WARN, "%s", warnings[i]);
}

/* The FastCGI socket at path, group-writable for nginx; -1 (logged) when it cannot listen.
 * libfcgi exits the whole process (status 1000, seen as 232) on a path too long for a unix
 * socket's address instead of failing the open: that case is refused here first. */
static int
open_socket(const char *path)
{
    struct sockaddr_un sa;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        reg_log(REG_LOG_ERROR,
                "cannot listen on %s: longer than the %zu bytes a unix socket's "
                "path may have",
                path, sizeof(sa.sun_path) - 1);
        return -1;
    }
    unlink(path);
    fd = FCGX_OpenSocket(path, LISTEN_BACKLOG);
    if (fd < 0) {
        reg_log(REG_LOG_ERROR, "cannot listen on %s", path);
        return -1;
    }
    chmod(path, 0660);
    return fd;
}

int
main(void)
{
    struct reg_config cfg;
    struct reg_pool_status *pool;
    char run_dir[4096], sock_path[4200];
    int fd, rc;

    if (reg_config_load(&cfg) != REG_OK) {
        reg_log(REG_LOG_ERROR, "configuration: %s", reg_error_detail());
        return 2;
    }
    log_config_warnings(&cfg);
    reg_log(REG_LOG_INFO, "%s", reg_ingest_describe(&cfg));
    snprintf(run_dir, sizeof(run_dir), "%s/run", cfg.data_dir);
    snprintf(sock_path, sizeof(sock_path), "%s/registryd.sock", run_dir);
    /* Once, before any worker exists: libcurl's global state (DynamoDB and upstream clients). */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        reg_log(REG_LOG_ERROR, "curl_global_init failed");
        return 1;
    }
    if (ensure_dir(cfg.data_dir) || ensure_dir(run_dir) || prepare_store(&cfg))
        return 1;
    /* README snapshots are named by store generation, which a store replaced while registryd
     * was stopped may repeat: each start begins without any. */
    reg_readme_snapshot_purge(run_dir);
    pool = map_pool();
    if (!pool)
        return 1;
    pool->started_at = (int64_t)time(NULL);
    if (FCGX_Init() != 0) {
        reg_log(REG_LOG_ERROR, "FCGX_Init failed");
        return 1;
    }
    fd = open_socket(sock_path);
    if (fd < 0)
        return 1;
    rc = reg_master_run(fd, &cfg, pool);
    close(fd);
    unlink(sock_path);
    munmap(pool, sizeof(*pool));
    curl_global_cleanup();
    return rc;
}
