//===- IndexingToLoops.cpp - Creation, indexing and axis ops to loops -----===//
//
// constant (a read-only global, or a filled buffer for a splat), arange,
// gather and take_along_axis (index loads, negative indices wrapped and the
// rest clamped into range), argmax and top_k (one pass over the axis per
// row; top_k keeps its k best sorted by insertion), and cumsum (a running
// sum in f64 or i64). These are glue ops on small tensors: the loops are
// scalar, outer dimensions parallel.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

MemRefType resultType(const TypeConverter *converter, Value result) {
  return cast<MemRefType>(converter->convertType(result.getType()));
}

/// A scalar constant of an integer or float element type.
Value scalarConst(ImplicitLocOpBuilder &b, Type type, double value) {
  if (isa<FloatType>(type))
    return floatConst(b, type, value);
  return b.create<arith::ConstantOp>(
      b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

/// `index` as a position into an axis of `size`: negative counts from the
/// end, and what is still out of range is clamped (the reference evaluator
/// reports it instead).
Value wrapIndex(ImplicitLocOpBuilder &b, Value index, Value size) {
  Value position = b.create<arith::IndexCastOp>(b.getIndexType(), index);
  Value negative = b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, position,
                                           indexConst(b, 0));
  position = b.create<arith::SelectOp>(
      negative, b.create<arith::AddIOp>(position, size), position);
  Value last = b.create<arith::SubIOp>(size, indexConst(b, 1));
  return indexMax(b, indexMin(b, position, last), indexConst(b, 0));
}

/// `x` comes before `y` in descending order: greater, NaN the greatest (as
/// torch.argmax and torch.topk).
Value greaterThan(ImplicitLocOpBuilder &b, Value x, Value y) {
  if (!isa<FloatType>(x.getType()))
    return b.create<arith::CmpIOp>(arith::CmpIPredicate::sgt, x, y);
  Value greater = b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, x, y);
  Value xNaN = b.create<arith::CmpFOp>(arith::CmpFPredicate::UNO, x, x);
  Value yNumber = b.create<arith::CmpFOp>(arith::CmpFPredicate::ORD, y, y);
  return b.create<arith::OrIOp>(greater,
                                b.create<arith::AndIOp>(xNaN, yNumber));
}

/// The sizes of `memref` without dimension `axis`.
SmallVector<Value> sizesWithout(ImplicitLocOpBuilder &b, Value memref,
                                int64_t axis) {
  SmallVector<Value> sizes = memrefSizes(b, memref);
  sizes.erase(sizes.begin() + axis);
  return sizes;
}

/// `ivs` with `iv` inserted at position `axis`.
SmallVector<Value> withAxis(ValueRange ivs, int64_t axis, Value iv) {
  SmallVector<Value> indices(ivs);
  indices.insert(indices.begin() + axis, iv);
  return indices;
}

