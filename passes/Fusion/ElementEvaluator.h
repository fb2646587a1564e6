//===- ElementEvaluator.h - Values of constant expressions, by element -*- C++
//-*-===//
//
// Some graphs written with primitives compute, from positions and
// constants alone, what a fused op computes itself: an attention mask from
// aranges and comparisons (PositionMask), RoPE's cos and sin tables
// (kiln-raise-rope). The fusion passes recognize them by what they
// compute: the expression is evaluated at sampled elements and compared
// with the fused op's formula.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_FUSION_ELEMENTEVALUATOR_H
#define KILN_PASSES_FUSION_ELEMENTEVALUATOR_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SetVector.h"

#include <functional>
#include <optional>

namespace kiln {

/// Evaluates an expression element by element, in double precision, each
/// op's result rounded to its element type as the kernels compute it (bf16
/// positions past 256 collide). An element is found by mapping its index
/// back through each op to the aranges and constants it started from; only
/// ops whose element i is a function of known elements of their operands
/// are modeled (aranges, constants, elementwise math and comparisons,
/// `where`, casts, broadcasts, reshapes of static dims, transposes,
/// slices, concats, gathers, matmuls with a static contraction), and any other
/// op fails the evaluation. Records every op it visits.
class ElementEvaluator {
public:
  /// The element of `value` at `index` (one per dim of its type), or
  /// nullopt.
  std::optional<double> at(mlir::Value value, llvm::ArrayRef<int64_t> index);

  const llvm::SetVector<mlir::Operation *> &visited() const { return ops; }

  /// Evaluates `leaf` (a value the evaluator cannot compute, such as a
  /// position ids input) by `values` of its index from now on.
  void bind(mlir::Value leaf,
            std::function<double(llvm::ArrayRef<int64_t>)> values) {
    boundLeaf = leaf;
    boundValues = std::move(values);
  }
  /// The first value an evaluation stopped at: a function argument or the
  /// result of an op the evaluator does not model.
  mlir::Value stoppedAt() const { return unknown; }

private:
  std::optional<double> atExact(mlir::Value value,
                                llvm::ArrayRef<int64_t> index);
  std::optional<double> operandAt(mlir::Value operand,
                                  llvm::ArrayRef<int64_t> index);
  std::optional<double> throughReshape(mlir::Operation *reshape,
                                       llvm::ArrayRef<int64_t> index);
  std::optional<double> throughConcat(mlir::Operation *concat,
                                      llvm::ArrayRef<int64_t> index);
  std::optional<double> throughGather(mlir::Operation *gather,
                                      llvm::ArrayRef<int64_t> index);
  std::optional<double> throughMatmul(mlir::Operation *matmul,
                                      llvm::ArrayRef<int64_t> index);

  llvm::SetVector<mlir::Operation *> ops;
  mlir::Value boundLeaf;
  std::function<double(llvm::ArrayRef<int64_t>)> boundValues;
  mlir::Value unknown;
};

/// The ops of `ops` that die with `users`: every user of each is in
/// `users` or is itself such an op.
llvm::SmallVector<mlir::Operation *>
deadWith(const llvm::SetVector<mlir::Operation *> &ops,
         llvm::ArrayRef<mlir::Operation *> users);

} // namespace kiln

#endif // KILN_PASSES_FUSION_ELEMENTEVALUATOR_H
