//===- SoftmaxBlocksToLoops.cpp - softmax rows as thread blocks -----------===//
//
// The GPU's form of graph.softmax over the last axis (`block-rows`): a
// thread block per row (RowBlock.h), whose threads read the row together,
// in phases:
//   1. each thread's maximum of its columns, into workgroup memory;
//   2. thread 0 takes the maximum of those;
//   3. each thread's sum of exp(x - max) over its columns;
//   4. thread 0 adds those: 1 / sum;
//   5. each thread writes exp(x - max) / sum for its columns.
// exp is computed again in phase 5 rather than stored and reread: on the
// GPU it costs less than the traffic, and a 16-bit result is rounded once.
// A softmax over another axis keeps the row-per-iteration form, whose
// neighbouring iterations already read neighbouring elements.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/RowBlock.h"
#include "passes/Conversion/ToLoops/ThreadBlock.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

constexpr int64_t kMax = 0, kInverseSum = 1;

/// Row `row` of `x` into `y`'s.
void emitSoftmaxRow(ImplicitLocOpBuilder &b, Value x, Value y, Value rows,
                    Value row) {
  RowBlock block(b, x, rows, row, /*statistics=*/2);
  auto identity = [](ImplicitLocOpBuilder &, Value value) { return value; };
  block.reduce(
      b, kMax, -std::numeric_limits<double>::infinity(),
      [](ImplicitLocOpBuilder &b, Value lhs, Value rhs) -> Value {
        return b.create<arith::MaximumFOp>(lhs, rhs);
      },
      identity, identity);
  auto shiftedExp = [&](ImplicitLocOpBuilder &b, Value value) -> Value {
    return b.create<math::ExpOp>(
        b.create<arith::SubFOp>(value, block.statistic(b, kMax)));
  };
  block.reduce(
      b, kInverseSum, 0.0,
      [](ImplicitLocOpBuilder &b, Value lhs, Value rhs) -> Value {
        return b.create<arith::AddFOp>(lhs, rhs);
      },
      shiftedExp,
      [](ImplicitLocOpBuilder &b, Value sum) -> Value {
        return b.create<arith::DivFOp>(f32Const(b, 1.0), sum);
      });
  block.forEachColumn(b, [&](ImplicitLocOpBuilder &b, Value column) {
    Value weight =
        b.create<arith::MulFOp>(shiftedExp(b, loadF32(b, x, {row, column})),
                                block.statistic(b, kInverseSum));
    storeF32(b, weight, y, {row, column});
  });
}

struct SoftmaxBlocksToLoops : OpConversionPattern<SoftmaxOp> {
  SoftmaxBlocksToLoops(TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern(converter, context, /*benefit=*/2) {}

  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t rank = op.getType().getRank();
    if (rank < 1 || static_cast<int64_t>(op.getAxis()) != rank - 1)
      return rewriter.notifyMatchFailure(op, "not a softmax over rows");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput();
    Value out = resultBuffer(op);
    Value x = collapseToMatrix(b, input), y = collapseToMatrix(b, out);
    Value rows = b.createOrFold<memref::DimOp>(x, 0);
    blockLoops(b, {rows}, [&](ImplicitLocOpBuilder &b, ValueRange row) {
      emitSoftmaxRow(b, x, y, rows, row[0]);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void kiln::populateSoftmaxBlocksToLoopsPatterns(TypeConverter &converter,
                                                RewritePatternSet &patterns) {
  patterns.add<SoftmaxBlocksToLoops>(converter, patterns.getContext());
}
