/*
 * ramp_up_time.c - how quickly an engineer can start using the model.
 *
 * Reads: library_name, config_json, readme (code examples, prose, placeholders; with
 * repo_id, name and pipeline_tag to recognise an example of this model), downloads.
 *
 *   ramp_up_time = 0.25 L + 0.40 E + 0.15 D + 0.20 A                       range [0, 1]
 *
 *   L  loader:   1 when library_name is declared (the Hub's one-line loading), 0.5 when only
 *                a config.json is there, else 0
 *   E  example:  reg_rating_card_example_level() / 2: 1 for an example that runs as written,
 *                0.5 for code that needs adapting, 0 for none
 *   D  docs:     (1 - exp(-words / 1500)) * content / (content + placeholders), over the
 *                card's prose lines: depth of documentation, discounted by template
 *                placeholders ("[More Information Needed]")
 *   A  adoption: clamp((log10(1 + downloads) - 3) / 5): 1,000 downloads count 0, 100 million
 *                count 1; a widely used model has tutorials and answered questions
 *
 * Calibrated on the course sample (tests/unit/rating/test_calibration.c): bert-base-uncased
 * 0.90, whisper-tiny 0.86, audience_classifier_model 0.25 (sample 0.90, 0.85, 0.25).
 */
#include <math.h>

#include "rating/rating.h"

#define DOC_WORDS 1500.0

static double
loader(const struct reg_model_signals *s)
{
    if (s->library_name && s->library_name[0])
        return 1.0;
    return (s->config_json && s->config_json[0]) ? 0.5 : 0.0;
}

static double
docs(const char *readme)
{
    struct reg_card_stats st;
    int lines;

    reg_rating_card_stats(readme, &st);
    lines = st.content_lines + st.placeholder_lines;
    if (lines == 0)
        return 0.0;
    return (1.0 - exp(-(double)st.words / DOC_WORDS)) * (double)st.content_lines / (double)lines;
}

double
reg_rating_ramp_up_time(const struct reg_model_signals *s)
{
    double l = loader(s);
    double e = reg_rating_card_example_level(s) / 2.0;
    double d = docs(s->readme);
    double a = reg_rating_log_scale(s->downloads, 3.0, 5.0);

    return reg_rating_clamp(0.25 * l + 0.40 * e + 0.15 * d + 0.20 * a);
}
