//===- CudaSessionTest.cpp - CUDA sessions on a fake driver ---------------===//
//
// The hand-written CUDA model (FakeCudaModel.c) through the runtime's "cuda"
// device on FakeCudaDriver.c, whose device memory is host memory: the
// model's stand-in kernels compute on the device pointers they get, so the
// results check the uploads, the packing, the order of the buffers and the
// copies. Also the argument checks of kiln_session_run_device, sessions on
// many threads (run under ThreadSanitizer too: no compiler needed), and
// the errors of session creation.
//
//===----------------------------------------------------------------------===//

#include "CudaTestUtil.h"
#include "RuntimeTestUtil.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

using namespace kiln::runtime::test;

namespace {

constexpr int64_t kBatch = 3, kFeatures = 4;

/// The fake model's inputs and expected output: y = x * 2w + ids.
struct Case {
  explicit Case(float offset) {
    for (int64_t i = 0; i < kBatch * kFeatures; ++i)
      x[i] = offset + static_cast<float>(i);
    for (int64_t b = 0; b < kBatch; ++b)
      ids[b] = static_cast<int32_t>(b + 1);
    for (int64_t i = 0; i < kBatch * kFeatures; ++i)
      expected[i] = x[i] * 2.0f * kWeights[i % kFeatures] +
                    static_cast<float>(ids[i / kFeatures]);
  }
  void bind(void *xData, void *idsData, void *yData) {
    inputs[0] = {xData, KILN_F32, 2, {kBatch, kFeatures}};
    inputs[1] = {idsData, KILN_I32, 1, {kBatch}};
    output = {yData, KILN_F32, 2, {kBatch, kFeatures}};
  }

  static constexpr float kWeights[kFeatures] = {0.5f, -1.0f, 2.0f, 0.25f};
  float x[kBatch * kFeatures];
  int32_t ids[kBatch];
  float expected[kBatch * kFeatures];
  float y[kBatch * kFeatures] = {};
  kiln_tensor inputs[2] = {}, output = {};
};

class CudaSessionTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(kFakeCudaDriverChosen);
    ASSERT_TRUE(driver.handle) << dlerror();
    ASSERT_EQ(message(kiln_model_open(KILN_FAKE_CUDA_MODEL_PATH, &model)), "");
  }
  void TearDown() override {
    for (kiln_session *session : sessions)
      kiln_session_destroy(session);
    kiln_model_close(model);
    EXPECT_EQ(driver.liveAllocations(), 0);
  }

  /// A CUDA session with the weights bound from caller memory, or null.
  kiln_session *boundSession() {
    kiln_session *session = nullptr;
    EXPECT_EQ(message(kiln_session_create(model, "cuda", &session)), "");
    if (!session)
      return nullptr;
    sessions.push_back(session);
    float weights[kFeatures];
    std::copy(Case::kWeights, Case::kWeights + kFeatures, weights);
    kiln_tensor param = {weights, KILN_F32, 1, {kFeatures}};
    EXPECT_EQ(message(kiln_session_bind_params(session, 1, &param)), "");
    // The session keeps its own copy: the caller's memory may go.
    std::fill(weights, weights + kFeatures, 0.0f);
    return session;
  }

  FakeCudaDriver driver;
  TempDir dir;
  std::string logPath = dir.path("driver.log");
  ScopedEnv logging{"KILN_FAKE_CUDA_LOG", logPath};
  kiln_model *model = nullptr;
  std::vector<kiln_session *> sessions;
};

TEST_F(CudaSessionTest, RunsOnHostTensors) {
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  Case run(1.0f);
  run.bind(run.x, run.ids, run.y);
  ASSERT_EQ(message(kiln_session_run(session, 2, run.inputs, 1, &run.output)),
            "");
  for (int64_t i = 0; i < kBatch * kFeatures; ++i)
    EXPECT_EQ(run.y[i], run.expected[i]) << "element " << i;
  std::string log = readText(logPath);
  EXPECT_EQ(countLines(log, "cuModuleLoadDataEx ptx sm_80 with 2 options"), 1);
  EXPECT_EQ(countLines(log, "cuLaunchKernel fake_pack grid 1 block 4"), 1);
  EXPECT_EQ(countLines(log, "cuLaunchKernel fake_entry grid 3 block 4"), 1);
}

