//===- CudaDriver.h - The CUDA driver API, loaded at run time ----*- C++
//-*-===//
//
// The runtime has no link-time CUDA dependency: the driver API is loaded with
// dlopen("libcuda.so.1") when a session asks for the "cuda" device, so that
// the same runtime works on machines without a GPU. The entry points are
// declared here with the driver's C types spelled as plain types (CUresult,
// CUdevice and CUjit_option are ints, CUcontext, CUmodule, CUfunction and
// CUstream opaque pointers, CUdeviceptr a 64-bit integer), so that no CUDA
// header is needed to build the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CUDADRIVER_H
#define KILN_RUNTIME_CUDADRIVER_H

#include "kiln/runtime/kiln_runtime.h"

#include <cstdint>
#include <string>

namespace kiln::runtime {

using CudaDevicePtr = uint64_t;

/// The driver entry points the runtime uses, by their exported names (the
/// `_v2` ones where cuda.h maps the plain name to them).
struct CudaDriver {
  int (*init)(unsigned flags) = nullptr;
  int (*deviceGetCount)(int *count) = nullptr;
  int (*deviceGet)(int *device, int ordinal) = nullptr;
  int (*deviceGetName)(char *name, int length, int device) = nullptr;
  int (*deviceGetAttribute)(int *value, int attribute, int device) = nullptr;
  int (*getErrorString)(int result, const char **text) = nullptr;
  int (*primaryCtxRetain)(void **context, int device) = nullptr;
  int (*primaryCtxRelease)(int device) = nullptr;
  int (*ctxGetCurrent)(void **context) = nullptr;
  int (*ctxSetCurrent)(void *context) = nullptr;
  int (*moduleLoadDataEx)(void **module, const void *image, unsigned numOptions,
                          int *options, void **optionValues) = nullptr;
  int (*moduleUnload)(void *module) = nullptr;
  int (*moduleGetFunction)(void **function, void *module,
                           const char *name) = nullptr;
  int (*streamCreate)(void **stream, unsigned flags) = nullptr;
  int (*streamDestroy)(void *stream) = nullptr;
  int (*streamSynchronize)(void *stream) = nullptr;
  int (*memAlloc)(CudaDevicePtr *pointer, size_t bytes) = nullptr;
  int (*memFree)(CudaDevicePtr pointer) = nullptr;
  int (*memcpyHtoDAsync)(CudaDevicePtr destination, const void *source,
                         size_t bytes, void *stream) = nullptr;
  int (*memcpyDtoHAsync)(void *destination, CudaDevicePtr source, size_t bytes,
                         void *stream) = nullptr;
  int (*memsetD8Async)(CudaDevicePtr destination, unsigned char value,
                       size_t bytes, void *stream) = nullptr;
  int (*launchKernel)(void *function, unsigned gridX, unsigned gridY,
                      unsigned gridZ, unsigned blockX, unsigned blockY,
                      unsigned blockZ, unsigned sharedBytes, void *stream,
                      void **params, void **extra) = nullptr;

  /// "cuMemAlloc_v2 failed with CUDA error 2 (out of memory)".
  std::string describe(const char *call, int result) const;
};

/// CUDA_ERROR_OUT_OF_MEMORY, reported as KILN_ERROR_RESOURCE.
constexpr int kCudaErrorOutOfMemory = 2;

/// The device a CUDA session runs on: device 0.
struct CudaDevice {
  int handle = 0;
  std::string name;
  /// Compute capability as major * 10 + minor (90 for sm_90).
  int computeCapability = 0;
};

/// Loads the driver (once per process; $KILN_CUDA_DRIVER, when set, names
/// the library to load instead of libcuda.so.1), initializes it and finds
/// device 0.
kiln_status *loadCudaDriver(const CudaDriver *&driver, CudaDevice &device);

/// An error status for a failed driver call, prefixed with the device and
/// what the runtime was doing: "device 'cuda' (NAME): DOING: cuXxx failed
/// with CUDA error N (text)".
kiln_status *cudaError(const CudaDriver &driver, const CudaDevice &device,
                       const char *call, int result,
                       const std::string &doing = "");

} // namespace kiln::runtime

#endif // KILN_RUNTIME_CUDADRIVER_H
