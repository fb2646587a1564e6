//===- Evaluator.h - Reference evaluator of a Kiln model --------*- C++ -*-===//
//
// A plain, deliberately naive evaluator of a validated kiln::model::Model. It
// is the numerics oracle of the test suite and of `kiln-run --check`: every op
// is written as the textbook formula of DESIGN.md §4 and docs/json-ir.md,
// accumulates in double, and rounds each node output to its dtype so that it
// sees what a compiled model stores.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_REFERENCE_EVALUATOR_H
#define KILN_REFERENCE_EVALUATOR_H

#include "lib/Import/JSON/Model.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln::reference {

/// A dense row-major tensor; values are held as double whatever the dtype
/// (integers exactly, floats already rounded to the dtype's precision).
struct Tensor {
  model::DType dtype = model::DType::F32;
  std::vector<int64_t> shape;
  std::vector<double> data;

  /// Product of the dims (1 for a scalar).
  int64_t numel() const;
};

/// Evaluates the model.
///
/// `inputs` and `params` are keyed by value name. Every graph input and every
/// parameter must be present with the declared dtype and a shape that matches
/// the declaration; symbolic dims are bound by the first tensor that uses them
/// and must agree everywhere else. A name in `inputs` that is not a graph
/// input is an error; extra entries in `params` are ignored (a weights file
/// may hold more tensors than the model uses). Float data are rounded to their
/// dtype on entry; integer data must be integral.
///
/// Returns the outputs in Model::outputs order, or std::nullopt with `error`
/// set to a message that names the tensor or the node (by JSON pointer), e.g.
/// "input 'tokens': dim 1 is 7 but 'seq' was bound to 5 by input 'x'" or
/// "embedding at /nodes/0: id 600 out of range [0, 512)".
std::optional<std::vector<Tensor>>
evaluate(const model::Model &m, const std::map<std::string, Tensor> &inputs,
         const std::map<std::string, Tensor> &params, std::string &error);

/// The result of an allclose-style comparison.
struct Comparison {
  bool ok = true;          ///< Shapes equal and every element within tolerance.
  double maxAbsErr = 0;    ///< max |a-b|; infinite where a NaN or inf differs.
  double maxRelErr = 0;    ///< max |a-b|/|b| (infinite for b == 0 != a).
  int64_t worstIndex = -1; ///< Flat index exceeding the tolerance the most.
  int64_t mismatches = 0;  ///< Elements outside the tolerance.
};

/// Compares elementwise with |a-b| <= atol + rtol*|b| (a = actual,
/// b = expected). Equal values (including equal infinities) always match; a
/// NaN never does, nor an infinity against anything else. Different shapes give ok = false, every element counted as
/// a mismatch and infinite errors. dtypes are not compared.
Comparison compare(const Tensor &actual, const Tensor &expected,
                   double rtol = 1e-4, double atol = 1e-5);

/// Rounds `x` to the nearest value representable in `type` (round to nearest
/// even; overflow to infinity for floats). Integer types truncate toward zero;
/// i32 wraps around like two's-complement arithmetic. Returns std::nullopt for
/// a NaN, an infinity or a value beyond ±2^63 stored as an integer.
std::optional<double> roundToDType(double x, model::DType type);

} // namespace kiln::reference

#endif // KILN_REFERENCE_EVALUATOR_H
