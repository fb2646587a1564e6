//===- Cuda.cpp - The CUDA driver, loaded at run time ---------------------===//
//
// Only the few driver entry points needed to find a device are declared here,
// with the driver's C types spelled as plain integers (CUresult is an int,
// CUdevice an int), so that no CUDA header is needed to build the runtime.
//
//===----------------------------------------------------------------------===//

#include "runtime/Cuda.h"
#include "runtime/Status.h"

#include <dlfcn.h>

#include <mutex>
#include <type_traits>

namespace kiln::runtime {

namespace {

struct CudaDriver {
  int (*init)(unsigned) = nullptr;
  int (*getCount)(int *) = nullptr;
  int (*get)(int *, int) = nullptr;
  int (*getName)(char *, int, int) = nullptr;
  int (*errorString)(int, const char **) = nullptr;
};

std::string describe(const CudaDriver &driver, const char *call, int result) {
  const char *text = nullptr;
  if (driver.errorString)
    driver.errorString(result, &text);
  return std::string(call) + " failed with CUDA error " +
         std::to_string(result) + (text ? std::string(" (") + text + ")" : "");
}

/// Loads libcuda.so.1 once; the handle stays open for the process lifetime
/// because a driver must not be unloaded while contexts may exist.
kiln_status *loadSymbols(CudaDriver &driver) {
  void *handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return makeStatus(KILN_ERROR_UNAVAILABLE,
                      std::string("device 'cuda': cannot load the CUDA driver "
                                  "(libcuda.so.1): ") +
                          dlerror());
  auto resolve = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
        dlsym(handle, name));
    return fn != nullptr;
  };
  resolve(driver.errorString, "cuGetErrorString");
  if (!resolve(driver.init, "cuInit") ||
      !resolve(driver.getCount, "cuDeviceGetCount") ||
      !resolve(driver.get, "cuDeviceGet") ||
      !resolve(driver.getName, "cuDeviceGetName"))
    return makeStatus(KILN_ERROR_UNAVAILABLE,
                      "device 'cuda': libcuda.so.1 lacks the driver API "
                      "entry points (cuInit, cuDeviceGet...)");
  if (int result = driver.init(0))
    return makeStatus(KILN_ERROR_UNAVAILABLE,
                      "device 'cuda': " + describe(driver, "cuInit", result));
  return nullptr;
}

} // namespace

kiln_status *loadCudaDriver(std::string &deviceName) {
  static CudaDriver driver;
  static std::string loadError;
  static std::once_flag once;
  std::call_once(once, [] {
    if (kiln_status *status = loadSymbols(driver)) {
      loadError = status->message;
      kiln_status_free(status);
    }
  });
  if (!loadError.empty())
    return makeStatus(KILN_ERROR_UNAVAILABLE, loadError);
  int count = 0;
  if (int result = driver.getCount(&count))
    return makeStatus(KILN_ERROR_UNAVAILABLE,
                      "device 'cuda': " +
                          describe(driver, "cuDeviceGetCount", result));
  if (count == 0)
    return makeStatus(KILN_ERROR_UNAVAILABLE,
                      "device 'cuda': the CUDA driver reports no device");
  int device = 0;
  char name[256] = {0};
  if (int result = driver.get(&device, 0))
    return makeStatus(KILN_ERROR_UNAVAILABLE,
                      "device 'cuda': " +
                          describe(driver, "cuDeviceGet", result));
  if (int result = driver.getName(name, sizeof(name) - 1, device))
    return makeStatus(KILN_ERROR_UNAVAILABLE,
                      "device 'cuda': " +
                          describe(driver, "cuDeviceGetName", result));
  deviceName = name;
  return nullptr;
}

} // namespace kiln::runtime
