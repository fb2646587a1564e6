//===- Status.h - Status objects and small runtime helpers -------*- C++
//-*-===//
//
// The definition of kiln_status and the helpers every runtime file uses to
// build one, plus shape formatting shared by the diagnostics.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_STATUS_H
#define KILN_RUNTIME_STATUS_H

#include "kiln/runtime/kiln_runtime.h"

#include <cstdint>
#include <string>
#include <vector>

struct kiln_status {
  kiln_status_code code;
  std::string message;
};

namespace kiln::runtime {

/// Allocates a status; returns NULL only if even that allocation fails.
kiln_status *makeStatus(kiln_status_code code, std::string message);

/// An INVALID_ARGUMENT status naming a NULL argument of `function`.
kiln_status *nullArgument(const char *function, const char *argument);

/// Prefixes the message of `status` with `prefix` (e.g. "file.npy: ") and
/// returns it; NULL stays NULL.
kiln_status *prefixStatus(kiln_status *status, const std::string &prefix);

/// Formats a shape as "[2, 3, 4]".
std::string formatShape(const int64_t *shape, int rank);
inline std::string formatShape(const std::vector<int64_t> &shape) {
  return formatShape(shape.data(), static_cast<int>(shape.size()));
}

/// Quotes a name for a message: 'name'.
inline std::string quote(const std::string &name) { return "'" + name + "'"; }

/// Multiplies the sizes of `shape` into `out`; false on a negative size or
/// an overflow of int64_t.
bool checkedProduct(const int64_t *shape, int rank, int64_t &out);

} // namespace kiln::runtime

#endif // KILN_RUNTIME_STATUS_H
