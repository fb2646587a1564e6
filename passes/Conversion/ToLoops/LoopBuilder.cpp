//===- LoopBuilder.cpp - Helpers for emitting loop-nest kernels -----------===//
//
// Implements the loop-nest vocabulary of LoopBuilder.h.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/LoopBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;

namespace kiln {

Value indexConst(ImplicitLocOpBuilder &b, int64_t value) {
  return b.create<arith::ConstantIndexOp>(value);
}

Value floatConst(ImplicitLocOpBuilder &b, Type type, double value) {
  if (auto vector = dyn_cast<VectorType>(type))
    return b.create<arith::ConstantOp>(DenseElementsAttr::get(
        vector, b.getFloatAttr(vector.getElementType(), value)));
  return b.create<arith::ConstantOp>(b.getFloatAttr(type, value));
}

Value f32Const(ImplicitLocOpBuilder &b, double value) {
  return floatConst(b, b.getF32Type(), value);
}

Value ceilDiv(ImplicitLocOpBuilder &b, Value size, int64_t divisor) {
  return b.create<arith::CeilDivUIOp>(size, indexConst(b, divisor));
}

SmallVector<Value> memrefSizes(ImplicitLocOpBuilder &b, Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    sizes.push_back(type.isDynamicDim(d)
                        ? Value(b.create<memref::DimOp>(memref, d))
                        : indexConst(b, type.getDimSize(d)));
  return sizes;
}

Value allocBuffer(ImplicitLocOpBuilder &b, MemRefType type, ValueRange sizes) {
  SmallVector<Value> dynamic;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dynamic.push_back(sizes[d]);
  // 64-byte alignment: one cache line, and a full AVX-512 vector.
  return b.create<memref::AllocOp>(type, dynamic, b.getI64IntegerAttr(64));
}

Value allocF32Buffer(ImplicitLocOpBuilder &b, ValueRange sizes) {
  SmallVector<int64_t> shape(sizes.size(), ShapedType::kDynamic);
  return allocBuffer(b, MemRefType::get(shape, b.getF32Type()), sizes);
}

std::pair<Value, Value> chunkBounds(ImplicitLocOpBuilder &b, Value chunk,
                                    int64_t size, Value total) {
  Value begin = b.create<arith::MulIOp>(chunk, indexConst(b, size));
  Value end = indexMin(b, b.create<arith::AddIOp>(begin, indexConst(b, size)),
                       total);
  return {begin, end};
}

Value collapseToMatrix(ImplicitLocOpBuilder &b, Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  if (type.getRank() == 2)
    return memref;
  if (type.getRank() == 1) {
    auto matrix =
        MemRefType::get({1, type.getDimSize(0)}, type.getElementType());
    return b.create<memref::ExpandShapeOp>(
        matrix, memref, ArrayRef<ReassociationIndices>{{0, 1}});
  }
  ReassociationIndices rows;
  for (int64_t d = 0; d + 1 < type.getRank(); ++d)
    rows.push_back(d);
  return b.create<memref::CollapseShapeOp>(
      memref, ArrayRef<ReassociationIndices>{rows, {type.getRank() - 1}});
}

/// The scf.parallel of parallelLoops; null when `ubs` is empty.
static scf::ParallelOp emitParallelLoops(ImplicitLocOpBuilder &b,
                                         ValueRange ubs, LoopBody body) {
  if (ubs.empty()) {
    body(b, {});
    return {};
  }
  SmallVector<Value> lbs(ubs.size(), indexConst(b, 0));
  SmallVector<Value> steps(ubs.size(), indexConst(b, 1));
  return b.create<scf::ParallelOp>(
      lbs, ubs, steps, [&](OpBuilder &nested, Location loc, ValueRange ivs) {
        ImplicitLocOpBuilder inner(loc, nested);
        body(inner, ivs);
      });
}

void parallelLoops(ImplicitLocOpBuilder &b, ValueRange ubs, LoopBody body) {
  emitParallelLoops(b, ubs, body);
}

void balancedParallelLoops(ImplicitLocOpBuilder &b, ValueRange ubs,
                           LoopBody body) {
  if (scf::ParallelOp loop = emitParallelLoops(b, ubs, body))
    loop->setAttr(kGuidedScheduleAttr, b.getUnitAttr());
}

void parallelWorkQueue(
    ImplicitLocOpBuilder &b, Value items,
    llvm::function_ref<void(ImplicitLocOpBuilder &)> setup,
    llvm::function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
  Value counter =
      b.create<memref::AllocaOp>(MemRefType::get({1}, b.getI64Type()));
  b.create<memref::StoreOp>(b.create<arith::ConstantOp>(b.getI64IntegerAttr(0)),
                            counter, indexConst(b, 0));
  parallelLoops(b, {items}, [&](ImplicitLocOpBuilder &b, ValueRange) {
    setup(b);
    b.create<scf::WhileOp>(
        TypeRange{b.getIndexType()}, ValueRange{},
        [&](OpBuilder &nested, Location loc, ValueRange) {
          ImplicitLocOpBuilder b(loc, nested);
          Value taken = b.create<memref::AtomicRMWOp>(
              arith::AtomicRMWKind::addi,
              b.create<arith::ConstantOp>(b.getI64IntegerAttr(1)), counter,
              ValueRange{indexConst(b, 0)});
          Value item = b.create<arith::IndexCastOp>(b.getIndexType(), taken);
          b.create<scf::ConditionOp>(
              b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, item, items),
              ValueRange{item});
        },
        [&](OpBuilder &nested, Location loc, ValueRange args) {
          ImplicitLocOpBuilder b(loc, nested);
          body(b, args[0]);
          b.create<scf::YieldOp>();
        });
  });
}

