//===- Gemm.cpp - Register-tiled GEMM kernels -----------------------------===//
//
// The micro-kernel keeps a rows × (vectors·width) accumulator tile in vector
// registers across the whole K loop: per k step it loads one row of B's
// panel (`vectors` vectors) and, for each row of the tile, broadcasts one A
// element and issues `vectors` FMAs. Around it, threads take blocks of rows
// × blocks of panels; inside a block each panel is swept by every row tile
// while it sits in L2, and rows that do not fill a tile are covered by
// power-of-two tiles (4, 2, 1), so no rows are computed twice or wasted.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/ToLoops/Gemm.h"
#include "passes/Conversion/ToLoops/PackWeights.h"
#include "passes/Conversion/ToLoops/VectorBuilder.h"

#include "mlir/IR/TypeUtilities.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace kiln {

/// At most this many row tiles per parallel block (192 rows with AVX-512, 96
/// with AVX2): each panel brought into L2 serves them all, so B is streamed
/// from memory once per block of rows; 8 tiles measured no faster on
/// 512-4096 sized GEMMs. The rows are split into blocks of equal size in
/// whole tiles, as the panels are: M = 1024 is 6 blocks of 171 rows rounded
/// up to 180, not 5 of 192 and one of 64.
constexpr int64_t kRowTilesPerBlock = 16;
/// At most this many panels per parallel block (256 columns with AVX-512):
/// with the row tiles above, blocks are small enough for two threads to
/// balance even at M = 128 and large enough to amortize the loop overhead.
/// The panels are split into blocks of equal size: 12 panels (N = 384) as
/// 8 + 4 would give one thread of two twice the work of the other.
constexpr int64_t kPanelsPerBlock = 8;
/// The panels are split finer where there are few row blocks, so that a
/// GEMM has at least this many parallel blocks (or one per panel): with 9
/// blocks (M = 512, N = 768 as 3 × 3) one thread of two idles for a ninth of
/// the loop. GPT-2's MLP down projection (K = 3072) went from 12.4 to 11.5 ms
/// on 2 threads, the whole block from 37.3 to 35.8 ms; 48 measured the same.
constexpr int64_t kMinBlocks = 32;
/// K steps per iteration of a full tile's K loop. One step issues 38
/// vector instructions in the 12 cycles its 24 FMAs take on two ports, near
/// the front end's 4 per cycle, so the loop's increments, compare and branch
/// are worth amortizing: unrolled by 4, the BERT encoder's GEMM shapes ran
/// 3-5% faster on 1 thread. Remainder tiles keep a plain loop (compile time).
constexpr int64_t kFullTileUnroll = 4;

GemmTiling GemmTiling::forWidth(int64_t width) {
  // AVX-512 has 32 registers: 12 rows × 2 vectors = 24 accumulators, 2 for B
  // and a broadcast. Against 8 rows, each B row loaded (from L2 once K·NR·4
  // bytes outgrow L1) feeds 24 FMAs instead of 16: K = 384 GEMMs ran 4-6%
  // faster on 1 thread, the BERT encoder about 3% on 2.
  if (width >= 16)
    return {width, 12, 2};
  // AVX2 and SSE have 16: 6 × 2 = 12 accumulators + 2 for B + 1 broadcast.
  return {width, 6, 2};
}

GemmTiling GemmTiling::forOperands(Type a, Type b) const {
  GemmTiling tiling = *this;
  tiling.mmaElement = {};
  if (!threadBlocks || !mma)
    return tiling;
  if ((b.isF16() || b.isBF16()) && (a == b || a.isF32()))
    tiling.mmaElement = b;
  else if (tf32 && b.isF32() && (a.isF32() || a.isF16() || a.isBF16()))
    tiling.mmaElement = b;
  return tiling;
}

