/*
 * size_score.c - how well the model's weights suit four deployment targets.
 *
 * Reads: files (paths and sizes: the Hub's siblings with blobs=true, or an upload's entries).
 *
 *   size_score[d] = clamp(1 - (w / B_d)^2)                    range [0, 1] for each device
 *
 *   w    the megabytes (10^6 bytes) of ONE complete copy of the weights, because a deployment
 *        downloads one format, not every format a repository offers (see weight_bytes below)
 *   B_d  the weight budget of the device, where its score reaches 0:
 *            raspberry_pi 500 MB, jetson_nano 575 MB, desktop_pc 2000 MB, aws_server 16000 MB
 *        The quadratic is gentle while the weights use a small part of the budget and falls
 *        fast as they approach it. The budgets are calibrated on the course sample:
 *        whisper-tiny (151 MB) 0.91/0.93/0.99/1.00, audience_classifier_model (268 MB)
 *        0.71/0.78/0.98/1.00, bert-base-uncased (440 MB) 0.22/0.41/0.95/1.00 (sample
 *        0.90/0.95/1.00/1.00, 0.75/0.80/1.00/1.00, 0.20/0.40/0.95/1.00).
 *   When no file is known at all, every device scores 0 (the size cannot be shown to fit).
 *
 * Which files count (weight_bytes): files are grouped by format, and a group's size is the sum
 * of its files (shards, and the components of a pipeline in sub-directories, add up):
 *   safetensors (*.safetensors), PyTorch (*.bin, *.pt, *.pth, *.ckpt), TensorFlow (*.h5,
 *   *.keras, *.pb), Flax (*.msgpack), Rust (*.ot), Core ML (*.mlmodel, *.mlpackage/...).
 *   Precision variants ("model.fp16.safetensors": .fp16. .bf16. .fp8. .int8. .ema. .non_ema.)
 *   form groups of their own. Each *.gguf, *.ggml, *.onnx, *.tflite and *.llamafile file is
 *   an alternative on its own (repositories list one per quantisation). Optimizer, scheduler,
 *   RNG and trainer state files are not weights.
 * The copy that counts is the one a loader picks: safetensors, else PyTorch, else the
 * largest other group or alternative (the conservative choice). With no recognised weight
 * file, the whole repository counts. ONNX external-data files are not counted.
 *
 * When the model scan read the safetensors headers (signals' parameters: their exact
 * parameter count), w is that count at 4 bytes a parameter instead: the memory the weights
 * take once loaded, since transformers loads them as float32 unless told otherwise. For a
 * float32 checkpoint this is its size less the headers; a bfloat16 one needs twice its size.
 */
#include <stdint.h>
#include <string.h>

#include "rating/rating.h"

#define MB 1e6
#define BUDGET_RASPBERRY_PI 500.0
#define BUDGET_JETSON_NANO 575.0
#define BUDGET_DESKTOP_PC 2000.0
#define BUDGET_AWS_SERVER 16000.0

enum group {
    G_SAFETENSORS,
    G_PYTORCH,
    G_SAFETENSORS_VARIANT,
    G_PYTORCH_VARIANT,
    G_TF,
    G_FLAX,
    G_RUST,
    G_COREML,
    G_COUNT,
    G_ALTERNATIVE, /* a file that is a complete copy on its own */
    G_NONE
};

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static bool
starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool
is_state(const char *base)
{
    static const char *const state[] = {"optimizer", "scheduler", "rng_state", "training_args",
                                        "trainer_state"};

    for (size_t i = 0; i < sizeof(state) / sizeof(state[0]); i++)
        if (starts_with(base, state[i]))
            return true;
    return false;
}

static bool
is_variant(const char *base)
{
    static const char *const marks[] = {".fp16.", ".bf16.", ".fp8.",
                                        ".int8.", ".ema.",  ".non_ema."};

    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (strstr(base, marks[i]))
            return true;
    return false;
}

static enum group
group_of(const char *path)
{
    static const char *const alternatives[] = {".gguf", ".ggml", ".onnx", ".tflite", ".llamafile"};
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;

    if (strstr(path, ".mlpackage/") || ends_with(base, ".mlmodel"))
        return G_COREML;
    if (is_state(base))
        return G_NONE;
    if (ends_with(base, ".safetensors"))
        return is_variant(base) ? G_SAFETENSORS_VARIANT : G_SAFETENSORS;
    if (ends_with(base, ".bin") || ends_with(base, ".pt") || ends_with(base, ".pth") ||
        ends_with(base, ".ckpt"))
        return is_variant(base) ? G_PYTORCH_VARIANT : G_PYTORCH;
    if (ends_with(base, ".h5") || ends_with(base, ".keras") || ends_with(base, ".pb"))
        return G_TF;
    if (ends_with(base, ".msgpack"))
        return G_FLAX;
    if (ends_with(base, ".ot"))
        return G_RUST;
    for (size_t i = 0; i < sizeof(alternatives) / sizeof(alternatives[0]); i++)
        if (ends_with(base, alternatives[i]))
            return G_ALTERNATIVE;
    return G_NONE;
}

bool
reg_rating_is_safetensors_copy(const char *path)
{
    return path && group_of(path) == G_SAFETENSORS;
}

int64_t
reg_rating_weight_bytes(const struct reg_file_info *files, int nfiles)
{
    int64_t sum[G_COUNT] = {0}, largest = 0, everything = 0;
    bool seen[G_COUNT] = {false}, any = false;

    if (!files || nfiles <= 0)
        return -1;
    for (int i = 0; i < nfiles; i++) {
        int64_t size = files[i].size > 0 ? files[i].size : 0;
        enum group g = files[i].path ? group_of(files[i].path) : G_NONE;

        everything += size;
        if (g == G_ALTERNATIVE) {
            largest = size > largest ? size : largest;
            any = true;
        } else if (g < G_COUNT) {
            sum[g] += size;
            seen[g] = true;
            any = true;
        }
    }
    if (seen[G_SAFETENSORS])
        return sum[G_SAFETENSORS];
    if (seen[G_PYTORCH])
        return sum[G_PYTORCH];
    for (int g = G_SAFETENSORS_VARIANT; g < G_COUNT; g++)
        largest = sum[g] > largest ? sum[g] : largest;
    return any ? largest : everything;
}

static double
fit(double mb, double budget)
{
    double r = mb / budget;

    return reg_rating_clamp(1.0 - r * r);
}

void
reg_rating_size_score(const struct reg_model_signals *s, struct reg_size_score *out)
{
    int64_t bytes = s->parameters > 0 && s->parameters <= INT64_MAX / 4
                        ? 4 * s->parameters
                        : reg_rating_weight_bytes(s->files, s->nfiles);
    double mb = (double)bytes / MB;

    if (bytes < 0) {
        memset(out, 0, sizeof(*out));
        return;
    }
    out->raspberry_pi = fit(mb, BUDGET_RASPBERRY_PI);
    out->jetson_nano = fit(mb, BUDGET_JETSON_NANO);
    out->desktop_pc = fit(mb, BUDGET_DESKTOP_PC);
    out->aws_server = fit(mb, BUDGET_AWS_SERVER);
}
