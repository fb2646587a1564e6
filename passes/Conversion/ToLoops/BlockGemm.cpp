//===- BlockGemm.cpp - GEMMs as GPU thread blocks -------------------------===//
//
// The GPU's GEMM (kiln-convert-to-loops gpu-gemm=true). Each iteration of an
// scf.parallel is a thread block computing kBlockRows rows × kBlockPanels
// panels of C. Per K step its threads load a tile of A and one of B into
// workgroup memory together, consecutive threads reading consecutive
// elements, then each thread accumulates kThreadRows rows × one panel from
// the tiles into registers. The work of the threads is written as phases:
// nested scf.parallel loops over the block's threads, each of which
// completes before the next starts. kiln-gpu-map-parallel-loops keeps that
// order with a barrier between phases; the CPU (--gpu-emulation) runs them
// one after the other.
//
// With tensor cores (GemmTiling::mmaElement set) the tiles keep the input
// type (f16, bf16; f32 for TF32), B's transposed (a row per column of C),
// and each of the 4 warps multiplies a 32 × 32 quarter of the block as
// 2 × 4 warp.mma tiles of 16 × 8, a lane holding its accumulator fragments.
// Once K is done the fragments go to a C tile in workgroup memory, from
// which every thread runs the same epilogue on 4 rows × one panel as the
// SIMT form.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/Gemm.h"
#include "passes/Conversion/ToLoops/ThreadBlock.h"
#include "passes/Conversion/ToLoops/VectorBuilder.h"

#include "dialects/Warp/IR/WarpOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace kiln {

