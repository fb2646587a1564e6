//===- CudaCompiledModelTest.cpp - Compiled CUDA models, fake driver ------===//
//
// gpt2-tiny compiled with kiln-compile --target=cuda runs through the
// runtime's "cuda" device on FakeCudaDriver.c, a driver over host memory:
// kernels are looked up by name in the model's PTX or cubin and their
// launches recorded, but not executed, so these tests check the runtime's
// driver calls (module, stream, uploads, packing, copies, launches, errors,
// leaks), not the numbers (CudaSessionTest checks those on a hand-written
// model).
//
//===----------------------------------------------------------------------===//

#include "CudaTestUtil.h"
#include "RuntimeTestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace kiln::runtime::test;

namespace {

const std::string kModels = KILN_CUDA_MODELS_DIR;
constexpr int64_t kBatch = 2, kSeq = 5, kVocab = 256;

class CudaCompiledModelTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(kFakeCudaDriverChosen);
    ASSERT_TRUE(driver.handle) << dlerror();
    ASSERT_EQ(
        message(kiln_model_open((kModels + "/gpt2-tiny.so").c_str(), &model)),
        "");
    ASSERT_EQ(message(kiln_weights_open(
                  (kModels + "/gpt2-tiny.safetensors").c_str(), &weights)),
              "");
    tokens.resize(kBatch * kSeq);
    for (size_t i = 0; i < tokens.size(); ++i)
      tokens[i] = static_cast<int32_t>(i * 7 % kVocab);
    logits.assign(kBatch * kSeq * kVocab, NAN);
    input = {tokens.data(), KILN_I32, 2, {kBatch, kSeq}};
    output = {logits.data(), KILN_F32, 3, {kBatch, kSeq, kVocab}};
  }
  void TearDown() override {
    for (kiln_session *session : sessions)
      kiln_session_destroy(session);
    kiln_weights_close(weights);
    kiln_model_close(model);
    // Every device buffer of the sessions went back to the driver.
    EXPECT_EQ(driver.liveAllocations(), 0);
  }

  /// A CUDA session with the weights bound, or null (and a failure).
  kiln_session *boundSession() {
    kiln_session *session = nullptr;
    std::string error = message(kiln_session_create(model, "cuda", &session));
    EXPECT_EQ(error, "");
    if (!session)
      return nullptr;
    sessions.push_back(session);
    EXPECT_EQ(message(kiln_session_bind_weights(session, weights)), "");
    return session;
  }

  std::string run(kiln_session *session) {
    return run(session, input, output);
  }
  std::string run(kiln_session *session, const kiln_tensor &in,
                  const kiln_tensor &out) {
    return message(kiln_session_run(session, 1, &in, 1, &out));
  }

  /// The fake driver's log of the test so far.
  std::string log() const { return readText(logPath); }

  FakeCudaDriver driver;
  TempDir dir;
  std::string logPath = dir.path("driver.log");
  ScopedEnv logging{"KILN_FAKE_CUDA_LOG", logPath};
  kiln_model *model = nullptr;
  kiln_weights *weights = nullptr;
  std::vector<kiln_session *> sessions;
  std::vector<int32_t> tokens;
  std::vector<float> logits;
  kiln_tensor input, output;
};

TEST_F(CudaCompiledModelTest, RunsACompiledModelThroughTheDriver) {
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  std::string bound = log();
  EXPECT_EQ(countLines(bound, "cuModuleLoadDataEx"), 1);
  EXPECT_EQ(countLines(bound, "cuStreamCreate flags 1"), 1);
  // Every parameter is uploaded, then packed on the device by kernels.
  EXPECT_EQ(countLines(bound, "cuMemcpyHtoDAsync_v2"),
            kiln_model_num_tensors(model, KILN_ROLE_PARAM));
  EXPECT_GT(countLines(bound, "cuLaunchKernel kiln_"), 0);

  ASSERT_EQ(run(session), "");
  std::string ran = log().substr(bound.size());
  EXPECT_EQ(countLines(ran, "cuMemcpyHtoDAsync_v2 40 bytes"), 1);
  EXPECT_GT(countLines(ran, "cuLaunchKernel kiln_"), 0);
  EXPECT_EQ(countLines(ran, "cuMemcpyDtoHAsync_v2 10240 bytes"), 1);
  // The fake runs no kernel; its zeroed device memory came back.
  EXPECT_TRUE(std::all_of(logits.begin(), logits.end(),
                          [](float value) { return value == 0.0f; }));
}

