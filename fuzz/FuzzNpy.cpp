//===- FuzzNpy.cpp - Fuzz the .npy reader ---------------------------------===//
//
// kiln_npy_read reads a path; the input is handed to it as an in-memory file
// (memfd) so that the whole public entry point, fstat included, is fuzzed.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/kiln_runtime.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

/// Keeps the reads of every accepted byte from being optimized away.
static volatile unsigned sink;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int fd = memfd_create("kiln-fuzz.npy", 0);
  if (fd < 0 || ftruncate(fd, 0) != 0 ||
      pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))
    std::abort();
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  kiln_tensor tensor;
  if (kiln_status *status = kiln_npy_read(path.c_str(), &tensor)) {
    if (kiln_status_message(status)[0] == '\0')
      std::abort();
    kiln_status_free(status);
    return 0;
  }
  // An accepted array holds exactly the bytes its header announces.
  int64_t bytes = kiln_tensor_num_bytes(&tensor);
  if (bytes < 0 || static_cast<size_t>(bytes) > size)
    std::abort();
  unsigned sum = 0;
  for (int64_t b = 0; b < bytes; ++b)
    sum += static_cast<const uint8_t *>(tensor.data)[b];
  kiln_tensor_free(&tensor);
  sink = sum;
  return 0;
}