/// B's row `k` across panel `panel`: `vectors` f32 vectors. Packed rows
/// read on the panel's first sweep are marked for kiln-prefetch-panels.
static SmallVector<Value> loadRhsRow(ImplicitLocOpBuilder &b,
                                     const GemmTiling &tiling,
                                     const GemmRhs &rhs, Value k, Value panel,
                                     ArrayRef<Value> columns,
                                     ArrayRef<Value> masks, bool firstSweep) {
  SmallVector<Value> row;
  for (int64_t v = 0; v < tiling.vectors; ++v) {
    if (rhs.layout == GemmRhs::Layout::Panels) {
      auto load = b.create<vector::LoadOp>(
          f32Vector(b, tiling.width), rhs.buffer,
          ValueRange{panel, k, indexConst(b, v * tiling.width)});
      if (firstSweep)
        load->setAttr(kPanelRowAttr, b.getUnitAttr());
      row.push_back(load);
    } else {
      row.push_back(maskedLoadVector(b, rhs.buffer, {k, columns[v]}, masks[v],
                                     tiling.width));
    }
  }
  return row;
}

namespace {

/// Emits the tiles of one GEMM inside a parallel block.
class TileEmitter {
public:
  TileEmitter(const GemmTiling &tiling, Value a, const GemmRhs &rhs,
              Value tileScratch, TileEpilogue epilogue)
      : tiling(tiling), a(a), rhs(rhs), tileScratch(tileScratch),
        epilogue(epilogue) {}

  /// Rows [m0, mEnd) against one panel: full tiles, then the rest (fewer
  /// than a tile) as power-of-two tiles, largest first.
  void emitPanelColumn(ImplicitLocOpBuilder &b, Value m0, Value mEnd,
                       Value panel) const;

private:
  /// One tile of `rowCount` rows from `m0`: the K loop carrying the
  /// accumulators in registers, then the epilogue row by row. The panel's
  /// first sweep reads it from memory; later ones find it in L2.
  void emitTile(ImplicitLocOpBuilder &b, int64_t rowCount, Value m0,
                Value panel, bool firstSweep) const;
  /// The epilogue of each row of a finished tile.
  void emitEpilogues(ImplicitLocOpBuilder &b, int64_t rowCount, Value m0,
                     Value panel, ArrayRef<Value> accs) const;

  const GemmTiling &tiling;
  Value a;
  const GemmRhs &rhs;
  /// f32 [rows, panelColumns] stack scratch of the parallel block.
  Value tileScratch;
  TileEpilogue epilogue;
};

} // namespace

void TileEmitter::emitTile(ImplicitLocOpBuilder &b, int64_t rowCount,
                           Value m0, Value panel, bool firstSweep) const {
  int64_t vectors = tiling.vectors, width = tiling.width;
  Value depth = b.create<memref::DimOp>(a, 1);
  SmallVector<Value> rows;
  for (int64_t r = 0; r < rowCount; ++r)
    rows.push_back(r ? Value(b.create<arith::AddIOp>(m0, indexConst(b, r)))
                     : m0);
  // A row-major B is read in place: its column offsets and edge masks are
  // fixed for the whole K loop.
  SmallVector<Value> columns, masks;
  if (rhs.layout == GemmRhs::Layout::RowMajor) {
    Value n = b.create<memref::DimOp>(rhs.buffer, 1);
    Value col0 =
        b.create<arith::MulIOp>(panel, indexConst(b, tiling.panelColumns()));
    for (int64_t v = 0; v < vectors; ++v) {
      columns.push_back(
          b.create<arith::AddIOp>(col0, indexConst(b, v * width)));
      masks.push_back(
          laneMask(b, b.create<arith::SubIOp>(n, columns.back()), width));
    }
  }
  SmallVector<Value> init(rowCount * vectors,
                          floatConst(b, f32Vector(b, width), 0.0));
  SmallVector<Value> accs = forReduceUnrolled(
      b, indexConst(b, 0), depth,
      rowCount == tiling.rows ? kFullTileUnroll : 1, init,
      [&](ImplicitLocOpBuilder &b, Value k,
          ValueRange acc) -> SmallVector<Value> {
        SmallVector<Value> bRow =
            loadRhsRow(b, tiling, rhs, k, panel, columns, masks, firstSweep);
        SmallVector<Value> next;
        for (int64_t r = 0; r < rowCount; ++r) {
          Value aValue = splat(b, loadF32(b, a, {rows[r], k}), width);
          for (int64_t v = 0; v < vectors; ++v)
            next.push_back(fma(b, aValue, bRow[v], acc[r * vectors + v]));
        }
        return next;
      });
  emitEpilogues(b, rowCount, m0, panel, accs);
}

