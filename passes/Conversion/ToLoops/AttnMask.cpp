//===- AttnMask.cpp - The keys a query row of attention sees --------------===//
//
// Implements visibleKeys of AttnMask.h.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/AttnMask.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

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

} // namespace kiln
