//===- AttnFlash.cpp - The keys of a flash-attention block ----------------===//

#include "passes/Conversion/ToLoops/AttnFlash.h"
#include "passes/Conversion/ToLoops/AttnKernel.h"
#include "passes/Conversion/ToLoops/AttnMask.h"
#include "passes/Conversion/ToLoops/ThreadBlock.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::attn;
using namespace kiln::flash;

FlashTileKeys::FlashTileKeys(ImplicitLocOpBuilder &b, AttentionOp op,
                             Value offsets, Value keyCount, Value queries,
                             Value t0, int64_t rows, int64_t keys)
    : op(op), offsets(offsets), keyCount(keyCount), queries(queries), t0(t0),
      rows(rows), keys(keys) {
  auto i32Workgroup = [&](ArrayRef<int64_t> dims) {
    return MemRefType::get(dims, b.getI32Type(), MemRefLayoutAttrInterface(),
                           gpu::AddressSpaceAttr::get(
                               b.getContext(), gpu::AddressSpace::Workgroup));
  };
  rowKeys = b.create<memref::AllocaOp>(i32Workgroup({2, rows}));
  if (offsets)
    tileRange = b.create<memref::AllocaOp>(i32Workgroup({2}));
}

void FlashTileKeys::storeRowKeys(ImplicitLocOpBuilder &b, Value r, Value valid,
                                 Value clampedT) const {
  auto [lo, hi] = visibleKeys(b, op, offsets, clampedT, keyCount);
  Value none = indexConst(b, 0);
  lo = b.create<arith::SelectOp>(valid, lo, none);
  hi = b.create<arith::SelectOp>(valid, hi, none);
  b.create<memref::StoreOp>(toI32(b, lo), rowKeys,
                            ValueRange{indexConst(b, 0), r});
  b.create<memref::StoreOp>(toI32(b, hi), rowKeys,
                            ValueRange{indexConst(b, 1), r});
}

void FlashTileKeys::exactRange(ImplicitLocOpBuilder &b, Value thread) const {
  Value firstThread = b.create<arith::CmpIOp>(arith::CmpIPredicate::eq, thread,
                                              indexConst(b, 0));
  ifThen(b, firstThread, [&](ImplicitLocOpBuilder &b) {
    SmallVector<Value> range = forReduce(
        b, indexConst(b, 0), indexConst(b, rows), {keyCount, indexConst(b, 0)},
        [&](ImplicitLocOpBuilder &b, Value r,
            ValueRange acc) -> SmallVector<Value> {
          auto [lo, hi] = rowInterval(b, r);
          Value sees = lessThan(b, lo, hi);
          return {
              b.create<arith::SelectOp>(sees, indexMin(b, acc[0], lo), acc[0]),
              b.create<arith::SelectOp>(sees, indexMax(b, acc[1], hi), acc[1])};
        });
    b.create<memref::StoreOp>(toI32(b, range[0]), tileRange, indexConst(b, 0));
    b.create<memref::StoreOp>(toI32(b, range[1]), tileRange, indexConst(b, 1));
  });
}

std::pair<Value, Value> FlashTileKeys::rowInterval(ImplicitLocOpBuilder &b,
                                                   Value r) const {
  Value lo = b.create<memref::LoadOp>(rowKeys, ValueRange{indexConst(b, 0), r});
  Value hi = b.create<memref::LoadOp>(rowKeys, ValueRange{indexConst(b, 1), r});
  return {toIndex(b, lo), toIndex(b, hi)};
}

