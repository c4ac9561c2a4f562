/*
 * hosts.c - the allow-list of file fetches (see hosts.h).
 */
#include "bundle/hosts.h"

#include <stdio.h>
#include <string.h>

void
reg_file_hosts_init(struct reg_file_hosts *h, const struct reg_config *cfg)
{
    char *save = NULL;

    memset(h, 0, sizeof(*h));
    snprintf(h->list, sizeof(h->list), "%s", cfg->bundle_hosts ? cfg->bundle_hosts : "");
    h->bases[h->n++] = cfg->hf_endpoint;
    h->bases[h->n++] = cfg->github_api_url;
    for (char *w = strtok_r(h->list, " ", &save); w && h->n < 2 + REG_FILE_HOSTS_EXTRA_MAX;
         w = strtok_r(NULL, " ", &save))
        h->bases[h->n++] = w;
}
