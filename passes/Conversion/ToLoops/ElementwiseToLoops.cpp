//===- ElementwiseToLoops.cpp - Elementwise graph ops to loops ------------===//
//
// Unary activations, broadcasting binary arithmetic and element type casts,
// each one loop nest whose rows run in parallel; and graph.fused_elementwise,
// a chain of them and the data movement between them in one loop nest that
// evaluates its body on scalars or vector lanes.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/ElementwiseScalar.h"
#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/VectorBuilder.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

template <typename Op, ScalarFn Fn>
struct UnaryToLoops : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput();
    SmallVector<Value> sizes = memrefSizes(b, input);
    Value out = resultBuffer(op);
    rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      storeF32(b, emitScalarFn(b, Fn, loadF32(b, input, ivs)), out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

enum class BinaryKind { Add, Sub, Mul, Div };

Value emitBinary(ImplicitLocOpBuilder &b, BinaryKind kind, Value lhs,
                 Value rhs) {
  bool isFloat = isa<FloatType>(getElementTypeOrSelf(lhs.getType()));
  switch (kind) {
  case BinaryKind::Add:
    return isFloat ? b.create<arith::AddFOp>(lhs, rhs).getResult()
                   : b.create<arith::AddIOp>(lhs, rhs).getResult();
  case BinaryKind::Sub:
    return isFloat ? b.create<arith::SubFOp>(lhs, rhs).getResult()
                   : b.create<arith::SubIOp>(lhs, rhs).getResult();
  case BinaryKind::Mul:
    return isFloat ? b.create<arith::MulFOp>(lhs, rhs).getResult()
                   : b.create<arith::MulIOp>(lhs, rhs).getResult();
  case BinaryKind::Div:
    return isFloat ? b.create<arith::DivFOp>(lhs, rhs).getResult()
                   : b.create<arith::DivSIOp>(lhs, rhs).getResult();
  }
  llvm_unreachable("unknown binary op");
}

template <typename Op, BinaryKind Kind>
struct BinaryToLoops : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    FailureOr<SmallVector<Value>> reified = resultSizes(b, op);
    if (failed(reified))
      return rewriter.notifyMatchFailure(op, "no reified result shape");
    SmallVector<Value> sizes = *reified;
    Value out = resultBuffer(op);
    auto lhsShape = cast<MemRefType>(lhs.getType()).getShape();
    auto rhsShape = cast<MemRefType>(rhs.getType()).getShape();
    rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value x = loadF32(b, lhs, broadcastIndices(b, lhsShape, ivs));
      Value y = loadF32(b, rhs, broadcastIndices(b, rhsShape, ivs));
      storeF32(b, emitBinary(b, Kind, x, y), out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// Converts a scalar between element types; float to integer truncates
/// toward zero, as PyTorch does. Bool (i1) is unsigned, and anything
/// nonzero (NaN too) converts to true.
Value convertScalar(ImplicitLocOpBuilder &b, Value value, Type to) {
  Type from = value.getType();
  if (from == to)
    return value;
  if (to.isInteger(1)) {
    Value zero = b.create<arith::ConstantOp>(b.getZeroAttr(from));
    if (isa<FloatType>(from))
      return b.create<arith::CmpFOp>(arith::CmpFPredicate::UNE, value, zero);
    return b.create<arith::CmpIOp>(arith::CmpIPredicate::ne, value, zero);
  }
  if (from.isInteger(1))
    return isa<FloatType>(to) ? b.create<arith::UIToFPOp>(to, value).getResult()
                              : b.create<arith::ExtUIOp>(to, value).getResult();
  auto fromFloat = dyn_cast<FloatType>(from), toFloat = dyn_cast<FloatType>(to);
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() < toFloat.getWidth())
      return b.create<arith::ExtFOp>(to, value);
    if (fromFloat.getWidth() > toFloat.getWidth())
      return b.create<arith::TruncFOp>(to, value);
    // f16 <-> bf16: through f32.
    return b.create<arith::TruncFOp>(
        to, b.create<arith::ExtFOp>(b.getF32Type(), value));
  }
  if (fromFloat)
    return b.create<arith::FPToSIOp>(to, value);
  if (toFloat)
    return b.create<arith::SIToFPOp>(to, value);
  if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
    return b.create<arith::ExtSIOp>(to, value);
  return b.create<arith::TruncIOp>(to, value);
}