void sequentialLoops(ImplicitLocOpBuilder &b, ValueRange ubs, LoopBody body) {
  SmallVector<Value> lbs(ubs.size(), indexConst(b, 0));
  SmallVector<Value> steps(ubs.size(), indexConst(b, 1));
  scf::buildLoopNest(b, b.getLoc(), lbs, ubs, steps,
                     [&](OpBuilder &nested, Location loc, ValueRange ivs) {
                       ImplicitLocOpBuilder inner(loc, nested);
                       body(inner, ivs);
                     });
}

void rowParallelLoops(ImplicitLocOpBuilder &b, ValueRange ubs, LoopBody body) {
  if (ubs.size() <= 1)
    return parallelLoops(b, ubs, body);
  parallelLoops(
      b, ubs.drop_back(), [&](ImplicitLocOpBuilder &b, ValueRange outer) {
        sequentialLoops(b, ubs.take_back(),
                        [&](ImplicitLocOpBuilder &b, ValueRange inner) {
                          SmallVector<Value> ivs(outer);
                          ivs.push_back(inner.front());
                          body(b, ivs);
                        });
      });
}

SmallVector<Value> forReduce(ImplicitLocOpBuilder &b, Value lb, Value ub,
                             ValueRange init, ReduceStep step) {
  auto loop = b.create<scf::ForOp>(
      lb, ub, indexConst(b, 1), init,
      [&](OpBuilder &nested, Location loc, Value iv, ValueRange acc) {
        ImplicitLocOpBuilder inner(loc, nested);
        inner.create<scf::YieldOp>(step(inner, iv, acc));
      });
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value> forReduceUnrolled(ImplicitLocOpBuilder &b, Value lb,
                                     Value ub, int64_t unroll,
                                     ValueRange init, ReduceStep step) {
  if (unroll == 1)
    return forReduce(b, lb, ub, init, step);
  Value span = b.create<arith::SubIOp>(ub, lb);
  Value mainEnd = b.create<arith::AddIOp>(
      lb, b.create<arith::MulIOp>(
              b.create<arith::DivUIOp>(span, indexConst(b, unroll)),
              indexConst(b, unroll)));
  auto loop = b.create<scf::ForOp>(
      lb, mainEnd, indexConst(b, unroll), init,
      [&](OpBuilder &nested, Location loc, Value iv, ValueRange acc) {
        ImplicitLocOpBuilder inner(loc, nested);
        SmallVector<Value> values(acc);
        for (int64_t u = 0; u < unroll; ++u)
          values = step(inner,
                        u ? Value(inner.create<arith::AddIOp>(
                                iv, indexConst(inner, u)))
                          : iv,
                        values);
        inner.create<scf::YieldOp>(values);
      });
  return forReduce(b, mainEnd, ub, loop.getResults(), step);
}

Value sumOver(ImplicitLocOpBuilder &b, Value size,
              llvm::function_ref<Value(ImplicitLocOpBuilder &, Value)> term) {
  return forReduce(b, indexConst(b, 0), size, {f32Const(b, 0.0)},
                   [&](ImplicitLocOpBuilder &b, Value i,
                       ValueRange acc) -> SmallVector<Value> {
                     return {b.create<arith::AddFOp>(
                         acc[0], term(b, i), arith::FastMathFlags::reassoc)};
                   })[0];
}

Value loadF32(ImplicitLocOpBuilder &b, Value memref, ValueRange indices) {
  Value value = b.create<memref::LoadOp>(memref, indices);
  Type type = value.getType();
  if (isa<FloatType>(type) && !type.isF32())
    return b.create<arith::ExtFOp>(b.getF32Type(), value);
  return value;
}

void storeF32(ImplicitLocOpBuilder &b, Value value, Value memref,
              ValueRange indices) {
  Type element = cast<MemRefType>(memref.getType()).getElementType();
  if (element != value.getType())
    value = b.create<arith::TruncFOp>(element, value);
  b.create<memref::StoreOp>(value, memref, indices);
}

/// 1 / (1 + exp(-x)).
static Value sigmoid(ImplicitLocOpBuilder &b, Value x) {
  Value one = floatConst(b, x.getType(), 1.0);
  Value e = b.create<math::ExpOp>(b.create<arith::NegFOp>(x));
  return b.create<arith::DivFOp>(one, b.create<arith::AddFOp>(one, e));
}

Value multiplyAccumulate(ImplicitLocOpBuilder &b, Value acc, Value x, Value y) {
  auto flags = arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
  return b.create<arith::AddFOp>(acc, b.create<arith::MulFOp>(x, y, flags),
                                 flags);
}

Value reciprocalSqrt(ImplicitLocOpBuilder &b, Value x) {
  // math.rsqrt has no LLVM lowering; an exact divide keeps PyTorch's result.
  return b.create<arith::DivFOp>(floatConst(b, x.getType(), 1.0),
                                 b.create<math::SqrtOp>(x));
}

/// max(x, 0) with NaN kept, as PyTorch's relu (and maximum) keep it.
static Value relu(ImplicitLocOpBuilder &b, Value x) {
  Value zero = floatConst(b, x.getType(), 0.0);
  Value kept = b.create<arith::CmpFOp>(arith::CmpFPredicate::UGT, x, zero);
  return b.create<arith::SelectOp>(kept, x, zero);
}

Value emitScalarFn(ImplicitLocOpBuilder &b, ScalarFn fn, Value x) {
  Type type = x.getType();
  auto c = [&](double value) { return floatConst(b, type, value); };
  switch (fn) {
  case ScalarFn::Relu:
    return relu(b, x);
  case ScalarFn::Relu2: {
    Value r = relu(b, x);
    return b.create<arith::MulFOp>(r, r);
  }
  case ScalarFn::Gelu: {
    Value erf = b.create<math::ErfOp>(b.create<arith::MulFOp>(x, c(M_SQRT1_2)));
    Value half = b.create<arith::MulFOp>(x, c(0.5));
    return b.create<arith::MulFOp>(half, b.create<arith::AddFOp>(c(1.0), erf));
  }
  case ScalarFn::GeluTanh: {
    Value cube = b.create<arith::MulFOp>(b.create<arith::MulFOp>(x, x), x);
    Value inner =
        b.create<arith::AddFOp>(x, b.create<arith::MulFOp>(cube, c(0.044715)));
    Value t = b.create<math::TanhOp>(
        b.create<arith::MulFOp>(inner, c(std::sqrt(2.0 / M_PI))));
    Value half = b.create<arith::MulFOp>(x, c(0.5));
    return b.create<arith::MulFOp>(half, b.create<arith::AddFOp>(c(1.0), t));
  }
  case ScalarFn::Silu:
    return b.create<arith::MulFOp>(x, sigmoid(b, x));
  case ScalarFn::QuickGelu:
    return b.create<arith::MulFOp>(
        x, sigmoid(b, b.create<arith::MulFOp>(x, c(kQuickGeluScale))));
  case ScalarFn::Sigmoid:
    return sigmoid(b, x);
  case ScalarFn::Tanh:
    return b.create<math::TanhOp>(x);
  case ScalarFn::Exp:
    return b.create<math::ExpOp>(x);
  case ScalarFn::Softplus: {
    // PyTorch's threshold: above 20, log1p(exp(x)) == x in f32.
    Value large = b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, x, c(20));
    Value soft = b.create<math::Log1pOp>(b.create<math::ExpOp>(x));
    return b.create<arith::SelectOp>(large, x, soft);
  }
  case ScalarFn::Neg:
    if (isa<IntegerType>(getElementTypeOrSelf(type)))
      return b.create<arith::SubIOp>(
          b.create<arith::ConstantOp>(b.getZeroAttr(type)), x);
    return b.create<arith::NegFOp>(x);
  case ScalarFn::Rsqrt:
    return reciprocalSqrt(b, x);
  }
  llvm_unreachable("unknown scalar function");
}