namespace {

/// A block is 64 rows × 8 panels (64 columns at the GPU's 4 lanes): 128
/// threads of 4 rows × one panel, 32 accumulators each, and tiles of
/// 2 × 32 × 64 floats (17 KiB with their padding, of the 48 a block may use
/// statically, so several blocks share a multiprocessor). A K step of 32
/// pays one pair of barriers per 32 × 32 FMAs of each thread.
constexpr int64_t kBlockRows = 64;
constexpr int64_t kBlockPanels = 8;
constexpr int64_t kThreadRows = 4;
constexpr int64_t kDepth = 32;
static_assert(kBlockRows / kThreadRows * kBlockPanels == kThreadBlockSize,
              "one thread per (row group, panel) of a block");
/// A's tile is stored k-major (a thread's rows are adjacent for every k)
/// and each k row padded by one float: the loads, 32 consecutive k of one
/// row per warp, then store to 32 different banks instead of one.
constexpr int64_t kATilePitch = kBlockRows + 1;

/// Tensor cores: 4 warps, each 32 rows × 32 columns of the 64 × 64 block,
/// as kWarpTileRows × kWarpTileColumns warp.mma tiles of 16 × 8, whose
/// 8 × 4 accumulators per lane match the SIMT form's 32.
constexpr int64_t kWarpSize = 32;
constexpr int64_t kWarpRows = 32;
constexpr int64_t kWarpColumns = 32;
constexpr int64_t kWarpTileRows = kWarpRows / 16;
constexpr int64_t kWarpTileColumns = kWarpColumns / 8;
constexpr int64_t kBlockColumns = 64;
static_assert((kBlockRows / kWarpRows) * (kBlockColumns / kWarpColumns) *
                      kWarpSize ==
                  kThreadBlockSize,
              "one warp per 32 × 32 quarter of a block");
/// A and B tile rows (k contiguous) are padded by 16 bytes: ldmatrix's
/// 8 row addresses, and the TF32 fragment loads (row g, column t), then
/// fall on different banks, and rows stay 16-byte aligned.
constexpr int64_t kMMATilePadBytes = 16;
/// The C tile's rows are padded by 4 floats.
constexpr int64_t kCTilePitch = kBlockColumns + 4;

Value lessThan(ImplicitLocOpBuilder &b, Value lhs, Value rhs) {
  return b.create<arith::CmpIOp>(arith::CmpIPredicate::ult, lhs, rhs);
}

/// `value` clamped to at most `size - 1`.
Value clampBelow(ImplicitLocOpBuilder &b, Value value, Value size) {
  return indexMin(b, value, b.create<arith::SubIOp>(size, indexConst(b, 1)));
}

/// `buffer[i, j, trailing...]` as f32 where i < iSize and j < jSize, else 0;
/// the load reads clamped indices, always in bounds, so no thread branches
/// around it.
Value loadOrZero(ImplicitLocOpBuilder &b, Value buffer, Value i, Value iSize,
                 Value j, Value jSize, ValueRange trailing = {}) {
  Value inside =
      b.create<arith::AndIOp>(lessThan(b, i, iSize), lessThan(b, j, jSize));
  SmallVector<Value> clamped = {clampBelow(b, i, iSize),
                                clampBelow(b, j, jSize)};
  llvm::append_range(clamped, trailing);
  return b.create<arith::SelectOp>(inside, loadF32(b, buffer, clamped),
                                   f32Const(b, 0.0));
}

/// `value` converted to the float type `type` (rounded or widened).
Value convertFloat(ImplicitLocOpBuilder &b, Value value, Type type) {
  Type from = value.getType();
  if (from == type)
    return value;
  if (from.getIntOrFloatBitWidth() > type.getIntOrFloatBitWidth())
    return b.create<arith::TruncFOp>(type, value);
  if (from.getIntOrFloatBitWidth() < type.getIntOrFloatBitWidth())
    return b.create<arith::ExtFOp>(type, value);
  // f16 <-> bf16: through f32.
  return b.create<arith::TruncFOp>(type,
                                   b.create<arith::ExtFOp>(b.getF32Type(),
                                                           value));
}

/// loadOrZero for a tile of element type `type`: the element converted.
Value loadAsOrZero(ImplicitLocOpBuilder &b, Type type, Value buffer, Value i,
                   Value iSize, Value j, Value jSize,
                   ValueRange trailing = {}) {
  Value inside =
      b.create<arith::AndIOp>(lessThan(b, i, iSize), lessThan(b, j, jSize));
  SmallVector<Value> clamped = {clampBelow(b, i, iSize),
                                clampBelow(b, j, jSize)};
  llvm::append_range(clamped, trailing);
  Value value =
      convertFloat(b, b.create<memref::LoadOp>(buffer, clamped), type);
  return b.create<arith::SelectOp>(inside, value, floatConst(b, type, 0.0));
}

/// Lanes [col, col + width) of `buffer`[row] as a vector, read element by
/// element, as all vectors of workgroup and private memory are: the GPU
/// pipeline's convert-vector-to-llvm cannot convert their address spaces
/// (convert-gpu-to-nvvm later can), and NVPTX splits 4-byte-aligned vector
/// accesses into elements anyway.
Value loadLanes(ImplicitLocOpBuilder &b, Value buffer, Value row, Value col,
                int64_t width) {
  Value vector = floatConst(b, f32Vector(b, width), 0.0);
  for (int64_t lane = 0; lane < width; ++lane) {
    Value element = b.create<memref::LoadOp>(
        buffer,
        ValueRange{row, b.create<arith::AddIOp>(col, indexConst(b, lane))});
    vector = b.create<vector::InsertOp>(element, vector, lane);
  }
  return vector;
}

void storeLanes(ImplicitLocOpBuilder &b, Value vector, Value buffer, Value row,
                Value col) {
  int64_t width = cast<VectorType>(vector.getType()).getNumElements();
  for (int64_t lane = 0; lane < width; ++lane)
    b.create<memref::StoreOp>(
        b.create<vector::ExtractOp>(vector, lane), buffer,
        ValueRange{row, b.create<arith::AddIOp>(col, indexConst(b, lane))});
}

/// One thread block's buffers and the part of C it computes.
class ThreadBlock {
public:
  ThreadBlock(ImplicitLocOpBuilder &b, const GemmTiling &tiling,
              GemmOperands operands, Value rows, Value panels, Value m0,
              Value p0)
      : tiling(tiling), operands(operands), rows(rows), panels(panels), m0(m0),
        p0(p0) {
    MLIRContext *context = b.getContext();
    auto workgroup = gpu::AddressSpace::Workgroup;
    depth = b.create<memref::DimOp>(operands.a, 1);
    if (Type element = tiling.mmaElement) {
      int64_t pitch =
          kDepth + kMMATilePadBytes * 8 / element.getIntOrFloatBitWidth();
      auto space = gpu::AddressSpaceAttr::get(context, workgroup);
      aTile = b.create<memref::AllocaOp>(MemRefType::get(
          {kBlockRows, pitch}, element, MemRefLayoutAttrInterface(), space));
      if (!element.isF32() &&
          getElementTypeOrSelf(operands.a.getType()).isF32())
        aLowTile = b.create<memref::AllocaOp>(
            cast<MemRefType>(aTile.getType()));
      bTile = b.create<memref::AllocaOp>(MemRefType::get(
          {kBlockColumns, pitch}, element, MemRefLayoutAttrInterface(), space));
      cTile = b.create<memref::AllocaOp>(
          f32MemoryType({kBlockRows, kCTilePitch}, context, workgroup));
      accumulators = b.create<memref::AllocaOp>(f32MemoryType(
          {kThreadBlockSize, kWarpTileRows * kWarpTileColumns, 4}, context,
          gpu::AddressSpace::Private));
      return;
    }
    aTile = b.create<memref::AllocaOp>(
        f32MemoryType({kDepth, kATilePitch}, context, workgroup));
    bTile = b.create<memref::AllocaOp>(
        f32MemoryType({kDepth, bPitch()}, context, workgroup));
    accumulators = b.create<memref::AllocaOp>(
        f32MemoryType({kThreadBlockSize, kThreadRows, tiling.panelColumns()},
                   context, gpu::AddressSpace::Private));
  }

