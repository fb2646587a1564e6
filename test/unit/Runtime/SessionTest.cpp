//===- SessionTest.cpp - The session path on a hand-written model ---------===//
//
// Runs the whole runtime path (open, signature, bind weights, shape and index
// checks, run, threads) against FakeModel.c, which computes
// y = x + bias + table[tokens] and total[b] = sum(y[b]).
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <vector>

using namespace kiln::runtime::test;

namespace {

constexpr int kVocab = 16, kFeatures = 4;

class SessionTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(message(kiln_model_open(KILN_FAKE_MODEL_PATH, &model)), "");
    for (int i = 0; i < kVocab * kFeatures; ++i)
      table[i] = static_cast<float>(i);
    for (int f = 0; f < kFeatures; ++f)
      bias[f] = 0.5f * f;
  }
  void TearDown() override {
    kiln_session_destroy(session);
    kiln_weights_close(weights);
    kiln_model_close(model);
  }

  /// Writes weights with the given table shape and bias dtype and opens them.
  std::string openWeights(int64_t tableRows = kVocab,
                          kiln_dtype biasType = KILN_F32) {
    kiln_tensor tensors[3] = {{table, KILN_F32, 2, {tableRows, kFeatures}},
                              {bias, biasType, 1, {kFeatures}},
                              {bias, KILN_F32, 1, {2}}};
    const char *names[3] = {"table", "bias", "unused"};
    std::string path = dir.path("w.safetensors");
    std::string text =
        message(kiln_safetensors_write(path.c_str(), 3, names, tensors));
    return text.empty() ? message(kiln_weights_open(path.c_str(), &weights))
                        : text;
  }

  void createBoundSession() {
    ASSERT_EQ(message(kiln_session_create(model, "cpu", &session)), "");
    ASSERT_EQ(openWeights(), "");
    ASSERT_EQ(message(kiln_session_bind_weights(session, weights)), "");
  }

  /// Inputs for batch 2, seq 3, and outputs shaped to match.
  void makeTensors(int64_t batch = 2, int64_t seq = 3) {
    tokens.assign(batch * seq, 0);
    for (size_t i = 0; i < tokens.size(); ++i)
      tokens[i] = static_cast<int32_t>(i % kVocab);
    x.assign(batch * seq * kFeatures, 1.0f);
    y.assign(batch * seq * kFeatures, 0.0f);
    total.assign(batch, 0.0f);
    inputs[0] = {tokens.data(), KILN_I32, 2, {batch, seq}};
    inputs[1] = {x.data(), KILN_F32, 3, {batch, seq, kFeatures}};
    outputs[0] = {y.data(), KILN_F32, 3, {batch, seq, kFeatures}};
    outputs[1] = {total.data(), KILN_F32, 1, {batch}};
  }

  std::string run() {
    return message(kiln_session_run(session, 2, inputs, 2, outputs));
  }

  TempDir dir;
  kiln_model *model = nullptr;
  kiln_weights *weights = nullptr;
  kiln_session *session = nullptr;
  float table[kVocab * kFeatures];
  float bias[kFeatures];
  std::vector<int32_t> tokens;
  std::vector<float> x, y, total;
  kiln_tensor inputs[2], outputs[2];
};

TEST_F(SessionTest, ReadsSignature) {
  EXPECT_STREQ(kiln_model_name(model), "fake");
  ASSERT_EQ(kiln_model_num_dims(model), 2);
  EXPECT_STREQ(kiln_model_dim_name(model, 1), "seq");
  EXPECT_EQ(kiln_model_dim_name(model, 2), nullptr);
  EXPECT_EQ(kiln_model_num_tensors(model, KILN_ROLE_INPUT), 2);
  EXPECT_EQ(kiln_model_num_tensors(model, KILN_ROLE_PARAM), 2);
  const kiln_tensor_info *tokensInfo =
      kiln_model_tensor(model, KILN_ROLE_INPUT, 0);
  ASSERT_NE(tokensInfo, nullptr);
  EXPECT_STREQ(tokensInfo->name, "tokens");
  EXPECT_EQ(tokensInfo->index_bound, kVocab);
  const kiln_tensor_info *yInfo = kiln_model_tensor(model, KILN_ROLE_OUTPUT, 0);
  EXPECT_EQ(yInfo->symbol[0], 0);
  EXPECT_EQ(yInfo->shape[2], kFeatures);
  EXPECT_EQ(kiln_model_find_tensor(model, KILN_ROLE_PARAM, "bias"), 1);
  EXPECT_EQ(kiln_model_find_tensor(model, KILN_ROLE_PARAM, "x"), -1);
  EXPECT_NE(std::string(kiln_model_source(model)).find("\"embedding\""),
            std::string::npos);
  EXPECT_TRUE(kiln_model_has_device(model, "cpu"));
  EXPECT_FALSE(kiln_model_has_device(model, "cuda"));
}

