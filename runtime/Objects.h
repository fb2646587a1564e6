//===- Objects.h - The runtime's opaque C objects ----------------*- C++
//-*-===//
//
// Definitions behind the opaque handles of the C API. A loaded model and a
// mapped weights file are shared: sessions hold references, so closing the
// caller's handle never pulls code or data out from under a session.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_OBJECTS_H
#define KILN_RUNTIME_OBJECTS_H

#include "runtime/Safetensors.h"
#include "runtime/Signature.h"

#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kiln::runtime {

class CudaModule;
class CudaSession;

/// The entry points of a CUDA model (docs/abi.md, "CUDA models").
struct GpuEntryPoints {
  using BindFn = void (*)(const void *api, void *context);
  using TextFn = const char *(*)();
  using CubinFn = const void *(*)(int64_t *size);

  BindFn bind = nullptr;
  TextFn ptx = nullptr, arch = nullptr;
  CubinFn cubin = nullptr;
};

/// A dlopen-ed model library and its parsed signature.
struct LoadedModel {
  using EntryFn = void (*)(void *const *, const int64_t *);
  using PackFn = void (*)(void *const *);
  using PackOneFn = void (*)(void *const *, int64_t);
  using SetThreadsFn = void (*)(int);
  using GetThreadsFn = int (*)();

  std::string path;
  void *handle = nullptr;
  std::string signatureJson;
  std::string source;
  Signature signature;
  EntryFn entry = nullptr;
  /// Fills the packed weights from the parameters (docs/abi.md).
  PackFn pack = nullptr;
  /// The generation entries; null for a model without them.
  EntryFn prefill = nullptr, decode = nullptr;
  /// Fills one packed buffer; optional.
  PackOneFn packOne = nullptr;
  /// omp_set_num_threads from the model's OpenMP runtime, if it links one.
  SetThreadsFn setNumThreads = nullptr;
  GetThreadsFn getMaxThreads = nullptr;
  /// Null members for a CPU model or a model linked into the application.
  GpuEntryPoints gpu;
  /// The model's kernels loaded on the GPU, once, by its first CUDA
  /// session; guarded by `cudaMutex`.
  std::mutex cudaMutex;
  std::unique_ptr<CudaModule> cuda;

  LoadedModel() = default;
  LoadedModel(const LoadedModel &) = delete;
  LoadedModel &operator=(const LoadedModel &) = delete;
  ~LoadedModel();
};

} // namespace kiln::runtime

struct kiln_model {
  std::shared_ptr<kiln::runtime::LoadedModel> impl;
};

struct kiln_weights {
  std::shared_ptr<kiln::runtime::SafetensorsFile> impl;
};

struct kiln_session {
  std::shared_ptr<kiln::runtime::LoadedModel> model;
  std::string device;
  /// Threads per run; 0 leaves the OpenMP default.
  int32_t threads = 0;
  /// Keeps bound weights mapped while `params` points into them.
  std::shared_ptr<kiln::runtime::SafetensorsFile> weights;
  /// One data pointer per model parameter once bound.
  std::vector<void *> params;
  bool paramsBound = false;
  /// Aligned copies of parameters whose data was not element-aligned.
  std::vector<std::unique_ptr<void, decltype(&std::free)>> copies;
  /// The weights the compiled code reads in its own layout, one buffer per
  /// signature "packed" entry, filled by kiln_compiled_pack at bind time.
  std::vector<std::unique_ptr<void, decltype(&std::free)>> packed;
  /// Generation state (kiln_session_reserve): one buffer per signature
  /// "generation.state" entry, for `maxSequences` sequences of at most
  /// `capacity` tokens, and each sequence's length.
  int32_t maxSequences = 0;
  int64_t capacity = 0;
  std::vector<std::unique_ptr<void, decltype(&std::free)>> state;
  /// Bytes of one sequence's row of each state buffer.
  std::vector<size_t> stateRowBytes;
  std::vector<int64_t> lengths;
  /// The stream, device memory and bound weights of a "cuda" session;
  /// null on "cpu". Declared last so that it is destroyed before `model`.
  std::unique_ptr<kiln::runtime::CudaSession> cuda;

  ~kiln_session();
};

namespace kiln::runtime {

/// Gives the model's OpenMP runtime the session's thread count, if it has
/// one. OpenMP keeps the count per calling thread, so this precedes every
/// call into the model.
void applyThreads(const kiln_session &session);

/// A tensor of a call and the name its errors give it.
struct NamedTensor {
  std::string name;
  const kiln_tensor *tensor;
};

/// An error naming the first output whose bytes overlap those of an input
/// or of another output: the model may write an output while it still
/// reads its inputs (docs/abi.md).
kiln_status *checkOutputsDisjoint(const std::vector<NamedTensor> &inputs,
                                  const std::vector<NamedTensor> &outputs);

} // namespace kiln::runtime

#endif // KILN_RUNTIME_OBJECTS_H