struct CastToLoops : OpConversionPattern<CastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value input = adaptor.getInput();
    auto type = cast<MemRefType>(getTypeConverter()->convertType(op.getType()));
    SmallVector<Value> sizes = memrefSizes(b, input);
    Value out = resultBuffer(op);
    rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value x = b.create<memref::LoadOp>(input, ivs);
      b.create<memref::StoreOp>(convertScalar(b, x, type.getElementType()),
                                out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// The scalar form of the elementwise `op` (graph::isElementwise) on the
/// scalars `operands`, floats held as f32 (a cast to a narrower float rounds,
/// then widens back).
Value emitElementwiseScalar(ImplicitLocOpBuilder &b, Operation *op,
                            ValueRange operands) {
  using Fn = ScalarFn;
  auto unary = [&](Fn fn) { return emitScalarFn(b, fn, operands[0]); };
  auto binary = [&](BinaryKind kind) {
    return emitBinary(b, kind, operands[0], operands[1]);
  };
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](ReluOp) { return unary(Fn::Relu); })
      .Case([&](GeluOp) { return unary(Fn::Gelu); })
      .Case([&](GeluTanhOp) { return unary(Fn::GeluTanh); })
      .Case([&](SiluOp) { return unary(Fn::Silu); })
      .Case([&](QuickGeluOp) { return unary(Fn::QuickGelu); })
      .Case([&](SigmoidOp) { return unary(Fn::Sigmoid); })
      .Case([&](TanhOp) { return unary(Fn::Tanh); })
      .Case([&](ExpOp) { return unary(Fn::Exp); })
      .Case([&](SoftplusOp) { return unary(Fn::Softplus); })
      .Case([&](NegOp) { return unary(Fn::Neg); })
      .Case([&](RsqrtOp) { return unary(Fn::Rsqrt); })
      .Case([&](AddOp) { return binary(BinaryKind::Add); })
      .Case([&](SubOp) { return binary(BinaryKind::Sub); })
      .Case([&](MulOp) { return binary(BinaryKind::Mul); })
      .Case([&](DivOp) { return binary(BinaryKind::Div); })
      .Case([&](CastOp cast) {
        Value value =
            convertScalar(b, operands[0], cast.getType().getElementType());
        if (isa<FloatType>(value.getType()) && !value.getType().isF32())
          return b.create<arith::ExtFOp>(b.getF32Type(), value).getResult();
        return value;
      })
      .Default([&](Operation *op) { return emitMathScalar(b, op, operands); });
}

/// Evaluates a group's body at one place of its result: one element, or
/// `width` lanes along the last axis (`width` 0: scalars). Data movement
/// maps the place to its operands' places (a slice shifts it, a transpose
/// permutes it, a concat picks a part); values are memoized per place and
/// lane mask, so a chain without data movement emits each op once.
class GroupEvaluator {
public:
  GroupEvaluator(FusedElementwiseOp op, ValueRange inputs, int64_t width)
      : width(width) {
    Block &body = op.getBody().front();
    for (auto [arg, input] : llvm::zip(body.getArguments(), inputs))
      memrefs[arg] = input;
  }

  /// `value` at the place `ivs` (in its own coordinates) on the lanes of
  /// `mask` (null: every lane). Lanes outside the mask are never loaded and
  /// hold unspecified values.
  Value at(ImplicitLocOpBuilder &b, Value value, ArrayRef<Value> ivs,
           Value mask) {
    for (const Computed &done : computed)
      if (done.value == value && done.mask == mask &&
          ArrayRef<Value>(done.ivs) == ivs)
        return done.result;
    Value result = compute(b, value, ivs, mask);
    computed.push_back({value, SmallVector<Value>(ivs), mask, result});
    return result;
  }

private:
  Value compute(ImplicitLocOpBuilder &b, Value value, ArrayRef<Value> ivs,
                Value mask) {
    if (Value memref = memrefs.lookup(value))
      return load(b, memref, ivs, mask);
    Operation *op = value.getDefiningOp();
    if (auto slice = dyn_cast<SliceOp>(op)) {
      SmallVector<Value> from(ivs);
      int64_t axis = slice.getAxis();
      if (slice.getStart() != 0)
        from[axis] = b.create<arith::AddIOp>(from[axis],
                                             indexConst(b, slice.getStart()));
      return at(b, slice.getInput(), from, mask);
    }
    if (auto transpose = dyn_cast<TransposeOp>(op)) {
      SmallVector<Value> from(ivs.size());
      for (auto [i, axis] : llvm::enumerate(transpose.getPerm()))
        from[axis] = ivs[i];
      return at(b, transpose.getInput(), from, mask);
    }
    if (auto concat = dyn_cast<ConcatOp>(op))
      return concatenate(b, concat, ivs, mask);
    // Elementwise: the group's verifier gives an intermediate operand the
    // op's shape; an input broadcasts when it is loaded.
    SmallVector<Value> operands;
    for (Value operand : op->getOperands())
      operands.push_back(at(b, operand, ivs, mask));
    return emitElementwiseScalar(b, op, operands);
  }