TEST_F(SessionTest, RejectsBadModels) {
  kiln_model *other = nullptr;
  kiln_status *status = kiln_model_open(dir.path("none.so").c_str(), &other);
  EXPECT_EQ(kiln_status_get_code(status), KILN_ERROR_IO);
  EXPECT_NE(message(status).find("cannot open model"), std::string::npos);
  setenv("KILN_FAKE_ABI_VERSION", "3", 1);
  std::string text = message(kiln_model_open(KILN_FAKE_MODEL_PATH, &other));
  unsetenv("KILN_FAKE_ABI_VERSION");
  EXPECT_NE(text.find("uses ABI version 3; this runtime supports version 2"),
            std::string::npos);
  std::string notModel = dir.path("empty.so");
  writeFile(notModel, "not an ELF file");
  EXPECT_NE(message(kiln_model_open(notModel.c_str(), &other))
                .find("cannot load model"),
            std::string::npos);
}

TEST_F(SessionTest, RejectsUnknownAndUnavailableDevices) {
  EXPECT_EQ(message(kiln_session_create(model, "tpu", &session)),
            "unknown device 'tpu' (expected cpu or cuda)");
  kiln_status *status = kiln_session_create(model, "cuda", &session);
  EXPECT_EQ(kiln_status_get_code(status), KILN_ERROR_UNAVAILABLE);
  // Without a driver the message names libcuda; with one, the missing code.
  std::string text = message(status);
  EXPECT_TRUE(text.find("libcuda.so.1") != std::string::npos ||
              text.find("has no CUDA code") != std::string::npos ||
              text.find("no device") != std::string::npos)
      << text;
  EXPECT_EQ(session, nullptr);
}

TEST_F(SessionTest, RunsAndComputes) {
  createBoundSession();
  makeTensors();
  // The handles may be closed: the session keeps model and weights alive.
  kiln_weights_close(weights);
  weights = nullptr;
  ASSERT_EQ(run(), "");
  for (int row = 0; row < 6; ++row)
    for (int f = 0; f < kFeatures; ++f)
      EXPECT_FLOAT_EQ(y[row * kFeatures + f],
                      1.0f + 0.5f * f + table[tokens[row] * kFeatures + f]);
  float expected = 0;
  for (int i = 0; i < 12; ++i)
    expected += y[i];
  EXPECT_FLOAT_EQ(total[0], expected);
}

TEST_F(SessionTest, ComputesOutputShapes) {
  ASSERT_EQ(message(kiln_session_create(model, "cpu", &session)), "");
  makeTensors(5, 7);
  kiln_tensor shaped[2] = {};
  int64_t dims[2];
  ASSERT_EQ(
      message(kiln_session_output_shapes(session, 2, inputs, 2, shaped, dims)),
      "");
  EXPECT_EQ(dims[0], 5);
  EXPECT_EQ(dims[1], 7);
  EXPECT_EQ(shaped[0].rank, 3);
  EXPECT_EQ(shaped[0].shape[1], 7);
  EXPECT_EQ(shaped[0].shape[2], kFeatures);
  EXPECT_EQ(shaped[1].rank, 1);
  EXPECT_EQ(shaped[1].shape[0], 5);
}

TEST_F(SessionTest, RejectsBadWeights) {
  ASSERT_EQ(message(kiln_session_create(model, "cpu", &session)), "");
  makeTensors();
  EXPECT_NE(run().find("parameters are not bound"), std::string::npos);

  ASSERT_EQ(openWeights(8), "");
  EXPECT_NE(message(kiln_session_bind_weights(session, weights))
                .find("parameter 'table': shape [8, 4] but the model expects "
                      "[16, 4]"),
            std::string::npos);
  kiln_weights_close(weights);
  ASSERT_EQ(openWeights(kVocab, KILN_F16), "");
  EXPECT_NE(message(kiln_session_bind_weights(session, weights))
                .find("parameter 'bias': dtype f16 but the model expects f32"),
            std::string::npos);
  kiln_weights_close(weights);

  kiln_tensor one = {bias, KILN_F32, 1, {kFeatures}};
  const char *name = "bias";
  std::string path = dir.path("partial.safetensors");
  ASSERT_EQ(message(kiln_safetensors_write(path.c_str(), 1, &name, &one)), "");
  ASSERT_EQ(message(kiln_weights_open(path.c_str(), &weights)), "");
  EXPECT_NE(message(kiln_session_bind_weights(session, weights))
                .find("missing 1 of the model's 2 parameters: 'table'"),
            std::string::npos);
  EXPECT_NE(run().find("parameters are not bound"), std::string::npos);
}

