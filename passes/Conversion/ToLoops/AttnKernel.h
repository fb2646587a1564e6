//===- AttnKernel.h - Register-tiled attention micro-kernels ----*- C++ -*-===//
//
// The two products of a flash-attention block as outer-product micro-GEMMs
// on vector registers, and the vector online softmax between them. A block
// is up to AttnTile::queryBlock() query rows (pre-scaled, f32 scratch [BQ, D])
// against up to kKeyBlock keys; the scores/weights of the block live in scratch
// [BQ, BK], the output accumulators in scratch [BQ, Dv'] (Dv' = Dv padded to
// whole vectors).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_ATTNKERNEL_H
#define KILN_PASSES_CONVERSION_TOLOOPS_ATTNKERNEL_H

#include "passes/Conversion/ToLoops/VectorBuilder.h"

#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <optional>

namespace kiln {

/// Keys per block of the online softmax: 256 keys of D=64 f32 (64 KB) stay
/// in L2 across the row tiles. Blocks of 64 were 13% slower (DESIGN.md §7:
/// the per-row softmax work is amortized over fewer keys); 128, 256 and 512
/// measured alike here, and 512 doubles the score scratch.
constexpr int64_t kKeyBlock = 256;
/// Register tiles per query block: a block reuses every key and value it
/// loads 16 times, and 64–96-row blocks give 176–256 parallel iterations at
/// T=2048, 8 heads, enough to balance 2 threads, causal included.
constexpr int64_t kTilesPerQueryBlock = 16;

/// The register tile: `rows` query rows × `vectors` vectors of `width`
/// lanes, the accumulators of both micro-GEMMs. An FMA has a latency of 4–5
/// cycles at 2 per cycle, so at least 10 independent accumulators keep the
/// FMA units busy.
struct AttnTile {
  int64_t width;
  /// 4×4 with 32 vector registers (AVX-512: 16 accumulators, 4 loaded
  /// vectors, a broadcast; DESIGN.md §7 measured it at 94% of peak); 6×2
  /// with 16 (AVX2/SSE: 12 + 2 + 1, no spills). Measured with AVX2: 6×2 at
  /// least as fast as 4×2 (only 8 accumulators), 5×2 and 4×3; 3×4 spills.
  int64_t rows;
  int64_t vectors;
  int64_t columns() const { return width * vectors; }
  int64_t queryBlock() const { return rows * kTilesPerQueryBlock; }
};

AttnTile attnTileFor(int64_t vectorWidth);

/// The tile of the value product for values of `valueDim` columns (dynamic:
/// unknown): `tile` with fewer vectors and proportionally more rows when
/// Dv fills fewer vectors than the tile has (D = 32 with AVX-512 fills 2 of
/// 4: a 4×4 tile would compute zero columns for half its FMAs). The vector
/// count divides the tile's, so the rows still divide a query block.
AttnTile valueTileFor(const AttnTile &tile, int64_t valueDim);

/// Query heads per key/value head (grouped-query attention): dim 2 of
/// `query` over dim 2 of `key`, both [.., .., heads, D] buffers.
Value queryHeadsPerKeyHead(ImplicitLocOpBuilder &b, Value query, Value key);

/// ceil(a / b) for index values, `b` a positive constant.
Value ceilDivConst(ImplicitLocOpBuilder &b, Value a, int64_t c);

/// Packs `key` [B, S, Hkv, D] (`sizes`) into f32 panels
/// [B, Hkv, S'/cols, D, cols], zero-padded, for scoreTiles.
Value packKeys(ImplicitLocOpBuilder &b, const AttnTile &tile, Value key,
               llvm::ArrayRef<Value> sizes);

/// Packs `value` [B, S, Hkv, Dv] (`sizes`) into f32 chunks
/// [B, Hkv, Dv'/cols, S, cols], zero-padded, for accumulateValues.
Value packValues(ImplicitLocOpBuilder &b, const AttnTile &tile, Value value,
                 llvm::ArrayRef<Value> sizes);

/// The visible key interval [los[r], his[r]) of each query row r < rows of
/// a block (index scratch).
struct RowIntervals {
  Value los, his, rows;
};

/// The keys of block [k0, k0 + count) that some row of the register tile
/// starting at `row0` sees, as a count from k0: the largest of the rows'
/// interval ends less k0 (rows past `rows` read the last row's), clamped
/// to [0, count]. Keys past it are masked off for every row of the tile
/// (the causal diagonal, a window's end), so its products skip them. A row
/// that sees no key counts as seeing the whole block: the softmax runs
/// unmasked on it when the block is whole for the other rows, so its
/// scores must be computed, finite values (its output is 0 in the end).
Value tileKeyCount(ImplicitLocOpBuilder &b, const AttnTile &tile,
                   const RowIntervals &intervals, Value row0, Value k0,
                   Value count);

/// scores[r, j] = Σ_d qs[r, d] · key[k0 + j, d] for the rows [0,
/// tile.rows·groups) and columns [0, roundup(count, tile columns)), except
/// the column tiles past a register tile's tileKeyCount (left as they were:
/// the softmax masks them):
/// rows×(vectors·W) register tiles, one broadcast q element against `vectors`
/// key vectors per d. The keys are packed in panels keyT [B, Hkv, S'/cols, D,
/// cols] (zero padding), so a tile reads one contiguous D×cols panel; k0 is a
/// multiple of cols.
void scoreTiles(ImplicitLocOpBuilder &b, const AttnTile &tile, Value qs,
                Value keyT, Value batch, Value kvHead, Value headDim, Value k0,
                Value count, Value groups, const RowIntervals &intervals,
                Value scores);

/// os[r, :] = os[r, :] · corr[r] + Σ_{j<count} weights[r, j] · value[k0 + j,
/// :] for rows [0, tile.rows·groups) (corr null: no rescaling), each
/// register tile's sum stopping at its tileKeyCount (the weights past it
/// are 0). The values are
/// packed in chunks of tile columns, valueP [B, Hkv, Dv'/cols, S, cols]
/// (zero padding), so a tile's loads are contiguous and never masked; os
/// has Dv' columns.
void accumulateValues(ImplicitLocOpBuilder &b, const AttnTile &tile,
                      Value weights, Value valueP, Value batch, Value kvHead,
                      Value k0, Value count, Value groups,
                      const RowIntervals &intervals, Value corr, Value os);

/// One key block's online-softmax step, per query row r < rows.
struct BlockWeights {
  /// The additive bias (null: none) and the indices its rows are read at.
  Value bias, batch, head, t0;
  /// Valid rows; the block's keys [k0, k1), count = k1 - k0.
  Value rows, k0, k1, count;
  /// Scores [rows, kKeyBlock], running max, sum and correction [rows], each
  /// row's visible interval [los, his).
  Value scores, ms, ls, cs, los, his;
  /// The power normalizer's p; none: softmax in base 2.
  std::optional<int64_t> power;
  /// The soft cap in base 2 (baseTwoSoftCap); none: no cap.
  std::optional<double> softcap;
};

/// Turns row r's scores of the block into weights in place: soft-capped,
/// plus the bias, masked (when `masked`: lanes outside [los[r], min(his[r],
/// k1)) ), then exp2(x - running max) with the running sum and the
/// correction factor for the earlier blocks, or x^p (power, masked lanes 0,
/// no max).
void blockWeights(ImplicitLocOpBuilder &b, const AttnTile &tile,
                  const BlockWeights &a, bool masked);

/// What scores are multiplied by: the attention's `scale`, times log2 e for
/// the softmax, whose scores are kept in base 2 (for exp2); the power
/// normalizer's are not.
inline double scoreScale(const llvm::APFloat &scale, bool power) {
  return scale.convertToDouble() * (power ? 1.0 : M_LOG2E);
}

/// The attention's `softcap` for scores kept in base 2, as the softmax
/// keeps them: c · tanh(s / c) times log2 e is the same cap of s · log2 e
/// with c · log2 e. None without a cap.
inline std::optional<double>
baseTwoSoftCap(std::optional<llvm::APFloat> softcap) {
  if (!softcap)
    return std::nullopt;
  return softcap->convertToDouble() * M_LOG2E;
}

/// `cap · tanh(score / cap)` (f32 scalars or vectors), before the bias.
Value softCapScore(ImplicitLocOpBuilder &b, Value score, double cap);

/// `score` plus the additive attention `bias` (f32 scalars or vectors): in
/// base 2 for the softmax (score + bias · log2 e), as is for the power
/// normalizer. A finite bias is clamped to ±2e38 first: PyTorch's
/// `finfo.min` fill (-3.4e38) times log2 e would overflow to -inf, and a
/// row whose every key it hides would then weigh none of them, where
/// softmax(x + finfo.min) weighs them alike. ±inf pass unchanged.
Value addScoreBias(ImplicitLocOpBuilder &b, Value score, Value bias,
                   bool power);

/// `x^p` for a positive integer `p`, by repeated squaring (scalar or
/// vector).
Value integerPower(ImplicitLocOpBuilder &b, Value x, int64_t p);

/// 2^x for an f32 vector x <= 0 (-inf included, which gives 0): a degree-6
/// polynomial and an exponent shift, about half the instructions of the
/// general math.exp expansion (no overflow range to handle).
Value exp2NonPositive(ImplicitLocOpBuilder &b, Value x);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_ATTNKERNEL_H