  /// Phases: zero the accumulators, then per K step load the tiles and
  /// accumulate, then the epilogue.
  void emit(ImplicitLocOpBuilder &b, ValueRange batch,
            BatchTileEpilogue epilogue) {
    if (tiling.mmaElement)
      return emitMMA(b, batch, epilogue);
    threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
      Value zero = floatConst(b, f32Vector(b, tiling.width), 0.0);
      Value slice = threadSlice(b, accumulators, thread);
      forEachAccumulator(b, [&](int64_t r, int64_t v) {
        storeAccumulator(b, zero, slice, r, v);
      });
    });
    b.create<scf::ForOp>(
        indexConst(b, 0), depth, indexConst(b, kDepth), std::nullopt,
        [&](OpBuilder &nested, Location loc, Value k0, ValueRange) {
          ImplicitLocOpBuilder b(loc, nested);
          threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
            loadTiles(b, thread, k0);
          });
          threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
            accumulate(b, thread);
          });
          b.create<scf::YieldOp>();
        });
    threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
      storeResults(b, thread, batch, epilogue);
    });
  }

private:
  /// The tensor-core form's phases: zero the fragments; per K step load
  /// the tiles, then multiply; store the fragments into the C tile; then
  /// the epilogue, from the C tile.
  void emitMMA(ImplicitLocOpBuilder &b, ValueRange batch,
               BatchTileEpilogue epilogue) {
    threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
      Value zero = floatConst(b, f32Vector(b, 4), 0.0);
      Value slice = threadSlice(b, accumulators, thread);
      for (int64_t f = 0; f < kWarpTileRows * kWarpTileColumns; ++f)
        storeLanes(b, zero, slice, indexConst(b, f), indexConst(b, 0));
    });
    b.create<scf::ForOp>(
        indexConst(b, 0), depth, indexConst(b, kDepth), std::nullopt,
        [&](OpBuilder &nested, Location loc, Value k0, ValueRange) {
          ImplicitLocOpBuilder b(loc, nested);
          threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
            loadMMATiles(b, thread, k0);
          });
          threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
            multiply(b, thread);
          });
          b.create<scf::YieldOp>();
        });
    threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
      storeFragments(b, thread);
    });
    threadPhase(b, [&](ImplicitLocOpBuilder &b, Value thread) {
      storeResults(b, thread, batch, epilogue);
    });
  }

  /// The thread's warp's first row and column in the block, and its lane.
  struct WarpPosition {
    Value row, column, lane;
  };
  WarpPosition warpPosition(ImplicitLocOpBuilder &b, Value thread) const {
    Value warp = b.create<arith::DivUIOp>(thread, indexConst(b, kWarpSize));
    int64_t warpsPerRow = kBlockColumns / kWarpColumns;
    return {b.create<arith::MulIOp>(
                b.create<arith::DivUIOp>(warp, indexConst(b, warpsPerRow)),
                indexConst(b, kWarpRows)),
            b.create<arith::MulIOp>(
                b.create<arith::RemUIOp>(warp, indexConst(b, warpsPerRow)),
                indexConst(b, kWarpColumns)),
            b.create<arith::RemUIOp>(thread, indexConst(b, kWarpSize))};
  }

  /// A[m0 + r, k0 + k] into aTile[r][k] and B's columns of the block at
  /// k0 + k into bTile[c][k], converted to the tiles' type, zero past M, N
  /// and K. A warp reads 32 consecutive k of one row of A, and consecutive
  /// elements of B's panels (or rows).
  void loadMMATiles(ImplicitLocOpBuilder &b, Value thread, Value k0) const {
    Type element = tiling.mmaElement;
    forEachElement(
        b, thread, kBlockRows * kDepth,
        [&](ImplicitLocOpBuilder &b, Value e) {
          Value r = b.create<arith::DivUIOp>(e, indexConst(b, kDepth));
          Value k = b.create<arith::RemUIOp>(e, indexConst(b, kDepth));
          Value row = b.create<arith::AddIOp>(m0, r);
          Value kk = b.create<arith::AddIOp>(k0, k);
          if (!aLowTile) {
            Value value =
                loadAsOrZero(b, element, operands.a, row, rows, kk, depth);
            b.create<memref::StoreOp>(value, aTile, ValueRange{r, k});
            return;
          }
          // f32 rows as high + low 16-bit parts: 22 (f16) or 16 (bf16)
          // significant bits instead of 11 or 8.
          Value value =
              loadAsOrZero(b, b.getF32Type(), operands.a, row, rows, kk, depth);
          Value high = b.create<arith::TruncFOp>(element, value);
          Value low = b.create<arith::TruncFOp>(
              element, b.create<arith::SubFOp>(
                           value, b.create<arith::ExtFOp>(b.getF32Type(), high)));
          b.create<memref::StoreOp>(high, aTile, ValueRange{r, k});
          b.create<memref::StoreOp>(low, aLowTile, ValueRange{r, k});
        });
    int64_t nr = tiling.panelColumns();
    if (operands.rhs.layout == GemmRhs::Layout::Panels) {
      forEachElement(
          b, thread, kBlockColumns * kDepth,
          [&](ImplicitLocOpBuilder &b, Value e) {
            Value p = b.create<arith::DivUIOp>(e, indexConst(b, kDepth * nr));
            Value rest =
                b.create<arith::RemUIOp>(e, indexConst(b, kDepth * nr));
            Value k = b.create<arith::DivUIOp>(rest, indexConst(b, nr));
            Value j = b.create<arith::RemUIOp>(rest, indexConst(b, nr));
            Value value = loadAsOrZero(
                b, element, operands.rhs.buffer, b.create<arith::AddIOp>(p0, p),
                panels, b.create<arith::AddIOp>(k0, k), depth, j);
            Value column = b.create<arith::AddIOp>(
                b.create<arith::MulIOp>(p, indexConst(b, nr)), j);
            b.create<memref::StoreOp>(value, bTile, ValueRange{column, k});
          });
      return;
    }
    Value n = b.create<memref::DimOp>(operands.rhs.buffer, 1);
    Value col0 = b.create<arith::MulIOp>(p0, indexConst(b, nr));
    forEachElement(
        b, thread, kDepth * kBlockColumns,
        [&](ImplicitLocOpBuilder &b, Value e) {
          Value k = b.create<arith::DivUIOp>(e, indexConst(b, kBlockColumns));
          Value c = b.create<arith::RemUIOp>(e, indexConst(b, kBlockColumns));
          Value value = loadAsOrZero(b, element, operands.rhs.buffer,
                                     b.create<arith::AddIOp>(k0, k), depth,
                                     b.create<arith::AddIOp>(col0, c), n);
          b.create<memref::StoreOp>(value, bTile, ValueRange{c, k});
        });
  }

  /// The warp's 2 × 4 fragments += its rows of aTile × its columns of
  /// bTile, one warp.mma per 16 × 8 tile and instruction depth.
  void multiply(ImplicitLocOpBuilder &b, Value thread) const {
    WarpPosition warp = warpPosition(b, thread);
    Value slice = threadSlice(b, accumulators, thread);
    SmallVector<Value> accs;
    for (int64_t f = 0; f < kWarpTileRows * kWarpTileColumns; ++f)
      accs.push_back(
          loadLanes(b, slice, indexConst(b, f), indexConst(b, 0), 4));
    int64_t step = tiling.mmaElement.isF32() ? 8 : 16;
    for (int64_t k = 0; k < kDepth; k += step) {
      Value kk = indexConst(b, k);
      for (int64_t i = 0; i < kWarpTileRows; ++i) {
        Value row =
            b.create<arith::AddIOp>(warp.row, indexConst(b, i * 16));
        for (int64_t j = 0; j < kWarpTileColumns; ++j) {
          Value column =
              b.create<arith::AddIOp>(warp.column, indexConst(b, j * 8));
          Value &acc = accs[i * kWarpTileColumns + j];
          if (aLowTile)
            acc = b.create<warp::MMAOp>(acc.getType(), aLowTile, row, kk,
                                        bTile, column, kk, acc, warp.lane);
          acc = b.create<warp::MMAOp>(acc.getType(), aTile, row, kk, bTile, column, kk, acc,
                                      warp.lane);
        }
      }
    }
    for (int64_t f = 0; f < kWarpTileRows * kWarpTileColumns; ++f)
      storeLanes(b, accs[f], slice, indexConst(b, f), indexConst(b, 0));
  }

  /// Each lane's fragments into the C tile, at the rows and columns of the
  /// m16n8 accumulator layout (warp.mma).
  void storeFragments(ImplicitLocOpBuilder &b, Value thread) const {
    WarpPosition warp = warpPosition(b, thread);
    Value slice = threadSlice(b, accumulators, thread);
    Value g = b.create<arith::DivUIOp>(warp.lane, indexConst(b, 4));
    Value t2 = b.create<arith::MulIOp>(
        b.create<arith::RemUIOp>(warp.lane, indexConst(b, 4)),
        indexConst(b, 2));
    Value row0 = b.create<arith::AddIOp>(warp.row, g);
    Value col0 = b.create<arith::AddIOp>(warp.column, t2);
    for (int64_t i = 0; i < kWarpTileRows; ++i)
      for (int64_t j = 0; j < kWarpTileColumns; ++j)
        for (int64_t e = 0; e < 4; ++e) {
          int64_t f = i * kWarpTileColumns + j;
          Value value = b.create<memref::LoadOp>(
              slice, ValueRange{indexConst(b, f), indexConst(b, e)});
          Value row = b.create<arith::AddIOp>(
              row0, indexConst(b, i * 16 + 8 * (e / 2)));
          Value column =
              b.create<arith::AddIOp>(col0, indexConst(b, j * 8 + e % 2));
          b.create<memref::StoreOp>(value, cTile, ValueRange{row, column});
        }
  }

  int64_t bPitch() const {
    // Packed panels are loaded a panel at a time, 4 k rows per warp; a pad
    // of one panel spreads those rows over all banks.
    int64_t columns = kBlockPanels * tiling.panelColumns();
    return operands.rhs.layout == GemmRhs::Layout::Panels
               ? columns + tiling.panelColumns()
               : columns;
  }

  void forEachAccumulator(ImplicitLocOpBuilder &b,
                          llvm::function_ref<void(int64_t, int64_t)> fn) const {
    for (int64_t r = 0; r < kThreadRows; ++r)
      for (int64_t v = 0; v < tiling.vectors; ++v)
        fn(r, v);
  }

  /// Vector `v` of row `r` of a thread's accumulators.
  Value loadAccumulator(ImplicitLocOpBuilder &b, Value slice, int64_t r,
                        int64_t v) const {
    return loadLanes(b, slice, indexConst(b, r),
                     indexConst(b, v * tiling.width), tiling.width);
  }
  void storeAccumulator(ImplicitLocOpBuilder &b, Value value, Value slice,
                        int64_t r, int64_t v) const {
    storeLanes(b, value, slice, indexConst(b, r),
               indexConst(b, v * tiling.width));
  }

  /// The thread's share of this K step's tiles, zero past M, N and K.
  void loadTiles(ImplicitLocOpBuilder &b, Value thread, Value k0) const {
    loadATile(b, thread, k0);
    if (operands.rhs.layout == GemmRhs::Layout::Panels)
      loadPanelTile(b, thread, k0);
    else
      loadRowMajorTile(b, thread, k0);
  }

  /// Runs `body` on element `i · threads + thread` for i over the
  /// `elements / threads` elements of a tile each thread loads.
  void forEachElement(
      ImplicitLocOpBuilder &b, Value thread, int64_t elements,
      llvm::function_ref<void(ImplicitLocOpBuilder &, Value)> body) const {
    sequentialLoops(b, {indexConst(b, elements / kThreadBlockSize)},
                    [&](ImplicitLocOpBuilder &b, ValueRange i) {
                      body(b, b.create<arith::AddIOp>(
                                  b.create<arith::MulIOp>(
                                      i[0], indexConst(b, kThreadBlockSize)),
                                  thread));
                    });
  }

  /// A[m0 + r, k0 + k] into aTile[k][r]; a warp reads 32 consecutive k of
  /// one row (128 bytes).
  void loadATile(ImplicitLocOpBuilder &b, Value thread, Value k0) const {
    forEachElement(
        b, thread, kBlockRows * kDepth,
        [&](ImplicitLocOpBuilder &b, Value element) {
          Value r = b.create<arith::DivUIOp>(element, indexConst(b, kDepth));
          Value k = b.create<arith::RemUIOp>(element, indexConst(b, kDepth));
          Value row = b.create<arith::AddIOp>(m0, r);
          Value kk = b.create<arith::AddIOp>(k0, k);
          Value value = loadOrZero(b, operands.a, row, rows, kk, depth);
          b.create<memref::StoreOp>(value, aTile, ValueRange{k, r});
        });
  }

  /// Panels [p0, p0 + kBlockPanels) at k rows [k0, k0 + kDepth) into
  /// bTile[k][p · NR + j]: each panel's rows are contiguous in memory.
  void loadPanelTile(ImplicitLocOpBuilder &b, Value thread, Value k0) const {
    int64_t nr = tiling.panelColumns();
    forEachElement(
        b, thread, kBlockPanels * kDepth * nr,
        [&](ImplicitLocOpBuilder &b, Value element) {
          Value p =
              b.create<arith::DivUIOp>(element, indexConst(b, kDepth * nr));
          Value rest =
              b.create<arith::RemUIOp>(element, indexConst(b, kDepth * nr));
          Value k = b.create<arith::DivUIOp>(rest, indexConst(b, nr));
          Value j = b.create<arith::RemUIOp>(rest, indexConst(b, nr));
          Value panel = b.create<arith::AddIOp>(p0, p);
          Value kk = b.create<arith::AddIOp>(k0, k);
          Value value = loadOrZero(b, operands.rhs.buffer, panel, panels, kk,
                                   depth, j);
          Value column = b.create<arith::AddIOp>(
              b.create<arith::MulIOp>(p, indexConst(b, nr)), j);
          b.create<memref::StoreOp>(value, bTile, ValueRange{k, column});
        });
  }

  /// B[k0 + k, p0 · NR + c] of a row-major [K, N] into bTile[k][c].
  void loadRowMajorTile(ImplicitLocOpBuilder &b, Value thread, Value k0) const {
    int64_t columns = kBlockPanels * tiling.panelColumns();
    Value n = b.create<memref::DimOp>(operands.rhs.buffer, 1);
    Value col0 =
        b.create<arith::MulIOp>(p0, indexConst(b, tiling.panelColumns()));
    forEachElement(
        b, thread, kDepth * columns,
        [&](ImplicitLocOpBuilder &b, Value element) {
          Value k = b.create<arith::DivUIOp>(element, indexConst(b, columns));
          Value c = b.create<arith::RemUIOp>(element, indexConst(b, columns));
          Value kk = b.create<arith::AddIOp>(k0, k);
          Value col = b.create<arith::AddIOp>(col0, c);
          Value value = loadOrZero(b, operands.rhs.buffer, kk, depth, col, n);
          b.create<memref::StoreOp>(value, bTile, ValueRange{k, c});
        });
  }

  /// The thread's row group (rows m0 + group · kThreadRows onwards) and
  /// panel (p0 + panel). Panels vary fastest, so a warp's epilogue stores
  /// cover 64 consecutive columns of 4 rows.
  std::pair<Value, Value> position(ImplicitLocOpBuilder &b,
                                   Value thread) const {
    return {b.create<arith::DivUIOp>(thread, indexConst(b, kBlockPanels)),
            b.create<arith::RemUIOp>(thread, indexConst(b, kBlockPanels))};
  }

  /// The thread's accumulators += its rows of aTile × its panel of bTile,
  /// carried in registers across the K step.
  void accumulate(ImplicitLocOpBuilder &b, Value thread) const {
    int64_t width = tiling.width;
    auto [group, panel] = position(b, thread);
    Value slice = threadSlice(b, accumulators, thread);
    SmallVector<Value> init;
    forEachAccumulator(b, [&](int64_t r, int64_t v) {
      init.push_back(loadAccumulator(b, slice, r, v));
    });
    Value row0 = b.create<arith::MulIOp>(group, indexConst(b, kThreadRows));
    Value col0 =
        b.create<arith::MulIOp>(panel, indexConst(b, tiling.panelColumns()));
    SmallVector<Value> sums = forReduce(
        b, indexConst(b, 0), indexConst(b, kDepth), init,
        [&](ImplicitLocOpBuilder &b, Value k,
            ValueRange acc) -> SmallVector<Value> {
          SmallVector<Value> bRow;
          for (int64_t v = 0; v < tiling.vectors; ++v)
            bRow.push_back(loadLanes(
                b, bTile, k,
                b.create<arith::AddIOp>(col0, indexConst(b, v * width)),
                width));
          SmallVector<Value> next;
          for (int64_t r = 0; r < kThreadRows; ++r) {
            Value a = b.create<memref::LoadOp>(
                aTile,
                ValueRange{k, b.create<arith::AddIOp>(row0, indexConst(b, r))});
            Value broadcast = splat(b, a, width);
            for (int64_t v = 0; v < tiling.vectors; ++v)
              next.push_back(
                  fma(b, broadcast, bRow[v], acc[r * tiling.vectors + v]));
          }
          return next;
        });
    forEachAccumulator(b, [&](int64_t r, int64_t v) {
      storeAccumulator(b, sums[r * tiling.vectors + v], slice, r, v);
    });
  }

  /// The epilogue of each of the thread's rows inside C. It is emitted per
  /// row rather than in a loop over rows so that the accumulators are read
  /// at constant offsets and stay in registers.
  void storeResults(ImplicitLocOpBuilder &b, Value thread, ValueRange batch,
                    BatchTileEpilogue epilogue) const {
    auto [group, offset] = position(b, thread);
    Value panelOffset = offset;
    Value panel = b.create<arith::AddIOp>(p0, offset);
    Value first = b.create<arith::AddIOp>(
        m0, b.create<arith::MulIOp>(group, indexConst(b, kThreadRows)));
    Value slice = cTile ? Value() : threadSlice(b, accumulators, thread);
    Value panelInside = lessThan(b, panel, panels);
    for (int64_t r = 0; r < kThreadRows; ++r) {
      Value row = b.create<arith::AddIOp>(first, indexConst(b, r));
      Value inside =
          b.create<arith::AndIOp>(panelInside, lessThan(b, row, rows));
      b.create<scf::IfOp>(inside, [&](OpBuilder &nested, Location loc) {
        ImplicitLocOpBuilder b(loc, nested);
        SmallVector<Value> accs;
        for (int64_t v = 0; v < tiling.vectors; ++v)
          accs.push_back(
              cTile ? loadLanes(
                          b, cTile, b.create<arith::SubIOp>(row, m0),
                          b.create<arith::AddIOp>(
                              b.create<arith::MulIOp>(
                                  panelOffset,
                                  indexConst(b, tiling.panelColumns())),
                              indexConst(b, v * tiling.width)),
                          tiling.width)
                    : loadAccumulator(b, slice, r, v));
        epilogue(b, batch, row, panel, accs);
        b.create<scf::YieldOp>();
      });
    }
  }

  const GemmTiling &tiling;
  GemmOperands operands;
  Value rows, panels, m0, p0, depth;
  /// f32 [kDepth, kATilePitch] and [kDepth, bPitch()] in workgroup memory;
  /// with tensor cores [kBlockRows, pitch] and [kBlockColumns, pitch] of
  /// the MMA's type, k contiguous.
  Value aTile, bTile;
  /// With tensor cores and f32 rows of A (normalized rows, an MLP's
  /// hidden rows) against 16-bit B: what rounding A to B's type leaves,
  /// A ≈ aTile + aLowTile, multiplied too.
  Value aLowTile;
  /// With tensor cores: the block's C, f32 [kBlockRows, kCTilePitch] in
  /// workgroup memory, for the epilogue.
  Value cTile;
  /// f32 [threads, kThreadRows, NR] in private memory: a slice per thread.
  Value accumulators;
};

} // namespace