TEST_F(SessionTest, CopiesMisalignedWeights) {
  ASSERT_EQ(message(kiln_session_create(model, "cpu", &session)), "");
  // A 3-byte pad after the header puts the data at an odd address.
  std::string header =
      R"({"bias": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "table": {"dtype": "F32", "shape": [16, 4], "data_offsets": [16, 272]}})";
  header.append((header.size() % 2 == 0) ? 3 : 2, ' ');
  std::string bytes = safetensorsBytes(header, 0);
  bytes.append(reinterpret_cast<const char *>(bias), sizeof(bias));
  bytes.append(reinterpret_cast<const char *>(table), sizeof(table));
  std::string path = dir.path("odd.safetensors");
  writeFile(path, bytes);
  ASSERT_EQ(message(kiln_weights_open(path.c_str(), &weights)), "");
  ASSERT_EQ(message(kiln_session_bind_weights(session, weights)), "");
  makeTensors();
  ASSERT_EQ(run(), "");
  EXPECT_FLOAT_EQ(y[5], 1.0f + 0.5f + table[1 * kFeatures + 1]);
}

TEST_F(SessionTest, ChecksInputs) {
  createBoundSession();
  makeTensors();
  EXPECT_EQ(message(kiln_session_run(session, 1, inputs, 2, outputs)),
            "expected 2 inputs (tokens, x) but got 1");
  inputs[1].shape[1] = 7;
  EXPECT_EQ(run(), "input 'x' dim 1 is 7 but 'seq' is 3 from input 'tokens'");
  inputs[1].shape[1] = 3;
  inputs[1].shape[2] = 5;
  EXPECT_EQ(run(), "input 'x' dim 2 is 5 but the model expects 4 "
                   "[batch, seq, 4]");
  inputs[1].shape[2] = kFeatures;
  inputs[1].dtype = KILN_F16;
  EXPECT_EQ(run(), "input 'x': dtype f16 but the model expects f32");
  inputs[1].dtype = KILN_F32;
  inputs[1].rank = 2;
  EXPECT_EQ(run(), "input 'x': rank 2 but the model expects 3 "
                   "[batch, seq, 4]");
  inputs[1].rank = 3;
  inputs[0].shape[0] = 0;
  EXPECT_EQ(run(), "input 'tokens' dim 0 ('batch') is 0; it must be positive");
  inputs[0].shape[0] = 2;
  inputs[1].data = nullptr;
  EXPECT_EQ(run(), "input 'x': data is NULL");
}

TEST_F(SessionTest, ChecksIndices) {
  createBoundSession();
  makeTensors();
  tokens[4] = kVocab;
  EXPECT_EQ(run(), "input 'tokens' flat index 4 holds 16, outside [0, 16)");
  tokens[4] = -1;
  EXPECT_EQ(run(), "input 'tokens' flat index 4 holds -1, outside [0, 16)");
}

TEST_F(SessionTest, ChecksOutputs) {
  createBoundSession();
  makeTensors();
  EXPECT_EQ(message(kiln_session_run(session, 2, inputs, 1, outputs)),
            "expected 2 outputs (y, total) but got 1");
  outputs[1].shape[0] = 3;
  EXPECT_EQ(run(), "output 'total': buffer shape [3] but the model produces "
                   "[2] [batch] for these inputs");
  outputs[1].shape[0] = 2;
  outputs[0].dtype = KILN_I32;
  EXPECT_EQ(run(), "output 'y': dtype i32 but the model expects f32");
}

TEST_F(SessionTest, RejectsOverlappingOutputs) {
  createBoundSession();
  makeTensors();
  // The model may write an output while it still reads its inputs.
  outputs[0].data = x.data();
  EXPECT_EQ(run(), "output 'y': its buffer overlaps that of input 'x'; "
                   "outputs may not share memory with inputs");
  // A partial overlap: the last float of y is total's first.
  std::vector<float> shared(y.size() + total.size() - 1);
  outputs[0].data = shared.data();
  outputs[1].data = shared.data() + y.size() - 1;
  EXPECT_EQ(run(), "output 'total': its buffer overlaps that of output 'y'; "
                   "outputs may not share memory with each other");
  // Adjacent buffers do not overlap.
  shared.resize(y.size() + total.size());
  outputs[0].data = shared.data();
  outputs[1].data = shared.data() + y.size();
  EXPECT_EQ(run(), "");
}

