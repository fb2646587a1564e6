//===- RowBlock.cpp - A matrix row taken by a thread block ----------------===//

#include "passes/Conversion/ToLoops/RowBlock.h"
#include "passes/Conversion/ToLoops/ThreadBlock.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace kiln {

RowBlock::RowBlock(ImplicitLocOpBuilder &b, Value x, Value rows, Value row,
                   int64_t statistics)
    : x(x), rows(rows), rowIndex(row) {
  columnCount = b.create<memref::DimOp>(x, 1);
  MLIRContext *context = b.getContext();
  auto workgroup = gpu::AddressSpace::Workgroup;
  partials = b.create<memref::AllocaOp>(
      f32MemoryType({kThreadBlockSize}, context, workgroup));
  statisticSlots = b.create<memref::AllocaOp>(
      f32MemoryType({statistics}, context, workgroup));
}

void RowBlock::reduce(ImplicitLocOpBuilder &b, int64_t slot, double init,
                      Combine combine, Map term, Map finish) {
  threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
    ifRow(b, [&](ImplicitLocOpBuilder &b) {
      auto loop = b.create<scf::ForOp>(
          thread, columnCount, indexConst(b, kThreadBlockSize),
          ValueRange{f32Const(b, init)},
          [&](OpBuilder &nested, Location loc, Value column, ValueRange acc) {
            ImplicitLocOpBuilder ib(loc, nested);
            Value value = loadF32(ib, x, {rowIndex, column});
            ib.create<scf::YieldOp>(
                ValueRange{combine(ib, acc[0], term(ib, value))});
          });
      b.create<memref::StoreOp>(loop.getResult(0), partials, thread);
    });
  });
  onFirstThread(b, [&](ImplicitLocOpBuilder &b) {
    ifRow(b, [&](ImplicitLocOpBuilder &b) {
      Value total = forReduce(
          b, indexConst(b, 0), indexConst(b, kThreadBlockSize),
          {f32Const(b, init)},
          [&](ImplicitLocOpBuilder &b, Value thread,
              ValueRange acc) -> SmallVector<Value> {
            return {
                combine(b, acc[0], b.create<memref::LoadOp>(partials, thread))};
          })[0];
      b.create<memref::StoreOp>(finish(b, total), statisticSlots,
                                indexConst(b, slot));
    });
  });
}

void RowBlock::setStatistic(ImplicitLocOpBuilder &b, int64_t slot,
                            double value) {
  onFirstThread(b, [&](ImplicitLocOpBuilder &b) {
    b.create<memref::StoreOp>(f32Const(b, value), statisticSlots,
                              indexConst(b, slot));
  });
}

Value RowBlock::statistic(ImplicitLocOpBuilder &b, int64_t slot) const {
  return b.create<memref::LoadOp>(statisticSlots, indexConst(b, slot));
}

void RowBlock::forEachColumn(ImplicitLocOpBuilder &b, ColumnBody body) {
  threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
    ifRow(b, [&](ImplicitLocOpBuilder &b) { forColumns(b, thread, body); });
  });
}

void RowBlock::forColumns(ImplicitLocOpBuilder &b, Value thread,
                          ColumnBody body) {
  b.create<scf::ForOp>(
      thread, columnCount, indexConst(b, kThreadBlockSize), std::nullopt,
      [&](OpBuilder &nested, Location loc, Value column, ValueRange) {
        ImplicitLocOpBuilder ib(loc, nested);
        body(ib, column);
        ib.create<scf::YieldOp>();
      });
}

/// Runs `body` when the block's row exists: a block past the rows (the
/// second block a single row gets, see blockLoops) does nothing.
void RowBlock::ifRow(ImplicitLocOpBuilder &b,
                     llvm::function_ref<void(ImplicitLocOpBuilder &)> body) {
  Value inside =
      b.create<arith::CmpIOp>(arith::CmpIPredicate::ult, rowIndex, rows);
  b.create<scf::IfOp>(inside, [&](OpBuilder &nested, Location loc) {
    ImplicitLocOpBuilder ib(loc, nested);
    body(ib);
    ib.create<scf::YieldOp>();
  });
}

/// A phase in which thread 0 alone works (a phase of one iteration would be
/// inlined by the canonicalizer).
void RowBlock::onFirstThread(
    ImplicitLocOpBuilder &b,
    llvm::function_ref<void(ImplicitLocOpBuilder &)> body) {
  threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
    Value first = b.create<arith::CmpIOp>(arith::CmpIPredicate::eq, thread,
                                          indexConst(b, 0));
    b.create<scf::IfOp>(first, [&](OpBuilder &nested, Location loc) {
      ImplicitLocOpBuilder ib(loc, nested);
      body(ib);
      ib.create<scf::YieldOp>();
    });
  });
}

} // namespace kiln
