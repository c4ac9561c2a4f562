/*
 * bus_factor.c - how many people keep the model alive: would it survive losing one of them?
 *
 * Reads: code->contributions (commits per contributor of the linked GitHub repository; the
 * ingest leaves bots out), downloads.
 *
 *   bus_factor = 1 - (1 - C) (1 - U)                                        range [0, 1]
 *
 *   C  code team:  the Gini-Simpson index of commit shares, 1 - sum(p_i^2), p_i = c_i / sum c:
 *                  the chance that two random commits have different authors (equivalently
 *                  1 - 1/N_eff, N_eff the effective number of maintainers). One author: 0;
 *                  n equal authors: 1 - 1/n. 0 when no repository is linked.
 *   U  user base:  clamp(log10(1 + downloads) / 9): a model people depend on gets mirrored,
 *                  forked and re-uploaded; 10^9 downloads count 1, a thousand about 1/3.
 *
 * The two are independent ways for the model to survive (a "noisy OR"): either keeps it
 * alive, so the score rises with either and is high only when one of them is.
 * Calibrated on the course sample: bert-base-uncased 0.95, whisper-tiny 0.93,
 * audience_classifier_model 0.34 (sample 0.95, 0.90, 0.33).
 */
#include "rating/rating.h"

static double
team(const struct reg_code_signals *code)
{
    double total = 0.0, sum_sq = 0.0;

    if (!code || !code->contributions || code->ncontributors <= 0)
        return 0.0;
    for (int i = 0; i < code->ncontributors; i++)
        if (code->contributions[i] > 0)
            total += (double)code->contributions[i];
    if (!(total > 0.0))
        return 0.0;
    for (int i = 0; i < code->ncontributors; i++) {
        if (code->contributions[i] > 0) {
            double p = (double)code->contributions[i] / total;

            sum_sq += p * p;
        }
    }
    return reg_rating_clamp(1.0 - sum_sq);
}

double
reg_rating_bus_factor(const struct reg_model_signals *s)
{
    double c = team(s->code);
    double u = reg_rating_log_scale(s->downloads, 0.0, 9.0);

    return reg_rating_clamp(1.0 - (1.0 - c) * (1.0 - u));
}
