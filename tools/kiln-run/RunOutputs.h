//===- RunOutputs.h - Output files and summaries of kiln-run -----*- C++
//-*-===//
//
// Decides where each output goes (one .npy per --output, a directory of
// <name>.npy files, or one .safetensors file), writes them atomically, and
// formats the one-line summary printed per output.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_RUN_RUNOUTPUTS_H
#define KILN_TOOLS_KILN_RUN_RUNOUTPUTS_H

#include "kiln/runtime/kiln_runtime.hpp"

#include <string>
#include <vector>

namespace kiln::run {

/// Where outputs are written: `npyPaths` (one per output, in output order),
/// or all of them into `safetensorsPath`, or nowhere when both are empty.
struct OutputPlan {
  std::vector<std::string> npyPaths;
  std::string safetensorsPath;
};

/// Interprets the --output arguments: none; one per output; a single
/// directory (ending in '/' or existing) that receives <name>.npy files; or a
/// single .safetensors file. Checks that target directories exist.
bool planOutputs(const kiln_model *model, const std::vector<std::string> &args,
                 OutputPlan &plan, std::string &error);

/// Writes every output to a temporary file beside its target, then renames
/// them all; on any failure no output file is left behind.
bool writeOutputs(const kiln_model *model, const OutputPlan &plan,
                  const std::vector<rt::OwnedTensor> &outputs,
                  std::string &error);

/// "y: f32 [2, 3, 4] mean 0.5 min -1 max 2" (plus a NaN count if any).
std::string summarize(const std::string &name, const kiln_tensor &tensor);

} // namespace kiln::run

#endif // KILN_TOOLS_KILN_RUN_RUNOUTPUTS_H