void emitThreadBlockGemm(ImplicitLocOpBuilder &b, const GemmTiling &blockTiling,
                         ValueRange batchSizes, Value rows, Value panels,
                         GemmBatchViews views, BatchTileEpilogue epilogue) {
  // The warps' tiles cover 64 columns: 8 panels of 8 (the GPU's 4 lanes).
  GemmTiling tiling = blockTiling;
  if (kBlockPanels * tiling.panelColumns() != kBlockColumns)
    tiling.mmaElement = {};
  SmallVector<Value> bounds(batchSizes);
  bounds.push_back(
      b.createOrFold<arith::CeilDivUIOp>(panels, indexConst(b, kBlockPanels)));
  bounds.push_back(
      b.createOrFold<arith::CeilDivUIOp>(rows, indexConst(b, kBlockRows)));
  // A row block past the rows finds none and stores nothing.
  blockLoops(b, bounds, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
    ValueRange batch = ivs.drop_back(2);
    Value p0 = b.create<arith::MulIOp>(ivs[ivs.size() - 2],
                                       indexConst(b, kBlockPanels));
    Value m0 = b.create<arith::MulIOp>(ivs.back(), indexConst(b, kBlockRows));
    GemmOperands operands = views(b, batch);
    ThreadBlock(b, tiling, operands, rows, panels, m0, p0)
        .emit(b, batch, epilogue);
  });
}

} // namespace kiln
