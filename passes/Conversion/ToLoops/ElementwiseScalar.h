//===- ElementwiseScalar.h - Elementwise ops on elements --------*- C++ -*-===//
//
// The element (scalar or vector lane-wise) form of each op graph::isElementwise
// admits, shared by the one-op kernels and graph.fused_elementwise.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_ELEMENTWISESCALAR_H
#define KILN_PASSES_CONVERSION_TOLOOPS_ELEMENTWISESCALAR_H

#include "passes/Conversion/ToLoops/LoopBuilder.h"

namespace kiln {

/// log, sqrt, abs, square, erf, sin, cos, maximum, minimum and pow on
/// `operands` (f32 scalars or vectors); null for any other op.
Value emitMathScalar(ImplicitLocOpBuilder &b, mlir::Operation *op,
                     ValueRange operands);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_ELEMENTWISESCALAR_H