/// A splat constant: a fill of its buffer. kiln-bufferize-ops has put the
/// other constants in read-only globals.
struct ConstantToLoops : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<DenseElementsAttr>(op.getValue());
    if (!value || !value.isSplat())
      return rewriter.notifyMatchFailure(op, "not a splat");
    // A splat of any size costs a fill, not an initializer of that size.
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value out = resultBuffer(op);
    Value element =
        b.create<arith::ConstantOp>(value.getSplatValue<TypedAttr>());
    sequentialLoops(b, memrefSizes(b, out),
                    [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
                      b.create<memref::StoreOp>(element, out, ivs);
                    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct ArangeToLoops : OpConversionPattern<ArangeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ArangeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    MemRefType type = resultType(getTypeConverter(), op);
    Type element = type.getElementType();
    Value size = memrefSizes(b, adaptor.getInput())[op.getAxis()];
    Value out = resultBuffer(op);
    Value offsets = adaptor.getSeqOffsets();
    bool isFloat = isa<FloatType>(element);
    Type compute = isFloat ? b.getF32Type() : element;
    Value start = scalarConst(b, compute, op.getStart().convertToDouble());
    // Position t of a sequence starting at `first` is start + t - first.
    auto fill = [&](ImplicitLocOpBuilder &b, Value first, Value t) {
      Value i = b.create<arith::IndexCastOp>(
          b.getI64Type(), b.createOrFold<arith::SubIOp>(t, first));
      Value offset = isFloat ? b.create<arith::SIToFPOp>(compute, i).getResult()
                     : element.isInteger(64)
                         ? i
                         : b.create<arith::TruncIOp>(compute, i).getResult();
      Value value = isFloat
                        ? b.create<arith::AddFOp>(start, offset).getResult()
                        : b.create<arith::AddIOp>(start, offset).getResult();
      storeF32(b, value, out, {t});
    };
    if (!offsets) {
      parallelLoops(b, {size}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        fill(b, indexConst(b, 0), ivs[0]);
      });
    } else {
      // Tokens outside every packed sequence are 0.
      fillZero(b, out);
      forEachSequence(b, offsets, size,
                      [&](ImplicitLocOpBuilder &b, Value begin, Value end) {
                        forReduce(b, begin, end, {},
                                  [&](ImplicitLocOpBuilder &b, Value t,
                                      ValueRange) -> SmallVector<Value> {
                                    fill(b, begin, t);
                                    return {};
                                  });
                      });
    }
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct GatherToLoops : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput(), indices = adaptor.getIndices();
    int64_t axis = op.getAxis();
    int64_t indexRank = cast<MemRefType>(indices.getType()).getRank();
    FailureOr<SmallVector<Value>> reified = resultSizes(b, op);
    if (failed(reified))
      return rewriter.notifyMatchFailure(op, "no reified result shape");
    SmallVector<Value> sizes = *reified;
    Value out = resultBuffer(op);
    Value axisSize = b.create<memref::DimOp>(input, axis);
    rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value index =
          b.create<memref::LoadOp>(indices, ivs.slice(axis, indexRank));
      SmallVector<Value> at(ivs.take_front(axis));
      at.push_back(wrapIndex(b, index, axisSize));
      llvm::append_range(at, ivs.drop_front(axis + indexRank));
      b.create<memref::StoreOp>(b.create<memref::LoadOp>(input, at), out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct TakeAlongAxisToLoops : OpConversionPattern<TakeAlongAxisOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TakeAlongAxisOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput(), indices = adaptor.getIndices();
    int64_t axis = op.getAxis();
    SmallVector<Value> inSizes = memrefSizes(b, input);
    FailureOr<SmallVector<Value>> reified = resultSizes(b, op);
    if (failed(reified))
      return rewriter.notifyMatchFailure(op, "no reified result shape");
    SmallVector<Value> sizes = *reified;
    Value out = resultBuffer(op);
    auto inShape = cast<MemRefType>(input.getType()).getShape();
    auto indexShape = cast<MemRefType>(indices.getType()).getShape();
    rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value index = b.create<memref::LoadOp>(
          indices, broadcastIndices(b, indexShape, ivs));
      SmallVector<Value> at = broadcastIndices(b, inShape, ivs);
      at[axis] = wrapIndex(b, index, inSizes[axis]);
      b.create<memref::StoreOp>(b.create<memref::LoadOp>(input, at), out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct ArgmaxToLoops : OpConversionPattern<ArgmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ArgmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis();
    Value size = memrefSizes(b, input)[axis];
    SmallVector<Value> outer = sizesWithout(b, input, axis);
    Value out = resultBuffer(op);
    parallelLoops(b, outer, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value zero = indexConst(b, 0);
      Value first = loadF32(b, input, withAxis(ivs, axis, zero));
      SmallVector<Value> best =
          forReduce(b, indexConst(b, 1), size, {first, zero},
                    [&](ImplicitLocOpBuilder &b, Value k, ValueRange acc) {
                      Value x = loadF32(b, input, withAxis(ivs, axis, k));
                      Value better = greaterThan(b, x, acc[0]);
                      return SmallVector<Value>{
                          b.create<arith::SelectOp>(better, x, acc[0]),
                          b.create<arith::SelectOp>(better, k, acc[1])};
                    });
      SmallVector<Value> at(ivs);
      if (op.getKeepdims())
        at.insert(at.begin() + axis, zero);
      b.create<memref::StoreOp>(
          b.create<arith::IndexCastOp>(b.getI64Type(), best[1]), out, at);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct TopKToLoops : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis(), k = op.getK();
    Value size = memrefSizes(b, input)[axis];
    SmallVector<Value> outer = sizesWithout(b, input, axis);
    FailureOr<SmallVector<Value>> reified = resultSizes(b, op);
    if (failed(reified))
      return rewriter.notifyMatchFailure(op, "no reified result shape");
    SmallVector<Value> outSizes = *reified;
    MemRefType valuesType = resultType(getTypeConverter(), op.getValues());
    Value values = resultBuffer(op, 0);
    // The indices order the values even when they are not asked for.
    auto indicesType = MemRefType::get(valuesType.getShape(), b.getI64Type());
    Value indices = op.getIndices() ? resultBuffer(op, 1)
                                    : allocBuffer(b, indicesType, outSizes);
    parallelLoops(b, outer, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      sequentialLoops(b, {size}, [&](ImplicitLocOpBuilder &b, ValueRange j) {
        Value x = loadF32(b, input, withAxis(ivs, axis, j[0]));
        Value index = b.create<arith::IndexCastOp>(b.getI64Type(), j[0]);
        // Slot p is filled once p < j; an empty slot loses to any x.
        auto beats = [&](ImplicitLocOpBuilder &b, Value p) {
          Value empty =
              b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, p, j[0]);
          Value kept = loadF32(b, values, withAxis(ivs, axis, p));
          return b.create<arith::OrIOp>(empty, greaterThan(b, x, kept));
        };
        Value lastSlot = indexConst(b, k - 1);
        auto enters = b.create<scf::IfOp>(beats(b, lastSlot),
                                          /*withElseRegion=*/false);
        ImplicitLocOpBuilder then(b.getLoc(), enters.getThenBodyBuilder());
        // Insertion from the back: slot p takes slot p-1's entry while x
        // beats it, else x itself; the slots x does not beat keep theirs.
        sequentialLoops(
            then, {indexConst(then, k)},
            [&](ImplicitLocOpBuilder &b, ValueRange q) {
              Value p = b.create<arith::SubIOp>(lastSlot, q[0]);
              Value previous =
                  indexMax(b, b.create<arith::SubIOp>(p, indexConst(b, 1)),
                           indexConst(b, 0));
              Value shift = b.create<arith::AndIOp>(
                  b.create<arith::CmpIOp>(arith::CmpIPredicate::sgt, p,
                                          indexConst(b, 0)),
                  beats(b, previous));
              auto store =
                  b.create<scf::IfOp>(beats(b, p), /*withElseRegion=*/false);
              ImplicitLocOpBuilder in(b.getLoc(), store.getThenBodyBuilder());
              SmallVector<Value> from = withAxis(ivs, axis, previous);
              SmallVector<Value> to = withAxis(ivs, axis, p);
              in.create<memref::StoreOp>(
                  in.create<arith::SelectOp>(
                      shift, in.create<memref::LoadOp>(values, from),
                      storeForm(in, x, valuesType)),
                  values, to);
              in.create<memref::StoreOp>(
                  in.create<arith::SelectOp>(
                      shift, in.create<memref::LoadOp>(indices, from), index),
                  indices, to);
            });
      });
    });
    rewriter.replaceOp(op, op.getIndices() ? ValueRange{values, indices}
                                           : ValueRange{values});
    return success();
  }

  /// `x` (computed in f32) converted to the element type of `type`.
  static Value storeForm(ImplicitLocOpBuilder &b, Value x, MemRefType type) {
    Type element = type.getElementType();
    return x.getType() == element ? x : b.create<arith::TruncFOp>(element, x);
  }
};

