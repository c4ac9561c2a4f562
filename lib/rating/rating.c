/*
 * rating.c - the metric table, the concurrent runner with per-metric latency, net_score, the
 * ingest gate, and the ModelRating JSON form (out and back in).
 *
 * Concurrency: reg_rating_compute() starts one thread per metric. A thread reads only the
 * (const) signals and writes only its own job slot; the caller joins every thread before it
 * reads a slot, so nothing is shared while the metrics run. A metric whose thread cannot be
 * started runs on the caller's thread: the rating is always complete.
 *
 * Latency: a metric's latency is what it cost to produce: its compute time, measured with
 * CLOCK_MONOTONIC around the metric call, plus the fetch time of the upstream inputs it reads
 * (the `inputs` column of the table: hub_seconds, code->fetch_seconds, the datasets'
 * fetch_seconds). tree_score reads only registry data, so it has no fetch time.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/json.h"
#include "rating/rating.h"

enum input { IN_HUB = 1u, IN_CODE = 2u, IN_DATASETS = 4u };

/* One scalar metric: its JSON keys, where it lives in struct reg_rating, its net_score
 * weight, the inputs it reads, and the function that computes it. */
struct metric {
    const char *key;
    const char *latency_key;
    size_t value;
    size_t latency;
    double weight;
    unsigned inputs;
    double (*score)(const struct reg_model_signals *s);
};

