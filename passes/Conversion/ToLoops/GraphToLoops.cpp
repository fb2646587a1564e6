//===- GraphToLoops.cpp - Graph compute ops to loops ----------------------===//
//
// Lowers the graph ops that compute along a dimension: norms, softmax,
// embedding gathers, RoPE, the causal depthwise convolution and reductions.
// Projections and matrix products are in GemmToLoops.cpp.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/NormRows.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/Rope.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// layer_norm and rms_norm: one row per parallel iteration.
template <typename Op> struct NormToLoops : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  static constexpr bool kIsLayerNorm = std::is_same_v<Op, LayerNormOp>;

  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput();
    RowNorm norm{kIsLayerNorm ? NormKind::layer_norm : NormKind::rms_norm,
                 adaptor.getWeight(), Value(),
                 op.getEps().convertToDouble()};
    if constexpr (kIsLayerNorm)
      norm.bias = adaptor.getBias();
    Value out = resultBuffer(op);
    Value x = collapseToMatrix(b, input), y = collapseToMatrix(b, out);
    parallelLoops(b, {b.create<memref::DimOp>(x, 0)},
                  [&](ImplicitLocOpBuilder &b, ValueRange row) {
                    emitNormalizedRow(b, norm, x, row[0], y, row[0]);
                  });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// Indices `outer` with `axisIv` inserted at `axis`.
SmallVector<Value> insertAxis(ValueRange outer, int64_t axis, Value axisIv) {
  SmallVector<Value> indices(outer);
  indices.insert(indices.begin() + axis, axisIv);
  return indices;
}