TEST_F(CudaCompiledModelTest, UploadsWeightsOncePerBindingAndReusesBuffers) {
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  ASSERT_EQ(run(session), "");
  int liveAfterOneRun = driver.liveAllocations();
  size_t before = log().size();
  ASSERT_EQ(run(session), "");
  std::string second = log().substr(before);
  // Only the input travels; the staging buffers are reused.
  EXPECT_EQ(countLines(second, "cuMemcpyHtoDAsync_v2"), 1);
  EXPECT_EQ(driver.liveAllocations(), liveAfterOneRun);
  // Rebinding replaces the device copies instead of adding to them.
  ASSERT_EQ(message(kiln_session_bind_weights(session, weights)), "");
  EXPECT_EQ(driver.liveAllocations(), liveAfterOneRun);
}

TEST_F(CudaCompiledModelTest, KeepsTemporariesForTheNextRun) {
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  size_t before = log().size();
  ASSERT_EQ(run(session), "");
  std::string first = log().substr(before);
  EXPECT_GT(countLines(first, "cuMemAlloc_v2"), 2);
  // Freeing a temporary neither waits for the stream nor frees it: a run
  // waits twice, for the kernels and for the copies of the outputs.
  EXPECT_EQ(countLines(first, "cuMemFree_v2"), 0);
  EXPECT_EQ(countLines(first, "cuStreamSynchronize"), 2);
  int liveAfterOneRun = driver.liveAllocations();

  before = log().size();
  ASSERT_EQ(run(session), "");
  std::string second = log().substr(before);
  EXPECT_EQ(countLines(second, "cuMemAlloc_v2"), 0);
  EXPECT_EQ(countLines(second, "cuMemFree_v2"), 0);
  EXPECT_EQ(countLines(second, "cuStreamSynchronize"), 2);
  EXPECT_EQ(driver.liveAllocations(), liveAfterOneRun);
  // Destroying the session frees them (TearDown checks that none is left).
}

TEST_F(CudaCompiledModelTest, GivesTemporariesBackWhenOutOfMemory) {
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  ASSERT_EQ(run(session), "");
  // No byte more than the session holds: a longer sequence needs larger
  // staging buffers, and gets them only from the cached temporaries.
  std::vector<int32_t> longTokens(kBatch * 2 * kSeq, 1);
  std::vector<float> longLogits(kBatch * 2 * kSeq * kVocab);
  kiln_tensor longInput = {longTokens.data(), KILN_I32, 2, {kBatch, 2 * kSeq}};
  kiln_tensor longOutput = {longLogits.data(), KILN_F32, 3,
                            {kBatch, 2 * kSeq, kVocab}};
  size_t before = log().size();
  {
    ScopedEnv memory("KILN_FAKE_CUDA_MEMORY",
                     std::to_string(driver.liveBytes()));
    std::string text = run(session, longInput, longOutput);
    // The temporaries of the longer sequence do not fit what is left.
    EXPECT_EQ(text.rfind("the model's temporary buffer: device 'cuda' (Fake "
                         "GPU 0): allocating ",
                         0),
              0u)
        << text;
  }
  std::string ran = log().substr(before);
  size_t refused = ran.find("cuMemAlloc_v2 80 bytes: out of memory");
  ASSERT_NE(refused, std::string::npos) << ran;
  std::string after = ran.substr(refused);
  // The wait comes before the frees: queued kernels may still use them.
  size_t waited = after.find("cuStreamSynchronize");
  size_t freed = after.find("cuMemFree_v2");
  EXPECT_LT(waited, freed);
  EXPECT_NE(after.find("cuMemAlloc_v2 80 bytes\n"), std::string::npos);
  EXPECT_EQ(run(session, longInput, longOutput), "");
}