struct CumsumToLoops : OpConversionPattern<CumsumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CumsumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis();
    MemRefType type = resultType(getTypeConverter(), op);
    Value out = resultBuffer(op);
    Value size = memrefSizes(b, input)[axis];
    Value offsets = adaptor.getSeqOffsets();
    // Tokens outside every packed sequence are 0.
    if (offsets)
      fillZero(b, out);
    bool isFloat = isa<FloatType>(type.getElementType());
    // Float sums run in f64 so that long axes keep f32 accuracy.
    Type sumType = isFloat ? Type(b.getF64Type()) : Type(b.getI64Type());
    parallelLoops(
        b, sizesWithout(b, input, axis),
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          // Sums restart at every packed sequence [begin, end).
          forEachSequence(
              b, offsets, size,
              [&](ImplicitLocOpBuilder &b, Value begin, Value end) {
                Value last = b.create<arith::SubIOp>(end, indexConst(b, 1));
                forReduce(
                    b, begin, end, {scalarConst(b, sumType, 0)},
                    [&](ImplicitLocOpBuilder &b, Value step, ValueRange sum) {
                      // Backwards: end - 1 - (step - begin).
                      Value t =
                          op.getReverse()
                              ? b.create<arith::SubIOp>(
                                     b.createOrFold<arith::AddIOp>(last, begin),
                                     step)
                                    .getResult()
                              : step;
                      SmallVector<Value> at = withAxis(ivs, axis, t);
                      Value x = b.create<memref::LoadOp>(input, at);
                      x = isFloat
                              ? b.create<arith::ExtFOp>(sumType, x).getResult()
                          : x.getType() == sumType
                              ? x
                              : b.create<arith::ExtSIOp>(sumType, x)
                                    .getResult();
                      Value next =
                          isFloat
                              ? b.create<arith::AddFOp>(sum[0], x).getResult()
                              : b.create<arith::AddIOp>(sum[0], x).getResult();
                      Value stored = op.getExclusive() ? sum[0] : next;
                      if (isFloat)
                        stored = b.create<arith::TruncFOp>(
                            type.getElementType(), stored);
                      b.create<memref::StoreOp>(stored, out, at);
                      return SmallVector<Value>{next};
                    });
              });
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void kiln::populateIndexingToLoopsPatterns(TypeConverter &converter,
                                           RewritePatternSet &patterns) {
  patterns.add<ConstantToLoops, ArangeToLoops, GatherToLoops,
               TakeAlongAxisToLoops, ArgmaxToLoops, TopKToLoops, CumsumToLoops>(
      converter, patterns.getContext());
}
