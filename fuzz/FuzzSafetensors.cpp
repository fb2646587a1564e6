//===- FuzzSafetensors.cpp - Fuzz the safetensors loader ------------------===//
//
// parseSafetensors either refuses the bytes with a message or accepts a
// layout whose every tensor lies inside the data; each accepted tensor is
// described and read end to end so that ASan sees any bad offset.
//
//===----------------------------------------------------------------------===//

#include "runtime/Safetensors.h"
#include "runtime/Status.h"

#include <cstdio>
#include <cstdlib>

/// Keeps the reads of every accepted byte from being optimized away.
static volatile unsigned sink;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kiln::runtime::SafetensorsFile file;
  if (kiln_status *status = kiln::runtime::parseSafetensors(data, size, file)) {
    if (kiln_status_message(status)[0] == '\0')
      std::abort();
    kiln_status_free(status);
    return 0;
  }
  unsigned sum = 0;
  for (size_t i = 0; i < file.entries.size(); ++i) {
    kiln_tensor tensor;
    if (kiln_status *status =
            file.tensor(static_cast<int32_t>(i), tensor)) {
      kiln_status_free(status);
      continue;
    }
    int64_t bytes = kiln_tensor_num_bytes(&tensor);
    if (bytes < 0 || static_cast<uint64_t>(bytes) !=
                         file.entries[i].end - file.entries[i].begin) {
      std::fprintf(stderr, "tensor %zu: size disagrees with its offsets\n", i);
      std::abort();
    }
    for (int64_t b = 0; b < bytes; ++b)
      sum += static_cast<const uint8_t *>(tensor.data)[b];
  }
  sink = sum;
  return 0;
}