TEST_F(CudaSessionTest, GivesTheCallersContextBack) {
  // A thread with no current context has none after each call.
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  Case run(0.0f);
  run.bind(run.x, run.ids, run.y);
  ASSERT_EQ(message(kiln_session_run(session, 2, run.inputs, 1, &run.output)),
            "");
  void *current = &current;
  ASSERT_EQ(driver.getCurrent(&current), 0);
  EXPECT_EQ(current, nullptr);
  {
    ScopedEnv failing("KILN_FAKE_CUDA_FAIL", "cuCtxGetCurrent");
    EXPECT_EQ(
        message(kiln_session_run(session, 2, run.inputs, 1, &run.output)),
        "device 'cuda' (Fake GPU 0): cuCtxGetCurrent failed with CUDA error "
        "201 (invalid device context)");
  }
  {
    ScopedEnv failing("KILN_FAKE_CUDA_FAIL", "cuCtxSetCurrent");
    EXPECT_EQ(
        message(kiln_session_run(session, 2, run.inputs, 1, &run.output)),
        "device 'cuda' (Fake GPU 0): cuCtxSetCurrent failed with CUDA error "
        "201 (invalid device context)");
  }
}

TEST_F(CudaSessionTest, RunsOnDevicePointers) {
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  // As a caller with CUDA code of its own would: device 0's primary context.
  void *context = nullptr;
  ASSERT_EQ(driver.retainContext(&context, 0), 0);
  ASSERT_EQ(driver.setCurrent(context), 0);
  Case run(-2.0f);
  uint64_t x = 0, ids = 0, y = 0;
  ASSERT_EQ(driver.memAlloc(&x, sizeof(run.x)), 0);
  ASSERT_EQ(driver.memAlloc(&ids, sizeof(run.ids)), 0);
  ASSERT_EQ(driver.memAlloc(&y, sizeof(run.y)), 0);
  // The fake's device memory is host memory.
  auto *deviceIds = reinterpret_cast<int32_t *>(ids);
  auto *deviceY = reinterpret_cast<float *>(y);
  std::copy(run.x, run.x + kBatch * kFeatures, reinterpret_cast<float *>(x));
  std::copy(run.ids, run.ids + kBatch, deviceIds);
  run.bind(reinterpret_cast<void *>(x), deviceIds, deviceY);

  EXPECT_EQ(
      message(kiln_session_run_device(session, 2, run.inputs, 1, &run.output)),
      "");
  for (int64_t i = 0; i < kBatch * kFeatures; ++i)
    EXPECT_EQ(deviceY[i], run.expected[i]) << "element " << i;
  // The index input is checked on a host copy.
  deviceIds[1] = 8;
  kiln_status *status =
      kiln_session_run_device(session, 2, run.inputs, 1, &run.output);
  EXPECT_EQ(kiln_status_get_code(status), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(message(status),
            "input 'ids' flat index 1 holds 8, outside [0, 8)");

  // The caller's context is still current: its memory can be freed.
  void *current = nullptr;
  ASSERT_EQ(driver.getCurrent(&current), 0);
  EXPECT_EQ(current, context);
  for (uint64_t pointer : {x, ids, y})
    EXPECT_EQ(driver.memFree(pointer), 0);
  EXPECT_EQ(driver.releaseContext(0), 0);
}

TEST_F(CudaSessionTest, ChecksTheArgumentsOfDeviceRuns) {
  Case run(0.0f);
  run.bind(run.x, run.ids, run.y);
  EXPECT_EQ(
      message(kiln_session_run_device(nullptr, 2, run.inputs, 1, &run.output)),
      "kiln_session_run_device: session is NULL");

  kiln_model *cpuModel = nullptr;
  ASSERT_EQ(message(kiln_model_open(KILN_FAKE_MODEL_PATH, &cpuModel)), "");
  kiln_session *cpuSession = nullptr;
  ASSERT_EQ(message(kiln_session_create(cpuModel, "cpu", &cpuSession)), "");
  EXPECT_EQ(message(kiln_session_run_device(cpuSession, 2, run.inputs, 1,
                                            &run.output)),
            "kiln_session_run_device: the session is on device 'cpu'; device "
            "pointers need a 'cuda' session (use kiln_session_run)");
  kiln_session_destroy(cpuSession);
  kiln_model_close(cpuModel);

  kiln_session *session = nullptr;
  ASSERT_EQ(message(kiln_session_create(model, "cuda", &session)), "");
  sessions.push_back(session);
  EXPECT_EQ(
      message(kiln_session_run_device(session, 2, run.inputs, 1, &run.output)),
      "the model's parameters are not bound; call "
      "kiln_session_bind_weights first");
  kiln_tensor param = {run.x, KILN_F32, 1, {kFeatures}};
  ASSERT_EQ(message(kiln_session_bind_params(session, 1, &param)), "");
  EXPECT_EQ(
      message(kiln_session_run_device(session, 1, run.inputs, 1, &run.output)),
      "expected 2 inputs (x, ids) but got 1");
  EXPECT_EQ(
      message(kiln_session_run_device(session, 2, run.inputs, 1, nullptr)),
      "the outputs array is NULL");
  kiln_tensor wrong = run.output;
  wrong.dtype = KILN_I64;
  EXPECT_EQ(message(kiln_session_run_device(session, 2, run.inputs, 1, &wrong)),
            "output 'y': dtype i64 but the model expects f32");
  run.inputs[1].shape[0] = kBatch + 1;
  EXPECT_EQ(
      message(kiln_session_run_device(session, 2, run.inputs, 1, &run.output)),
      "input 'ids' dim 0 is 4 but 'batch' is 3 from input 'x'");
}

TEST_F(CudaSessionTest, SessionsOnManyThreadsGetTheirOwnResults) {
  constexpr int kThreads = 4, kRuns = 5;
  std::vector<std::string> errors(kThreads);
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      kiln_session *session = nullptr;
      errors[t] = message(kiln_session_create(model, "cuda", &session));
      float weights[kFeatures];
      std::copy(Case::kWeights, Case::kWeights + kFeatures, weights);
      kiln_tensor param = {weights, KILN_F32, 1, {kFeatures}};
      if (errors[t].empty())
        errors[t] = message(kiln_session_bind_params(session, 1, &param));
      for (int i = 0; i < kRuns && errors[t].empty(); ++i) {
        Case run(static_cast<float>(100 * t + i));
        run.bind(run.x, run.ids, run.y);
        errors[t] =
            message(kiln_session_run(session, 2, run.inputs, 1, &run.output));
        for (int64_t e = 0; e < kBatch * kFeatures; ++e)
          wrong[t] += run.y[e] != run.expected[e];
      }
      kiln_session_destroy(session);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], "") << "thread " << t;
    EXPECT_EQ(wrong[t], 0) << "thread " << t;
  }
}

