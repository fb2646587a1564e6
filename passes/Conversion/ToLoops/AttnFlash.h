//===- AttnFlash.h - The keys of a flash-attention block --------*- C++ -*-===//
//
// What the GPU's two flash-attention forms (AttnBlocksToLoops.cpp, SIMT;
// AttnFlashMMA.cpp, tensor cores) share: the keys a block's query tile
// sees. Each row's interval of visible keys (AttnMask.h) is kept in
// workgroup memory; the key loop walks their union in tiles, and with
// packed sequences, whose bounds block code cannot read, a superset that
// the exact union (found once per block) narrows per tile.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_ATTNFLASH_H
#define KILN_PASSES_CONVERSION_TOLOOPS_ATTNFLASH_H

#include "passes/Conversion/ToLoops/LoopBuilder.h"

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace kiln {

namespace flash {

inline Value lessThan(ImplicitLocOpBuilder &b, Value lhs, Value rhs) {
  return b.create<mlir::arith::CmpIOp>(mlir::arith::CmpIPredicate::slt, lhs,
                                       rhs);
}

inline Value toI32(ImplicitLocOpBuilder &b, Value index) {
  return b.create<mlir::arith::IndexCastOp>(b.getI32Type(), index);
}

inline Value toIndex(ImplicitLocOpBuilder &b, Value i32) {
  return b.create<mlir::arith::IndexCastOp>(b.getIndexType(), i32);
}

inline void ifThen(ImplicitLocOpBuilder &b, Value condition,
                   llvm::function_ref<void(ImplicitLocOpBuilder &)> body) {
  b.create<mlir::scf::IfOp>(condition,
                            [&](mlir::OpBuilder &nested, mlir::Location loc) {
                              ImplicitLocOpBuilder ib(loc, nested);
                              body(ib);
                              ib.create<mlir::scf::YieldOp>();
                            });
}

} // namespace flash

/// The visible keys of a flash block's query tile.
class FlashTileKeys {
public:
  /// Allocates the workgroup buffers (at the block's top): the rows'
  /// intervals [2, rows] i32 and, with `offsets`, the exact range [2] i32.
  /// The tile holds query rows [t0, t0 + rows) of `queries`; the keys are
  /// walked `keys` at a time.
  FlashTileKeys(ImplicitLocOpBuilder &b, attn::AttentionOp op, Value offsets,
                Value keyCount, Value queries, Value t0, int64_t rows,
                int64_t keys);

  /// Stores row r's visible keys ([0, 0) unless `valid`), the row being
  /// query `clampedT`; the exact range's phase then reads them.
  void storeRowKeys(ImplicitLocOpBuilder &b, Value r, Value valid,
                    Value clampedT) const;
  /// Phase (packed sequences): thread 0 stores the union of the rows'
  /// visible intervals, [min lo, max hi) over the rows that see a key.
  void exactRange(ImplicitLocOpBuilder &b, Value thread) const;
  /// Row r's visible keys from workgroup memory.
  std::pair<Value, Value> rowInterval(ImplicitLocOpBuilder &b, Value r) const;
  /// The keys the block's loop walks, computed by every thread from indices
  /// alone (block code has no memory effects).
  std::pair<Value, Value> tileKeys(ImplicitLocOpBuilder &b) const;
  /// Runs `body` when the key tile at k0 holds a key some row sees.
  void ifLive(ImplicitLocOpBuilder &b, Value k0,
              llvm::function_ref<void(ImplicitLocOpBuilder &)> body) const;

  /// One phase of a key tile: `body(thread, k0, k1)` for keys [k0, k1).
  using KeyTilePhase = llvm::function_ref<void(
      ImplicitLocOpBuilder &, Value thread, Value k0, Value k1)>;
  /// The block's key loop: for each tile of the keys tileKeys walks, each
  /// of `phases` as a thread phase that runs where the tile is live.
  void emitKeyLoop(ImplicitLocOpBuilder &b,
                   llvm::ArrayRef<KeyTilePhase> phases) const;

  bool packed() const { return static_cast<bool>(offsets); }

private:
  mutable attn::AttentionOp op;
  Value offsets, keyCount, queries, t0;
  int64_t rows, keys;
  /// Workgroup: the rows' visible keys [2, rows] i32 (lo, hi), the exact
  /// key range of the block [2] i32 (packed sequences).
  Value rowKeys, tileRange;
};

/// One flash block: query rows [t0, t0 + rows) of (batch, head), reading
/// key head `kvHead`, writing `out`; `queries` is T.
using FlashBlockBody =
    llvm::function_ref<void(ImplicitLocOpBuilder &, Value out, Value queries,
                            Value batch, Value head, Value kvHead, Value t0)>;

/// The grid both flash forms share: runs `block` into `out` ([B, T, H, Dv]
/// for `query` [B, T, H, D]) as a thread block per (batch, head, tile of
/// `rows` queries), tiles last first.
void emitFlashGrid(ImplicitLocOpBuilder &b, Value out, Value query, Value key,
                   int64_t rows, FlashBlockBody block);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_ATTNFLASH_H
