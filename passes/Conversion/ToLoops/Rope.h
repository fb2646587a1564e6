//===- Rope.h - Rotary position embedding kernels ---------------*- C++ -*-===//
//
// The pieces of graph.rope that both its own kernel and a projection's rope
// epilogue (graph.linear with rope_head_dim) emit: the angles of one
// position, and the rotation of one head by them.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_ROPE_H
#define KILN_PASSES_CONVERSION_TOLOOPS_ROPE_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace kiln {

using mlir::ImplicitLocOpBuilder;
using mlir::Value;

struct RopeSpec {
  int64_t rotaryDim;
  double theta;
  bool interleaved;

  int64_t pairs() const { return rotaryDim / 2; }
};

/// Stores cos and sin of pair i's angle `position · theta^(-2i/rotaryDim)`
/// at `cosines[row, i]` and `sines[row, i]` (f32 [rows, pairs]) for every
/// pair. `position` is an i32 or i64; the angle is computed in f64, since
/// positions reach thousands, where f32 loses ~1e-4.
void emitRopeAngles(ImplicitLocOpBuilder &b, const RopeSpec &spec,
                    Value position, Value cosines, Value sines, Value row);

/// Rotates the first rotaryDim features of one head: pair (x1, x2) becomes
/// (x1·cos - x2·sin, x2·cos + x1·sin), with cos and sin read at
/// `[row, i]`. `load(d)` reads feature d of the head, `store(d, value)`
/// writes it (in place or elsewhere); features past rotaryDim are the
/// caller's.
void emitRotateHead(ImplicitLocOpBuilder &b, const RopeSpec &spec,
                    Value cosines, Value sines, Value row,
                    llvm::function_ref<Value(ImplicitLocOpBuilder &, Value)> load,
                    llvm::function_ref<void(ImplicitLocOpBuilder &, Value,
                                            Value)>
                        store);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_ROPE_H