TEST_F(CudaSessionTest, ReportsAFailedAllocationAfterTheCall) {
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  Case run(0.0f);
  run.bind(run.x, run.ids, run.y);
  size_t before = readText(logPath).size();
  {
    // The first run allocates staging buffers for x, ids and y, then the
    // model's temporary, which later runs take from the session's cache.
    ScopedEnv failing("KILN_FAKE_CUDA_FAIL",
                      "cuMemAlloc_v2@" +
                          std::to_string(driver.calls("cuMemAlloc_v2") + 4));
    kiln_status *status =
        kiln_session_run(session, 2, run.inputs, 1, &run.output);
    EXPECT_EQ(kiln_status_get_code(status), KILN_ERROR_RESOURCE);
    EXPECT_EQ(message(status),
              "the model's temporary buffer: device 'cuda' (Fake GPU 0): "
              "allocating 512 bytes: cuMemAlloc_v2 failed with CUDA error 2 "
              "(out of memory)");
  }
  EXPECT_EQ(countLines(readText(logPath).substr(before), "cuLaunchKernel"), 0);
  EXPECT_EQ(message(kiln_session_run(session, 2, run.inputs, 1, &run.output)),
            "");
}

TEST_F(CudaSessionTest, ReportsBadLaunches) {
  kiln_session *session = boundSession();
  ASSERT_NE(session, nullptr);
  Case run(0.0f);
  run.bind(run.x, run.ids, run.y);
  {
    ScopedEnv missing("KILN_FAKE_CUDA_KERNEL", "not_in_the_ptx");
    EXPECT_EQ(
        message(kiln_session_run(session, 2, run.inputs, 1, &run.output)),
        "device 'cuda' (Fake GPU 0): kernel 'not_in_the_ptx': "
        "cuModuleGetFunction failed with CUDA error 500 (named symbol not "
        "found)");
  }
  {
    ScopedEnv huge("KILN_FAKE_CUDA_GRID", "4294967296");
    kiln_status *status =
        kiln_session_run(session, 2, run.inputs, 1, &run.output);
    EXPECT_EQ(kiln_status_get_code(status), KILN_ERROR_RESOURCE);
    EXPECT_EQ(message(status), "kernel 'fake_entry': a launch of 4294967296 "
                               "blocks of 4 threads exceeds the device's "
                               "limits");
  }
  EXPECT_EQ(message(kiln_session_run(session, 2, run.inputs, 1, &run.output)),
            "");
}

