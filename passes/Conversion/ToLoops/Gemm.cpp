//===- Gemm.cpp - Matrix-product loop nests -------------------------------===//
//
// A row-parallel GEMM over buffers. Each output element is one contiguous
// dot product of a row of A and a row of B, which LLVM vectorizes.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/Gemm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

namespace kiln {

void emitGemmNT(ImplicitLocOpBuilder &b, Value a, Value bt, Value c,
                GemmEpilogue epilogue) {
  Value rows = b.create<memref::DimOp>(a, 0);
  Value depth = b.create<memref::DimOp>(a, 1);
  Value cols = b.create<memref::DimOp>(bt, 0);
  Value zero = indexConst(b, 0);
  rowParallelLoops(b, {rows, cols}, [&](ImplicitLocOpBuilder &b,
                                        ValueRange ivs) {
    Value m = ivs[0], n = ivs[1];
    Value acc = forReduce(b, zero, depth, {f32Const(b, 0.0)},
                          [&](ImplicitLocOpBuilder &b, Value k,
                              ValueRange acc) -> SmallVector<Value> {
                            Value x = loadF32(b, a, {m, k});
                            Value w = loadF32(b, bt, {n, k});
                            return {multiplyAccumulate(b, acc[0], x, w)};
                          })[0];
    storeF32(b, epilogue(b, m, n, acc), c, {m, n});
  });
}

Value addBias(ImplicitLocOpBuilder &b, Value bias, Value n, Value acc) {
  if (!bias)
    return acc;
  return b.create<arith::AddFOp>(acc, loadF32(b, bias, {n}));
}

} // namespace kiln
