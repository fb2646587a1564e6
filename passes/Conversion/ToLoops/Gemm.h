//===- Gemm.h - Register-tiled GEMM kernels ---------------------*- C++ -*-===//
//
// The GEMM that linear, matmul, mlp and glu lower through: an outer-product
// micro-kernel whose accumulator tile lives in vector registers (one A
// element broadcast against a row of B's panel per k step), parallel over
// blocks of rows × blocks of column panels, with the epilogue (bias,
// activation, gate, residual) applied to the registers before the store.
//
// B is read either from panels — f32 [P][K][NR], column j of panel p at
// [p][k][j], zero-padded past N — packed once when a session binds its
// weights (docs/abi.md) or per call for a weight computed in the graph, or
// directly from a row-major [K, N] matrix (matmul's right operand).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_GEMM_H
#define KILN_PASSES_CONVERSION_TOLOOPS_GEMM_H

#include "passes/Conversion/ToLoops/LoopBuilder.h"
#include "passes/Conversion/ToLoops/NormRows.h"
#include "passes/Conversion/ToLoops/Patterns.h"
#include "passes/Conversion/ToLoops/Rope.h"

#include <functional>
#include <optional>

namespace kiln {

/// Marks the micro-kernel's loads of a packed panel row, which
/// kiln-prefetch-panels prefetches ahead.
constexpr llvm::StringLiteral kPanelRowAttr = "kiln.panel_row";

/// The register tile of the micro-kernel for one vector width.
struct GemmTiling {
  /// f32 lanes per vector.
  int64_t width;
  /// Rows of A per tile (MR).
  int64_t rows;
  /// Vectors per tile row; a panel holds `vectors * width` columns (NR).
  int64_t vectors;
  /// The GPU's form: thread blocks that stage tiles of A and B in workgroup
  /// memory (emitThreadBlockGemm), each thread a tile of rows × one panel.
  bool threadBlocks = false;
  /// With threadBlocks: GEMMs whose B is f16 or bf16 run on tensor cores
  /// (warp.mma), and with `tf32` f32 ones too.
  bool mma = false;
  bool tf32 = false;
  /// The element type a GEMM's thread blocks stage their tiles in for
  /// warp.mma (set by forOperands); null for SIMT FMAs on f32 tiles.
  mlir::Type mmaElement = {};

  int64_t panelColumns() const { return vectors * width; }