void TileEmitter::emitEpilogues(ImplicitLocOpBuilder &b, int64_t rowCount,
                                Value m0, Value panel,
                                ArrayRef<Value> accs) const {
  int64_t vectors = tiling.vectors, width = tiling.width;
  if (rowCount == 1)
    return epilogue(b, m0, panel, accs);
  // The accumulators go through scratch so that the epilogue (an activation
  // polynomial, say) is emitted once per tile shape, in a loop over rows,
  // not once per row: a tenth of the code for the same run time.
  for (int64_t r = 0; r < rowCount; ++r)
    for (int64_t v = 0; v < vectors; ++v)
      b.create<vector::StoreOp>(accs[r * vectors + v], tileScratch,
                                ValueRange{indexConst(b, r),
                                           indexConst(b, v * width)});
  sequentialLoops(b, {indexConst(b, rowCount)},
                  [&](ImplicitLocOpBuilder &b, ValueRange r) {
                    SmallVector<Value> row;
                    for (int64_t v = 0; v < vectors; ++v)
                      row.push_back(b.create<vector::LoadOp>(
                          f32Vector(b, width), tileScratch,
                          ValueRange{r[0], indexConst(b, v * width)}));
                    epilogue(b, b.create<arith::AddIOp>(m0, r[0]), panel,
                             row);
                  });
}

void TileEmitter::emitPanelColumn(ImplicitLocOpBuilder &b, Value m0,
                                  Value mEnd, Value panel) const {
  Value tile = indexConst(b, tiling.rows);
  Value span = b.create<arith::SubIOp>(mEnd, m0);
  Value full = b.create<arith::AddIOp>(
      m0, b.create<arith::MulIOp>(b.create<arith::DivUIOp>(span, tile), tile));
  // The first full tile is peeled: it alone streams the panel from memory.
  Value anyFull =
      b.create<arith::CmpIOp>(arith::CmpIPredicate::ult, m0, full);
  b.create<scf::IfOp>(anyFull, [&](OpBuilder &nested, Location loc) {
    ImplicitLocOpBuilder inner(loc, nested);
    emitTile(inner, tiling.rows, m0, panel, /*firstSweep=*/true);
    inner.create<scf::YieldOp>();
  });
  b.create<scf::ForOp>(b.create<arith::AddIOp>(m0, tile), full, tile,
                       std::nullopt,
                       [&](OpBuilder &nested, Location loc, Value m,
                           ValueRange) {
                         ImplicitLocOpBuilder inner(loc, nested);
                         emitTile(inner, tiling.rows, m, panel,
                                  /*firstSweep=*/false);
                         inner.create<scf::YieldOp>();
                       });
  Value rest = b.create<arith::SubIOp>(mEnd, full);
  int64_t sub = 1;
  while (sub * 2 < tiling.rows)
    sub *= 2;
  for (; sub >= 1; sub /= 2) {
    Value bit = b.create<arith::AndIOp>(rest, indexConst(b, sub));
    Value present = b.create<arith::CmpIOp>(arith::CmpIPredicate::ne, bit,
                                            indexConst(b, 0));
    // Tiles for the higher bits of `rest` come first.
    Value start = b.create<arith::AddIOp>(
        full, b.create<arith::AndIOp>(rest, indexConst(b, ~(2 * sub - 1))));
    b.create<scf::IfOp>(present, [&](OpBuilder &nested, Location loc) {
      ImplicitLocOpBuilder inner(loc, nested);
      // Marked too: with fewer rows than a tile (a decode step) these are
      // the only sweep; after full tiles, a few redundant prefetches.
      emitTile(inner, sub, start, panel, /*firstSweep=*/true);
      inner.create<scf::YieldOp>();
    });
  }
}

namespace {

/// A projection's rope angles, one row of cos and sin per row of C.
struct RopeRows {
  ProjectionRope rope;
  Value cosines, sines;

