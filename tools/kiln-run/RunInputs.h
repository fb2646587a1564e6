//===- RunInputs.h - Input files of kiln-run ---------------------*- C++
//-*-===//
//
// Turns the NAME=FILE arguments of kiln-run into tensors in the model's input
// order, reading .npy files or safetensors files.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_RUN_RUNINPUTS_H
#define KILN_TOOLS_KILN_RUN_RUNINPUTS_H

#include "kiln/runtime/kiln_runtime.hpp"

#include <string>
#include <vector>

namespace kiln::run {

/// Formats a signature shape with dim names, e.g. "[batch, seq, 64]".
std::string signatureShape(const kiln_model *model,
                           const kiln_tensor_info *info);

/// Reads one input: a .npy file, or a .safetensors file that holds a single
/// tensor or one named `name`.
bool loadInputFile(const std::string &name, const std::string &path,
                   rt::OwnedTensor &out, std::string &error);

/// Parses NAME=FILE specs, requires exactly one per model input and loads
/// them; `out` is in signature order.
bool loadInputs(const kiln_model *model, const std::vector<std::string> &specs,
                std::vector<rt::OwnedTensor> &out, std::string &error);

} // namespace kiln::run

#endif // KILN_TOOLS_KILN_RUN_RUNINPUTS_H
