/*
 * dataset_and_code_score.c - are the training data and the code that go with the model
 * available?
 *
 * Reads: datasets / ndatasets (ids the card names), dataset_info / ndataset_info (those that
 * were found), code_urls / ncode_urls (GitHub repositories the card names), code (the first
 * one, fetched).
 *
 *   dataset_and_code_score = 0.5 D + 0.5 C                                 range [0, 1]
 *
 *   D  1 when a named dataset was found on the Hub (or in the registry), 0.5 when the card
 *      names datasets none of which could be found, 0 when it names none
 *   C  1 when a linked GitHub repository was fetched, 0.5 when the card links repositories
 *      none of which could be fetched, 0 when it links none
 */
#include "rating/rating.h"

static double
availability(bool found, bool named)
{
    if (found)
        return 1.0;
    return named ? 0.5 : 0.0;
}

double
reg_rating_dataset_and_code_score(const struct reg_model_signals *s)
{
    double d = availability(s->dataset_info && s->ndataset_info > 0, s->ndatasets > 0);
    double c = availability(s->code != NULL, s->ncode_urls > 0);

    return reg_rating_clamp(0.5 * d + 0.5 * c);
}
