//===- ParallelSessionsTest.cpp - Sessions of one model on many threads ---===//
//
// The runtime promises that sessions of one model may run concurrently,
// each with its own buffers, and give the results of a single session:
// bit for bit, since every run at a fixed thread count is deterministic
// (docs/robustness.md). Run on the hand-written fake model everywhere
// (ThreadSanitizer builds included) and, where the compiler is built, on
// an example model compiled by kiln-compile, whose sessions pack weights
// and run OpenMP regions of their own.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

using namespace kiln::runtime::test;

namespace {

constexpr int kThreads = 6, kRunsPerThread = 8;

/// A tensor that owns its data.
struct Owned {
  kiln_tensor tensor{};
  Owned() = default;
  Owned(const Owned &) = delete;
  ~Owned() { kiln_tensor_free(&tensor); }
};

/// One model, its weights and its inputs, shared read-only by all threads.
class ParallelSessions {
public:
  /// Opens the model and the weights (none when the path is empty);
  /// returns "" or the first error.
  std::string open(const std::string &modelPath,
                   const std::string &weightsPath) {
    if (std::string error = message(kiln_model_open(modelPath.c_str(), &model));
        !error.empty())
      return error;
    if (!weightsPath.empty())
      return message(kiln_weights_open(weightsPath.c_str(), &weights));
    return "";
  }
  ~ParallelSessions() {
    kiln_weights_close(weights);
    kiln_model_close(model);
  }

  /// Runs a fresh session `runs` times with `threads` threads each and
  /// returns the outputs' bytes of the last run, or "error: ...".
  std::vector<std::string> runSession(int runs, int threads) {
    kiln_session *session = nullptr;
    std::string error = message(kiln_session_create(model, "cpu", &session));
    if (error.empty() && weights)
      error = message(kiln_session_bind_weights(session, weights));
    if (error.empty())
      error = message(kiln_session_set_threads(session, threads));
    int32_t numOutputs = kiln_model_num_tensors(model, KILN_ROLE_OUTPUT);
    std::vector<Owned> outputs(numOutputs);
    std::vector<kiln_tensor> views(numOutputs);
    if (error.empty())
      error = message(kiln_session_output_shapes(
          session, static_cast<int32_t>(inputs.size()), inputs.data(),
          numOutputs, views.data(), nullptr));
    for (int32_t i = 0; error.empty() && i < numOutputs; ++i) {
      outputs[i].tensor = views[i];
      error = message(kiln_tensor_alloc(&outputs[i].tensor));
      views[i] = outputs[i].tensor;
    }
    std::vector<std::string> bytes;
    for (int r = 0; error.empty() && r < runs; ++r) {
      // Garbage in the outputs proves each run writes all of them.
      for (kiln_tensor &view : views)
        std::memset(view.data, 0xA5 + r, kiln_tensor_num_bytes(&view));
      error = message(kiln_session_run(
          session, static_cast<int32_t>(inputs.size()), inputs.data(),
          numOutputs, views.data()));
    }
    kiln_session_destroy(session);
    if (!error.empty())
      return {"error: " + error};
    for (const kiln_tensor &view : views)
      bytes.emplace_back(static_cast<const char *>(view.data),
                         kiln_tensor_num_bytes(&view));
    return bytes;
  }

  /// Checks that kThreads threads, each with its own session, all produce
  /// the bytes of one session run alone.
  void expectSameAsOneSession(int ompThreads) {
    std::vector<std::string> expected = runSession(1, ompThreads);
    ASSERT_FALSE(expected.empty());
    ASSERT_NE(expected[0].rfind("error: ", 0), 0u) << expected[0];
    std::vector<std::vector<std::string>> results(kThreads);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        // Start together so that the sessions overlap.
        ++ready;
        while (ready.load() < kThreads)
          std::this_thread::yield();
        results[t] = runSession(kRunsPerThread, ompThreads);
      });
    for (std::thread &thread : threads)
      thread.join();
    for (int t = 0; t < kThreads; ++t)
      EXPECT_TRUE(results[t] == expected)
          << "thread " << t << " differs from a single session"
          << (results[t].empty() ? "" : ": " + results[t][0].substr(0, 200));
  }

  kiln_model *model = nullptr;
  kiln_weights *weights = nullptr;
  std::vector<Owned> ownedInputs;
  std::vector<kiln_tensor> inputs;
};

TEST(ParallelSessionsTest, FakeModelSessionsAgreeWithOneSession) {
  TempDir dir;
  float table[16 * 4], bias[4];
  for (int i = 0; i < 16 * 4; ++i)
    table[i] = 0.25f * static_cast<float>(i);
  for (int f = 0; f < 4; ++f)
    bias[f] = 1.0f / static_cast<float>(f + 3);
  kiln_tensor params[2] = {{table, KILN_F32, 2, {16, 4}},
                           {bias, KILN_F32, 1, {4}}};
  const char *names[2] = {"table", "bias"};
  std::string weights = dir.path("w.safetensors");
  ASSERT_EQ(message(kiln_safetensors_write(weights.c_str(), 2, names, params)),
            "");
  ParallelSessions sessions;
  ASSERT_EQ(sessions.open(KILN_FAKE_MODEL_PATH, weights), "");
  std::vector<int32_t> tokens(3 * 17);
  std::vector<float> x(3 * 17 * 4);
  for (size_t i = 0; i < tokens.size(); ++i)
    tokens[i] = static_cast<int32_t>((i * 7) % 16);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(i % 13) / 7.0f;
  sessions.inputs = {{tokens.data(), KILN_I32, 2, {3, 17}},
                     {x.data(), KILN_F32, 3, {3, 17, 4}}};
  sessions.expectSameAsOneSession(1);
}

#ifdef KILN_PARALLEL_MODEL_DIR
/// An example model compiled at build time, with weights and inputs from
/// kiln-gen-data (test/unit/Runtime/CMakeLists.txt).
TEST(ParallelSessionsTest, CompiledModelSessionsAgreeWithOneSession) {
  std::string dir = KILN_PARALLEL_MODEL_DIR;
  ParallelSessions sessions;
  ASSERT_EQ(sessions.open(dir + "/model.so", dir + "/weights.safetensors"),
            "");
  int32_t numInputs = kiln_model_num_tensors(sessions.model, KILN_ROLE_INPUT);
  sessions.ownedInputs = std::vector<Owned>(numInputs);
  for (int32_t i = 0; i < numInputs; ++i) {
    std::string name =
        kiln_model_tensor(sessions.model, KILN_ROLE_INPUT, i)->name;
    ASSERT_EQ(message(kiln_npy_read((dir + "/" + name + ".npy").c_str(),
                                    &sessions.ownedInputs[i].tensor)),
              "");
    sessions.inputs.push_back(sessions.ownedInputs[i].tensor);
  }
  // One OpenMP thread per session, then two: each application thread
  // drives its own OpenMP team.
  sessions.expectSameAsOneSession(1);
  sessions.expectSameAsOneSession(2);
}
#endif

} // namespace
