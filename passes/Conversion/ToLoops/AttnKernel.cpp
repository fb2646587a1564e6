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
  return b.create<arith::DivUIOp>(
      b.create<arith::AddIOp>(a, indexConst(b, c - 1)), indexConst(b, c));
}

static Value addConst(ImplicitLocOpBuilder &b, Value a, int64_t c) {
  return c == 0 ? a : b.create<arith::AddIOp>(a, indexConst(b, c)).getResult();
}

/// Packs `key` [B, S, Hkv, D] into f32 panels [B, Hkv, S'/c, D, c] of c =
/// tile columns keys (S' = S rounded up, the padding zero): the score
/// tile of keys [p·c, p·c + c) reads panel p, D·c contiguous floats
/// (rows of a [D, S] transpose would be S apart, one cache set).
Value packKeys(ImplicitLocOpBuilder &b, const AttnTile &tile, Value key,
               ArrayRef<Value> sizes) {
  auto keyType = cast<MemRefType>(key.getType());
  int64_t c = tile.columns();
  auto type = MemRefType::get({keyType.getDimSize(0), keyType.getDimSize(2),
                               ShapedType::kDynamic, keyType.getDimSize(3), c},
                              b.getF32Type());
  Value panels = ceilDivConst(b, sizes[1], c);
  Value keyT = allocBuffer(
      b, type, {sizes[0], sizes[2], panels, sizes[3], indexConst(b, c)});
  Value last = b.create<arith::SubIOp>(sizes[1], indexConst(b, 1));
  // Per panel, key by key: each key row is read contiguously.
  parallelLoops(
      b, {sizes[0], sizes[2], panels},
      [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        sequentialLoops(
            b, {indexConst(b, c)}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
              Value s = b.create<arith::AddIOp>(
                  b.create<arith::MulIOp>(ivs[2], indexConst(b, c)), i[0]);
              Value inside = b.create<arith::CmpIOp>(arith::CmpIPredicate::slt,
                                                     s, sizes[1]);
              Value row = indexMin(b, s, last);
              sequentialLoops(
                  b, {sizes[3]}, [&](ImplicitLocOpBuilder &b, ValueRange d) {
                    Value k = loadF32(b, key, {ivs[0], row, ivs[1], d[0]});
                    b.create<memref::StoreOp>(
                        b.create<arith::SelectOp>(inside, k, f32Const(b, 0.0)),
                        keyT, ValueRange{ivs[0], ivs[1], ivs[2], d[0], i[0]});
                  });
            });
      });
  return keyT;
}

/// Packs `value` [B, S, Hkv, Dv] into f32 chunks [B, Hkv, Dv'/c, S, c]
/// (Dv' = Dv rounded up to c = tile columns, the padding zero): the value
/// tile of one chunk reads c contiguous floats per key.
Value packValues(ImplicitLocOpBuilder &b, const AttnTile &tile, Value value,
                 ArrayRef<Value> sizes) {
  auto valueType = cast<MemRefType>(value.getType());
  int64_t c = tile.columns();
  int64_t dv = valueType.getDimSize(3);
  auto type = MemRefType::get(
      {valueType.getDimSize(0), valueType.getDimSize(2),
       ShapedType::isDynamic(dv) ? ShapedType::kDynamic : (dv + c - 1) / c,
       valueType.getDimSize(1), c},
      b.getF32Type());
  Value chunks = ceilDivConst(b, sizes[3], c);
  Value valueP = allocBuffer(
      b, type, {sizes[0], sizes[2], chunks, sizes[1], indexConst(b, c)});
  // Vector copies; masked only where Dv leaves a partial chunk.
  int64_t w = tile.width;
  bool partial = ShapedType::isDynamic(dv) || dv % c != 0;
  parallelLoops(
      b, {sizes[0], sizes[2], chunks},
      [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        Value c0 = b.create<arith::MulIOp>(ivs[2], indexConst(b, c));
        SmallVector<Value> columns, masks;
        for (int64_t j = 0; j < tile.vectors; ++j) {
          columns.push_back(b.create<arith::AddIOp>(c0, indexConst(b, j * w)));
          if (partial)
            masks.push_back(laneMask(
                b, b.create<arith::SubIOp>(sizes[3], columns.back()), w));
        }
        sequentialLoops(
            b, {sizes[1]}, [&](ImplicitLocOpBuilder &b, ValueRange s) {
              for (int64_t j = 0; j < tile.vectors; ++j) {
                SmallVector<Value> at{ivs[0], s[0], ivs[1], columns[j]};
                Value v = partial ? maskedLoadVector(b, value, at, masks[j], w)
                                  : loadVector(b, value, at, w);
                storeVector(
                    b, v, valueP,
                    {ivs[0], ivs[1], ivs[2], s[0], indexConst(b, j * w)});
              }
            });
      });
  return valueP;
}

void scoreTiles(ImplicitLocOpBuilder &b, const AttnTile &tile, Value qs,
                Value keyT, Value batch, Value kvHead, Value headDim, Value k0,
                Value count, Value groups, Value scores) {
  int64_t w = tile.width, nv = tile.vectors;
  Value columnTiles = ceilDivConst(b, count, tile.columns());
  // Column tiles outside: a tile's keys (D × 64 floats) stay in L1 while
  // the row tiles sweep past them.
  sequentialLoops(
      b, {columnTiles, groups}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        Value column =
            b.create<arith::MulIOp>(ivs[0], indexConst(b, tile.columns()));
        // k0 is a whole number of tiles: the tile is one keyT panel.
        Value panel = b.create<arith::DivUIOp>(
            b.create<arith::AddIOp>(k0, column), indexConst(b, tile.columns()));
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
                    b, keyT, {batch, kvHead, panel, d, indexConst(b, j * w)},
                    w));
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
  sequentialLoops(
      b, {chunks, groups}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        Value chunk = ivs[0];
        Value c0 =
            b.create<arith::MulIOp>(chunk, indexConst(b, tile.columns()));
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
                    b, valueP,
                    {batch, kvHead, chunk, key, indexConst(b, j * w)}, w));
              SmallVector<Value> next;
              for (int64_t r = 0; r < tile.rows; ++r) {
                Value p = splat(
                    b,
                    b.create<memref::LoadOp>(weights, ValueRange{rows[r], s}),
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
  auto intType =
      VectorType::get(cast<VectorType>(type).getShape(), b.getI32Type());
  Value bits = b.create<arith::ShLIOp>(
      b.create<arith::AddIOp>(
          b.create<arith::FPToSIOp>(intType, n),
          b.create<arith::ConstantOp>(
              DenseElementsAttr::get(intType, b.getI32IntegerAttr(127)))),
      b.create<arith::ConstantOp>(
          DenseElementsAttr::get(intType, b.getI32IntegerAttr(23))));
  return b.create<arith::MulFOp>(p, b.create<arith::BitcastOp>(type, bits));
}

} // namespace kiln