  /// Rotates heads [h0, hEnd) of rows [m0, mEnd) of `c` ([rows, N]) in
  /// place.
  void rotate(ImplicitLocOpBuilder &b, Value c, Value m0, Value mEnd,
              Value h0, Value hEnd) const {
    Value one = indexConst(b, 1);
    b.create<scf::ForOp>(
        m0, mEnd, one, std::nullopt,
        [&](OpBuilder &nested, Location loc, Value row, ValueRange) {
          ImplicitLocOpBuilder b(loc, nested);
          b.create<scf::ForOp>(
              h0, hEnd, one, std::nullopt,
              [&](OpBuilder &nested, Location loc, Value head, ValueRange) {
                ImplicitLocOpBuilder b(loc, nested);
                Value base = b.create<arith::MulIOp>(
                    head, indexConst(b, rope.headDim));
                auto column = [&](ImplicitLocOpBuilder &b, Value d) {
                  return SmallVector<Value>{
                      row, b.create<arith::AddIOp>(base, d)};
                };
                emitRotateHead(
                    b, rope.spec, cosines, sines, row,
                    [&](ImplicitLocOpBuilder &b, Value d) {
                      return loadF32(b, c, column(b, d));
                    },
                    [&](ImplicitLocOpBuilder &b, Value d, Value value) {
                      storeF32(b, value, c, column(b, d));
                    });
                b.create<scf::YieldOp>();
              });
          b.create<scf::YieldOp>();
        });
  }
};

/// The angles of every row of `c` [B, T, N], in parallel over rows.
RopeRows ropeAngles(ImplicitLocOpBuilder &b, const ProjectionRope &rope,
                    Value c) {
  SmallVector<Value> sizes = memrefSizes(b, c);
  Value rows = b.create<arith::MulIOp>(sizes[0], sizes[1]);
  auto type = MemRefType::get({ShapedType::kDynamic, rope.spec.pairs()},
                              b.getF32Type());
  RopeRows angles{rope, allocBuffer(b, type, {rows}),
                  allocBuffer(b, type, {rows})};
  parallelLoops(b, {rows}, [&](ImplicitLocOpBuilder &b, ValueRange row) {
    Value batch = b.create<arith::DivUIOp>(row[0], sizes[1]);
    Value token = b.create<arith::RemUIOp>(row[0], sizes[1]);
    Value position =
        rope.positions
            ? Value(b.create<memref::LoadOp>(rope.positions,
                                             ValueRange{batch, token}))
            : Value(b.create<arith::IndexCastOp>(b.getI64Type(), token));
    emitRopeAngles(b, rope.spec, position, angles.cosines, angles.sines,
                   row[0]);
  });
  return angles;
}

} // namespace

/// Panels per parallel block: blocks of at most kPanelsPerBlock, split finer
/// until there are kMinBlocks blocks with `rowBlocks` row blocks (or one per
/// panel). The select folds a single panel into one block, so that its
/// block loop and column masks fold as well.
static Value panelsPerBlock(ImplicitLocOpBuilder &b, Value panels,
                            Value rowBlocks) {
  Value one = indexConst(b, 1);
  Value coarseBlocks =
      b.create<arith::CeilDivUIOp>(panels, indexConst(b, kPanelsPerBlock));
  Value wantedBlocks = b.create<arith::CeilDivUIOp>(
      indexConst(b, kMinBlocks), indexMax(b, rowBlocks, one));
  Value blocks = indexMax(b, coarseBlocks, indexMin(b, panels, wantedBlocks));
  Value perBlock = indexMax(
      b, one, b.create<arith::CeilDivUIOp>(panels, indexMax(b, blocks, one)));
  Value single =
      b.create<arith::CmpIOp>(arith::CmpIPredicate::ule, panels, one);
  return b.create<arith::SelectOp>(single, one, perBlock);
}