struct SoftmaxToLoops : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis();
    SmallVector<Value> sizes = memrefSizes(b, input);
    Value out = resultBuffer(op);
    Value length = sizes[axis];
    SmallVector<Value> outer(sizes);
    outer.erase(outer.begin() + axis);
    Value zero = indexConst(b, 0);
    parallelLoops(b, outer, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      auto at = [&](Value i) { return insertAxis(ivs, axis, i); };
      Value lowest = f32Const(b, -std::numeric_limits<float>::infinity());
      Value max = forReduce(b, zero, length, {lowest},
                            [&](ImplicitLocOpBuilder &b, Value i,
                                ValueRange acc) -> SmallVector<Value> {
                              return {b.create<arith::MaximumFOp>(
                                  acc[0], loadF32(b, input, at(i)))};
                            })[0];
      Value sum = sumOver(b, length, [&](ImplicitLocOpBuilder &b, Value i) {
        Value e = b.create<math::ExpOp>(
            b.create<arith::SubFOp>(loadF32(b, input, at(i)), max));
        storeF32(b, e, out, at(i));
        return e;
      });
      Value inverse = b.create<arith::DivFOp>(f32Const(b, 1.0), sum);
      sequentialLoops(b, {length}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
        storeF32(b, b.create<arith::MulFOp>(loadF32(b, out, at(i[0])), inverse),
                 out, at(i[0]));
      });
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct EmbeddingToLoops : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value ids = adaptor.getIds(), table = adaptor.getTable();
    SmallVector<Value> sizes = memrefSizes(b, ids);
    SmallVector<Value> tableSizes = memrefSizes(b, table);
    Value vocab = tableSizes[0], features = tableSizes[1];
    Value out = resultBuffer(op);
    parallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      // The runtime rejects out-of-range graph inputs; clamping keeps ids
      // computed inside the model from ever reading outside the table.
      Value row = clampIndex(b, b.create<memref::LoadOp>(ids, ivs), vocab);
      sequentialLoops(
          b, {features}, [&](ImplicitLocOpBuilder &b, ValueRange f) {
            SmallVector<Value> at(ivs);
            at.push_back(f[0]);
            b.create<memref::StoreOp>(
                b.create<memref::LoadOp>(table, ValueRange{row, f[0]}), out,
                at);
          });
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct RopeToLoops : OpConversionPattern<RopeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RopeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput(), positions = adaptor.getPositions();
    SmallVector<Value> sizes = memrefSizes(b, input);
    Value out = resultBuffer(op);
    RopeSpec spec{static_cast<int64_t>(op.getRotaryDim()),
                  op.getTheta().convertToDouble(),
                  op.getInterleaved()};
    // One (batch, token) per iteration: its angles are computed once, into
    // scratch, and serve every head.
    parallelLoops(
        b, ArrayRef<Value>(sizes).take_front(2),
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value position =
              positions
                  ? Value(b.create<memref::LoadOp>(positions, ivs))
                  : Value(b.create<arith::IndexCastOp>(b.getI64Type(),
                                                       ivs[1]));
          Value zero = indexConst(b, 0);
          Value pairs = indexConst(b, spec.pairs());
          Value cosines = scratch(b, {indexConst(b, 1), pairs});
          Value sines = scratch(b, {indexConst(b, 1), pairs});
          emitRopeAngles(b, spec, position, cosines, sines, zero);
          sequentialLoops(b, {sizes[2]}, [&](ImplicitLocOpBuilder &b,
                                             ValueRange head) {
            auto at = [&](Value d) {
              return SmallVector<Value>{ivs[0], ivs[1], head[0], d};
            };
            emitRotateHead(
                b, spec, cosines, sines, zero,
                [&](ImplicitLocOpBuilder &b, Value d) {
                  return loadF32(b, input, at(d));
                },
                [&](ImplicitLocOpBuilder &b, Value d, Value value) {
                  storeF32(b, value, out, at(d));
                });
            // Features past rotary_dim pass through.
            b.create<scf::ForOp>(
                indexConst(b, spec.rotaryDim), sizes[3], indexConst(b, 1),
                std::nullopt,
                [&](OpBuilder &nested, Location loc, Value d, ValueRange) {
                  ImplicitLocOpBuilder ib(loc, nested);
                  ib.create<memref::StoreOp>(
                      ib.create<memref::LoadOp>(input, at(d)), out, at(d));
                  ib.create<scf::YieldOp>();
                });
          });
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct Conv1dToLoops : OpConversionPattern<Conv1dOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Conv1dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput(), weight = adaptor.getWeight();
    Value bias = adaptor.getBias(), offsets = adaptor.getSeqOffsets();
    SmallVector<Value> sizes = memrefSizes(b, input);
    Value out = resultBuffer(op);
    int64_t kernel = op.getWeight().getType().getDimSize(1);
    // A packed batch: the first token of each token's sequence, T for a
    // token outside every sequence.
    Value starts;
    if (offsets) {
      Value steps = sizes[1];
      starts = allocBuffer(
          b, MemRefType::get({ShapedType::kDynamic}, b.getIndexType()),
          {steps});
      sequentialLoops(b, {steps}, [&](ImplicitLocOpBuilder &b, ValueRange t) {
        b.create<memref::StoreOp>(steps, starts, t);
      });
      forEachSequence(
          b, offsets, steps,
          [&](ImplicitLocOpBuilder &b, Value begin, Value end) {
            b.create<scf::ForOp>(
                begin, end, indexConst(b, 1), ValueRange(),
                [&](OpBuilder &nested, Location loc, Value t, ValueRange) {
                  nested.create<memref::StoreOp>(loc, begin, starts, t);
                  nested.create<scf::YieldOp>(loc);
                });
          });
    }
    rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value t = ivs[1], c = ivs[2];
      Value acc = bias ? loadF32(b, bias, {c}) : f32Const(b, 0.0);
      Value zeroF = f32Const(b, 0.0), zero = indexConst(b, 0);
      Value start =
          starts ? b.create<memref::LoadOp>(starts, t).getResult() : zero;
      auto addTap = [&](ImplicitLocOpBuilder &b, Value k, Value acc) {
        // x[t - K + 1 + k], zero before the sequence start.
        Value s = b.create<arith::SubIOp>(
            t, b.createOrFold<arith::SubIOp>(indexConst(b, kernel - 1), k));
        Value valid =
            b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, s, start);
        Value x = loadF32(b, input, {ivs[0], indexMax(b, s, zero), c});
        Value w = loadF32(b, weight, {c, k});
        Value term = b.create<arith::SelectOp>(
            valid, b.create<arith::MulFOp>(w, x), zeroF);
        return b.create<arith::AddFOp>(acc, term).getResult();
      };
      if (kernel <= kMaxUnrolledTaps) {
        for (int64_t k = 0; k < kernel; ++k)
          acc = addTap(b, indexConst(b, k), acc);
      } else {
        acc = forReduce(b, zero, indexConst(b, kernel), {acc},
                        [&](ImplicitLocOpBuilder &b, Value k,
                            ValueRange carried) -> SmallVector<Value> {
                          return {addTap(b, k, carried[0])};
                        })[0];
      }
      if (starts)
        acc = b.create<arith::SelectOp>(
            b.create<arith::CmpIOp>(arith::CmpIPredicate::ule, start, t), acc,
            zeroF);
      storeF32(b, acc, out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

enum class ReduceKind { Sum, Mean, Max };

template <typename Op, ReduceKind Kind>
struct ReduceToLoops : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput();
    ArrayRef<int64_t> axes = op.getAxes();
    bool keepdims = op.getKeepdims();
    SmallVector<Value> sizes = memrefSizes(b, input), reduced;
    for (int64_t axis : axes)
      reduced.push_back(sizes[axis]);
    FailureOr<SmallVector<Value>> reified = resultSizes(b, op);
    if (failed(reified))
      return rewriter.notifyMatchFailure(op, "no reified result shape");
    SmallVector<Value> outSizes = *reified;
    Value out = resultBuffer(op);
    Type element = cast<MemRefType>(input.getType()).getElementType();
    bool isFloat = isa<FloatType>(element);
    Type accType = isFloat ? b.getF32Type() : element;

    parallelLoops(b, outSizes, [&](ImplicitLocOpBuilder &b, ValueRange outIvs) {
      Value init = initialValue(b, accType);
      // Reduce over the reduced axes with nested loops carrying `acc`.
      std::function<Value(ImplicitLocOpBuilder &, unsigned, SmallVector<Value>,
                          Value)>
          nest = [&](ImplicitLocOpBuilder &b, unsigned level,
                     SmallVector<Value> reducedIvs, Value acc) -> Value {
        if (level == reduced.size())
          return combine(b, acc,
                         loadF32(b, input,
                                 inputIndices(outIvs, reducedIvs, axes,
                                              keepdims, sizes.size())));
        return forReduce(b, indexConst(b, 0), reduced[level], {acc},
                         [&](ImplicitLocOpBuilder &b, Value iv,
                             ValueRange carried) -> SmallVector<Value> {
                           SmallVector<Value> next(reducedIvs);
                           next.push_back(iv);
                           return {nest(b, level + 1, next, carried[0])};
                         })[0];
      };
      Value result = nest(b, 0, {}, init);
      if (Kind == ReduceKind::Mean) {
        Value count = indexConst(b, 1);
        for (Value size : reduced)
          count = b.create<arith::MulIOp>(count, size);
        Value countF = b.create<arith::UIToFPOp>(
            b.getF32Type(),
            b.create<arith::IndexCastOp>(b.getI64Type(), count));
        result = b.create<arith::DivFOp>(result, countF);
      }
      storeF32(b, result, out, outIvs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }

  static Value initialValue(ImplicitLocOpBuilder &b, Type type) {
    if (Kind != ReduceKind::Max)
      return b.create<arith::ConstantOp>(b.getZeroAttr(type));
    if (isa<FloatType>(type))
      return f32Const(b, -std::numeric_limits<float>::infinity());
    return b.create<arith::ConstantOp>(b.getIntegerAttr(
        type, APInt::getSignedMinValue(type.getIntOrFloatBitWidth())));
  }

  static Value combine(ImplicitLocOpBuilder &b, Value acc, Value x) {
    bool isFloat = isa<FloatType>(x.getType());
    if (Kind == ReduceKind::Max)
      return isFloat ? b.create<arith::MaximumFOp>(acc, x).getResult()
                     : b.create<arith::MaxSIOp>(acc, x).getResult();
    return isFloat ? b.create<arith::AddFOp>(acc, x).getResult()
                   : b.create<arith::AddIOp>(acc, x).getResult();
  }

  /// Input indices from the kept output indices and the reduced ones.
  static SmallVector<Value> inputIndices(ValueRange outIvs,
                                         ArrayRef<Value> reducedIvs,
                                         ArrayRef<int64_t> axes, bool keepdims,
                                         size_t rank) {
    SmallVector<Value> indices;
    unsigned nextOut = 0, nextReduced = 0;
    for (size_t d = 0; d < rank; ++d) {
      if (llvm::is_contained(axes, static_cast<int64_t>(d))) {
        indices.push_back(reducedIvs[nextReduced++]);
        if (keepdims)
          ++nextOut;
      } else {
        indices.push_back(outIvs[nextOut++]);
      }
    }
    return indices;
  }
};

} // namespace

void kiln::populateGraphToLoopsPatterns(const KernelOptions &options,
                                        TypeConverter &converter,
                                        RewritePatternSet &patterns) {
  patterns.add<NormToLoops<LayerNormOp>,
               NormToLoops<RMSNormOp>, SoftmaxToLoops, EmbeddingToLoops,
               RopeToLoops, Conv1dToLoops,
               ReduceToLoops<ReduceSumOp, ReduceKind::Sum>,
               ReduceToLoops<ReduceMeanOp, ReduceKind::Mean>,
               ReduceToLoops<ReduceMaxOp, ReduceKind::Max>>(
      converter, patterns.getContext());
}
