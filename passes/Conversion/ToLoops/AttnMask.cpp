//===- AttnMask.cpp - The keys a query row of attention sees --------------===//
//
// Implements visibleKeys and narrowToBias of AttnMask.h.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/AttnMask.h"
#include "passes/Conversion/ToLoops/VectorBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace kiln {

/// An index-typed integer loaded from `memref` at `index`.
static Value loadIndex(ImplicitLocOpBuilder &b, Value memref, Value index) {
  Value value = b.create<memref::LoadOp>(memref, index);
  return b.create<arith::IndexCastOp>(b.getIndexType(), value);
}

std::pair<Value, Value> visibleKeys(ImplicitLocOpBuilder &b,
                                    attn::AttentionOp op, Value offsets,
                                    Value row, Value keys) {
  Value zero = indexConst(b, 0), one = indexConst(b, 1);
  // Mask positions: the row and the keys counted from the start of the
  // row's sequence, and the number of keys that sequence has.
  Value pos = row, length = keys, start, end;
  if (offsets) {
    // The sequence [start, end) holding the row; a row outside every
    // sequence gets [0, 0), which shows it no key.
    Value count =
        b.create<arith::SubIOp>(b.create<memref::DimOp>(offsets, 0), one);
    SmallVector<Value> found = forReduce(
        b, zero, count, {zero, zero},
        [&](ImplicitLocOpBuilder &b, Value i,
            ValueRange bounds) -> SmallVector<Value> {
          Value first = loadIndex(b, offsets, i);
          Value last = loadIndex(b, offsets, b.create<arith::AddIOp>(i, one));
          Value inside = b.create<arith::AndIOp>(
              b.create<arith::CmpIOp>(arith::CmpIPredicate::sle, first, row),
              b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, row, last));
          return {b.create<arith::SelectOp>(inside, first, bounds[0]),
                  b.create<arith::SelectOp>(inside, last, bounds[1])};
        });
    start = found[0];
    end = found[1];
    pos = b.create<arith::SubIOp>(row, start);
    length = b.create<arith::SubIOp>(end, start);
  }
  auto next = [&] { return b.create<arith::AddIOp>(pos, one); };
  Value lo = zero, hi = length;
  switch (op.getMask()) {
  case attn::MaskKind::none:
    break;
  case attn::MaskKind::causal:
    hi = next();
    break;
  case attn::MaskKind::sliding_window: {
    int64_t window = static_cast<int64_t>(*op.getWindow());
    hi = next();
    lo = indexMax(b, b.create<arith::SubIOp>(hi, indexConst(b, window)), zero);
    break;
  }
  case attn::MaskKind::block_diagonal: {
    Value block = indexConst(b, static_cast<int64_t>(*op.getBlock()));
    lo = b.create<arith::MulIOp>(b.create<arith::DivUIOp>(pos, block), block);
    hi = indexMin(b, b.create<arith::AddIOp>(lo, block), length);
    if (op.getCausal())
      hi = indexMin(b, hi, next());
    break;
  }
  }
  // Back to absolute key positions, inside the sequence and the keys.
  if (offsets) {
    lo = indexMax(b, b.create<arith::AddIOp>(start, lo), zero);
    hi = indexMin(b, b.create<arith::AddIOp>(start, hi), end);
  }
  hi = indexMin(b, hi, keys);
  return {lo, hi};
}

/// The first `j` in [0, count) for which `stop(j)` holds, or `count`.
static Value
firstWhere(ImplicitLocOpBuilder &b, Value count,
           function_ref<Value(ImplicitLocOpBuilder &, Value)> stop) {
  auto loop = b.create<scf::WhileOp>(
      TypeRange{b.getIndexType()}, ValueRange{indexConst(b, 0)},
      [&](OpBuilder &nested, Location loc, ValueRange args) {
        ImplicitLocOpBuilder b(loc, nested);
        Value j = args[0];
        Value inRange =
            b.create<arith::CmpIOp>(arith::CmpIPredicate::ult, j, count);
        auto check = b.create<scf::IfOp>(
            inRange,
            [&](OpBuilder &nested, Location loc) {
              ImplicitLocOpBuilder b(loc, nested);
              Value go = b.create<arith::XOrIOp>(
                  stop(b, j), b.create<arith::ConstantIntOp>(1, 1));
              b.create<scf::YieldOp>(go);
            },
            [&](OpBuilder &nested, Location loc) {
              ImplicitLocOpBuilder b(loc, nested);
              b.create<scf::YieldOp>(
                  ValueRange{b.create<arith::ConstantIntOp>(0, 1)});
            });
        b.create<scf::ConditionOp>(check.getResult(0), j);
      },
      [&](OpBuilder &nested, Location loc, ValueRange args) {
        ImplicitLocOpBuilder b(loc, nested);
        b.create<scf::YieldOp>(
            ValueRange{b.create<arith::AddIOp>(args[0], indexConst(b, 1))});
      });
  return loop.getResult(0);
}

std::pair<Value, Value> narrowToBias(ImplicitLocOpBuilder &b, Value bias,
                                     ValueRange row, Value lo, Value hi,
                                     int64_t width) {
  auto shape = cast<MemRefType>(bias.getType()).getShape();
  Value w = indexConst(b, width);
  Value span = b.create<arith::SelectOp>(
      b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, lo, hi),
      b.create<arith::SubIOp>(hi, lo), indexConst(b, 0));
  Value chunks = ceilDiv(b, span, width);
  Value hidden = floatConst(b, f32Vector(b, width), -1e4);
  // Whether the bias shows a key of chunk i.
  auto shows = [&](ImplicitLocOpBuilder &b, Value i) -> Value {
    Value key = b.create<arith::AddIOp>(lo, b.create<arith::MulIOp>(i, w));
    SmallVector<Value> at =
        broadcastIndices(b, shape, {row[0], row[1], row[2], key});
    Value lanes = laneMask(b, b.create<arith::SubIOp>(hi, key), width);
    Value x = maskedLoadVector(b, bias, at, lanes, width);
    Value shown = b.create<arith::AndIOp>(
        b.create<arith::CmpFOp>(arith::CmpFPredicate::UGT, x, hidden), lanes);
    return b.create<vector::ReductionOp>(vector::CombiningKind::OR, shown);
  };
  Value first = firstWhere(b, chunks, shows);
  // Counted from the end, down to the first shown chunk.
  Value fromEnd = firstWhere(
      b, b.create<arith::SubIOp>(chunks, first),
      [&](ImplicitLocOpBuilder &b, Value j) {
        Value one = indexConst(b, 1);
        return shows(b, b.create<arith::SubIOp>(
                            b.create<arith::SubIOp>(chunks, one), j));
      });
  Value some =
      b.create<arith::CmpIOp>(arith::CmpIPredicate::ult, first, chunks);
  Value newLo = b.create<arith::AddIOp>(lo, b.create<arith::MulIOp>(first, w));
  Value newHi =
      indexMin(b, hi,
               b.create<arith::AddIOp>(
                   lo, b.create<arith::MulIOp>(
                           b.create<arith::SubIOp>(chunks, fromEnd), w)));
  return {b.create<arith::SelectOp>(some, newLo, lo),
          b.create<arith::SelectOp>(some, newHi, hi)};
}

} // namespace kiln
