//===- CudaModule.cpp - A CUDA model's kernels loaded on the GPU ----------===//
//
// Chooses the image to load (a cubin runs only on the compute capability
// it was assembled for; PTX is compiled by the driver for the device) and
// turns a failed load into a message that says which image, for which
// device, and what the driver's compiler logged.
//
//===----------------------------------------------------------------------===//

#include "runtime/CudaModule.h"
#include "runtime/Status.h"

#include <algorithm>
#include <cstdint>

namespace kiln::runtime {

namespace {

constexpr int kJitErrorLogBuffer = 5;
constexpr int kJitErrorLogBufferSizeBytes = 6;
constexpr unsigned kJitLogBytes = 8192;

/// 90 for "sm_90", 0 for anything else.
int archComputeCapability(const std::string &arch) {
  if (arch.rfind("sm_", 0) != 0 || arch.size() < 5)
    return 0;
  int value = 0;
  for (char c : arch.substr(3)) {
    if (c < '0' || c > '9')
      return 0;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::string formatCapability(int capability) {
  return std::to_string(capability / 10) + "." +
         std::to_string(capability % 10);
}

} // namespace

kiln_status *CudaModule::load(const CudaDriver &driver,
                              const CudaDevice &device,
                              const LoadedModel &model,
                              std::unique_ptr<CudaModule> &out) {
  std::unique_ptr<CudaModule> module(new CudaModule(driver, device));
  if (int result = driver.primaryCtxRetain(&module->context_, device.handle))
    return module->error("cuDevicePrimaryCtxRetain", result);
  CudaContextScope scope(*module);
  if (kiln_status *status = scope.enter())
    return status;
  if (kiln_status *status = module->loadImage(model))
    return status;
  out = std::move(module);
  return nullptr;
}

kiln_status *CudaModule::loadImage(const LoadedModel &model) {
  std::string arch = model.gpu.arch();
  int64_t cubinSize = 0;
  const void *cubin = model.gpu.cubin(&cubinSize);
  std::string what = "model " + quote(model.signature.name) + " (" + arch +
                     ") on compute capability " +
                     formatCapability(device_.computeCapability);
  if (cubin && cubinSize > 0 &&
      archComputeCapability(arch) == device_.computeCapability) {
    if (int result =
            driver_.moduleLoadDataEx(&module_, cubin, 0, nullptr, nullptr))
      return error("cuModuleLoadDataEx", result,
                   "loading the cubin of " + what);
    return nullptr;
  }
  std::string log(kJitLogBytes, '\0');
  int options[] = {kJitErrorLogBuffer, kJitErrorLogBufferSizeBytes};
  void *values[] = {log.data(),
                    reinterpret_cast<void *>(uintptr_t{kJitLogBytes})};
  int result =
      driver_.moduleLoadDataEx(&module_, model.gpu.ptx(), 2, options, values);
  if (!result)
    return nullptr;
  log.resize(std::min(log.find('\0'), log.size()));
  // kiln-compile targets sm_80 and sm_90; sm_80 code runs on every later GPU.
  std::string hint;
  if (device_.computeCapability < 80)
    hint = " (Kiln's kernels need compute capability 8.0 or newer)";
  else if (archComputeCapability(arch) > device_.computeCapability)
    hint = " (the PTX needs a newer GPU; compile the model with --sm=sm_80)";
  kiln_status *status = error("cuModuleLoadDataEx", result,
                              "compiling the PTX of " + what + hint);
  if (status && !log.empty())
    status->message += ": " + log;
  return status;
}

CudaModule::~CudaModule() {
  // Errors are ignored: nothing can be done about them in a destructor.
  if (module_) {
    CudaContextScope scope(*this);
    kiln_status *notCurrent = scope.enter();
    if (!notCurrent)
      driver_.moduleUnload(module_);
    kiln_status_free(notCurrent);
  }
  if (context_)
    driver_.primaryCtxRelease(device_.handle);
}

kiln_status *CudaContextScope::enter() {
  const CudaDriver &driver = module.driver();
  if (int result = driver.ctxGetCurrent(&previous))
    return module.error("cuCtxGetCurrent", result);
  if (int result = driver.ctxSetCurrent(module.context_))
    return module.error("cuCtxSetCurrent", result);
  entered = true;
  return nullptr;
}

CudaContextScope::~CudaContextScope() {
  if (entered && previous != module.context_)
    module.driver().ctxSetCurrent(previous);
}

kiln_status *CudaModule::function(const char *name, void *&out) {
  auto found = functions_.find(name);
  if (found != functions_.end()) {
    out = found->second;
    return nullptr;
  }
  if (int result = driver_.moduleGetFunction(&out, module_, name))
    return error("cuModuleGetFunction", result, "kernel " + quote(name));
  functions_.emplace(name, out);
  return nullptr;
}

} // namespace kiln::runtime