Value scratch(ImplicitLocOpBuilder &b, ValueRange sizes) {
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  for (Value size : sizes) {
    std::optional<int64_t> constant = getConstantIntValue(size);
    shape.push_back(constant ? *constant : ShapedType::kDynamic);
    if (!constant)
      dynamic.push_back(size);
  }
  // A dynamically sized one gets an explicit alignment: NVPTX writes its
  // alloca with the alignment LLVM gives it, and ptxas rejects 0.
  return b.create<memref::AllocaOp>(
      MemRefType::get(shape, b.getF32Type()), dynamic,
      dynamic.empty() ? IntegerAttr() : b.getI64IntegerAttr(16));
}

Value zeroScratch(ImplicitLocOpBuilder &b, ValueRange sizes) {
  Value buffer = scratch(b, sizes);
  Value zero = f32Const(b, 0.0);
  sequentialLoops(b, sizes, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
    b.create<memref::StoreOp>(zero, buffer, ivs);
  });
  return buffer;
}

Value divideOrZero(ImplicitLocOpBuilder &b, Value num, Value den) {
  Value zero = floatConst(b, num.getType(), 0.0);
  Value isZero = b.create<arith::CmpFOp>(arith::CmpFPredicate::OEQ, den, zero);
  return b.create<arith::SelectOp>(isZero, zero,
                                   b.create<arith::DivFOp>(num, den));
}

