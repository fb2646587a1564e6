//===- kiln_runtime.hpp - C++ ownership helpers for the runtime --*- C++
//-*-===//
//
// Header-only unique_ptr aliases for the runtime's C handles, for C++ callers
// such as kiln-run. Nothing here adds behavior to the C API.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_KILN_RUNTIME_HPP
#define KILN_RUNTIME_KILN_RUNTIME_HPP

#include "kiln/runtime/kiln_runtime.h"

#include <memory>
#include <string>

namespace kiln::rt {

struct StatusDeleter {
  void operator()(kiln_status *status) const { kiln_status_free(status); }
};
struct ModelDeleter {
  void operator()(kiln_model *model) const { kiln_model_close(model); }
};
struct WeightsDeleter {
  void operator()(kiln_weights *weights) const { kiln_weights_close(weights); }
};
struct SessionDeleter {
  void operator()(kiln_session *session) const {
    kiln_session_destroy(session);
  }
};

using Status = std::unique_ptr<kiln_status, StatusDeleter>;
using Model = std::unique_ptr<kiln_model, ModelDeleter>;
using Weights = std::unique_ptr<kiln_weights, WeightsDeleter>;
using Session = std::unique_ptr<kiln_session, SessionDeleter>;

/// A tensor whose data is freed with kiln_tensor_free.
struct OwnedTensor {
  kiln_tensor tensor = {};

  OwnedTensor() = default;
  OwnedTensor(const OwnedTensor &) = delete;
  OwnedTensor &operator=(const OwnedTensor &) = delete;
  OwnedTensor(OwnedTensor &&other) noexcept : tensor(other.tensor) {
    other.tensor.data = nullptr;
  }
  OwnedTensor &operator=(OwnedTensor &&other) noexcept {
    std::swap(tensor, other.tensor);
    return *this;
  }
  ~OwnedTensor() { kiln_tensor_free(&tensor); }
};

/// Moves a status's message into `error`; returns true when there was one.
inline bool failed(kiln_status *status, std::string &error) {
  Status owned(status);
  if (!owned)
    return false;
  error = kiln_status_message(owned.get());
  return true;
}

} // namespace kiln::rt

#endif // KILN_RUNTIME_KILN_RUNTIME_HPP