void emitBatchedGemm(ImplicitLocOpBuilder &b, const GemmTiling &tiling,
                     ValueRange batchSizes, Value rows, Value panels,
                     GemmBatchViews views, BatchTileEpilogue epilogue,
                     const GemmBlockEpilogue *block) {
  if (tiling.threadBlocks) {
    assert(!block && "the GPU form rotates rope heads after the GEMM");
    return emitThreadBlockGemm(b, tiling, batchSizes, rows, panels, views,
                               epilogue);
  }
  Value rowTile = indexConst(b, tiling.rows);
  Value rowBlocks = b.create<arith::CeilDivUIOp>(
      rows, indexConst(b, tiling.rows * kRowTilesPerBlock));
  Value rowBlock = b.create<arith::MulIOp>(
      ceilDiv(b,
              b.create<arith::CeilDivUIOp>(
                  rows, indexMax(b, rowBlocks, indexConst(b, 1))),
              tiling.rows),
      rowTile);
  Value panelBlock = panelsPerBlock(b, panels, rowBlocks);
  if (block)
    panelBlock = b.create<arith::MulIOp>(
        ceilDiv(b, panelBlock, block->panelMultiple),
        indexConst(b, block->panelMultiple));
  // Panel blocks before row blocks: the threads take contiguous runs of
  // (panel block, row block) pairs in guided chunks, so a short last row
  // block (M = 128 is 96 + 32 rows with AVX2) is shared by all threads
  // instead of making one of them idle, consecutive blocks of a thread
  // reuse the same panels from cache, and a thread slowed down by another
  // process takes fewer blocks.
  SmallVector<Value> bounds(batchSizes);
  bounds.push_back(b.create<arith::CeilDivUIOp>(panels, panelBlock));
  bounds.push_back(rowBlocks);
  // A decode step's GEMMs are a few rows each and many: there the dispatch
  // of guided chunks costs more than it balances (docs/compiler.md,
  // "Threads").
  auto function =
      b.getInsertionBlock()->getParent()->getParentOfType<func::FuncOp>();
  bool decodeStep = function && function.getName() == kDecodeFunction;
  auto blockLoops = decodeStep ? parallelLoops : balancedParallelLoops;
  blockLoops(b, bounds, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
    ValueRange batch = ivs.drop_back(2);
    Value m0 = b.create<arith::MulIOp>(ivs.back(), rowBlock);
    Value mEnd = indexMin(b, b.create<arith::AddIOp>(m0, rowBlock), rows);
    Value p0 = b.create<arith::MulIOp>(ivs[ivs.size() - 2], panelBlock);
    Value pEnd = indexMin(b, b.create<arith::AddIOp>(p0, panelBlock), panels);
    GemmOperands operands = views(b, batch);
    auto batchEpilogue = [&](ImplicitLocOpBuilder &b, Value row, Value panel,
                             ValueRange accs) {
      epilogue(b, batch, row, panel, accs);
    };
    // The parallel body is an allocation scope: one scratch per block. The
    // batch is inside the parallel loop, never a loop around it, so the
    // scratch stays at function level even when canonicalization inlines a
    // one-iteration parallel loop.
    TileEmitter tiles(tiling, operands.a, operands.rhs,
                      scratch(b, {indexConst(b, tiling.rows),
                                  indexConst(b, tiling.panelColumns())}),
                      batchEpilogue);
    b.create<scf::ForOp>(p0, pEnd, indexConst(b, 1), std::nullopt,
                         [&](OpBuilder &nested, Location loc, Value panel,
                             ValueRange) {
                           ImplicitLocOpBuilder inner(loc, nested);
                           tiles.emitPanelColumn(inner, m0, mEnd, panel);
                           inner.create<scf::YieldOp>();
                         });
    if (block)
      block->body(b, m0, mEnd, p0, pEnd);
  });
}

void emitGemm(ImplicitLocOpBuilder &b, const GemmTiling &tiling, Value a,
              const GemmRhs &rhs, Value panels, TileEpilogue epilogue,
              const std::optional<RowNorm> &prologue,
              const GemmBlockEpilogue *block) {
  // A's rows are normalized once, into a buffer the tiles read: on CPU
  // threads a parallel loop over rows (each row's statistics, then the row,
  // while it is in L1), on the GPU a thread block per row.
  if (prologue) {
    Value normalized =
        allocBuffer(b,
                    MemRefType::get(cast<MemRefType>(a.getType()).getShape(),
                                    b.getF32Type()),
                    memrefSizes(b, a));
    if (tiling.threadBlocks)
      emitNormalizedRowBlocks(b, *prologue, a, normalized);
    else
      parallelLoops(b, {b.create<memref::DimOp>(a, 0)},
                    [&](ImplicitLocOpBuilder &b, ValueRange row) {
                      emitNormalizedRow(b, *prologue, a, row[0], normalized,
                                        row[0]);
                    });
    a = normalized;
  }
  emitBatchedGemm(
      b, tiling, {}, b.create<memref::DimOp>(a, 0), panels,
      [&](ImplicitLocOpBuilder &, ValueRange) {
        return GemmOperands{a, rhs};
      },
      [&](ImplicitLocOpBuilder &b, ValueRange, Value row, Value panel,
          ValueRange accs) { epilogue(b, row, panel, accs); },
      block);
}

