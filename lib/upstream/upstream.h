/*
 * upstream.h - the upstream services the registry reads from, named once for the code that
 * reports on them (ingest's observer, the health statistics).
 */
#ifndef REG_UPSTREAM_UPSTREAM_H
#define REG_UPSTREAM_UPSTREAM_H

enum reg_upstream { REG_UPSTREAM_HUGGINGFACE, REG_UPSTREAM_GITHUB, REG_UPSTREAM_COUNT };

#endif
