/*
 * test_size_score.c - which files count as the weights (one complete copy) and the device
 * scores clamp(1 - (MB / B)^2) with B = 500, 575, 2000, 16000 MB; expected values worked
 * out by hand (size_score.c).
 */
#include "unit.h"

#include <math.h>
#include <stdint.h>

#include "rating/rating.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-9)
#define MAXF 6

struct weight_case {
    const char *name;
    struct reg_file_info files[MAXF];
    int64_t want;
};

static int
count(const struct reg_file_info *f)
{
    int n = 0;

    while (n < MAXF && (f[n].path || f[n].size))
        n++;
    return n;
}

static void
test_weight_bytes(void **state)
{
    static const struct weight_case cases[] = {
        {"no weights: the whole repository",
         {{"README.md", 1000, NULL, NULL}, {"config.json", 500, NULL, NULL}},
         1500},
        {"safetensors preferred",
         {{"model.safetensors", 100, NULL, NULL},
          {"pytorch_model.bin", 200, NULL, NULL},
          {"tf_model.h5", 300, NULL, NULL}},
         100},
        {"shards add up",
         {{"model-00001-of-00002.safetensors", 60, NULL, NULL},
          {"model-00002-of-00002.safetensors", 40, NULL, NULL},
          {"model.safetensors.index.json", 5, NULL, NULL}},
         100},
        {"PyTorch without its training state",
         {{"pytorch_model.bin", 200, NULL, NULL},
          {"training_args.bin", 5, NULL, NULL},
          {"optimizer.pt", 400, NULL, NULL},
          {"scheduler.pt", 1, NULL, NULL},
          {"rng_state.pth", 1, NULL, NULL}},
         200},
        {"largest other format",
         {{"tf_model.h5", 300, NULL, NULL}, {"flax_model.msgpack", 250, NULL, NULL}},
         300},
        {"one GGUF per quantisation",
         {{"m.Q4_K_M.gguf", 100, NULL, NULL},
          {"m.Q8_0.gguf", 200, NULL, NULL},
          {"m.f16.gguf", 400, NULL, NULL}},
         400},
        {"only a precision variant", {{"model.fp16.safetensors", 50, NULL, NULL}}, 50},
        {"variant beside the main copy",
         {{"model.safetensors", 100, NULL, NULL}, {"model.fp16.safetensors", 50, NULL, NULL}},
         100},
        {"pipeline components add up",
         {{"unet/diffusion_pytorch_model.safetensors", 300, NULL, NULL},
          {"vae/diffusion_pytorch_model.safetensors", 100, NULL, NULL},
          {"unet/diffusion_pytorch_model.fp16.safetensors", 150, NULL, NULL}},
         400},
        {"Core ML package",
         {{"coreml/m.mlpackage/Data/com.apple.CoreML/weights/weight.bin", 500, NULL, NULL},
          {"coreml/m.mlpackage/Manifest.json", 1, NULL, NULL}},
         501},
        {"bert-base-uncased's formats",
         {{"model.safetensors", 440449768, NULL, NULL},
          {"pytorch_model.bin", 440473133, NULL, NULL},
          {"coreml/fill-mask/float32_model.mlpackage/Data/com.apple.CoreML/weights/weight.bin",
           531833856, NULL, NULL},
          {"model.onnx", 532091246, NULL, NULL},
          {"rust_model.ot", 534240408, NULL, NULL},
          {"tf_model.h5", 536063208, NULL, NULL}},
         440449768},
        {"negative sizes count 0",
         {{"model.safetensors", -7, NULL, NULL}, {"tf_model.h5", 9, NULL, NULL}},
         0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        int64_t got = reg_rating_weight_bytes(cases[i].files, count(cases[i].files));

        CHECK(&bad, got == cases[i].want, "%s: %lld, want %lld", cases[i].name, (long long)got,
              (long long)cases[i].want);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(reg_rating_weight_bytes(NULL, 3), -1);
    assert_int_equal(reg_rating_weight_bytes(cases[0].files, 0), -1);
}

static void
test_null_path(void **state)
{
    static const struct reg_file_info files[] = {{NULL, 999, NULL, NULL},
                                                 {"model.safetensors", 10, NULL, NULL}};

    (void)state;
    assert_int_equal(reg_rating_weight_bytes(files, 2), 10);
}

struct device_case {
    int64_t bytes;
    double rpi, jetson, desktop, aws;
};

static void
test_devices(void **state)
{
    static const struct device_case cases[] = {
        {0, 1.0, 1.0, 1.0, 1.0},
        /* 250 MB: 1 - .5^2, 1 - (250/575)^2, 1 - .125^2, 1 - (1/64)^2 */
        {250000000, 0.75, 1.0 - (250.0 / 575.0) * (250.0 / 575.0), 0.984375, 0.999755859375},
        /* 500 MB: 0, 1 - (500/575)^2, 1 - .25^2, 1 - (1/32)^2 */
        {500000000, 0.0, 1.0 - (500.0 / 575.0) * (500.0 / 575.0), 0.9375, 0.9990234375},
        /* 1000 MB: 0, 0, 1 - .5^2, 1 - (1/16)^2 */
        {1000000000, 0.0, 0.0, 0.75, 0.99609375},
        {16000000000, 0.0, 0.0, 0.0, 0.0},
        {INT64_MAX, 0.0, 0.0, 0.0, 0.0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_file_info file = {"model.safetensors", cases[i].bytes, NULL, NULL};
        struct reg_model_signals s = {0};
        struct reg_size_score z;

        s.files = &file;
        s.nfiles = 1;
        reg_rating_size_score(&s, &z);
        CHECK(&bad,
              NEAR(z.raspberry_pi, cases[i].rpi) && NEAR(z.jetson_nano, cases[i].jetson) &&
                  NEAR(z.desktop_pc, cases[i].desktop) && NEAR(z.aws_server, cases[i].aws),
              "%lld bytes: %.6f %.6f %.6f %.6f, want %.6f %.6f %.6f %.6f",
              (long long)cases[i].bytes, z.raspberry_pi, z.jetson_nano, z.desktop_pc, z.aws_server,
              cases[i].rpi, cases[i].jetson, cases[i].desktop, cases[i].aws);
    }
    assert_int_equal(bad, 0);
}

static void
test_no_files(void **state)
{
    struct reg_model_signals s = {0};
    struct reg_size_score z = {1.0, 1.0, 1.0, 1.0};

    (void)state;
    reg_rating_size_score(&s, &z);
    assert_true(z.raspberry_pi == 0.0 && z.jetson_nano == 0.0 && z.desktop_pc == 0.0 &&
                z.aws_server == 0.0);
}

/* The scan's exact parameter count decides at float32 when known: a bfloat16 file of 250 MB
 * holds 125 M parameters, 500 MB once loaded; no count (0) leaves the file size to decide. */
static void
test_parameters(void **state)
{
    struct reg_file_info file = {"model.safetensors", 250000000, NULL, NULL};
    struct reg_model_signals s = {0};
    struct reg_size_score z;

    (void)state;
    s.files = &file;
    s.nfiles = 1;
    reg_rating_size_score(&s, &z);
    assert_true(NEAR(z.raspberry_pi, 0.75));
    s.parameters = 125000000;
    reg_rating_size_score(&s, &z);
    assert_true(NEAR(z.raspberry_pi, 0.0) && NEAR(z.desktop_pc, 0.9375));
    s.parameters = INT64_MAX; /* no overflow: the file size decides */
    reg_rating_size_score(&s, &z);
    assert_true(NEAR(z.raspberry_pi, 0.75));
    assert_true(reg_rating_is_safetensors_copy("model-00001-of-00002.safetensors"));
    assert_false(reg_rating_is_safetensors_copy("model.fp16.safetensors"));
    assert_false(reg_rating_is_safetensors_copy("pytorch_model.bin"));
}

/* Bigger weights never score higher, and smaller devices never score above bigger ones. */
static void
test_monotone(void **state)
{
    struct reg_file_info file = {"model.safetensors", 0, NULL, NULL};
    struct reg_model_signals s = {0};
    struct reg_size_score last = {1.0, 1.0, 1.0, 1.0}, z;

    (void)state;
    s.files = &file;
    s.nfiles = 1;
    for (file.size = 0; file.size < 20000000000; file.size += 50000000) {
        reg_rating_size_score(&s, &z);
        assert_true(z.raspberry_pi <= last.raspberry_pi && z.jetson_nano <= last.jetson_nano &&
                    z.desktop_pc <= last.desktop_pc && z.aws_server <= last.aws_server);
        assert_true(z.raspberry_pi <= z.jetson_nano && z.jetson_nano <= z.desktop_pc &&
                    z.desktop_pc <= z.aws_server);
        last = z;
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weight_bytes), cmocka_unit_test(test_null_path),
        cmocka_unit_test(test_devices),      cmocka_unit_test(test_no_files),
        cmocka_unit_test(test_monotone),     cmocka_unit_test(test_parameters),
    };

    return cmocka_run_group_tests_name("rating/size_score", tests, NULL, NULL);
}
