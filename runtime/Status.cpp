//===- Status.cpp - Status objects and small runtime helpers --------------===//
//
// Status objects carry a code and a message across the C API; they are the
// only way runtime functions report errors (no exceptions escape, nothing
// aborts on bad input).
//
//===----------------------------------------------------------------------===//

#include "runtime/Status.h"

#include <limits>
#include <new>

namespace kiln::runtime {

kiln_status *makeStatus(kiln_status_code code, std::string message) {
  return new (std::nothrow) kiln_status{code, std::move(message)};
}

kiln_status *nullArgument(const char *function, const char *argument) {
  return makeStatus(KILN_ERROR_INVALID_ARGUMENT,
                    std::string(function) + ": " + argument + " is NULL");
}

kiln_status *prefixStatus(kiln_status *status, const std::string &prefix) {
  if (status)
    status->message.insert(0, prefix);
  return status;
}

std::string formatShape(const int64_t *shape, int rank) {
  std::string text = "[";
  for (int i = 0; i < rank; ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

bool checkedProduct(const int64_t *shape, int rank, int64_t &out) {
  int64_t product = 1;
  for (int i = 0; i < rank; ++i) {
    if (shape[i] < 0)
      return false;
    if (shape[i] != 0 &&
        product > std::numeric_limits<int64_t>::max() / shape[i])
      return false;
    product *= shape[i];
  }
  out = product;
  return true;
}

} // namespace kiln::runtime

using namespace kiln::runtime;

extern "C" {

kiln_status_code kiln_status_get_code(const kiln_status *status) {
  return status ? status->code : KILN_OK;
}

const char *kiln_status_message(const kiln_status *status) {
  return status ? status->message.c_str() : "ok";
}

void kiln_status_free(kiln_status *status) { delete status; }

} // extern "C"
