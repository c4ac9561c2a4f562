/*
 * reproducibility.c - can the model be run with only the demonstration code in its card?
 *
 * Reads: readme (fenced code blocks), repo_id, name, library_name, pipeline_tag.
 *
 *   reproducibility = reg_rating_card_example_level() / 2           one of 0, 0.5 and 1
 *
 *   1    a block runs as written: it is code, uses the model's library (library_name, e.g.
 *        "from transformers import ..."; a pipeline("<pipeline_tag>", ...) call; any import
 *        when no library is declared), names this model (its repo_id, the id's last part or
 *        its name) and has no placeholder to fill in ("path/to", "<your", "your_")
 *   0.5  the card has code, but it needs adapting (another model, no loader, placeholders)
 *   0    no code: no fenced block, or only data (bibtex, text, json, yaml, ...) or output
 *
 * This is a static reading of the card, not an execution: the registry does not run code.
 */
#include "rating/rating.h"

double
reg_rating_reproducibility(const struct reg_model_signals *s)
{
    return reg_rating_card_example_level(s) / 2.0;
}
