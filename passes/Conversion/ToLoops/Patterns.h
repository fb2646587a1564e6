//===- Patterns.h - Kiln-to-loops conversion patterns -----------*- C++ -*-===//
//
// Entry points of the pattern sets that kiln-convert-to-loops combines, one
// per group of ops, each in its own file.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_PATTERNS_H
#define KILN_PASSES_CONVERSION_TOLOOPS_PATTERNS_H

#include "passes/Conversion/ToLoops/ResultBuffers.h"

#include "mlir/Transforms/DialectConversion.h"

namespace kiln {

/// What the kernels are specialized for.
struct KernelOptions {
  /// f32 lanes of the target's vector registers: 16 with AVX-512, 8 with
  /// AVX/AVX2, 4 with SSE (any x86-64). Tile sizes are multiples of it.
  int64_t vectorWidth = 8;
  /// Whether GEMMs take the GPU's thread-block form (Gemm.h,
  /// emitThreadBlockGemm) rather than the CPU's per-thread register tiles.
  bool gpuGemm = false;
  /// With gpuGemm: tensor-core tiles (warp.mma) for f16 and bf16 weights.
  bool gpuMMA = false;
  /// With gpuMMA: f32 GEMMs on tensor cores too, through TF32.
  bool gpuTF32 = false;
};

/// conv1d kernels up to this many taps unroll them (Mamba's K = 4); a
/// longer kernel loops over its taps, since its unrolled body grows with K
/// and the canonicalizer and LLVM take superlinear time on it (K = 4096:
/// minutes). The step form keeps unrolled taps in vector registers across
/// the steps, which fit 8 of them beside the accumulator and inputs.
constexpr int64_t kMaxUnrolledTaps = 8;

/// Unary and binary elementwise graph ops, graph.cast and
/// graph.fused_elementwise.
void populateElementwiseToLoopsPatterns(const KernelOptions &options,
                                        mlir::TypeConverter &converter,
                                        mlir::RewritePatternSet &patterns);
/// log, sqrt, abs, square, erf, sin, cos, maximum, minimum, pow, the
/// comparisons and where.
void populateMathToLoopsPatterns(mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);
/// constant, arange, gather, take_along_axis, argmax, top_k and cumsum.
void populateIndexingToLoopsPatterns(mlir::TypeConverter &converter,
                                     mlir::RewritePatternSet &patterns);
/// norms, softmax, embedding, rope, conv1d, reductions.
void populateGraphToLoopsPatterns(const KernelOptions &options,
                                  mlir::TypeConverter &converter,
                                  mlir::RewritePatternSet &patterns);
/// layer_norm and rms_norm with a thread block per row (the GPU: the
/// threads of a block read the row together); tried before
/// populateGraphToLoopsPatterns' row per iteration.
void populateNormBlocksToLoopsPatterns(mlir::TypeConverter &converter,
                                       mlir::RewritePatternSet &patterns);
/// softmax over the last axis with a thread block per row, likewise.
void populateSoftmaxBlocksToLoopsPatterns(mlir::TypeConverter &converter,
                                          mlir::RewritePatternSet &patterns);
/// linear and matmul.
void populateGemmToLoopsPatterns(const KernelOptions &options,
                                 mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);
/// reshape, transpose, slice, concat, split, and tensor.dim.
void populateDataMovementToLoopsPatterns(mlir::TypeConverter &converter,
                                         mlir::RewritePatternSet &patterns);
/// attn.attention.
void populateAttnToLoopsPatterns(const KernelOptions &options,
                                 mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);
/// attn.attention with one parallel iteration per query row and no scratch
/// (the GPU, where an iteration is a thread), for static head dims up to
/// 256; tried before populateAttnToLoopsPatterns' blocks of rows.
void populateAttnRowsToLoopsPatterns(const KernelOptions &options,
                                     mlir::TypeConverter &converter,
                                     mlir::RewritePatternSet &patterns);
/// attn.attention as flash-attention thread blocks (the GPU: a query tile
/// per block, key and value tiles in workgroup memory), for static head dims
/// up to 256; tried before populateAttnRowsToLoopsPatterns' row per thread.
void populateAttnBlocksToLoopsPatterns(mlir::TypeConverter &converter,
                                       mlir::RewritePatternSet &patterns);
/// attn.attention as flash-attention thread blocks on tensor cores
/// (warp.mma) for f16 and bf16 inputs with head dims up to 128, and with
/// gpuTF32 f32 ones whose tiles fit (D up to 88); tried before
/// populateAttnBlocksToLoopsPatterns' SIMT blocks.
void populateAttnFlashMMAToLoopsPatterns(const KernelOptions &options,
                                         mlir::TypeConverter &converter,
                                         mlir::RewritePatternSet &patterns);
/// scan.selective_scan (static N up to 16) and scan.linear_recurrence
/// without packed sequences, as chunks of time in three parallel loops of
/// one channel per iteration (the GPU, where an iteration is a thread);
/// tried before populateScanToLoopsPatterns' blocks of channels.
void populateScanChunksToLoopsPatterns(mlir::TypeConverter &converter,
                                       mlir::RewritePatternSet &patterns);
/// attn.linear_attention without packed sequences and with a static head dim
/// up to 64, as chunks of tokens with one column of the state per iteration
/// (the GPU, where an iteration is a thread); tried before
/// populateLinearAttentionToLoopsPatterns' state form.
void populateLinearAttentionChunksToLoopsPatterns(
    mlir::TypeConverter &converter, mlir::RewritePatternSet &patterns);
/// attn.linear_attention.
void populateLinearAttentionToLoopsPatterns(const KernelOptions &options,
                                            mlir::TypeConverter &converter,
                                            mlir::RewritePatternSet &patterns);
/// scan.selective_scan and scan.linear_recurrence.
void populateScanToLoopsPatterns(const KernelOptions &options,
                                 mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);
/// ffn.mlp and ffn.glu.
void populateFFNToLoopsPatterns(const KernelOptions &options,
                                mlir::TypeConverter &converter,
                                mlir::RewritePatternSet &patterns);
/// The stateful ops of the prefill and decode entries: attn.decode_attention;
void populateDecodeAttentionToLoopsPatterns(const KernelOptions &options,
                                            mlir::TypeConverter &converter,
                                            mlir::RewritePatternSet &patterns);
/// scan.selective_scan_step, scan.linear_recurrence_step and
/// graph.conv1d_step;
void populateScanStepToLoopsPatterns(const KernelOptions &options,
                                     mlir::TypeConverter &converter,
                                     mlir::RewritePatternSet &patterns);
/// attn.linear_attention_step and graph.ring_store.
void populateGenerationToLoopsPatterns(mlir::TypeConverter &converter,
                                       mlir::RewritePatternSet &patterns);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_PATTERNS_H
