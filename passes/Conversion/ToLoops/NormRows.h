//===- NormRows.h - layer_norm and rms_norm of matrix rows ------*- C++ -*-===//
//
// The row normalization of graph.layer_norm and graph.rms_norm, shared by
// their own kernel and by the GEMMs that carry one as a fused prologue
// (which normalize a block of A's rows into scratch before the product).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_NORMROWS_H
#define KILN_PASSES_CONVERSION_TOLOOPS_NORMROWS_H

#include "passes/Conversion/ToLoops/LoopBuilder.h"

#include "dialects/Graph/IR/GraphOps.h"

#include <optional>

namespace kiln {

/// A normalization over the last dimension: (x - mean) / sqrt(var + eps) ·
/// weight + bias (layer_norm, biased variance) or x / sqrt(mean(x²) + eps) ·
/// weight (rms_norm).
struct RowNorm {
  graph::NormKind kind;
  /// [features], and [features] or null (layer_norm only).
  Value weight, bias;
  double eps;
};

/// The fused prologue of a GEMM op from its `norm`, `norm_eps` attributes
/// and its converted `norm_weight`, `norm_bias` operands; none without one.
std::optional<RowNorm> rowNormOf(std::optional<graph::NormKind> kind,
                                 std::optional<llvm::APFloat> eps,
                                 Value weight, Value bias);

/// A row's statistics: its mean (0 for rms_norm) and 1 / sqrt(var + eps)
/// (of mean(x²) + eps for rms_norm).
struct RowStatistics {
  Value mean, rstd;
};

/// y[yRow, column] = (x[xRow, column] - mean) · rstd · weight[column] +
/// bias[column].
void emitNormalizeElement(ImplicitLocOpBuilder &b, const RowNorm &norm,
                          Value x, Value xRow,
                          const RowStatistics &statistics, Value y, Value yRow,
                          Value column);

/// y[yRow, :] = norm(x[xRow, :]): the statistics, then the row.
void emitNormalizedRow(ImplicitLocOpBuilder &b, const RowNorm &norm, Value x,
                       Value xRow, Value y, Value yRow);

/// y = norm(x) for matrices `x` and `y` of the same shape, as the GPU's
/// thread blocks: a block per row whose threads read it together
/// (NormBlocksToLoops.cpp, RowBlock.h).
void emitNormalizedRowBlocks(ImplicitLocOpBuilder &b, const RowNorm &norm,
                             Value x, Value y);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_NORMROWS_H
