//===- Gemm.h - Matrix-product loop nests -----------------------*- C++ -*-===//
//
// The GEMM kernel that linear, mlp and glu lower through, with a fused
// epilogue so bias, activation and gating cost no extra pass over memory.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_GEMM_H
#define KILN_PASSES_CONVERSION_TOLOOPS_GEMM_H

#include "passes/Conversion/ToLoops/LoopBuilder.h"

namespace kiln {

/// Maps the f32 dot product of row `m` and column `n` to the value stored at
/// C[m, n].
using GemmEpilogue = llvm::function_ref<Value(ImplicitLocOpBuilder &, Value m,
                                              Value n, Value acc)>;

/// C[m, n] = epilogue(m, n, Σ_k A[m, k] · B[n, k]) for row-major A [M, K],
/// B [N, K] (PyTorch's weight layout) and C [M, N]; rows run in parallel.
void emitGemmNT(ImplicitLocOpBuilder &b, Value a, Value bt, Value c,
                GemmEpilogue epilogue);

/// Epilogue that adds `bias[n]` when `bias` is non-null.
Value addBias(ImplicitLocOpBuilder &b, Value bias, Value n, Value acc);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_GEMM_H