  /// The tile for `width`-lane vectors (see Gemm.cpp for the reasons).
  static GemmTiling forWidth(int64_t width);
  /// This tiling for a GEMM of A (element type `a`) by B (`b`, the type of
  /// the weight or matmul's right operand, whatever its panels hold): B's
  /// type when it is f16 or bf16 and A has it too or is f32 (normalized or
  /// hidden rows, rounded when staged), f32 for TF32 when `tf32` allows it
  /// and B is f32; else no MMA.
  GemmTiling forOperands(mlir::Type a, mlir::Type b) const;
};

/// B as the micro-kernel reads it.
struct GemmRhs {
  enum class Layout { Panels, RowMajor };
  Layout layout;
  /// Panels: f32 [P, K, NR]. RowMajor: [K, N], any float type.
  Value buffer;
};

/// A projection's rope epilogue: heads of `headDim` columns, rotated by
/// `spec` at `positions` [B, T] (null: each row's token index).
struct ProjectionRope {
  RopeSpec spec;
  int64_t headDim;
  Value positions;
};

/// Consumes the finished accumulators of one row of a tile: `accs` holds
/// `vectors` f32 vectors for the columns of panel `panel`.
using TileEpilogue = llvm::function_ref<void(ImplicitLocOpBuilder &, Value row,
                                             Value panel, ValueRange accs)>;

/// Work on a whole parallel block once its tiles are done, while its part
/// of C is in cache: a rope epilogue rotates the block's heads.
struct GemmBlockEpilogue {
  /// Blocks hold a multiple of this many panels (a head's columns).
  int64_t panelMultiple;
  /// Runs with the block's rows [m0, mEnd) and panels [p0, pEnd).
  std::function<void(ImplicitLocOpBuilder &, Value m0, Value mEnd, Value p0,
                     Value pEnd)>
      body;
};

/// Runs the epilogue on Σ_k A[m, k] · B[k, panel columns] for every row m of
/// `a` ([M, K]) and every panel in [0, `panels`), A's rows normalized first
/// when there is a `prologue`, then `block` on each parallel block.
void emitGemm(ImplicitLocOpBuilder &b, const GemmTiling &tiling, Value a,
              const GemmRhs &rhs, Value panels, TileEpilogue epilogue,
              const std::optional<RowNorm> &prologue = std::nullopt,
              const GemmBlockEpilogue *block = nullptr);

/// The operands of one GEMM of a batch.
struct GemmOperands {
  /// [M, K], possibly a strided view.
  Value a;
  GemmRhs rhs;
};
/// Builds the operands of the GEMM at batch indices `batch`.
using GemmBatchViews =
    llvm::function_ref<GemmOperands(ImplicitLocOpBuilder &, ValueRange batch)>;
/// A TileEpilogue that also receives the batch indices.
using BatchTileEpilogue =
    llvm::function_ref<void(ImplicitLocOpBuilder &, ValueRange batch, Value row,
                            Value panel, ValueRange accs)>;

/// emitGemm for every index of `batchSizes`, all of M rows and `panels`
/// panels; the batch joins the parallel loop, so threads share the batch
/// and the blocks of each GEMM alike.
void emitBatchedGemm(ImplicitLocOpBuilder &b, const GemmTiling &tiling,
                     ValueRange batchSizes, Value rows, Value panels,
                     GemmBatchViews views, BatchTileEpilogue epilogue,
                     const GemmBlockEpilogue *block = nullptr);

/// emitBatchedGemm's GPU form (`tiling.threadBlocks`): an scf.parallel over
/// (batch..., column block, row block) whose iteration is one thread block
/// of kThreadBlockSize threads (ThreadBlock.h). Its body allocates the block's A and B tiles
/// in workgroup memory and the threads' accumulators in private memory
/// (one slice per thread), then runs phases, each an scf.parallel over the
/// block's threads that completes before the next starts: zero the
/// accumulators; per K step, load the tiles cooperatively, then accumulate
/// each thread's rows × one panel from them; finally the epilogue of each
/// thread's rows. Rows, columns and depth of any size: the tiles are padded
/// with zeros and the epilogue skips rows and panels past the end.
void emitThreadBlockGemm(ImplicitLocOpBuilder &b, const GemmTiling &tiling,
                         ValueRange batchSizes, Value rows, Value panels,
                         GemmBatchViews views, BatchTileEpilogue epilogue);

/// How a weight matrix holds its N outputs and K inputs: [N, K], PyTorch's
/// linear weight, or [K, N], a matmul's right operand.
enum class WeightLayout { OutIn, InOut };
/// The axis of a weight in `layout` that holds its N outputs.
inline int64_t outputAxis(WeightLayout layout) {
  return layout == WeightLayout::OutIn ? 0 : 1;
}

/// Type of the panels packed from `sources` weights of shape [N, K]; each
/// panel interleaves `panelColumns / sources` columns of every source.
mlir::MemRefType packedPanelsType(mlir::MLIRContext *context,
                                  const GemmTiling &tiling, int64_t n,
                                  int64_t k, int64_t sources);

/// Fills `packed` (of packedPanelsType) from `sources` ([N, K] each, or
/// [K, N] with `layout` InOut): panel p, step k, lane s·L + j holds
/// sources[s][p·L + j, k] with L = panelColumns / sources (zero past N).
void emitPackPanels(ImplicitLocOpBuilder &b, const GemmTiling &tiling,
                    ValueRange sources, Value packed,
                    WeightLayout layout = WeightLayout::OutIn);

/// Allocates `packed` for `sources` and fills it: for weights that are not
/// bound parameters, packed on every call.
Value packPanelsPerCall(ImplicitLocOpBuilder &b, const GemmTiling &tiling,
                        ValueRange sources,
                        WeightLayout layout = WeightLayout::OutIn);

/// The panels of the weights `sources` (operand `operand` of `op`, and the
/// ones after it that share its panels): the ones kiln-pack-weights packs
/// at bind time where it did, else packed on this call.
GemmRhs weightPanels(ImplicitLocOpBuilder &b, const GemmTiling &tiling,
                     mlir::Operation *op, unsigned operand, ValueRange sources,
                     WeightLayout layout = WeightLayout::OutIn);

/// Stores `values` (f32 vectors of `width` lanes) at c[row, col0 + v·width],
/// the lanes past the last column of `c` masked off; with a `residual`
/// matrix of c's shape, adds its elements at the same place first.
void storeTileRow(ImplicitLocOpBuilder &b, Value c, Value row, Value col0,
                  ValueRange values, int64_t width, Value residual = {});

/// `c` = act(`a` · `weight`ᵀ + `bias`) + `residual` for `a` [..., K],
/// `weight` [N, K] (operand `operand` of `op`, packed as weightPanels does),
/// an optional `bias` [N], `c` [..., N] and an optional `residual` of c's
/// shape, the leading dimensions of `a` and `c` collapsed into rows: linear,
/// and the projections of mlp and glu. With `rope`, c [B, T, N] is then
/// rotated head by head.
void emitProjection(ImplicitLocOpBuilder &b, const GemmTiling &tiling,
                    const KernelOptions &options, mlir::Operation *op,
                    unsigned operand, Value a, Value weight, Value bias,
                    Value c, std::optional<ScalarFn> activation,
                    Value residual = {},
                    const std::optional<RowNorm> &prologue = std::nullopt,
                    const std::optional<ProjectionRope> &rope = std::nullopt);

/// A conversion pattern for a GEMM op: the kernel options and the tile they
/// select.
template <typename Op> struct GemmPattern : mlir::OpConversionPattern<Op> {
  GemmPattern(const KernelOptions &options, mlir::TypeConverter &converter,
              mlir::MLIRContext *context)
      : mlir::OpConversionPattern<Op>(converter, context), options(options),
        tiling(GemmTiling::forWidth(options.vectorWidth)) {
    tiling.threadBlocks = options.gpuGemm;
    tiling.mma = options.gpuGemm && options.gpuMMA;
    tiling.tf32 = tiling.mma && options.gpuTF32;
  }

  mlir::MemRefType resultType(Op op) const {
    return mlir::cast<mlir::MemRefType>(
        this->getTypeConverter()->convertType(op.getType()));
  }
  /// The op's fused norm prologue (linear, mlp, glu), if it has one.
  std::optional<RowNorm> prologueOf(Op op, typename Op::Adaptor adaptor) const {
    return rowNormOf(op.getNorm(), op.getNormEps(), adaptor.getNormWeight(),
                     adaptor.getNormBias());
  }

  KernelOptions options;
  GemmTiling tiling;
};

/// Loads `count` vectors of `vector[col0 + v·width]` (bias rows), lanes past
/// the end reading 0.
llvm::SmallVector<Value> loadRowVectors(ImplicitLocOpBuilder &b, Value vector,
                                        Value col0, int64_t count,
                                        int64_t width);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_GEMM_H