MemRefType packedPanelsType(MLIRContext *context, const GemmTiling &tiling,
                            int64_t n, int64_t k, int64_t sources) {
  int64_t perSource = tiling.panelColumns() / sources;
  int64_t panels = ShapedType::isDynamic(n)
                       ? ShapedType::kDynamic
                       : (n + perSource - 1) / perSource;
  return MemRefType::get({panels, k, tiling.panelColumns()},
                         Float32Type::get(context));
}

void emitPackPanels(ImplicitLocOpBuilder &b, const GemmTiling &tiling,
                    ValueRange sources, Value packed, WeightLayout layout) {
  int64_t perSource = tiling.panelColumns() / sources.size();
  SmallVector<Value> sizes = memrefSizes(b, packed);
  int64_t nAxis = outputAxis(layout);
  Value n = b.create<memref::DimOp>(sources.front(), nAxis);
  Value zero = f32Const(b, 0.0);
  parallelLoops(b, {sizes[0]}, [&](ImplicitLocOpBuilder &b, ValueRange p) {
    Value col0 = b.create<arith::MulIOp>(p[0], indexConst(b, perSource));
    sequentialLoops(
        b, {sizes[1], indexConst(b, perSource)},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value k = ivs[0], j = ivs[1];
          Value column = b.create<arith::AddIOp>(col0, j);
          Value inside =
              b.create<arith::CmpIOp>(arith::CmpIPredicate::ult, column, n);
          // Past N the panel is zero; the load reads a clamped column.
          Value row = indexMin(
              b, column, b.create<arith::SubIOp>(n, indexConst(b, 1)));
          SmallVector<Value, 2> at = {row, k};
          if (nAxis != 0)
            std::swap(at[0], at[1]);
          for (auto [s, source] : llvm::enumerate(sources)) {
            Value value =
                b.create<arith::SelectOp>(inside, loadF32(b, source, at), zero);
            Value lane = b.create<arith::AddIOp>(
                j, indexConst(b, static_cast<int64_t>(s) * perSource));
            b.create<memref::StoreOp>(value, packed, ValueRange{p[0], k, lane});
          }
        });
  });
}

Value packPanelsPerCall(ImplicitLocOpBuilder &b, const GemmTiling &tiling,
                        ValueRange sources, WeightLayout layout) {
  auto sourceType = cast<MemRefType>(sources.front().getType());
  int64_t nAxis = outputAxis(layout);
  MemRefType type =
      packedPanelsType(b.getContext(), tiling, sourceType.getDimSize(nAxis),
                       sourceType.getDimSize(1 - nAxis), sources.size());
  SmallVector<Value> sourceSizes = memrefSizes(b, sources.front());
  int64_t perSource = tiling.panelColumns() / sources.size();
  Value packed = allocBuffer(b, type,
                             {ceilDiv(b, sourceSizes[nAxis], perSource),
                              sourceSizes[1 - nAxis],
                              indexConst(b, tiling.panelColumns())});
  emitPackPanels(b, tiling, sources, packed, layout);
  return packed;
}

GemmRhs weightPanels(ImplicitLocOpBuilder &b, const GemmTiling &tiling,
                     Operation *op, unsigned operand, ValueRange sources,
                     WeightLayout layout) {
  Value panels = packedPanels(op, operand);
  if (!panels)
    panels = packPanelsPerCall(b, tiling, sources, layout);
  return {GemmRhs::Layout::Panels, panels};
}