TEST_F(SessionTest, SetsThreadsOnEachRun) {
  createBoundSession();
  EXPECT_EQ(message(kiln_session_set_threads(session, 0)),
            "thread count must be at least 1, got 0");
  ASSERT_EQ(message(kiln_session_set_threads(session, 3)), "");
  EXPECT_EQ(kiln_session_num_threads(session), 3);
  makeTensors();
  ASSERT_EQ(run(), "");
  void *handle = dlopen(KILN_FAKE_MODEL_PATH, RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(handle, nullptr);
  auto maxThreads =
      reinterpret_cast<int (*)()>(dlsym(handle, "omp_get_max_threads"));
  ASSERT_NE(maxThreads, nullptr);
  EXPECT_EQ(maxThreads(), 3);
  dlclose(handle);
}

TEST_F(SessionTest, BindsParamsFromMemory) {
  ASSERT_EQ(message(kiln_session_create(model, "cpu", &session)), "");
  kiln_tensor params[2] = {{table, KILN_F32, 2, {kVocab, kFeatures}},
                           {bias, KILN_F32, 1, {kFeatures}}};
  EXPECT_EQ(message(kiln_session_bind_params(session, 1, params)),
            "expected 2 parameters but got 1");
  ASSERT_EQ(message(kiln_session_bind_params(session, 2, params)), "");
  makeTensors();
  EXPECT_EQ(run(), "");
}

} // namespace

// A NULL handle or out-parameter gets a status naming it, and the
// accessors answer as for an empty object; nothing dereferences it.
TEST_F(SessionTest, NullArgumentsAreRefusedNotDereferenced) {
  kiln_tensor t{};
  EXPECT_EQ(message(kiln_session_run(nullptr, 1, &t, 1, &t)),
            "kiln_session_run: session is NULL");
  EXPECT_EQ(message(kiln_session_output_shapes(nullptr, 1, &t, 1, &t, nullptr)),
            "kiln_session_output_shapes: session is NULL");
  EXPECT_EQ(message(kiln_session_set_threads(nullptr, 1)),
            "kiln_session_set_threads: session is NULL");
  EXPECT_EQ(kiln_session_num_threads(nullptr), 0);
  EXPECT_EQ(message(kiln_session_bind_weights(nullptr, nullptr)),
            "kiln_session_bind_weights: session is NULL");
  EXPECT_EQ(message(kiln_session_bind_params(nullptr, 0, nullptr)),
            "kiln_session_bind_params: session is NULL");
  EXPECT_EQ(message(kiln_tensor_alloc(nullptr)),
            "kiln_tensor_alloc: tensor is NULL");
  kiln_tensor_free(nullptr);
  EXPECT_EQ(kiln_tensor_num_elements(nullptr), -1);
  EXPECT_EQ(kiln_tensor_num_bytes(nullptr), -1);
  EXPECT_EQ(kiln_dtype_parse("f32", nullptr), -1);

  EXPECT_EQ(kiln_model_name(nullptr), nullptr);
  EXPECT_EQ(kiln_model_source(nullptr), nullptr);
  EXPECT_EQ(kiln_model_signature_json(nullptr), nullptr);
  EXPECT_EQ(kiln_model_num_dims(nullptr), 0);
  EXPECT_EQ(kiln_model_dim_name(nullptr, 0), nullptr);
  EXPECT_EQ(kiln_model_num_tensors(nullptr, KILN_ROLE_INPUT), 0);
  EXPECT_EQ(kiln_model_tensor(nullptr, KILN_ROLE_INPUT, 0), nullptr);
  EXPECT_EQ(kiln_model_find_tensor(nullptr, KILN_ROLE_INPUT, "x"), -1);
  EXPECT_EQ(kiln_model_find_tensor(model, KILN_ROLE_INPUT, nullptr), -1);
  EXPECT_EQ(kiln_model_has_device(nullptr, "cpu"), 0);
  EXPECT_EQ(kiln_model_has_device(model, nullptr), 0);

  EXPECT_EQ(kiln_weights_path(nullptr), nullptr);
  EXPECT_EQ(kiln_weights_count(nullptr), 0);
  EXPECT_EQ(kiln_weights_name(nullptr, 0), nullptr);
  EXPECT_EQ(kiln_weights_dtype_string(nullptr, 0), nullptr);
  EXPECT_EQ(kiln_weights_find(nullptr, "table"), -1);
  EXPECT_EQ(kiln_weights_metadata(nullptr, "format"), nullptr);
  EXPECT_EQ(message(kiln_weights_tensor(nullptr, 0, &t)),
            "kiln_weights_tensor: weights is NULL");
  ASSERT_EQ(openWeights(), "");
  EXPECT_EQ(kiln_weights_find(weights, nullptr), -1);
  EXPECT_EQ(kiln_weights_metadata(weights, nullptr), nullptr);
  EXPECT_EQ(message(kiln_weights_tensor(weights, 0, nullptr)),
            "kiln_weights_tensor: out is NULL");
}
