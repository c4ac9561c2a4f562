/*
 * hosts.h - where an artifact's files may be fetched from: the two APIs (HF_ENDPOINT,
 * GITHUB_API_URL) plus the extra bases of REGISTRY_BUNDLE_HOSTS (Hugging Face redirects file
 * downloads to CDN hosts of its own). Bundles (bundle/plan.h) and the model scan at ingest
 * (core/ingest.h) fetch files under this allow-list.
 *
 * Ownership: the bases point into the struct (and the config's two URLs); it must not move
 * while an HTTP config points at them.
 */
#ifndef REG_BUNDLE_HOSTS_H
#define REG_BUNDLE_HOSTS_H

#include "base/config.h"

/* Extra bases (REGISTRY_BUNDLE_HOSTS) kept at most. */
#define REG_FILE_HOSTS_EXTRA_MAX 16

struct reg_file_hosts {
    char list[2048]; /* REGISTRY_BUNDLE_HOSTS, cut into words in place */
    const char *bases[2 + REG_FILE_HOSTS_EXTRA_MAX];
    int n;
};

void reg_file_hosts_init(struct reg_file_hosts *h, const struct reg_config *cfg);

#endif
