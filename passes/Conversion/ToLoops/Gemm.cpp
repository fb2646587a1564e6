//===- Gemm.cpp - Matrix-product loop nests -------------------------------===//
//
// A row-parallel GEMM over buffers. Each output element is one contiguous
// dot product of a row of A and a row of B, which LLVM vectorizes; blocks of
// rows of A share the loads of each row of B.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/Gemm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

namespace kiln {

/// Rows of A that share each load of a row of B: every B row is read once
/// per block instead of once per row, which matters once B leaves the cache.
constexpr int64_t kRowBlock = 4;

/// C[m0 + i, n] for i < `count`, from `count` dot products that share the
/// loads of B's row `n`.
static void emitRowBlock(ImplicitLocOpBuilder &b, Value a, Value bt, Value c,
                         Value m0, int64_t count, Value n, Value depth,
                         GemmEpilogue epilogue) {
  SmallVector<Value> rows, init;
  for (int64_t i = 0; i < count; ++i) {
    rows.push_back(i ? Value(b.create<arith::AddIOp>(m0, indexConst(b, i)))
                     : m0);
    init.push_back(f32Const(b, 0.0));
  }
  SmallVector<Value> sums = forReduce(
      b, indexConst(b, 0), depth, init,
      [&](ImplicitLocOpBuilder &b, Value k,
          ValueRange acc) -> SmallVector<Value> {
        Value w = loadF32(b, bt, {n, k});
        SmallVector<Value> next;
        for (int64_t i = 0; i < count; ++i)
          next.push_back(
              multiplyAccumulate(b, acc[i], loadF32(b, a, {rows[i], k}), w));
        return next;
      });
  for (int64_t i = 0; i < count; ++i)
    storeF32(b, epilogue(b, rows[i], n, sums[i]), c, {rows[i], n});
}

void emitGemmNT(ImplicitLocOpBuilder &b, Value a, Value bt, Value c,
                GemmEpilogue epilogue) {
  Value rows = b.create<memref::DimOp>(a, 0);
  Value depth = b.create<memref::DimOp>(a, 1);
  Value cols = b.create<memref::DimOp>(bt, 0);
  Value block = indexConst(b, kRowBlock);
  Value blocks = b.create<arith::DivUIOp>(rows, block);
  rowParallelLoops(b, {blocks, cols}, [&](ImplicitLocOpBuilder &b,
                                          ValueRange ivs) {
    Value m0 = b.create<arith::MulIOp>(ivs[0], block);
    emitRowBlock(b, a, bt, c, m0, kRowBlock, ivs[1], depth, epilogue);
  });
  // The rows past the last full block, one at a time.
  Value done = b.create<arith::MulIOp>(blocks, block);
  Value rest = b.create<arith::SubIOp>(rows, done);
  rowParallelLoops(b, {rest, cols}, [&](ImplicitLocOpBuilder &b,
                                        ValueRange ivs) {
    Value m = b.create<arith::AddIOp>(done, ivs[0]);
    emitRowBlock(b, a, bt, c, m, 1, ivs[1], depth, epilogue);
  });
}

Value addBias(ImplicitLocOpBuilder &b, Value bias, Value n, Value acc) {
  if (!bias)
    return acc;
  return b.create<arith::AddFOp>(acc, loadF32(b, bias, {n}));
}

} // namespace kiln
