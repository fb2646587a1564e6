//===- FuzzModelLibrary.cpp - Fuzz the model-library validator ------------===//
//
// validateModelLibrary reads ELF headers at offsets taken from the file:
// any byte string must be refused with a message or accepted without a
// read outside the buffer.
//
//===----------------------------------------------------------------------===//

#include "runtime/ModelLibrary.h"
#include "runtime/Status.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (kiln_status *status = kiln::runtime::validateModelLibrary(data, size)) {
    if (kiln_status_message(status)[0] == '\0')
      std::abort();
    kiln_status_free(status);
  }
  return 0;
}
