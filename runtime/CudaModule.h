//===- CudaModule.h - A CUDA model's kernels loaded on the GPU ---*- C++
//-*-===//
//
// One per model, shared by the model's CUDA sessions: a reference to device
// 0's primary context, the kernels loaded into it and the kernel handles
// looked up by name, and the lock that serializes calls into the library
// (its table binding is one per library, docs/abi.md "CUDA models").
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CUDAMODULE_H
#define KILN_RUNTIME_CUDAMODULE_H

#include "runtime/CudaDriver.h"
#include "runtime/Objects.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace kiln::runtime {

class CudaModule {
public:
  /// Retains the primary context of `device` and loads the model's
  /// kernels: the cubin when it was built for the device's compute
  /// capability, else the PTX, which the driver compiles (its error log
  /// goes into the status when that fails).
  static kiln_status *load(const CudaDriver &driver, const CudaDevice &device,
                           const LoadedModel &model,
                           std::unique_ptr<CudaModule> &out);
  ~CudaModule();
  CudaModule(const CudaModule &) = delete;
  CudaModule &operator=(const CudaModule &) = delete;

  const CudaDriver &driver() const { return driver_; }
  const CudaDevice &device() const { return device_; }
  /// An error status for a failed driver call on this device.
  kiln_status *error(const char *call, int result,
                     const std::string &doing = "") const {
    return cudaError(driver_, device_, call, result, doing);
  }
  /// The kernel named `name`, looked up once. Callers hold calls().
  kiln_status *function(const char *name, void *&out);
  /// Held while a session binds the library's table and calls into it.
  std::mutex &calls() { return calls_; }

private:
  friend class CudaContextScope;
  CudaModule(const CudaDriver &driver, const CudaDevice &device)
      : driver_(driver), device_(device) {}
  kiln_status *loadImage(const LoadedModel &model);

  const CudaDriver &driver_;
  CudaDevice device_;
  void *context_ = nullptr;
  void *module_ = nullptr;
  std::mutex calls_;
  std::map<std::string, void *> functions_;
};

/// Makes a module's context current on the calling thread for a scope and
/// gives the caller's own current context back at its end: every runtime
/// call that uses the driver for a session runs in one.
class CudaContextScope {
public:
  explicit CudaContextScope(const CudaModule &module) : module(module) {}
  ~CudaContextScope();
  CudaContextScope(const CudaContextScope &) = delete;
  CudaContextScope &operator=(const CudaContextScope &) = delete;

  kiln_status *enter();

private:
  const CudaModule &module;
  void *previous = nullptr;
  bool entered = false;
};

} // namespace kiln::runtime

#endif // KILN_RUNTIME_CUDAMODULE_H