SmallVector<Value> broadcastIndices(ImplicitLocOpBuilder &b,
                                    ArrayRef<int64_t> operandShape,
                                    ValueRange ivs) {
  SmallVector<Value> indices;
  size_t offset = ivs.size() - operandShape.size();
  for (auto [d, size] : llvm::enumerate(operandShape))
    indices.push_back(size == 1 ? indexConst(b, 0) : ivs[offset + d]);
  return indices;
}

FailureOr<SmallVector<Value>> resultSizes(ImplicitLocOpBuilder &b,
                                          Operation *op) {
  ReifiedRankedShapedTypeDims dims;
  if (failed(reifyResultShapes(b, op, dims)))
    return failure();
  return getValueOrCreateConstantIndexOp(b, b.getLoc(), dims.front());
}

Value clampIndex(ImplicitLocOpBuilder &b, Value id, Value bound) {
  Value index = b.create<arith::IndexCastOp>(b.getIndexType(), id);
  Value last = b.create<arith::SubIOp>(bound, indexConst(b, 1));
  return indexMax(b, indexMin(b, index, last), indexConst(b, 0));
}

void forEachSequence(ImplicitLocOpBuilder &b, Value offsets, Value steps,
                     SequenceBody body) {
  if (!offsets)
    return body(b, indexConst(b, 0), steps);
  Value one = indexConst(b, 1);
  Value count = b.create<arith::SubIOp>(memrefSizes(b, offsets)[0], one);
  sequentialLoops(b, {count}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
    auto bound = [&](Value at) {
      Value offset = b.create<memref::LoadOp>(offsets, at);
      return indexMin(
          b,
          indexMax(b, b.create<arith::IndexCastOp>(b.getIndexType(), offset),
                   indexConst(b, 0)),
          steps);
    };
    Value begin = bound(i[0]);
    Value end = indexMax(b, bound(b.create<arith::AddIOp>(i[0], one)), begin);
    body(b, begin, end);
  });
}

void fillZero(ImplicitLocOpBuilder &b, Value buffer) {
  Type element = cast<MemRefType>(buffer.getType()).getElementType();
  Value zero = b.create<arith::ConstantOp>(b.getZeroAttr(element));
  rowParallelLoops(b, memrefSizes(b, buffer),
                   [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
                     b.create<memref::StoreOp>(zero, buffer, ivs);
                   });
}

Value indexMin(ImplicitLocOpBuilder &b, Value lhs, Value rhs) {
  return b.create<arith::MinSIOp>(lhs, rhs);
}

Value indexMax(ImplicitLocOpBuilder &b, Value lhs, Value rhs) {
  return b.create<arith::MaxSIOp>(lhs, rhs);
}

} // namespace kiln

kiln::ScalarFn kiln::activationFn(Activation activation) {
  switch (activation) {
  case Activation::relu:
    return ScalarFn::Relu;
  case Activation::gelu:
    return ScalarFn::Gelu;
  case Activation::gelu_tanh:
    return ScalarFn::GeluTanh;
  case Activation::silu:
    return ScalarFn::Silu;
  case Activation::relu2:
    return ScalarFn::Relu2;
  case Activation::sigmoid:
    return ScalarFn::Sigmoid;
  case Activation::tanh:
    return ScalarFn::Tanh;
  case Activation::quick_gelu:
    return ScalarFn::QuickGelu;
  }
  llvm_unreachable("unknown activation");
}
