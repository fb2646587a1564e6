//===- NormRows.cpp - layer_norm and rms_norm of matrix rows --------------===//
//
// Implements NormRows.h.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/NormRows.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace kiln {

std::optional<RowNorm> rowNormOf(std::optional<graph::NormKind> kind,
                                 std::optional<llvm::APFloat> eps,
                                 Value weight, Value bias) {
  if (!kind)
    return std::nullopt;
  return RowNorm{*kind, weight, bias, eps->convertToDouble()};
}

/// The statistics of row `row` of matrix `x`: the mean and the variance as
/// separate passes, for accuracy.
static RowStatistics emitRowStatistics(ImplicitLocOpBuilder &b,
                                       const RowNorm &norm, Value x,
                                       Value row) {
  Value cols = b.create<memref::DimOp>(x, 1);
  Value count = b.create<arith::UIToFPOp>(
      b.getF32Type(), b.create<arith::IndexCastOp>(b.getI64Type(), cols));
  Value mean = f32Const(b, 0.0);
  if (norm.kind == graph::NormKind::layer_norm)
    mean = b.create<arith::DivFOp>(
        sumOver(b, cols,
                [&](ImplicitLocOpBuilder &b, Value c) {
                  return loadF32(b, x, {row, c});
                }),
        count);
  Value squares = sumOver(b, cols, [&](ImplicitLocOpBuilder &b, Value c) {
    Value centered = b.create<arith::SubFOp>(loadF32(b, x, {row, c}), mean);
    return b.create<arith::MulFOp>(centered, centered).getResult();
  });
  Value variance = b.create<arith::DivFOp>(squares, count);
  Value rstd = reciprocalSqrt(
      b, b.create<arith::AddFOp>(variance, f32Const(b, norm.eps)));
  return {mean, rstd};
}

void emitNormalizeElement(ImplicitLocOpBuilder &b, const RowNorm &norm,
                          Value x, Value xRow,
                          const RowStatistics &statistics, Value y, Value yRow,
                          Value column) {
  Value v = b.create<arith::SubFOp>(loadF32(b, x, {xRow, column}),
                                    statistics.mean);
  v = b.create<arith::MulFOp>(b.create<arith::MulFOp>(v, statistics.rstd),
                              loadF32(b, norm.weight, {column}));
  if (norm.bias)
    v = b.create<arith::AddFOp>(v, loadF32(b, norm.bias, {column}));
  storeF32(b, v, y, {yRow, column});
}

void emitNormalizedRow(ImplicitLocOpBuilder &b, const RowNorm &norm, Value x,
                       Value xRow, Value y, Value yRow) {
  RowStatistics statistics = emitRowStatistics(b, norm, x, xRow);
  sequentialLoops(b, {b.create<memref::DimOp>(x, 1)},
                  [&](ImplicitLocOpBuilder &b, ValueRange c) {
                    emitNormalizeElement(b, norm, x, xRow, statistics, y, yRow,
                                         c[0]);
                  });
}

} // namespace kiln
