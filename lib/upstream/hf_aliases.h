/*
 * hf_aliases.h - the Hub's renamed repositories as this process has learned them from its
 * answers ("bookcorpus" -> "bookcorpus/bookcorpus", "squad" -> "rajpurkar/squad"), so that a
 * later fetch asks for the current name at once. Model cards name datasets by their old names,
 * and the Hub answers an old name with a redirect: one more round trip, after the repository
 * and the other datasets have already answered, on every ingest of such a model.
 *
 * A name is learned when an info answer gives another id than the one asked for (the Hub
 * followed a redirect to it), and kept for REG_HF_ALIAS_TTL_SECONDS after that; at most
 * REG_HF_ALIASES_MAX names, the one learned first forgotten first. Per process: each worker
 * learns on its own. Thread-safe: a model's datasets are fetched on threads of their own.
 *
 * What it can change: which URL is asked first. The caller asks the old name again when the
 * current one is not found (huggingface.c), so a deleted repository reads as before. The one
 * difference: within the TTL, an old name that has meanwhile been given to another repository
 * is still read as the repository it used to redirect to.
 *
 * Ownership: the table keeps its own copies; lookups copy into the caller's arena.
 */
#ifndef REG_UPSTREAM_HF_ALIASES_H
#define REG_UPSTREAM_HF_ALIASES_H

#include "base/arena.h"

/* Names kept (both kinds together). */
#define REG_HF_ALIASES_MAX 64
/* How long a learned name is used. */
#define REG_HF_ALIAS_TTL_SECONDS 3600
/* Longest id kept: "org/name", each part at most REG_REPO_SEGMENT_MAX (longer ones are not). */
#define REG_HF_ALIAS_ID_MAX 512

/* The current id of kind ("model", "dataset") repo_id as learned, an arena copy; NULL when
 * none is known (or it expired). */
const char *reg_hf_alias_lookup(struct reg_arena *a, const char *kind, const char *repo_id);

/* Learns that kind repo_id is now current. Nothing when they are equal or either is too long. */
void reg_hf_alias_learn(const char *kind, const char *repo_id, const char *current);

/* Forgets what kind repo_id was learned as (the current id was not found). */
void reg_hf_alias_forget(const char *kind, const char *repo_id);

/* Forgets everything (tests). */
void reg_hf_alias_clear(void);

#endif
