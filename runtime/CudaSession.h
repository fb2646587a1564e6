//===- CudaSession.h - A session on the "cuda" device ------------*- C++
//-*-===//
//
// What a CUDA session owns: a stream, the parameters and packed weights in
// device memory (uploaded once per binding), staging buffers for the inputs
// and outputs of runs on host tensors, and the table of device services
// (docs/abi.md, "CUDA models") through which the model library allocates
// device memory and launches its kernels on the session's stream.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CUDASESSION_H
#define KILN_RUNTIME_CUDASESSION_H

#include "runtime/CudaBufferCache.h"
#include "runtime/CudaModule.h"

#include <vector>

namespace kiln::runtime {

class CudaSession {
public:
  /// Loads the model's kernels on first use (shared by its sessions) and
  /// creates the session's stream.
  static kiln_status *create(LoadedModel &model, const CudaDriver &driver,
                             const CudaDevice &device,
                             std::unique_ptr<CudaSession> &out);
  ~CudaSession();
  CudaSession(const CudaSession &) = delete;
  CudaSession &operator=(const CudaSession &) = delete;

  /// Uploads the parameters (already checked against the signature) and
  /// fills the packed weights on the device with kiln_compiled_pack,
  /// replacing any earlier binding.
  kiln_status *bindParams(const kiln_tensor *params);
  /// Runs the model on host tensors: copies the inputs to the device,
  /// calls kiln_compiled_entry, copies the outputs back and waits for them.
  kiln_status *runOnHostTensors(const kiln_tensor *inputs,
                                const kiln_tensor *outputs,
                                const int64_t *dims);
  /// Runs the model on tensors whose data are device pointers and returns
  /// once the outputs are written.
  kiln_status *runOnDeviceTensors(const kiln_tensor *inputs,
                                  const kiln_tensor *outputs,
                                  const int64_t *dims);
  /// Copies `bytes` of device memory at `source` to host memory.
  kiln_status *copyToHost(void *destination, const void *source, size_t bytes);

  /// Generation (docs/abi.md, "Generation"): allocates the state buffers,
  /// `sequences` zeroed rows of rowBytes[i] bytes each, replacing any
  /// earlier ones.
  kiln_status *reserveState(const std::vector<size_t> &rowBytes,
                            int32_t sequences);
  /// Zeroes the rows of `sequence` in every state buffer.
  kiln_status *clearSequence(int32_t sequence);
  /// Calls kiln_compiled_prefill or _decode (`entry`) on host tensors: the
  /// tokens, slots and positions are copied to the device, the state and
  /// weights stay there, the outputs are copied back and waited for.
  kiln_status *runStep(LoadedModel::EntryFn entry, const kiln_tensor &tokens,
                       const std::vector<int64_t> &slots,
                       const std::vector<int64_t> &positions,
                       const kiln_tensor *outputs, const int64_t *dims);

private:
  struct DeviceBuffer {
    CudaDevicePtr pointer = 0;
    size_t bytes = 0;
  };

  CudaSession(const LoadedModel &model, CudaModule &module)
      : model_(model), module_(module) {}
  /// Allocates device memory; when the device is out of it, gives the
  /// cached temporaries back to the driver and tries once more.
  kiln_status *allocate(size_t bytes, DeviceBuffer &out);
  /// Waits for the stream, then frees the cached temporaries not in use.
  kiln_status *releaseCachedTemporaries();
  void release(DeviceBuffer &buffer);
  void releaseAll(std::vector<DeviceBuffer> &buffers);
  /// Grows staging buffer `slot` to at least `bytes`.
  kiln_status *stage(size_t slot, size_t bytes, void *&pointer);
  /// Stages `bytes` of host memory in `slot` and queues their copy.
  kiln_status *copyIn(size_t slot, const void *source, size_t bytes,
                      const std::string &what, void *&pointer);
  kiln_status *copyStepAndCopyBack(LoadedModel::EntryFn entry,
                                   const kiln_tensor &tokens,
                                   const std::vector<int64_t> &slots,
                                   const std::vector<int64_t> &positions,
                                   const kiln_tensor *outputs,
                                   const int64_t *dims);
  /// Binds the library's table to this session and calls `body` with the
  /// model's call lock held, then waits for the stream; reports the first
  /// failure of a table entry, else of the wait.
  template <typename Body> kiln_status *callLibrary(Body body);
  /// Calls kiln_compiled_entry on device buffers and waits for it.
  kiln_status *runOnDevicePointers(const std::vector<void *> &inputs,
                                   const std::vector<void *> &outputs,
                                   const int64_t *dims);
  kiln_status *synchronize();
  /// Waits for the stream after work that ended with `status`, so that no
  /// queued copy outlives a call (the caller may free its memory, a later
  /// run reuses the buffers); returns `status`, else the wait's error.
  kiln_status *finish(kiln_status *status);
  kiln_status *uploadAndPack(const kiln_tensor *params);
  kiln_status *copyRunAndCopyBack(const kiln_tensor *inputs,
                                  const kiln_tensor *outputs,
                                  const int64_t *dims);
  std::vector<void *> entryBuffers(const std::vector<void *> &inputs,
                                   const std::vector<void *> &outputs) const;

  // The table of device services (struct kiln_compiled_gpu_api).
  static void *allocateForLibrary(void *session, int64_t bytes);
  static void freeForLibrary(void *session, void *pointer);
  static void launchForLibrary(void *session, const char *kernel, int64_t gridX,
                               int64_t blockX, void **params);
  void recordFailure(kiln_status *status);

  const LoadedModel &model_;
  CudaModule &module_;
  void *stream_ = nullptr;
  std::vector<DeviceBuffer> params_, packed_, staging_;
  /// Generation state, and the bytes of one sequence's row of each buffer.
  std::vector<DeviceBuffer> state_;
  std::vector<size_t> stateRowBytes_;
  /// The model's temporary buffers, kept across its calls.
  CudaBufferCache temporaries_;
  /// The first failure of a table entry during the current library call.
  kiln_status *failure_ = nullptr;
};

} // namespace kiln::runtime

#endif // KILN_RUNTIME_CUDASESSION_H