  Value load(ImplicitLocOpBuilder &b, Value memref, ArrayRef<Value> ivs,
             Value mask) {
    auto shape = cast<MemRefType>(memref.getType()).getShape();
    SmallVector<Value> indices = broadcastIndices(b, shape, ivs);
    if (width == 0)
      return loadF32(b, memref, indices);
    if (shape.empty() || shape.back() == 1)
      return splat(b, loadF32(b, memref, indices), width);
    if (mask)
      return maskedLoadVector(b, memref, indices, mask, width);
    return loadVector(b, memref, indices, width);
  }

  /// A concat along the vector lanes evaluates every part on the lanes it
  /// covers (the others masked off, so no part is read out of its bounds)
  /// and selects; along any other axis, or on scalars, the place lies in
  /// one part, which a branch picks.
  Value concatenate(ImplicitLocOpBuilder &b, ConcatOp concat,
                    ArrayRef<Value> ivs, Value mask) {
    int64_t axis = concat.getAxis();
    SmallVector<int64_t> offsets{0};
    for (Value part : concat.getInputs())
      offsets.push_back(
          offsets.back() +
          cast<RankedTensorType>(part.getType()).getDimSize(axis));
    // The place in part k, built by `b` where it is used.
    auto placeIn = [&](ImplicitLocOpBuilder &b, size_t k) {
      SmallVector<Value> from(ivs);
      if (offsets[k] != 0)
        from[axis] =
            b.create<arith::SubIOp>(from[axis], indexConst(b, offsets[k]));
      return from;
    };
    bool alongLanes = width != 0 && axis + 1 == (int64_t)ivs.size();
    if (alongLanes) {
      Value result;
      for (auto [k, part] : llvm::enumerate(concat.getInputs())) {
        // Lanes j with offsets[k] <= ivs[axis] + j < offsets[k + 1].
        auto lanesBefore = [&](int64_t offset) {
          return laneMask(
              b, b.create<arith::SubIOp>(indexConst(b, offset), ivs[axis]),
              width);
        };
        Value inPart = b.create<arith::AndIOp>(
            lanesBefore(offsets[k + 1]),
            b.create<arith::XOrIOp>(
                lanesBefore(offsets[k]),
                b.create<arith::ConstantOp>(DenseElementsAttr::get(
                    VectorType::get({width}, b.getI1Type()), true))));
        Value partMask = mask ? b.create<arith::AndIOp>(mask, inPart) : inPart;
        Value lanes = at(b, part, placeIn(b, k), partMask);
        result =
            result
                ? b.create<arith::SelectOp>(inPart, lanes, result).getResult()
                : lanes;
      }
      return result;
    }
    return pickPart(b, concat, offsets, placeIn, ivs[axis], mask, 0);
  }

  /// Part `k` or a later one of `concat`, by a branch on `place`, the
  /// index along the concat's axis.
  Value pickPart(
      ImplicitLocOpBuilder &b, ConcatOp concat, ArrayRef<int64_t> offsets,
      llvm::function_ref<SmallVector<Value>(ImplicitLocOpBuilder &, size_t)>
          placeIn,
      Value place, Value mask, size_t k) {
    size_t last = concat.getInputs().size() - 1;
    auto evaluate = [&](ImplicitLocOpBuilder &b, size_t part) {
      // Values computed in a branch stay in it.
      size_t known = computed.size();
      Value result = at(b, concat.getInputs()[part], placeIn(b, part), mask);
      computed.resize(known);
      return result;
    };
    if (k == last)
      return evaluate(b, k);
    Value inPart = b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, place,
                                           indexConst(b, offsets[k + 1]));
    Type type = laneType(b, concat.getType().getElementType());
    auto branch = b.create<scf::IfOp>(TypeRange{type}, inPart,
                                      /*withElseRegion=*/true);
    for (auto [region, part] :
         {std::make_pair(&branch.getThenRegion(), true),
          std::make_pair(&branch.getElseRegion(), false)}) {
      ImplicitLocOpBuilder inner(b.getLoc(), b);
      inner.setInsertionPointToStart(&region->front());
      Value value =
          part ? evaluate(inner, k)
               : pickPart(inner, concat, offsets, placeIn, place, mask, k + 1);
      inner.create<scf::YieldOp>(value);
    }
    return branch.getResult(0);
  }

  /// The type the evaluator holds an element of `element` in.
  Type laneType(ImplicitLocOpBuilder &b, Type element) const {
    if (width != 0)
      return f32Vector(b, width);
    return isa<FloatType>(element) ? b.getF32Type() : element;
  }

  struct Computed {
    Value value;
    SmallVector<Value> ivs;
    Value mask;
    Value result;
  };

  int64_t width;
  llvm::DenseMap<Value, Value> memrefs;
  SmallVector<Computed> computed;
};

/// The value the body of `op` yields.
Value yielded(FusedElementwiseOp op) {
  return op.getBody().front().getTerminator()->getOperand(0);
}

