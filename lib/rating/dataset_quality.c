/*
 * dataset_quality.c - how trustworthy the datasets the model was trained on are.
 *
 * Reads: dataset_info[] (readme, license, downloads, tags of each dataset that was found).
 *
 *   dataset_quality = mean over the found datasets of
 *                     0.35 D + 0.20 L + 0.25 A + 0.20 M                    range [0, 1]
 *   and 0 when no named dataset was found.
 *
 *   D  documentation: clamp(words / 300) of the dataset card's prose (placeholders excluded)
 *   L  licence: 1 when stated, 0.5 for "other", 0 for "unknown" or none
 *   A  adoption: clamp(log10(1 + downloads) / 6): a million downloads count 1
 *   M  metadata: the share of the four structured facts the Hub's tags carry
 *      (task_categories:, size_categories:, language:, annotations_creators:)
 */
#include <string.h>

#include "rating/rating.h"

#define DOC_WORDS 300.0

static double
license_stated(const char *license)
{
    if (!license || !license[0] || strcmp(license, "unknown") == 0)
        return 0.0;
    return strcmp(license, "other") == 0 ? 0.5 : 1.0;
}

static double
metadata(const struct reg_dataset_signals *d)
{
    static const char *const facts[] = {
        "task_categories:", "size_categories:", "language:", "annotations_creators:"};
    const size_t nfacts = sizeof(facts) / sizeof(facts[0]);
    int found = 0;

    for (size_t f = 0; f < nfacts; f++) {
        for (int i = 0; i < d->ntags; i++) {
            if (d->tags && d->tags[i] && strncmp(d->tags[i], facts[f], strlen(facts[f])) == 0) {
                found++;
                break;
            }
        }
    }
    return (double)found / (double)nfacts;
}

static double
quality(const struct reg_dataset_signals *d)
{
    struct reg_card_stats st;

    reg_rating_card_stats(d->readme, &st);
    return 0.35 * reg_rating_clamp((double)st.words / DOC_WORDS) +
           0.20 * license_stated(d->license) + 0.25 * reg_rating_log_scale(d->downloads, 0.0, 6.0) +
           0.20 * metadata(d);
}

double
reg_rating_dataset_quality(const struct reg_model_signals *s)
{
    double sum = 0.0;

    if (!s->dataset_info || s->ndataset_info <= 0)
        return 0.0;
    for (int i = 0; i < s->ndataset_info; i++)
        sum += quality(&s->dataset_info[i]);
    return reg_rating_clamp(sum / (double)s->ndataset_info);
}
