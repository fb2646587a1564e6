//===- Cuda.cpp - The CUDA driver, loaded at run time ---------------------===//
//
// Loads libcuda.so.1 (or the library $KILN_CUDA_DRIVER names, which the
// tests point at a fake driver) once per process, resolves the entry points
// of CudaDriver.h and finds device 0 and its compute capability.
//
//===----------------------------------------------------------------------===//

#include "runtime/CudaDriver.h"
#include "runtime/Status.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <type_traits>

namespace kiln::runtime {

namespace {

constexpr int kAttributeComputeCapabilityMajor = 75;
constexpr int kAttributeComputeCapabilityMinor = 76;

std::string driverPath() {
  const char *path = std::getenv("KILN_CUDA_DRIVER");
  return path && *path ? path : "libcuda.so.1";
}

/// Resolves every entry point; returns the first missing name, or null.
const char *resolveAll(void *handle, CudaDriver &driver) {
  const char *missing = nullptr;
  auto resolve = [&](auto &function, const char *name) {
    function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(
        dlsym(handle, name));
    if (!function && !missing)
      missing = name;
  };
  resolve(driver.init, "cuInit");
  resolve(driver.deviceGetCount, "cuDeviceGetCount");
  resolve(driver.deviceGet, "cuDeviceGet");
  resolve(driver.deviceGetName, "cuDeviceGetName");
  resolve(driver.deviceGetAttribute, "cuDeviceGetAttribute");
  resolve(driver.getErrorString, "cuGetErrorString");
  resolve(driver.primaryCtxRetain, "cuDevicePrimaryCtxRetain");
  resolve(driver.primaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
  resolve(driver.ctxGetCurrent, "cuCtxGetCurrent");
  resolve(driver.ctxSetCurrent, "cuCtxSetCurrent");
  resolve(driver.moduleLoadDataEx, "cuModuleLoadDataEx");
  resolve(driver.moduleUnload, "cuModuleUnload");
  resolve(driver.moduleGetFunction, "cuModuleGetFunction");
  resolve(driver.streamCreate, "cuStreamCreate");
  resolve(driver.streamDestroy, "cuStreamDestroy_v2");
  resolve(driver.streamSynchronize, "cuStreamSynchronize");
  resolve(driver.memAlloc, "cuMemAlloc_v2");
  resolve(driver.memFree, "cuMemFree_v2");
  resolve(driver.memcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
  resolve(driver.memcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
  resolve(driver.memsetD8Async, "cuMemsetD8Async");
  resolve(driver.launchKernel, "cuLaunchKernel");
  return missing;
}

/// Loads the library and calls cuInit. The handle stays open for the
/// process lifetime because a driver must not be unloaded while contexts
/// may exist.
std::string loadSymbols(CudaDriver &driver) {
  std::string path = driverPath();
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return "device 'cuda': cannot load the CUDA driver (" + path +
           "): " + dlerror();
  if (const char *missing = resolveAll(handle, driver))
    return "device 'cuda': " + path + " lacks the driver API entry point " +
           missing + " (a driver older than CUDA 11?)";
  if (int result = driver.init(0))
    return "device 'cuda': " + driver.describe("cuInit", result);
  return "";
}

} // namespace

std::string CudaDriver::describe(const char *call, int result) const {
  const char *text = nullptr;
  if (getErrorString)
    getErrorString(result, &text);
  return std::string(call) + " failed with CUDA error " +
         std::to_string(result) + (text ? std::string(" (") + text + ")" : "");
}

kiln_status *cudaError(const CudaDriver &driver, const CudaDevice &device,
                       const char *call, int result, const std::string &doing) {
  return makeStatus(result == kCudaErrorOutOfMemory ? KILN_ERROR_RESOURCE
                                                    : KILN_ERROR_UNAVAILABLE,
                    "device 'cuda' (" + device.name +
                        "): " + (doing.empty() ? "" : doing + ": ") +
                        driver.describe(call, result));
}

kiln_status *loadCudaDriver(const CudaDriver *&out, CudaDevice &device) {
  static CudaDriver driver;
  static std::string loadError;
  static std::once_flag once;
  std::call_once(once, [] { loadError = loadSymbols(driver); });
  if (!loadError.empty())
    return makeStatus(KILN_ERROR_UNAVAILABLE, loadError);
  auto failure = [&](const char *call, int result) {
    return makeStatus(KILN_ERROR_UNAVAILABLE,
                      "device 'cuda': " + driver.describe(call, result));
  };
  int count = 0;
  if (int result = driver.deviceGetCount(&count))
    return failure("cuDeviceGetCount", result);
  if (count == 0)
    return makeStatus(KILN_ERROR_UNAVAILABLE,
                      "device 'cuda': the CUDA driver reports no device");
  char name[256] = {0};
  int major = 0, minor = 0;
  if (int result = driver.deviceGet(&device.handle, 0))
    return failure("cuDeviceGet", result);
  if (int result = driver.deviceGetName(name, sizeof(name) - 1, device.handle))
    return failure("cuDeviceGetName", result);
  if (int result = driver.deviceGetAttribute(
          &major, kAttributeComputeCapabilityMajor, device.handle))
    return failure("cuDeviceGetAttribute", result);
  if (int result = driver.deviceGetAttribute(
          &minor, kAttributeComputeCapabilityMinor, device.handle))
    return failure("cuDeviceGetAttribute", result);
  device.name = name;
  device.computeCapability = major * 10 + minor;
  out = &driver;
  return nullptr;
}

} // namespace kiln::runtime
