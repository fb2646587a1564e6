//===- NormBlocksToLoops.cpp - layer_norm and rms_norm as thread blocks ---===//
//
// The GPU's form of graph.layer_norm and graph.rms_norm (`block-rows`).
// The CPU form gives a parallel iteration a whole row: on the GPU a thread
// would walk its row alone, and the 32 threads of a warp would read 32 rows
// kilobytes apart. Here a thread block takes a row (RowBlock.h), in phases:
//   1. (layer_norm) each thread's sum of its columns, into workgroup memory;
//   2. thread 0 adds the 128 sums: the mean;
//   3. each thread's sum of squared deviations from it;
//   4. thread 0 adds those: 1 / sqrt(variance + eps);
//   5. each thread normalizes its columns.
// The mean and variance are separate passes, as on the CPU, for accuracy.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/NormRows.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/RowBlock.h"
#include "passes/Conversion/ToLoops/ThreadBlock.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

constexpr int64_t kMean = 0, kRstd = 1;

Value add(ImplicitLocOpBuilder &b, Value lhs, Value rhs) {
  return b.create<arith::AddFOp>(lhs, rhs);
}

/// Normalizes row `row` of `x` into `y`'s.
void emitNormRowBlock(ImplicitLocOpBuilder &b, const RowNorm &norm, Value x,
                      Value y, Value rows, Value row) {
  RowBlock block(b, x, rows, row, /*statistics=*/2);
  Value count = b.create<arith::UIToFPOp>(
      b.getF32Type(),
      b.create<arith::IndexCastOp>(b.getI64Type(), block.columns()));
  auto identity = [](ImplicitLocOpBuilder &, Value value) { return value; };
  if (norm.kind == NormKind::layer_norm)
    block.reduce(b, kMean, 0.0, add, identity,
                 [&](ImplicitLocOpBuilder &b, Value sum) -> Value {
                   return b.create<arith::DivFOp>(sum, count);
                 });
  else
    block.setStatistic(b, kMean, 0.0);
  block.reduce(
      b, kRstd, 0.0, add,
      [&](ImplicitLocOpBuilder &b, Value value) -> Value {
        Value centered =
            b.create<arith::SubFOp>(value, block.statistic(b, kMean));
        return b.create<arith::MulFOp>(centered, centered);
      },
      [&](ImplicitLocOpBuilder &b, Value sum) {
        Value variance = b.create<arith::DivFOp>(sum, count);
        return reciprocalSqrt(
            b, b.create<arith::AddFOp>(variance, f32Const(b, norm.eps)));
      });
  block.forEachColumn(b, [&](ImplicitLocOpBuilder &b, Value column) {
    RowStatistics statistics{block.statistic(b, kMean),
                             block.statistic(b, kRstd)};
    emitNormalizeElement(b, norm, x, row, statistics, y, row, column);
  });
}

template <typename Op> struct NormBlocksToLoops : OpConversionPattern<Op> {
  NormBlocksToLoops(TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern<Op>(converter, context, /*benefit=*/2) {}

  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    RowNorm norm = rowNormOf(op, adaptor);
    Value input = adaptor.getInput();
    Value out = resultBuffer(op);
    emitNormalizedRowBlocks(b, norm, collapseToMatrix(b, input),
                            collapseToMatrix(b, out));
    rewriter.replaceOp(op, out);
    return success();
  }

  static RowNorm rowNormOf(Op op, typename Op::Adaptor adaptor) {
    if constexpr (std::is_same_v<Op, LayerNormOp>)
      return {NormKind::layer_norm, adaptor.getWeight(), adaptor.getBias(),
              op.getEps().convertToDouble()};
    else
      return {NormKind::rms_norm, adaptor.getWeight(), Value(),
              op.getEps().convertToDouble()};
  }
};

} // namespace

void kiln::emitNormalizedRowBlocks(ImplicitLocOpBuilder &b, const RowNorm &norm,
                                   Value x, Value y) {
  Value rows = b.createOrFold<memref::DimOp>(x, 0);
  blockLoops(b, {rows}, [&](ImplicitLocOpBuilder &b, ValueRange row) {
    emitNormRowBlock(b, norm, x, y, rows, row[0]);
  });
}

void kiln::populateNormBlocksToLoopsPatterns(TypeConverter &converter,
                                             RewritePatternSet &patterns) {
  patterns.add<NormBlocksToLoops<LayerNormOp>, NormBlocksToLoops<RMSNormOp>>(
      converter, patterns.getContext());
}
