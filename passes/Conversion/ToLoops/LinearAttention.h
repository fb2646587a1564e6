//===- LinearAttention.h - Pieces shared by linear attention's forms -*- C++
//-*-===//
//
// The feature map φ of attn.linear_attention, used by the CPU's state form
// (LinearAttentionToLoops.cpp) and the GPU's chunked form
// (LinearAttentionChunksToLoops.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_LINEARATTENTION_H
#define KILN_PASSES_CONVERSION_TOLOOPS_LINEARATTENTION_H

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace kiln {

/// φ(x) of linear attention, on f32 scalars or vectors.
mlir::Value linearAttentionFeature(mlir::ImplicitLocOpBuilder &b,
                                   attn::FeatureMap map, mlir::Value x);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_LINEARATTENTION_H
