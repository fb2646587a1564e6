//===- AttnKernel.h - Register-tiled attention micro-kernels ----*- C++ -*-===//
//
// The two products of a flash-attention block as outer-product micro-GEMMs
// on vector registers, and the vector online softmax between them. A block
// is up to kQueryBlock query rows (pre-scaled, f32 scratch [BQ, D]) against
// up to kKeyBlock keys; the scores/weights of the block live in scratch
// [BQ, BK], the output accumulators in scratch [BQ, Dv'] (Dv' = Dv padded to
// whole vectors).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_ATTNKERNEL_H
#define KILN_PASSES_CONVERSION_TOLOOPS_ATTNKERNEL_H

#include "passes/Conversion/ToLoops/VectorBuilder.h"

namespace kiln {

/// Query rows per parallel iteration: a 64-row block reuses every key and
/// value it loads 64 times (16 register tiles of 4 rows), and 256 blocks at
/// T=2048, 8 heads keep 2 threads balanced, causal included.
constexpr int64_t kQueryBlock = 64;
/// Keys per block of the online softmax: 256 keys of D=64 f32 (64 KB) stay
/// in L2 across the 16 row tiles; blocks of 64 were 13% slower (fewer rows
/// amortize the softmax's per-row work), 512 doubles the score scratch.
constexpr int64_t kKeyBlock = 256;
/// Query rows of a register tile: 4 broadcasts against `vectors` loaded
/// vectors per step.
constexpr int64_t kTileRows = 4;

/// The register tile: kTileRows rows × `vectors` vectors of `width` lanes.
struct AttnTile {
  int64_t width;
  /// 4 with 32 vector registers (AVX-512: 16 accumulators + 4 loads + a
  /// broadcast), 2 with 16 (AVX2/SSE: 8 + 2 + 1, no spills).
  int64_t vectors;
  int64_t columns() const { return width * vectors; }
};

AttnTile attnTileFor(int64_t vectorWidth);

/// ceil(a / b) for index values, `b` a positive constant.
Value ceilDivConst(ImplicitLocOpBuilder &b, Value a, int64_t c);

/// scores[r, j] = Σ_d qs[r, d] · key[k0 + j, d] for the rows [0, 4·groups)
/// and columns [0, roundup(count, tile columns)): 4×(vectors·W) register
/// tiles, one broadcast q element against `vectors` key vectors per d. The
/// keys are packed in panels keyT [B, Hkv, S'/cols, D, cols] (zero padding),
/// so a tile reads one contiguous D×cols panel; k0 is a multiple of cols.
void scoreTiles(ImplicitLocOpBuilder &b, const AttnTile &tile, Value qs,
                Value keyT, Value batch, Value kvHead, Value headDim, Value k0,
                Value count, Value groups, Value scores);

/// os[r, :] = os[r, :] · corr[r] + Σ_{j<count} weights[r, j] · value[k0 + j,
/// :] for rows [0, 4·groups) (corr null: no rescaling). The values are
/// packed in chunks of tile columns, valueP [B, Hkv, Dv'/cols, S, cols]
/// (zero padding), so a tile's loads are contiguous and never masked; os
/// has Dv' columns.
void accumulateValues(ImplicitLocOpBuilder &b, const AttnTile &tile,
                      Value weights, Value valueP, Value batch, Value kvHead,
                      Value k0, Value count, Value groups, Value corr,
                      Value os);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_ATTNKERNEL_H