TEST_F(CudaSessionTest, ReportsAMissingDevice) {
  ScopedEnv none("KILN_FAKE_CUDA_DEVICES", "0");
  kiln_session *session = nullptr;
  kiln_status *status = kiln_session_create(model, "cuda", &session);
  EXPECT_EQ(kiln_status_get_code(status), KILN_ERROR_UNAVAILABLE);
  EXPECT_EQ(message(status),
            "device 'cuda': the CUDA driver reports no device");
  EXPECT_EQ(session, nullptr);
}

TEST_F(CudaSessionTest, RefusesModelsWithoutCodeForTheDevice) {
  kiln_session *session = nullptr;
  EXPECT_EQ(message(kiln_session_create(model, "cpu", &session)),
            "device 'cpu': model 'fake-cuda' has no CPU code (it was "
            "compiled with --target=cuda); compile it with --target=cpu");
  kiln_model *cpuModel = nullptr;
  ASSERT_EQ(message(kiln_model_open(KILN_FAKE_MODEL_PATH, &cpuModel)), "");
  EXPECT_EQ(message(kiln_session_create(cpuModel, "cuda", &session)),
            "device 'cuda' (Fake GPU 0): model 'fake' has no CUDA code; "
            "compile it with --target=cuda");
  kiln_model_close(cpuModel);

  // A model linked into the application cannot hand over its GPU entries.
  void *library = dlopen(KILN_FAKE_CUDA_MODEL_PATH, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr);
  kiln_compiled_model symbols = {};
  symbols.abi_version = reinterpret_cast<int32_t (*)()>(
      dlsym(library, "kiln_compiled_abi_version"));
  symbols.signature = reinterpret_cast<const char *(*)()>(
      dlsym(library, "kiln_compiled_signature"));
  symbols.entry = reinterpret_cast<void (*)(void *const *, const int64_t *)>(
      dlsym(library, "kiln_compiled_entry"));
  symbols.pack = reinterpret_cast<void (*)(void *const *)>(
      dlsym(library, "kiln_compiled_pack"));
  kiln_model *linked = nullptr;
  ASSERT_EQ(message(kiln_model_open_linked(&symbols, "linked", &linked)), "");
  EXPECT_EQ(message(kiln_session_create(linked, "cuda", &session)),
            "device 'cuda' (Fake GPU 0): model 'fake-cuda' does not export "
            "kiln_compiled_gpu_bind, _ptx, _arch and _cubin (a model linked "
            "into the application runs on cpu only)");
  kiln_model_close(linked);
  dlclose(library);
}

} // namespace
