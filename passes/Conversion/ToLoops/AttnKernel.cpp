//===- AttnKernel.cpp - Register-tiled attention micro-kernels ------------===//
//
// Implements the micro-GEMMs of AttnKernel.h. Register tiles are vector
// iter_args of scf.for, so they stay in registers through LLVM.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/AttnKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace kiln {

AttnTile attnTileFor(int64_t vectorWidth) {
  if (vectorWidth >= 16)
    return {vectorWidth, /*rows=*/4, /*vectors=*/4};
  return {vectorWidth, /*rows=*/6, /*vectors=*/2};
}

Value ceilDivConst(ImplicitLocOpBuilder &b, Value a, int64_t c) {
  return b.create<arith::DivUIOp>(b.create<arith::AddIOp>(a, indexConst(b, c - 1)),
                                  indexConst(b, c));
}

static Value addConst(ImplicitLocOpBuilder &b, Value a, int64_t c) {
  return c == 0 ? a : b.create<arith::AddIOp>(a, indexConst(b, c)).getResult();
}

void scoreTiles(ImplicitLocOpBuilder &b, const AttnTile &tile, Value qs,
                Value keyT, Value batch, Value kvHead, Value headDim, Value k0,
                Value count, Value groups, Value scores) {
  int64_t w = tile.width, nv = tile.vectors;
  Value columnTiles = ceilDivConst(b, count, tile.columns());
  // Column tiles outside: a tile's keys (D × 64 floats) stay in L1 while
  // the row tiles sweep past them.
  sequentialLoops(b, {columnTiles, groups}, [&](ImplicitLocOpBuilder &b,
                                                ValueRange ivs) {
    Value column =
        b.create<arith::MulIOp>(ivs[0], indexConst(b, tile.columns()));
    // k0 is a whole number of tiles: the tile is one keyT panel.
    Value panel = b.create<arith::DivUIOp>(b.create<arith::AddIOp>(k0, column),
                                           indexConst(b, tile.columns()));
    Value row0 = b.create<arith::MulIOp>(ivs[1], indexConst(b, tile.rows));
    SmallVector<Value> rows;
    for (int64_t r = 0; r < tile.rows; ++r)
      rows.push_back(addConst(b, row0, r));
    SmallVector<Value> init(tile.rows * nv,
                            floatConst(b, f32Vector(b, w), 0.0));
    SmallVector<Value> acc = forReduce(
        b, indexConst(b, 0), headDim, init,
        [&](ImplicitLocOpBuilder &b, Value d,
            ValueRange acc) -> SmallVector<Value> {
          SmallVector<Value> keys;
          for (int64_t j = 0; j < nv; ++j)
            keys.push_back(loadVector(
                b, keyT, {batch, kvHead, panel, d, indexConst(b, j * w)}, w));
          SmallVector<Value> next;
          for (int64_t r = 0; r < tile.rows; ++r) {
            Value q = splat(
                b, b.create<memref::LoadOp>(qs, ValueRange{rows[r], d}), w);
            for (int64_t j = 0; j < nv; ++j)
              next.push_back(fma(b, q, keys[j], acc[r * nv + j]));
          }
          return next;
        });
    for (int64_t r = 0; r < tile.rows; ++r)
      for (int64_t j = 0; j < nv; ++j)
        storeVector(b, acc[r * nv + j], scores,
                    {rows[r], addConst(b, column, j * w)});
  });
}

void accumulateValues(ImplicitLocOpBuilder &b, const AttnTile &tile,
                      Value weights, Value valueP, Value batch, Value kvHead,
                      Value k0, Value count, Value groups, Value corr,
                      Value os) {
  int64_t w = tile.width, nv = tile.vectors;
  Value chunks = b.create<memref::DimOp>(valueP, 2);
  sequentialLoops(b, {chunks, groups}, [&](ImplicitLocOpBuilder &b,
                                           ValueRange ivs) {
    Value chunk = ivs[0];
    Value c0 = b.create<arith::MulIOp>(chunk, indexConst(b, tile.columns()));
    Value row0 = b.create<arith::MulIOp>(ivs[1], indexConst(b, tile.rows));
    SmallVector<Value> rows, columns, init;
    for (int64_t r = 0; r < tile.rows; ++r)
      rows.push_back(addConst(b, row0, r));
    for (int64_t j = 0; j < nv; ++j)
      columns.push_back(addConst(b, c0, j * w));
    for (int64_t r = 0; r < tile.rows; ++r) {
      Value scale;
      if (corr)
        scale = splat(b, b.create<memref::LoadOp>(corr, rows[r]), w);
      for (int64_t j = 0; j < nv; ++j) {
        Value o = loadVector(b, os, {rows[r], columns[j]}, w);
        init.push_back(scale ? b.create<arith::MulFOp>(o, scale).getResult()
                             : o);
      }
    }
    SmallVector<Value> acc = forReduce(
        b, indexConst(b, 0), count, init,
        [&](ImplicitLocOpBuilder &b, Value s,
            ValueRange acc) -> SmallVector<Value> {
          Value key = b.create<arith::AddIOp>(k0, s);
          SmallVector<Value> values;
          for (int64_t j = 0; j < nv; ++j)
            values.push_back(loadVector(
                b, valueP, {batch, kvHead, chunk, key, indexConst(b, j * w)},
                w));
          SmallVector<Value> next;
          for (int64_t r = 0; r < tile.rows; ++r) {
            Value p = splat(
                b, b.create<memref::LoadOp>(weights, ValueRange{rows[r], s}),
                w);
            for (int64_t j = 0; j < nv; ++j)
              next.push_back(fma(b, p, values[j], acc[r * nv + j]));
          }
          return next;
        });
    for (int64_t r = 0; r < tile.rows; ++r)
      for (int64_t j = 0; j < nv; ++j)
        storeVector(b, acc[r * nv + j], os, {rows[r], columns[j]});
  });
}

Value exp2NonPositive(ImplicitLocOpBuilder &b, Value x) {
  Type type = x.getType();
  auto c = [&](double value) { return floatConst(b, type, value); };
  // 2^x = 2^n · 2^f, n = round(x), f in [-1/2, 1/2]; below -127, 2^n is
  // the zero bit pattern, so -inf (and anything under 2^-127) gives 0.
  x = fastMax(b, x, c(-127.0));
  Value n = b.create<math::FloorOp>(b.create<arith::AddFOp>(x, c(0.5)));
  Value f = b.create<arith::SubFOp>(x, n);
  // Cephes exp2f: relative error below 2e-7 on [-1/2, 1/2].
  Value p = c(1.535336188319500e-4);
  for (double coefficient :
       {1.339887440266574e-3, 9.618437357674640e-3, 5.550332471162809e-2,
        2.402264791363012e-1, 6.931472028550421e-1, 1.0})
    p = fma(b, p, f, c(coefficient));
  auto intType = VectorType::get(cast<VectorType>(type).getShape(),
                                 b.getI32Type());
  Value bits = b.create<arith::ShLIOp>(
      b.create<arith::AddIOp>(
          b.create<arith::FPToSIOp>(intType, n),
          b.create<arith::ConstantOp>(DenseElementsAttr::get(
              intType, b.getI32IntegerAttr(127)))),
      b.create<arith::ConstantOp>(
          DenseElementsAttr::get(intType, b.getI32IntegerAttr(23))));
  return b.create<arith::MulFOp>(p, b.create<arith::BitcastOp>(type, bits));
}

} // namespace kiln