void emitProjection(ImplicitLocOpBuilder &b, const GemmTiling &blockTiling,
                    const KernelOptions &options, Operation *op,
                    unsigned operand, Value a, Value weight, Value bias,
                    Value c, std::optional<ScalarFn> activation, Value residual,
                    const std::optional<RowNorm> &prologue,
                    const std::optional<ProjectionRope> &rope) {
  GemmTiling tiling = blockTiling.forOperands(getElementTypeOrSelf(a),
                                              getElementTypeOrSelf(weight));
  int64_t perPanel = tiling.panelColumns();
  Value cm = collapseToMatrix(b, c);
  std::optional<RopeRows> ropeRows;
  std::optional<GemmBlockEpilogue> block;
  if (rope) {
    ropeRows = ropeAngles(b, *rope, c);
    // A block that holds whole heads rotates them right after its tiles;
    // else every row is rotated after the GEMM (always on the GPU, where a
    // block's threads would have to wait for each other's tiles).
    int64_t panelsPerHead = rope->headDim / perPanel;
    if (rope->headDim % perPanel == 0 && !tiling.threadBlocks)
      block = GemmBlockEpilogue{
          panelsPerHead,
          [&, panelsPerHead](ImplicitLocOpBuilder &b, Value m0, Value mEnd,
                             Value p0, Value pEnd) {
            ropeRows->rotate(
                b, cm, m0, mEnd,
                b.create<arith::DivUIOp>(p0, indexConst(b, panelsPerHead)),
                b.create<arith::DivUIOp>(pEnd, indexConst(b, panelsPerHead)));
          }};
  }
  Value residualMatrix = residual ? collapseToMatrix(b, residual) : Value();
  GemmRhs rhs = weightPanels(b, tiling, op, operand, {weight});
  emitGemm(b, tiling, collapseToMatrix(b, a), rhs,
           ceilDiv(b, memrefSizes(b, weight)[0], perPanel),
           [&](ImplicitLocOpBuilder &b, Value row, Value panel,
               ValueRange accs) {
             Value col0 =
                 b.create<arith::MulIOp>(panel, indexConst(b, perPanel));
             SmallVector<Value> values(accs);
             if (bias) {
               SmallVector<Value> biases = loadRowVectors(
                   b, bias, col0, tiling.vectors, tiling.width);
               for (auto [value, add] : llvm::zip(values, biases))
                 value = b.create<arith::AddFOp>(value, add);
             }
             if (activation)
               for (Value &value : values)
                 value = emitScalarFn(b, *activation, value);
             storeTileRow(b, cm, row, col0, values, tiling.width,
                          residualMatrix);
           },
           prologue, block ? &*block : nullptr);
  if (ropeRows && !block) {
    Value heads = b.create<arith::DivUIOp>(
        b.create<memref::DimOp>(cm, 1), indexConst(b, rope->headDim));
    parallelLoops(b, {b.create<memref::DimOp>(cm, 0)},
                  [&](ImplicitLocOpBuilder &b, ValueRange row) {
                    ropeRows->rotate(
                        b, cm, row[0],
                        b.create<arith::AddIOp>(row[0], indexConst(b, 1)),
                        indexConst(b, 0), heads);
                  });
  }
}

void storeTileRow(ImplicitLocOpBuilder &b, Value c, Value row, Value col0,
                  ValueRange values, int64_t width, Value residual) {
  Value n = b.create<memref::DimOp>(c, 1);
  for (size_t v = 0; v < values.size(); ++v) {
    Value value = values[v];
    Value col = b.create<arith::AddIOp>(
        col0, indexConst(b, static_cast<int64_t>(v) * width));
    Value left = b.create<arith::SubIOp>(n, col);
    // A plain store where the vector fits: AVX2's masked store
    // (vmaskmovps) is microcoded and slow on AMD cores.
    ifWholeVector(
        b, left, width,
        [&](ImplicitLocOpBuilder &b) {
          Value sum = residual ? b.create<arith::AddFOp>(
                                     value, loadVector(b, residual, {row, col},
                                                       width))
                               : value;
          storeVector(b, sum, c, {row, col});
        },
        [&](ImplicitLocOpBuilder &b) {
          Value mask = laneMask(b, left, width);
          Value sum = residual ? b.create<arith::AddFOp>(
                                     value, maskedLoadVector(b, residual,
                                                             {row, col}, mask,
                                                             width))
                               : value;
          maskedStoreVector(b, sum, c, {row, col}, mask);
        });
  }
}

SmallVector<Value> loadRowVectors(ImplicitLocOpBuilder &b, Value vector,
                                  Value col0, int64_t count, int64_t width) {
  Value n = b.create<memref::DimOp>(vector, 0);
  SmallVector<Value> values;
  for (int64_t v = 0; v < count; ++v) {
    Value col = b.create<arith::AddIOp>(col0, indexConst(b, v * width));
    Value mask = laneMask(b, b.create<arith::SubIOp>(n, col), width);
    values.push_back(maskedLoadVector(b, vector, {col}, mask, width));
  }
  return values;
}

} // namespace kiln
