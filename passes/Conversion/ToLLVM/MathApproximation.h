//===- MathApproximation.h - Polynomial f32 math ----------------*- C++ -*-===//
//
// The polynomial half of Kiln's math lowering, shared by the CPU
// (kiln-lower-math) and the GPU kernels (kiln-gpu-approximate-math), so
// that both compute exp, tanh, erf, ... with the same polynomials.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLLVM_MATHAPPROXIMATION_H
#define KILN_PASSES_CONVERSION_TOLLVM_MATHAPPROXIMATION_H

#include "mlir/IR/Operation.h"

namespace kiln {

/// Expands every f32 math op under `root` into MLIR's polynomial
/// approximations (arith code plus fma, floor and the like).
mlir::LogicalResult approximateF32Math(mlir::Operation *root);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLLVM_MATHAPPROXIMATION_H
