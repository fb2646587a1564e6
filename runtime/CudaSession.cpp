//===- CudaSession.cpp - A session on the "cuda" device -------------------===//
//
// Every driver error becomes a kiln_status naming the call. Errors inside a
// call into the model library (its allocations and launches go through the
// table below) cannot be returned to the generated code, which does not
// check them: the first one is recorded, later launches are skipped, and
// the runtime reports it when the library returns.
//
//===----------------------------------------------------------------------===//

#include "runtime/CudaSession.h"
#include "runtime/Status.h"

#include <algorithm>
#include <climits>
#include <cstdint>

namespace kiln::runtime {

namespace {

/// The layout of struct kiln_compiled_gpu_api (docs/abi.md).
struct GpuApi {
  void *(*alloc)(void *context, int64_t bytes);
  void (*free)(void *context, void *pointer);
  void (*launch)(void *context, const char *kernel, int64_t gridX,
                 int64_t blockX, void **params);
};

void *toPointer(CudaDevicePtr pointer) {
  return reinterpret_cast<void *>(static_cast<uintptr_t>(pointer));
}

CudaDevicePtr toDevicePtr(const void *pointer) {
  return static_cast<CudaDevicePtr>(reinterpret_cast<uintptr_t>(pointer));
}

size_t byteSize(const kiln_tensor &tensor) {
  return static_cast<size_t>(kiln_tensor_num_bytes(&tensor));
}

} // namespace

kiln_status *CudaSession::create(LoadedModel &model, const CudaDriver &driver,
                                 const CudaDevice &device,
                                 std::unique_ptr<CudaSession> &out) {
  {
    std::lock_guard<std::mutex> lock(model.cudaMutex);
    if (!model.cuda)
      if (kiln_status *status =
              CudaModule::load(driver, device, model, model.cuda))
        return status;
  }
  std::unique_ptr<CudaSession> session(new CudaSession(model, *model.cuda));
  CudaContextScope scope(session->module_);
  if (kiln_status *status = scope.enter())
    return status;
  // A non-blocking stream: the session's work does not wait for, or hold
  // up, work that other code queues on the legacy default stream.
  constexpr unsigned kStreamNonBlocking = 1;
  if (int result = driver.streamCreate(&session->stream_, kStreamNonBlocking))
    return session->module_.error("cuStreamCreate", result);
  out = std::move(session);
  return nullptr;
}

CudaSession::~CudaSession() {
  CudaContextScope scope(module_);
  kiln_status *notCurrent = scope.enter();
  if (!notCurrent) {
    kiln_status_free(synchronize());
    for (CudaDevicePtr pointer : temporaries_.takeAll())
      module_.driver().memFree(pointer);
    releaseAll(params_);
    releaseAll(packed_);
    releaseAll(staging_);
    releaseAll(state_);
    if (stream_)
      module_.driver().streamDestroy(stream_);
  }
  kiln_status_free(notCurrent);
  kiln_status_free(failure_);
}

kiln_status *CudaSession::allocate(size_t bytes, DeviceBuffer &out) {
  // The driver refuses empty allocations; a buffer of an empty tensor
  // still needs a valid address.
  size_t rounded = std::max<size_t>(bytes, 1);
  CudaDevicePtr pointer = 0;
  int result = module_.driver().memAlloc(&pointer, rounded);
  if (result == kCudaErrorOutOfMemory && temporaries_.freeBuffers()) {
    if (kiln_status *status = releaseCachedTemporaries())
      return status;
    result = module_.driver().memAlloc(&pointer, rounded);
  }
  if (result)
    return module_.error("cuMemAlloc_v2", result,
                         "allocating " + std::to_string(bytes) + " bytes");
  out = {pointer, rounded};
  return nullptr;
}

kiln_status *CudaSession::releaseCachedTemporaries() {
  // Kernels queued on the stream may still use them, and cuMemFree does not
  // promise to wait.
  if (kiln_status *status = synchronize())
    return status;
  for (CudaDevicePtr pointer : temporaries_.takeAllFree())
    if (int result = module_.driver().memFree(pointer))
      return module_.error("cuMemFree_v2", result);
  return nullptr;
}

void CudaSession::release(DeviceBuffer &buffer) {
  if (buffer.pointer)
    module_.driver().memFree(buffer.pointer);
  buffer = {};
}

void CudaSession::releaseAll(std::vector<DeviceBuffer> &buffers) {
  for (DeviceBuffer &buffer : buffers)
    release(buffer);
  buffers.clear();
}

kiln_status *CudaSession::synchronize() {
  if (int result = module_.driver().streamSynchronize(stream_))
    return module_.error("cuStreamSynchronize", result);
  return nullptr;
}

template <typename Body> kiln_status *CudaSession::callLibrary(Body body) {
  {
    std::lock_guard<std::mutex> lock(module_.calls());
    static const GpuApi api = {&allocateForLibrary, &freeForLibrary,
                               &launchForLibrary};
    model_.gpu.bind(&api, this);
    body();
  }
  kiln_status *waited = synchronize();
  if (!failure_)
    return waited;
  kiln_status_free(waited);
  kiln_status *failure = failure_;
  failure_ = nullptr;
  return failure;
}

void CudaSession::recordFailure(kiln_status *status) {
  if (failure_)
    kiln_status_free(status);
  else
    failure_ = status;
}

void *CudaSession::allocateForLibrary(void *context, int64_t bytes) {
  auto &session = *static_cast<CudaSession *>(context);
  if (session.failure_)
    return nullptr;
  size_t size = static_cast<size_t>(std::max<int64_t>(bytes, 0));
  if (CudaDevicePtr cached = session.temporaries_.take(size))
    return toPointer(cached);
  DeviceBuffer buffer;
  if (kiln_status *status =
          session.allocate(CudaBufferCache::sizeClass(size), buffer)) {
    session.recordFailure(
        prefixStatus(status, "the model's temporary buffer: "));
    return nullptr;
  }
  session.temporaries_.adopt(buffer.pointer, size);
  return toPointer(buffer.pointer);
}

void CudaSession::freeForLibrary(void *context, void *pointer) {
  auto &session = *static_cast<CudaSession *>(context);
  // Kept for the next allocation; see CudaBufferCache.h for why that needs
  // no wait.
  if (pointer && !session.temporaries_.give(toDevicePtr(pointer)))
    session.recordFailure(makeStatus(
        KILN_ERROR_INVALID_ARGUMENT,
        "the model freed a device buffer that is not one of its temporaries"));
}

void CudaSession::launchForLibrary(void *context, const char *kernel,
                                   int64_t gridX, int64_t blockX,
                                   void **params) {
  auto &session = *static_cast<CudaSession *>(context);
  // After a failed allocation the kernels' pointers may be null.
  if (session.failure_)
    return;
  if (gridX < 1 || gridX > INT_MAX || blockX < 1 || blockX > 1024) {
    session.recordFailure(makeStatus(
        KILN_ERROR_RESOURCE, "kernel " + quote(kernel) + ": a launch of " +
                                 std::to_string(gridX) + " blocks of " +
                                 std::to_string(blockX) +
                                 " threads exceeds the device's limits"));
    return;
  }
  void *function = nullptr;
  if (kiln_status *status = session.module_.function(kernel, function)) {
    session.recordFailure(status);
    return;
  }
  if (int result = session.module_.driver().launchKernel(
          function, static_cast<unsigned>(gridX), 1, 1,
          static_cast<unsigned>(blockX), 1, 1, 0, session.stream_, params,
          nullptr))
    session.recordFailure(session.module_.error("cuLaunchKernel", result,
                                                "kernel " + quote(kernel)));
}

kiln_status *CudaSession::bindParams(const kiln_tensor *params) {
  CudaContextScope scope(module_);
  if (kiln_status *status = scope.enter())
    return status;
  if (kiln_status *status = synchronize())
    return status;
  return finish(uploadAndPack(params));
}

kiln_status *CudaSession::finish(kiln_status *status) {
  kiln_status *waited = synchronize();
  if (!status)
    return waited;
  kiln_status_free(waited);
  return status;
}

kiln_status *CudaSession::uploadAndPack(const kiln_tensor *params) {
  const Signature &sig = model_.signature;
  releaseAll(params_);
  releaseAll(packed_);
  std::vector<void *> buffers;
  const CudaDriver &driver = module_.driver();
  for (size_t i = 0; i < sig.params.size(); ++i) {
    size_t bytes = byteSize(params[i]);
    params_.emplace_back();
    if (kiln_status *status = allocate(bytes, params_.back()))
      return prefixStatus(status,
                          "parameter " + quote(sig.params[i].name) + ": ");
    if (bytes)
      if (int result = driver.memcpyHtoDAsync(params_.back().pointer,
                                              params[i].data, bytes, stream_))
        return module_.error("cuMemcpyHtoDAsync_v2", result,
                             "uploading parameter " +
                                 quote(sig.params[i].name));
    buffers.push_back(toPointer(params_.back().pointer));
  }
  for (const PackedSpec &spec : sig.packed) {
    packed_.emplace_back();
    if (kiln_status *status = allocate(spec.bytes, packed_.back()))
      return prefixStatus(status, "packed weights: ");
    buffers.push_back(toPointer(packed_.back().pointer));
  }
  // A model without parameters still gets a valid pointer.
  buffers.push_back(nullptr);
  return callLibrary([&] { model_.pack(buffers.data()); });
}

kiln_status *CudaSession::stage(size_t slot, size_t bytes, void *&pointer) {
  if (staging_.size() <= slot)
    staging_.resize(slot + 1);
  DeviceBuffer &buffer = staging_[slot];
  if (buffer.bytes < bytes || !buffer.pointer) {
    release(buffer);
    if (kiln_status *status = allocate(bytes, buffer))
      return status;
  }
  pointer = toPointer(buffer.pointer);
  return nullptr;
}

std::vector<void *>
CudaSession::entryBuffers(const std::vector<void *> &inputs,
                          const std::vector<void *> &outputs) const {
  std::vector<void *> buffers(inputs);
  for (const DeviceBuffer &param : params_)
    buffers.push_back(toPointer(param.pointer));
  for (const DeviceBuffer &packed : packed_)
    buffers.push_back(toPointer(packed.pointer));
  buffers.insert(buffers.end(), outputs.begin(), outputs.end());
  return buffers;
}

kiln_status *CudaSession::runOnHostTensors(const kiln_tensor *inputs,
                                           const kiln_tensor *outputs,
                                           const int64_t *dims) {
  CudaContextScope scope(module_);
  if (kiln_status *status = scope.enter())
    return status;
  return finish(copyRunAndCopyBack(inputs, outputs, dims));
}

kiln_status *CudaSession::copyRunAndCopyBack(const kiln_tensor *inputs,
                                             const kiln_tensor *outputs,
                                             const int64_t *dims) {
  const Signature &sig = model_.signature;
  const CudaDriver &driver = module_.driver();
  std::vector<void *> deviceInputs(sig.inputs.size()),
      deviceOutputs(sig.outputs.size());
  for (size_t n = 0; n < sig.inputs.size(); ++n) {
    size_t bytes = byteSize(inputs[n]);
    if (kiln_status *status = stage(n, bytes, deviceInputs[n]))
      return prefixStatus(status, "input " + quote(sig.inputs[n].name) + ": ");
    if (bytes)
      if (int result = driver.memcpyHtoDAsync(toDevicePtr(deviceInputs[n]),
                                              inputs[n].data, bytes, stream_))
        return module_.error("cuMemcpyHtoDAsync_v2", result,
                             "copying input " + quote(sig.inputs[n].name));
  }
  for (size_t n = 0; n < sig.outputs.size(); ++n)
    if (kiln_status *status = stage(sig.inputs.size() + n, byteSize(outputs[n]),
                                    deviceOutputs[n]))
      return prefixStatus(status,
                          "output " + quote(sig.outputs[n].name) + ": ");
  if (kiln_status *status =
          runOnDevicePointers(deviceInputs, deviceOutputs, dims))
    return status;
  for (size_t n = 0; n < sig.outputs.size(); ++n)
    if (size_t bytes = byteSize(outputs[n]))
      if (int result = driver.memcpyDtoHAsync(
              outputs[n].data, toDevicePtr(deviceOutputs[n]), bytes, stream_))
        return module_.error("cuMemcpyDtoHAsync_v2", result,
                             "copying output " + quote(sig.outputs[n].name));
  return nullptr;
}

kiln_status *CudaSession::runOnDeviceTensors(const kiln_tensor *inputs,
                                             const kiln_tensor *outputs,
                                             const int64_t *dims) {
  const Signature &sig = model_.signature;
  CudaContextScope scope(module_);
  if (kiln_status *status = scope.enter())
    return status;
  std::vector<void *> deviceInputs, deviceOutputs;
  for (size_t n = 0; n < sig.inputs.size(); ++n)
    deviceInputs.push_back(inputs[n].data);
  for (size_t n = 0; n < sig.outputs.size(); ++n)
    deviceOutputs.push_back(outputs[n].data);
  return runOnDevicePointers(deviceInputs, deviceOutputs, dims);
}

kiln_status *
CudaSession::runOnDevicePointers(const std::vector<void *> &inputs,
                                 const std::vector<void *> &outputs,
                                 const int64_t *dims) {
  std::vector<void *> buffers = entryBuffers(inputs, outputs);
  return callLibrary([&] { model_.entry(buffers.data(), dims); });
}

kiln_status *CudaSession::copyToHost(void *destination, const void *source,
                                     size_t bytes) {
  CudaContextScope scope(module_);
  if (kiln_status *status = scope.enter())
    return status;
  if (int result = module_.driver().memcpyDtoHAsync(
          destination, toDevicePtr(source), bytes, stream_))
    return module_.error("cuMemcpyDtoHAsync_v2", result,
                         "reading an index input");
  return synchronize();
}

kiln_status *CudaSession::reserveState(const std::vector<size_t> &rowBytes,
                                       int32_t sequences) {
  CudaContextScope scope(module_);
  if (kiln_status *status = scope.enter())
    return status;
  // The new buffers first, so that a failure keeps the old state.
  std::vector<DeviceBuffer> state;
  kiln_status *failure = nullptr;
  for (size_t row : rowBytes) {
    state.emplace_back();
    size_t bytes = row * static_cast<size_t>(sequences);
    if ((failure = allocate(bytes, state.back()))) {
      failure = prefixStatus(failure, "generation state: ");
      break;
    }
    if (int result = module_.driver().memsetD8Async(state.back().pointer, 0,
                                                    bytes, stream_)) {
      failure = module_.error("cuMemsetD8Async", result,
                              "zeroing the generation state");
      break;
    }
  }
  // Queued kernels may still use the old state, and the zeroing the new.
  failure = finish(failure);
  releaseAll(failure ? state : state_);
  if (failure)
    return failure;
  state_ = std::move(state);
  stateRowBytes_ = rowBytes;
  return nullptr;
}

kiln_status *CudaSession::clearSequence(int32_t sequence) {
  CudaContextScope scope(module_);
  if (kiln_status *status = scope.enter())
    return status;
  for (size_t i = 0; i < state_.size(); ++i) {
    size_t row = stateRowBytes_[i];
    if (int result = module_.driver().memsetD8Async(
            state_[i].pointer + row * static_cast<size_t>(sequence), 0, row,
            stream_))
      return finish(module_.error("cuMemsetD8Async", result,
                                  "clearing sequence " +
                                      std::to_string(sequence)));
  }
  // No wait: the next step's kernels are queued after the clearing.
  return nullptr;
}

kiln_status *CudaSession::copyIn(size_t slot, const void *source, size_t bytes,
                                 const std::string &what, void *&pointer) {
  if (kiln_status *status = stage(slot, bytes, pointer))
    return prefixStatus(status, what + ": ");
  if (bytes)
    if (int result = module_.driver().memcpyHtoDAsync(toDevicePtr(pointer),
                                                      source, bytes, stream_))
      return module_.error("cuMemcpyHtoDAsync_v2", result, "copying " + what);
  return nullptr;
}

kiln_status *CudaSession::runStep(LoadedModel::EntryFn entry,
                                  const kiln_tensor &tokens,
                                  const std::vector<int64_t> &slots,
                                  const std::vector<int64_t> &positions,
                                  const kiln_tensor *outputs,
                                  const int64_t *dims) {
  CudaContextScope scope(module_);
  if (kiln_status *status = scope.enter())
    return status;
  return finish(
      copyStepAndCopyBack(entry, tokens, slots, positions, outputs, dims));
}

kiln_status *CudaSession::copyStepAndCopyBack(
    LoadedModel::EntryFn entry, const kiln_tensor &tokens,
    const std::vector<int64_t> &slots, const std::vector<int64_t> &positions,
    const kiln_tensor *outputs, const int64_t *dims) {
  const Signature &sig = model_.signature;
  const std::vector<TensorSpec> &inputs = sig.generation.inputs;
  // Staging slots after those of kiln_compiled_entry's inputs and outputs.
  size_t slot = sig.inputs.size() + sig.outputs.size();
  std::vector<void *> buffers(3);
  if (kiln_status *status =
          copyIn(slot, tokens.data, byteSize(tokens),
                 "tokens " + quote(inputs[0].name), buffers[0]))
    return status;
  if (kiln_status *status =
          copyIn(slot + 1, slots.data(), slots.size() * sizeof(int64_t),
                 "input " + quote(inputs[1].name), buffers[1]))
    return status;
  if (kiln_status *status = copyIn(
          slot + 2, positions.data(), positions.size() * sizeof(int64_t),
          "input " + quote(inputs[2].name), buffers[2]))
    return status;
  for (const DeviceBuffer &param : params_)
    buffers.push_back(toPointer(param.pointer));
  for (const DeviceBuffer &state : state_)
    buffers.push_back(toPointer(state.pointer));
  for (const DeviceBuffer &packed : packed_)
    buffers.push_back(toPointer(packed.pointer));
  std::vector<void *> deviceOutputs(sig.outputs.size());
  for (size_t n = 0; n < sig.outputs.size(); ++n) {
    if (kiln_status *status =
            stage(slot + 3 + n, byteSize(outputs[n]), deviceOutputs[n]))
      return prefixStatus(status,
                          "output " + quote(sig.outputs[n].name) + ": ");
    buffers.push_back(deviceOutputs[n]);
  }
  if (kiln_status *status =
          callLibrary([&] { entry(buffers.data(), dims); }))
    return status;
  for (size_t n = 0; n < sig.outputs.size(); ++n)
    if (size_t bytes = byteSize(outputs[n]))
      if (int result = module_.driver().memcpyDtoHAsync(
              outputs[n].data, toDevicePtr(deviceOutputs[n]), bytes, stream_))
        return module_.error("cuMemcpyDtoHAsync_v2", result,
                             "copying output " + quote(sig.outputs[n].name));
  return nullptr;
}

} // namespace kiln::runtime
