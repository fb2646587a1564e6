//===- RunCheck.h - kiln-run --check against the reference -------*- C++
//-*-===//
//
// Re-evaluates a compiled model's own JSON IR source (kiln_compiled_source) with
// the reference evaluator on the same inputs and weights, and compares every
// output.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_RUN_RUNCHECK_H
#define KILN_TOOLS_KILN_RUN_RUNCHECK_H

#include "kiln/runtime/kiln_runtime.hpp"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace kiln::run {

/// --rtol and --atol; unset, they follow the model's narrowest float type
/// (defaultTolerance in RunCheck.cpp).
struct CheckTolerance {
  std::optional<double> rtol, atol;
};

/// Prints one line per output (max abs/rel error, PASS or FAIL) to `report`.
/// Returns false with `error` set when the check cannot run or any output
/// fails. `weights` may be null for a model without parameters.
bool checkOutputs(const kiln_model *model, const std::string &modelPath,
                  const kiln_weights *weights,
                  const std::vector<rt::OwnedTensor> &inputs,
                  const std::vector<rt::OwnedTensor> &outputs,
                  CheckTolerance tolerance, std::ostream &report,
                  std::string &error);

} // namespace kiln::run

#endif // KILN_TOOLS_KILN_RUN_RUNCHECK_H
