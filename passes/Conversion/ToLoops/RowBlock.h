//===- RowBlock.h - A matrix row taken by a thread block --------*- C++ -*-===//
//
// The GPU's form of the row ops (norms, softmax): a thread block takes one
// row (ThreadBlock.h) and its threads read it together, thread t the
// columns t, t + 128, ..., so that neighbouring threads read neighbouring
// elements. A reduction over the row is two phases: each thread reduces its
// columns into workgroup memory, then thread 0 reduces those partials into
// a statistic of the row that later phases read.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_ROWBLOCK_H
#define KILN_PASSES_CONVERSION_TOLOOPS_ROWBLOCK_H

#include "passes/Conversion/ToLoops/LoopBuilder.h"

namespace kiln {

class RowBlock {
public:
  using Combine =
      llvm::function_ref<Value(ImplicitLocOpBuilder &, Value, Value)>;
  using Map = llvm::function_ref<Value(ImplicitLocOpBuilder &, Value)>;
  using ColumnBody = llvm::function_ref<void(ImplicitLocOpBuilder &, Value)>;

  /// Row `row` of the f32 matrix `x` (`rows` rows), with `statistics`
  /// workgroup slots for the row's reductions.
  RowBlock(ImplicitLocOpBuilder &b, Value x, Value rows, Value row,
           int64_t statistics);

  /// Two phases: statistic `slot` = finish(combine over the row's columns
  /// of term(x[row, column]), from `init`).
  void reduce(ImplicitLocOpBuilder &b, int64_t slot, double init,
              Combine combine, Map term, Map finish);

  /// A phase of thread 0 alone: statistic `slot` = `value`.
  void setStatistic(ImplicitLocOpBuilder &b, int64_t slot, double value);

  /// Statistic `slot`, in a phase after the one that set it.
  Value statistic(ImplicitLocOpBuilder &b, int64_t slot) const;

  /// A phase: `body(column)` for each of the thread's columns of the row.
  void forEachColumn(ImplicitLocOpBuilder &b, ColumnBody body);

  Value row() const { return rowIndex; }
  Value columns() const { return columnCount; }

private:
  void forColumns(ImplicitLocOpBuilder &b, Value thread, ColumnBody body);
  void ifRow(ImplicitLocOpBuilder &b,
             llvm::function_ref<void(ImplicitLocOpBuilder &)> body);
  void onFirstThread(ImplicitLocOpBuilder &b,
                     llvm::function_ref<void(ImplicitLocOpBuilder &)> body);

  Value x, rows, rowIndex, columnCount;
  /// f32 [kThreadBlockSize] (a phase's per-thread results) and
  /// [statistics] in workgroup memory.
  Value partials, statisticSlots;
};

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_ROWBLOCK_H
