//===- FuzzSignature.cpp - Fuzz the compiled-model signature reader -------===//
//
// A model library's signature is JSON the runtime trusts for every buffer
// size it allocates, so parseSignature must refuse anything inconsistent
// rather than crash or accept it half-read.
//
//===----------------------------------------------------------------------===//

#include "runtime/Signature.h"
#include "runtime/Status.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  kiln::runtime::Signature signature;
  if (kiln_status *status = kiln::runtime::parseSignature(text, signature)) {
    if (kiln_status_message(status)[0] == '\0')
      std::abort();
    kiln_status_free(status);
    return 0;
  }
  // Every accepted tensor's shape refers to declared dims only.
  for (kiln_tensor_role role : {KILN_ROLE_INPUT, KILN_ROLE_PARAM,
                                KILN_ROLE_OUTPUT})
    for (const kiln::runtime::TensorSpec &tensor : signature.tensors(role))
      (void)signature.formatShape(tensor.info);
  return 0;
}
