//===- VectorBuilder.cpp - Helpers for explicit vector kernels ------------===//
//
// Implements the vector vocabulary of VectorBuilder.h.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/VectorBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace kiln {

VectorType f32Vector(ImplicitLocOpBuilder &b, int64_t width) {
  return VectorType::get({width}, b.getF32Type());
}

/// The vector type a buffer's elements load as before widening to f32.
static VectorType storageVector(Value memref, int64_t width) {
  return VectorType::get({width},
                         cast<MemRefType>(memref.getType()).getElementType());
}

/// Widens a vector of 16-bit floats to f32; f32 passes through.
static Value widen(ImplicitLocOpBuilder &b, Value vector) {
  auto type = cast<VectorType>(vector.getType());
  if (type.getElementType().isF32())
    return vector;
  return b.create<arith::ExtFOp>(f32Vector(b, type.getNumElements()), vector);
}

/// Rounds an f32 vector to the element type of `memref`.
static Value narrowFor(ImplicitLocOpBuilder &b, Value vector, Value memref) {
  auto width = cast<VectorType>(vector.getType()).getNumElements();
  VectorType storage = storageVector(memref, width);
  if (storage == vector.getType())
    return vector;
  return b.create<arith::TruncFOp>(storage, vector);
}

Value loadVector(ImplicitLocOpBuilder &b, Value memref, ValueRange indices,
                 int64_t width) {
  return widen(b, b.create<vector::LoadOp>(storageVector(memref, width), memref,
                                           indices));
}

void storeVector(ImplicitLocOpBuilder &b, Value value, Value memref,
                 ValueRange indices) {
  b.create<vector::StoreOp>(narrowFor(b, value, memref), memref, indices);
}

Value laneMask(ImplicitLocOpBuilder &b, Value count, int64_t width) {
  auto type = VectorType::get({width}, b.getI1Type());
  return b.create<vector::CreateMaskOp>(type, ValueRange{count});
}

void ifWholeVector(ImplicitLocOpBuilder &b, Value remaining, int64_t width,
                   llvm::function_ref<void(ImplicitLocOpBuilder &)> whole,
                   llvm::function_ref<void(ImplicitLocOpBuilder &)> partial) {
  Value fits = b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, remaining,
                                       indexConst(b, width));
  auto branch = [](llvm::function_ref<void(ImplicitLocOpBuilder &)> body) {
    return [body](OpBuilder &nested, Location loc) {
      ImplicitLocOpBuilder inner(loc, nested);
      body(inner);
      inner.create<scf::YieldOp>();
    };
  };
  b.create<scf::IfOp>(fits, branch(whole), branch(partial));
}

Value maskedLoadVector(ImplicitLocOpBuilder &b, Value memref,
                       ValueRange indices, Value mask, int64_t width,
                       double padding) {
  VectorType storage = storageVector(memref, width);
  Value pass = floatConst(b, storage, padding);
  return widen(
      b, b.create<vector::MaskedLoadOp>(storage, memref, indices, mask, pass));
}

void maskedStoreVector(ImplicitLocOpBuilder &b, Value value, Value memref,
                       ValueRange indices, Value mask) {
  b.create<vector::MaskedStoreOp>(memref, indices, mask,
                                  narrowFor(b, value, memref));
}

Value splat(ImplicitLocOpBuilder &b, Value scalar, int64_t width) {
  if (scalar.getType() != b.getF32Type() && isa<FloatType>(scalar.getType()))
    scalar = b.create<arith::ExtFOp>(b.getF32Type(), scalar);
  return b.create<vector::BroadcastOp>(f32Vector(b, width), scalar);
}

Value fma(ImplicitLocOpBuilder &b, Value a, Value x, Value acc) {
  // mulf/addf marked `contract` rather than vector.fma (llvm.fma): the back
  // end fuses them where the CPU has FMA, and a CPU without it gets a
  // multiply and an add instead of a libm fmaf call per lane.
  auto contract = arith::FastMathFlags::contract;
  return b.create<arith::AddFOp>(b.create<arith::MulFOp>(a, x, contract), acc,
                                 contract);
}

Value reduceAdd(ImplicitLocOpBuilder &b, Value vector) {
  return b.create<vector::ReductionOp>(vector::CombiningKind::ADD, vector,
                                       arith::FastMathFlags::reassoc);
}

Value reduceMax(ImplicitLocOpBuilder &b, Value vector) {
  // nnan lets LLVM reduce by halving shuffles; without it, maxnum's NaN
  // rule makes it a chain of scalar compares, one per lane.
  return b.create<vector::ReductionOp>(vector::CombiningKind::MAXNUMF, vector,
                                       arith::FastMathFlags::nnan);
}

Value fastMax(ImplicitLocOpBuilder &b, Value lhs, Value rhs) {
  Value greater = b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, lhs, rhs);
  return b.create<arith::SelectOp>(greater, lhs, rhs);
}

StaticChunks::StaticChunks(ImplicitLocOpBuilder &b, int64_t count,
                           int64_t width)
    : width(width) {
  for (int64_t offset = 0; offset < count; offset += width)
    offsets.push_back(indexConst(b, offset));
  if (count % width)
    lastMask = laneMask(b, indexConst(b, count % width), width);
}

Value StaticChunks::mask(size_t i) const {
  return i + 1 == offsets.size() ? lastMask : Value();
}

Value StaticChunks::load(ImplicitLocOpBuilder &b, Value memref,
                         SmallVector<Value> indices, size_t i) const {
  indices.push_back(offsets[i]);
  if (Value m = mask(i))
    return maskedLoadVector(b, memref, indices, m, width);
  return loadVector(b, memref, indices, width);
}

void StaticChunks::store(ImplicitLocOpBuilder &b, Value value, Value memref,
                         SmallVector<Value> indices, size_t i) const {
  indices.push_back(offsets[i]);
  if (Value m = mask(i))
    maskedStoreVector(b, value, memref, indices, m);
  else
    storeVector(b, value, memref, indices);
}

} // namespace kiln