/// Whether the group computes in f32 lanes only: float inputs and result,
/// no cast (the vector kernel's precondition).
bool isFloatGroup(FusedElementwiseOp op) {
  auto isFloat = [](Type type) {
    return isa<FloatType>(getElementTypeOrSelf(type));
  };
  return isFloat(op.getType()) &&
         llvm::all_of(op.getInputs().getTypes(), isFloat) &&
         llvm::none_of(op.getBody().front(),
                       [](Operation &inner) { return isa<CastOp>(inner); });
}

/// One loop nest over the result: the body is evaluated on elements, so no
/// intermediate of the chain is stored. Float groups run `width`-lane
/// vectors along the last dimension (an input broadcast along it is a splat
/// of one element; the tail is masked); others run scalars, which LLVM may
/// vectorize.
struct FusedElementwiseToLoops : OpConversionPattern<FusedElementwiseOp> {
  FusedElementwiseToLoops(const KernelOptions &options,
                          TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern(converter, context), width(options.vectorWidth) {}

  LogicalResult
  matchAndRewrite(FusedElementwiseOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto type = cast<MemRefType>(getTypeConverter()->convertType(op.getType()));
    FailureOr<SmallVector<Value>> reified = resultSizes(b, op);
    if (failed(reified))
      return rewriter.notifyMatchFailure(op, "no reified result shape");
    SmallVector<Value> sizes = *reified;
    Value out = resultBuffer(op);
    if (type.getRank() == 0 || !isFloatGroup(op)) {
      rowParallelLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        GroupEvaluator group(op, adaptor.getInputs(), /*width=*/0);
        storeF32(b, group.at(b, yielded(op), SmallVector<Value>(ivs), Value()),
                 out, ivs);
      });
    } else {
      emitVectorLoops(b, op, adaptor.getInputs(), sizes, out);
    }
    rewriter.replaceOp(op, out);
    return success();
  }

  void emitVectorLoops(ImplicitLocOpBuilder &b, FusedElementwiseOp op,
                       ValueRange inputs, ArrayRef<Value> sizes,
                       Value out) const {
    Value columns = sizes.back();
    parallelLoops(b, sizes.drop_back(), [&](ImplicitLocOpBuilder &b,
                                            ValueRange rows) {
      auto loop = b.create<scf::ForOp>(indexConst(b, 0), columns,
                                       indexConst(b, width));
      b.setInsertionPointToStart(loop.getBody());
      SmallVector<Value> ivs(rows);
      ivs.push_back(loop.getInductionVar());
      Value left = b.create<arith::SubIOp>(columns, loop.getInductionVar());
      auto lanes = [&](ImplicitLocOpBuilder &b, Value mask) {
        GroupEvaluator group(op, inputs, width);
        return group.at(b, yielded(op), ivs, mask);
      };
      ifWholeVector(
          b, left, width,
          [&](ImplicitLocOpBuilder &b) {
            storeVector(b, lanes(b, Value()), out, ivs);
          },
          [&](ImplicitLocOpBuilder &b) {
            Value mask = laneMask(b, left, width);
            maskedStoreVector(b, lanes(b, mask), out, ivs, mask);
          });
      b.setInsertionPointAfter(loop);
    });
  }

  int64_t width;
};

} // namespace

void kiln::populateElementwiseToLoopsPatterns(const KernelOptions &options,
                                              TypeConverter &converter,
                                              RewritePatternSet &patterns) {
  patterns.add<UnaryToLoops<ReluOp, ScalarFn::Relu>,
               UnaryToLoops<GeluOp, ScalarFn::Gelu>,
               UnaryToLoops<GeluTanhOp, ScalarFn::GeluTanh>,
               UnaryToLoops<SiluOp, ScalarFn::Silu>,
               UnaryToLoops<QuickGeluOp, ScalarFn::QuickGelu>,
               UnaryToLoops<SigmoidOp, ScalarFn::Sigmoid>,
               UnaryToLoops<TanhOp, ScalarFn::Tanh>,
               UnaryToLoops<ExpOp, ScalarFn::Exp>,
               UnaryToLoops<SoftplusOp, ScalarFn::Softplus>,
               UnaryToLoops<NegOp, ScalarFn::Neg>,
               UnaryToLoops<RsqrtOp, ScalarFn::Rsqrt>,
               BinaryToLoops<AddOp, BinaryKind::Add>,
               BinaryToLoops<SubOp, BinaryKind::Sub>,
               BinaryToLoops<MulOp, BinaryKind::Mul>,
               BinaryToLoops<DivOp, BinaryKind::Div>, CastToLoops>(
      converter, patterns.getContext());
  patterns.add<FusedElementwiseToLoops>(options, converter,
                                        patterns.getContext());
}
