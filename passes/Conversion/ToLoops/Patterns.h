//===- Patterns.h - Kiln-to-loops conversion patterns -----------*- C++ -*-===//
//
// Entry points of the pattern sets that kiln-convert-to-loops combines, one
// per group of ops, each in its own file.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_PATTERNS_H
#define KILN_PASSES_CONVERSION_TOLOOPS_PATTERNS_H

#include "mlir/Transforms/DialectConversion.h"

namespace kiln {

/// Unary and binary elementwise graph ops, and graph.cast.
void populateElementwiseToLoopsPatterns(mlir::TypeConverter &converter,
                                        mlir::RewritePatternSet &patterns);
/// linear, matmul, norms, softmax, embedding, rope, conv1d, reductions.
void populateGraphToLoopsPatterns(mlir::TypeConverter &converter,
                                  mlir::RewritePatternSet &patterns);
/// reshape, transpose, slice, concat, split, and tensor.dim.
void populateDataMovementToLoopsPatterns(mlir::TypeConverter &converter,
                                         mlir::RewritePatternSet &patterns);
/// attn.attention and attn.linear_attention.
void populateAttnToLoopsPatterns(mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);
/// scan.selective_scan and scan.linear_recurrence.
void populateScanToLoopsPatterns(mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);
/// ffn.mlp and ffn.glu.
void populateFFNToLoopsPatterns(mlir::TypeConverter &converter,
                                mlir::RewritePatternSet &patterns);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_PATTERNS_H