TEST_F(CudaCompiledModelTest, LoadsKernelsOncePerModel) {
  ASSERT_NE(boundSession(), nullptr);
  ASSERT_NE(boundSession(), nullptr);
  EXPECT_EQ(countLines(log(), "cuModuleLoadDataEx"), 1);
  EXPECT_EQ(countLines(log(), "cuDevicePrimaryCtxRetain"), 1);
  for (kiln_session *session : sessions)
    kiln_session_destroy(session);
  sessions.clear();
  // The model's kernels stay loaded until the model itself goes.
  EXPECT_EQ(countLines(log(), "cuModuleUnload"), 0);
  kiln_model_close(model);
  model = nullptr;
  EXPECT_EQ(countLines(log(), "cuModuleUnload"), 1);
  EXPECT_EQ(countLines(log(), "cuDevicePrimaryCtxRelease_v2"), 1);
}

TEST_F(CudaCompiledModelTest, RunsOnDevicePointers) {
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  // As a caller with its own CUDA code would: device 0's primary context.
  void *context = nullptr;
  ASSERT_EQ(driver.retainContext(&context, 0), 0);
  ASSERT_EQ(driver.setCurrent(context), 0);
  uint64_t deviceTokens = 0, deviceLogits = 0;
  ASSERT_EQ(driver.memAlloc(&deviceTokens, tokens.size() * 4), 0);
  ASSERT_EQ(driver.memAlloc(&deviceLogits, logits.size() * 4), 0);
  // The fake's device memory is host memory.
  auto *tokensOnDevice = reinterpret_cast<int32_t *>(deviceTokens);
  std::copy(tokens.begin(), tokens.end(), tokensOnDevice);
  kiln_tensor deviceInput = input, deviceOutput = output;
  deviceInput.data = tokensOnDevice;
  deviceOutput.data = reinterpret_cast<void *>(deviceLogits);

  size_t before = log().size();
  EXPECT_EQ(message(kiln_session_run_device(session, 1, &deviceInput, 1,
                                            &deviceOutput)),
            "");
  std::string ran = log().substr(before);
  // Only the token ids come to the host, for their bounds check.
  EXPECT_EQ(countLines(ran, "cuMemcpyHtoDAsync_v2"), 0);
  EXPECT_EQ(countLines(ran, "cuMemcpyDtoHAsync_v2"), 1);
  EXPECT_EQ(countLines(ran, "cuMemcpyDtoHAsync_v2 40 bytes"), 1);
  EXPECT_GT(countLines(ran, "cuLaunchKernel kiln_"), 0);

  tokensOnDevice[3] = 999;
  EXPECT_EQ(message(kiln_session_run_device(session, 1, &deviceInput, 1,
                                            &deviceOutput)),
            "input 'tokens' flat index 3 holds 999, outside [0, 256)");

  // The runtime left the caller's context current and its memory alone.
  EXPECT_EQ(driver.memFree(deviceTokens), 0);
  EXPECT_EQ(driver.memFree(deviceLogits), 0);
  EXPECT_EQ(driver.releaseContext(0), 0);
}

TEST_F(CudaCompiledModelTest, ReportsAFailedAllocationAfterTheCall) {
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  size_t before = log().size();
  {
    // The first run allocates staging buffers for the tokens and the
    // logits, then the model's first temporary.
    ScopedEnv failing("KILN_FAKE_CUDA_FAIL",
                      "cuMemAlloc_v2@" +
                          std::to_string(driver.calls("cuMemAlloc_v2") + 3));
    kiln_status *status = kiln_session_run(session, 1, &input, 1, &output);
    EXPECT_EQ(kiln_status_get_code(status), KILN_ERROR_RESOURCE);
    std::string text = message(status);
    EXPECT_EQ(text.rfind("the model's temporary buffer: device 'cuda' (Fake "
                         "GPU 0): allocating ",
                         0),
              0u)
        << text;
    EXPECT_NE(text.find("cuMemAlloc_v2 failed with CUDA error 2 (out of "
                        "memory)"),
              std::string::npos)
        << text;
  }
  // No kernel ran on the missing buffer, and the session still works.
  EXPECT_EQ(countLines(log().substr(before), "cuLaunchKernel"), 0);
  EXPECT_EQ(run(session), "");
}