#define METRIC(k, w, in, fn)                                                                       \
    {                                                                                              \
#k, #k "_latency", offsetof(struct reg_rating, k),                                         \
            offsetof(struct reg_rating, k##_latency), (w), (in), (fn)                              \
    }

/* In the contract's field order (size_score, which is not scalar, follows tree_score). */
static const struct metric metrics[] = {
    METRIC(ramp_up_time, REG_RATING_W_RAMP_UP_TIME, IN_HUB, reg_rating_ramp_up_time),
    METRIC(bus_factor, REG_RATING_W_BUS_FACTOR, IN_HUB | IN_CODE, reg_rating_bus_factor),
    METRIC(performance_claims, REG_RATING_W_PERFORMANCE_CLAIMS, IN_HUB,
           reg_rating_performance_claims),
    METRIC(license, REG_RATING_W_LICENSE, IN_HUB, reg_rating_license_score),
    METRIC(dataset_and_code_score, REG_RATING_W_DATASET_AND_CODE, IN_HUB | IN_CODE | IN_DATASETS,
           reg_rating_dataset_and_code_score),
    METRIC(dataset_quality, REG_RATING_W_DATASET_QUALITY, IN_DATASETS, reg_rating_dataset_quality),
    METRIC(code_quality, REG_RATING_W_CODE_QUALITY, IN_CODE, reg_rating_code_quality),
    METRIC(reproducibility, REG_RATING_W_REPRODUCIBILITY, IN_HUB, reg_rating_reproducibility),
    METRIC(reviewedness, REG_RATING_W_REVIEWEDNESS, IN_CODE, reg_rating_reviewedness),
    METRIC(tree_score, REG_RATING_W_TREE_SCORE, 0u, reg_rating_tree_score),
};

#define NMETRICS ((int)(sizeof(metrics) / sizeof(metrics[0])))
#define SIZE_INPUTS IN_HUB
/* One job per scalar metric, plus size_score. */
#define NJOBS (NMETRICS + 1)

static const char *const devices[] = {"raspberry_pi", "jetson_nano", "desktop_pc", "aws_server"};

struct job {
    const struct reg_model_signals *s;
    const struct metric *m; /* NULL for size_score */
    double value;
    struct reg_size_score size;
    double seconds;
    pthread_t thread;
    bool started;
};

static double
get(const struct reg_rating *r, size_t off)
{
    double v;

    memcpy(&v, (const char *)r + off, sizeof(v));
    return v;
}

static void
set(struct reg_rating *r, size_t off, double v)
{
    memcpy((char *)r + off, &v, sizeof(v));
}

static double *
device(struct reg_size_score *z, int i)
{
    double *d[] = {&z->raspberry_pi, &z->jetson_nano, &z->desktop_pc, &z->aws_server};

    return d[i];
}

static double
device_value(const struct reg_size_score *z, int i)
{
    const double d[] = {z->raspberry_pi, z->jetson_nano, z->desktop_pc, z->aws_server};

    return d[i];
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
seconds(double s)
{
    return (isfinite(s) && s > 0.0) ? s : 0.0;
}

static double
fetch_seconds(const struct reg_model_signals *s, unsigned inputs)
{
    double t = 0.0;

    if (inputs & IN_HUB)
        t += seconds(s->hub_seconds);
    if ((inputs & IN_CODE) && s->code)
        t += seconds(s->code->fetch_seconds);
    for (int i = 0; (inputs & IN_DATASETS) && s->dataset_info && i < s->ndataset_info; i++)
        t += seconds(s->dataset_info[i].fetch_seconds);
    return t;
}

static void *
run(void *arg)
{
    struct job *j = arg;
    double t0 = now();

    if (j->m)
        j->value = j->m->score(j->s);
    else
        reg_rating_size_score(j->s, &j->size);
    j->seconds = now() - t0;
    return NULL;
}

static void
copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;

    if (n >= cap) {
        n = cap - 1;
        /* Do not cut a UTF-8 sequence: back off over continuation bytes. */
        while (n > 0 && ((unsigned char)src[n] & 0xC0u) == 0x80u)
            n--;
    }
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

void
reg_rating_compute(const struct reg_model_signals *s, struct reg_rating *out)
{
    struct job jobs[NJOBS];
    double t0 = now();

    memset(out, 0, sizeof(*out));
    memset(jobs, 0, sizeof(jobs));
    copy_text(out->name, sizeof(out->name), s->name ? s->name : s->repo_id);
    copy_text(out->category, sizeof(out->category), "MODEL");
    for (int i = 0; i < NJOBS; i++) {
        jobs[i].s = s;
        jobs[i].m = i < NMETRICS ? &metrics[i] : NULL;
        jobs[i].started = pthread_create(&jobs[i].thread, NULL, run, &jobs[i]) == 0;
    }
    for (int i = 0; i < NJOBS; i++) {
        if (jobs[i].started)
            pthread_join(jobs[i].thread, NULL);
        else
            run(&jobs[i]);
    }
    for (int i = 0; i < NMETRICS; i++) {
        set(out, metrics[i].value, jobs[i].value);
        set(out, metrics[i].latency, jobs[i].seconds + fetch_seconds(s, metrics[i].inputs));
    }
    out->size_score = jobs[NMETRICS].size;
    out->size_score_latency = jobs[NMETRICS].seconds + fetch_seconds(s, SIZE_INPUTS);
    out->net_score = reg_rating_net_score(out);
    out->net_score_latency =
        (now() - t0) + fetch_seconds(s, (unsigned)(IN_HUB | IN_CODE | IN_DATASETS));
}

static double
size_mean(const struct reg_size_score *z)
{
    return (z->raspberry_pi + z->jetson_nano + z->desktop_pc + z->aws_server) / 4.0;
}

double
reg_rating_net_score(const struct reg_rating *r)
{
    double net = REG_RATING_W_SIZE_SCORE * reg_rating_clamp(size_mean(&r->size_score));

    for (int i = 0; i < NMETRICS; i++)
        net += metrics[i].weight * reg_rating_clamp(get(r, metrics[i].value));
    return reg_rating_clamp(net);
}

/* Appends "key=value" to why, comma-separated, never past len - 1 bytes. */
static void
note(char *why, size_t len, const char *key, double v)
{
    size_t used = strlen(why);

    if (used + 1 >= len)
        return;
    snprintf(why + used, len - used, "%s%s=%.2f", used ? ", " : "", key, v);
}

static bool
fails(double v)
{
    return !(v >= REG_RATING_GATE_MIN); /* NaN fails too */
}

bool
reg_rating_gate(const struct reg_rating *r, enum reg_rating_gate_policy policy, char *why,
                size_t len)
{
    double best = 0.0;
    char none[1];
    bool net_ok = !fails(r->net_score), all_ok = net_ok;

    if (!why || len == 0) {
        why = none;
        len = sizeof(none);
    }
    why[0] = '\0';
    if (!net_ok)
        note(why, len, "net_score", r->net_score);
    for (int i = 0; i < NMETRICS; i++) {
        double v = get(r, metrics[i].value);

        if (metrics[i].value == offsetof(struct reg_rating, reviewedness) &&
            v == REG_RATING_NO_REPO)
            continue;
        if (fails(v)) {
            all_ok = false;
            note(why, len, metrics[i].key, v);
        }
    }
    for (int i = 0; i < 4; i++)
        best = device_value(&r->size_score, i) > best ? device_value(&r->size_score, i) : best;
    if (fails(best)) {
        all_ok = false;
        note(why, len, "size_score", best);
    }
    if (policy == REG_RATING_GATE_STRICT ? all_ok : net_ok) {
        why[0] = '\0';
        return true;
    }
    return false;
}

static void
add_number(struct json_object *o, const char *key, double v, int decimals)
{
    json_object_object_add(o, key, reg_json_decimal(v, decimals));
}

static void
add_string(struct json_object *o, const char *key, const char *v)
{
    struct json_object *str = json_object_new_string(v);

    if (!str)
        reg_oom();
    json_object_object_add(o, key, str);
}

struct json_object *
reg_rating_to_json(const struct reg_rating *r)
{
    struct json_object *o = json_object_new_object(), *size = json_object_new_object();

    if (!o || !size)
        reg_oom();
    add_string(o, "name", r->name);
    add_string(o, "category", r->category);
    add_number(o, "net_score", r->net_score, 2);
    add_number(o, "net_score_latency", r->net_score_latency, 3);
    for (int i = 0; i < NMETRICS; i++) {
        add_number(o, metrics[i].key, get(r, metrics[i].value), 2);
        add_number(o, metrics[i].latency_key, get(r, metrics[i].latency), 3);
    }
    for (int i = 0; i < 4; i++)
        add_number(size, devices[i], device_value(&r->size_score, i), 2);
    json_object_object_add(o, "size_score", size);
    add_number(o, "size_score_latency", r->size_score_latency, 3);
    return o;
}

static enum reg_status
get_number(struct json_object *obj, const char *key, double *out)
{
    struct json_object *v = NULL;

    *out = 0.0;
    if (!json_object_object_get_ex(obj, key, &v) || !v)
        return reg_errorf(REG_EINVAL, "field '%s' is required", key);
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return reg_errorf(REG_EINVAL, "field '%s' must be a number", key);
    *out = json_object_get_double(v);
    if (!isfinite(*out))
        return reg_errorf(REG_EINVAL, "field '%s' must be a finite number", key);
    return REG_OK;
}

static enum reg_status
get_text(struct json_object *obj, const char *key, char *dst, size_t cap)
{
    const char *v;
    enum reg_status st = reg_json_get_string(obj, key, &v);

    if (st != REG_OK)
        return st;
    if (strlen(v) >= cap)
        return reg_errorf(REG_EINVAL, "field '%s' is longer than %zu bytes", key, cap - 1);
    copy_text(dst, cap, v);
    return REG_OK;
}

static enum reg_status
read_scores(struct json_object *obj, struct reg_rating *out)
{
    enum reg_status st;
    double v;

    for (int i = 0; i < NMETRICS; i++) {
        st = get_number(obj, metrics[i].key, &v);
        if (st != REG_OK)
            return st;
        set(out, metrics[i].value, v);
        st = get_number(obj, metrics[i].latency_key, &v);
        if (st != REG_OK)
            return st;
        set(out, metrics[i].latency, v);
    }
    return REG_OK;
}

enum reg_status
reg_rating_from_json(struct json_object *obj, struct reg_rating *out)
{
    struct json_object *size = NULL;
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    if (!obj || !json_object_is_type(obj, json_type_object))
        return reg_errorf(REG_EINVAL, "a rating must be a JSON object");
    st = get_text(obj, "name", out->name, sizeof(out->name));
    if (st == REG_OK)
        st = get_text(obj, "category", out->category, sizeof(out->category));
    if (st == REG_OK)
        st = get_number(obj, "net_score", &out->net_score);
    if (st == REG_OK)
        st = get_number(obj, "net_score_latency", &out->net_score_latency);
    if (st == REG_OK)
        st = read_scores(obj, out);
    if (st == REG_OK)
        st = reg_json_get_object(obj, "size_score", &size);
    for (int i = 0; st == REG_OK && i < 4; i++)
        st = get_number(size, devices[i], device(&out->size_score, i));
    if (st == REG_OK)
        st = get_number(obj, "size_score_latency", &out->size_score_latency);
    return st;
}
