//===- ScanKernels.h - Vector pieces of the scan kernels --------*- C++ -*-===//
//
// Shared by the selective scan and the linear recurrence: loads and stores
// of one block of channels (masked for the last, partial block), the loop
// that picks the full or the masked variant, and the vector functions of the
// selective scan computed in registers (2^x, e^x, softplus, silu) without
// libm.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_SCANKERNELS_H
#define KILN_PASSES_CONVERSION_TOLOOPS_SCANKERNELS_H

#include "passes/Conversion/ToLoops/VectorBuilder.h"

namespace kiln {

/// Vector loads and stores along channels of one block: masked to the
/// channels that exist when `mask` is set (the last, partial block).
struct ChannelBlock {
  Value mask;
  int64_t width;

  Value load(ImplicitLocOpBuilder &b, Value memref, ValueRange indices) const {
    return mask ? maskedLoadVector(b, memref, indices, mask, width)
                : loadVector(b, memref, indices, width);
  }
  void store(ImplicitLocOpBuilder &b, Value value, Value memref,
             ValueRange indices) const {
    if (mask)
      maskedStoreVector(b, value, memref, indices, mask);
    else
      storeVector(b, value, memref, indices);
  }
};

/// Emits `body` for the channel block starting at `d0` of `channels`: the
/// unmasked version when the block is full, the masked one otherwise, and
/// only the version that can occur when `channels` is static.
void forChannelBlock(
    ImplicitLocOpBuilder &b, Value d0, Value channels, int64_t width,
    llvm::function_ref<void(ImplicitLocOpBuilder &, const ChannelBlock &)>
        body);

/// 2^x, e^x, softplus(x) and silu(x) of f32 vectors, as arith code in
/// registers (see ScanKernels.cpp for the approximations and their errors).
Value vectorExp2(ImplicitLocOpBuilder &b, Value x);
Value vectorExp(ImplicitLocOpBuilder &b, Value x);
Value vectorSoftplus(ImplicitLocOpBuilder &b, Value x);
Value vectorSilu(ImplicitLocOpBuilder &b, Value x);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_SCANKERNELS_H