/// Without packed sequences the rows' intervals grow with the row
/// (AttnMask.h), so the union is [lo of the first row, hi of the last);
/// with them, a superset from the mask alone, narrowed per tile by the
/// exact range (ifLive).
std::pair<Value, Value> FlashTileKeys::tileKeys(ImplicitLocOpBuilder &b) const {
  Value one = indexConst(b, 1), zero = indexConst(b, 0);
  Value end =
      indexMin(b, b.create<arith::AddIOp>(t0, indexConst(b, rows)), queries);
  Value last = indexMax(b, b.create<arith::SubIOp>(end, one), zero);
  Value lo, hi;
  if (!offsets) {
    lo = visibleKeys(b, op, Value(), t0, keyCount).first;
    hi = visibleKeys(b, op, Value(), last, keyCount).second;
  } else {
    // Mask positions count from each sequence's start, but in absolute
    // positions a row t still sees only keys in (t - window, t] (sliding
    // window), (t - block, t + block) (block diagonal), [0, t] (causal).
    Value afterLast = b.create<arith::AddIOp>(last, one);
    lo = zero;
    hi = keyCount;
    switch (op.getMask()) {
    case MaskKind::none:
      break;
    case MaskKind::causal:
      hi = afterLast;
      break;
    case MaskKind::sliding_window: {
      int64_t window = static_cast<int64_t>(*op.getWindow());
      lo = b.create<arith::AddIOp>(t0, indexConst(b, 1 - window));
      hi = afterLast;
      break;
    }
    case MaskKind::block_diagonal: {
      int64_t block = static_cast<int64_t>(*op.getBlock());
      lo = b.create<arith::AddIOp>(t0, indexConst(b, 1 - block));
      hi =
          op.getCausal()
              ? afterLast
              : b.create<arith::AddIOp>(last, indexConst(b, block)).getResult();
      break;
    }
    }
    lo = indexMax(b, lo, zero);
    hi = indexMin(b, hi, keyCount);
  }
  // A block past the queries (see blockLoops) walks no key.
  hi = b.create<arith::SelectOp>(lessThan(b, t0, queries), hi, lo);
  return {lo, hi};
}

/// Always true without packed sequences (the loop walks only those tiles),
/// else decided by the exact range in workgroup memory.
void FlashTileKeys::emitKeyLoop(ImplicitLocOpBuilder &b,
                                ArrayRef<KeyTilePhase> phases) const {
  Value kStart, kEnd;
  std::tie(kStart, kEnd) = tileKeys(b);
  b.create<scf::ForOp>(
      kStart, kEnd, indexConst(b, keys), std::nullopt,
      [&](OpBuilder &nested, Location loc, Value k0, ValueRange) {
        ImplicitLocOpBuilder b(loc, nested);
        Value k1 =
            indexMin(b, b.create<arith::AddIOp>(k0, indexConst(b, keys)), kEnd);
        for (KeyTilePhase phase : phases)
          threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
            ifLive(b, k0,
                   [&](ImplicitLocOpBuilder &b) { phase(b, thread, k0, k1); });
          });
        b.create<scf::YieldOp>();
      });
}

void FlashTileKeys::ifLive(
    ImplicitLocOpBuilder &b, Value k0,
    llvm::function_ref<void(ImplicitLocOpBuilder &)> body) const {
  if (!offsets)
    return body(b);
  Value lo = toIndex(b, b.create<memref::LoadOp>(tileRange, indexConst(b, 0)));
  Value hi = toIndex(b, b.create<memref::LoadOp>(tileRange, indexConst(b, 1)));
  Value k1 = b.create<arith::AddIOp>(k0, indexConst(b, keys));
  ifThen(b, b.create<arith::AndIOp>(lessThan(b, k0, hi), lessThan(b, lo, k1)),
         body);
}

void kiln::emitFlashGrid(ImplicitLocOpBuilder &b, Value out, Value query,
                         Value key, int64_t rows, FlashBlockBody block) {
  SmallVector<Value> q = memrefSizes(b, query);
  Value group = queryHeadsPerKeyHead(b, query, key);
  Value tiles = b.createOrFold<arith::CeilDivUIOp>(q[1], indexConst(b, rows));
  blockLoops(
      b, {q[0], q[2], tiles}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        // The last tiles first: under a causal mask they have the
        // most keys, and the short ones then fill in at the end.
        Value tile = b.create<arith::SelectOp>(
            lessThan(b, ivs[2], tiles),
            b.create<arith::SubIOp>(
                b.create<arith::SubIOp>(tiles, indexConst(b, 1)), ivs[2]),
            ivs[2]);
        Value t0 = b.create<arith::MulIOp>(tile, indexConst(b, rows));
        Value kvHead = b.create<arith::DivUIOp>(ivs[1], group);
        block(b, out, q[1], ivs[0], ivs[1], kvHead, t0);
      });
}
