//===- Cuda.h - The CUDA driver, loaded at run time --------------*- C++
//-*-===//
//
// The runtime has no link-time CUDA dependency: the driver API is loaded with
// dlopen("libcuda.so.1") when a session asks for the "cuda" device, so that
// the same runtime works on machines without a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CUDA_H
#define KILN_RUNTIME_CUDA_H

#include "kiln/runtime/kiln_runtime.h"

#include <string>

namespace kiln::runtime {

/// Loads the driver (once per process), initializes it and checks that a
/// device exists. On success `deviceName` names device 0.
kiln_status *loadCudaDriver(std::string &deviceName);

} // namespace kiln::runtime

#endif // KILN_RUNTIME_CUDA_H