TEST_F(CudaCompiledModelTest, ReportsFailedLaunchesCopiesAndWaits) {
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  {
    ScopedEnv failing("KILN_FAKE_CUDA_FAIL", "cuLaunchKernel");
    std::string text = run(session);
    EXPECT_NE(text.find(": cuLaunchKernel failed with CUDA error 1 (invalid "
                        "argument)"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.rfind("device 'cuda' (Fake GPU 0): kernel 'kiln_", 0), 0u)
        << text;
  }
  {
    ScopedEnv failing("KILN_FAKE_CUDA_FAIL", "cuStreamSynchronize");
    EXPECT_EQ(run(session),
              "device 'cuda' (Fake GPU 0): cuStreamSynchronize failed with "
              "CUDA error 700 (an illegal memory access was encountered)");
  }
  {
    ScopedEnv failing("KILN_FAKE_CUDA_FAIL", "cuMemcpyDtoHAsync_v2");
    EXPECT_EQ(run(session),
              "device 'cuda' (Fake GPU 0): copying output 'logits': "
              "cuMemcpyDtoHAsync_v2 failed with CUDA error 1 (invalid "
              "argument)");
  }
  {
    ScopedEnv failing("KILN_FAKE_CUDA_FAIL", "cuMemcpyHtoDAsync_v2");
    EXPECT_EQ(run(session),
              "device 'cuda' (Fake GPU 0): copying input 'tokens': "
              "cuMemcpyHtoDAsync_v2 failed with CUDA error 1 (invalid "
              "argument)");
    std::string text = message(kiln_session_bind_weights(session, weights));
    EXPECT_NE(text.find("gpt2-tiny.safetensors: device 'cuda' (Fake GPU 0): "
                        "uploading parameter 'wte': cuMemcpyHtoDAsync_v2 "
                        "failed"),
              std::string::npos)
        << text;
  }
  EXPECT_EQ(run(session), "the model's parameters are not bound; call "
                          "kiln_session_bind_weights first");
  ASSERT_EQ(message(kiln_session_bind_weights(session, weights)), "");
  EXPECT_EQ(run(session), "");
}

TEST_F(CudaCompiledModelTest, ReportsWhyTheKernelsDoNotLoad) {
  {
    ScopedEnv failing("KILN_FAKE_CUDA_FAIL", "cuModuleLoadDataEx");
    ScopedEnv older("KILN_FAKE_CUDA_CC", "80");
    kiln_session *session = nullptr;
    EXPECT_EQ(message(kiln_session_create(model, "cuda", &session)),
              "device 'cuda' (Fake GPU 0): compiling the PTX of model "
              "'gpt2-tiny' (sm_90) on compute capability 8.0 (the PTX needs "
              "a newer GPU; compile the model with --sm=sm_80): "
              "cuModuleLoadDataEx failed with CUDA error 218 (a PTX JIT "
              "compilation failed): ptxas fatal   : fake JIT failure");
    EXPECT_EQ(session, nullptr);
  }
  // A failed load is retried by the next session.
  EXPECT_NE(boundSession(), nullptr);
}

TEST_F(CudaCompiledModelTest, GeneratesWithStateOnTheDevice) {
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(kiln_model_can_generate(model, nullptr));
  size_t before = log().size();
  ASSERT_EQ(message(kiln_session_reserve(session, 3, 16)), "");
  std::string reserved = log().substr(before);
  // Each state buffer is allocated and zeroed on the device.
  int buffers = countLines(reserved, "cuMemAlloc_v2");
  EXPECT_GE(buffers, 2);
  EXPECT_EQ(countLines(reserved, "cuMemsetD8Async"), buffers);

  // A prefill of sequences 2 and 0: their rows of every buffer are zeroed,
  // the tokens, slots and positions copied in, the logits copied back.
  int32_t sequences[kBatch] = {2, 0};
  before = log().size();
  ASSERT_EQ(message(kiln_session_prefill(session, kBatch, sequences, &input, 1,
                                         &output)),
            "");
  std::string prefilled = log().substr(before);
  EXPECT_EQ(countLines(prefilled, "cuMemsetD8Async"), kBatch * buffers);
  EXPECT_EQ(countLines(prefilled, "cuMemcpyHtoDAsync_v2 40 bytes"), 1);
  EXPECT_EQ(countLines(prefilled, "cuMemcpyHtoDAsync_v2 16 bytes"), 2);
  EXPECT_GT(countLines(prefilled, "cuLaunchKernel kiln_"), 0);
  EXPECT_EQ(countLines(prefilled, "cuMemcpyDtoHAsync_v2 10240 bytes"), 1);
  EXPECT_EQ(kiln_session_sequence_length(session, 2), kSeq);
  EXPECT_EQ(kiln_session_sequence_length(session, 0), kSeq);

  // A decode step of one token each: no state is cleared.
  int32_t next[kBatch] = {7, 9};
  std::vector<float> stepLogits(kBatch * kVocab);
  kiln_tensor step = {next, KILN_I32, 2, {kBatch, 1}};
  kiln_tensor stepOutput = {stepLogits.data(), KILN_F32, 3, {kBatch, 1, kVocab}};
  before = log().size();
  ASSERT_EQ(message(kiln_session_decode(session, kBatch, sequences, &step, 1,
                                        &stepOutput)),
            "");
  std::string decoded = log().substr(before);
  EXPECT_EQ(countLines(decoded, "cuMemsetD8Async"), 0);
  EXPECT_EQ(countLines(decoded, "cuMemcpyDtoHAsync_v2 2048 bytes"), 1);
  EXPECT_EQ(kiln_session_sequence_length(session, 2), kSeq + 1);

  // A failed step changes no length.
  {
    ScopedEnv failing("KILN_FAKE_CUDA_FAIL", "cuLaunchKernel");
    EXPECT_NE(message(kiln_session_decode(session, kBatch, sequences, &step, 1,
                                          &stepOutput)),
              "");
  }
  EXPECT_EQ(kiln_session_sequence_length(session, 2), kSeq + 1);

  // Resetting a sequence zeroes its rows.
  before = log().size();
  ASSERT_EQ(message(kiln_session_reset_sequence(session, 2)), "");
  EXPECT_EQ(countLines(log().substr(before), "cuMemsetD8Async"), buffers);
  EXPECT_EQ(kiln_session_sequence_length(session, 2), 0);
}

TEST_F(CudaCompiledModelTest, KeepsTheStateWhenAReserveFails) {
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  ASSERT_EQ(message(kiln_session_reserve(session, 2, 16)), "");
  int live = driver.liveAllocations();
  {
    ScopedEnv memory("KILN_FAKE_CUDA_MEMORY",
                     std::to_string(driver.liveBytes()));
    kiln_status *status = kiln_session_reserve(session, 4, 64);
    EXPECT_EQ(kiln_status_get_code(status), KILN_ERROR_RESOURCE);
    EXPECT_EQ(message(status).rfind("generation state: device 'cuda' (Fake "
                                    "GPU 0): allocating ",
                                    0),
              0u);
  }
  EXPECT_EQ(driver.liveAllocations(), live);
  int32_t sequences[kBatch] = {1, 0};
  EXPECT_EQ(message(kiln_session_prefill(session, kBatch, sequences, &input, 1,
                                         &output)),
            "");
  // A reserve that succeeds replaces the state rather than adding to it.
  live = driver.liveAllocations();
  ASSERT_EQ(message(kiln_session_reserve(session, 2, 16)), "");
  EXPECT_EQ(driver.liveAllocations(), live);
}

} // namespace
