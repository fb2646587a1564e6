//===- ScanOps.td - Kiln scan operations ------------------*- tablegen -*-===//
//
// Operation definitions of the scan dialect. Shape rules come from
// lib/ShapeRules/Scan.cpp and State.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_SCAN_OPS
#define KILN_SCAN_OPS

include "dialects/Scan/IR/ScanDialect.td"
include "dialects/Graph/IR/InferredTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Scan_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Scan_IntTensor : RankedTensorOf<[I32, I64]>;

def Scan_SelectiveScanOp : Scan_Op<"selective_scan",
    [Pure, AttrSizedOperandSegments, Kiln_ReifiedByRuleTrait]>,
    Kiln_ReifiedByRule<"::kiln::shapes::ShapesResult"> {
  let extraClassDeclaration = shapeRuleDeclaration;
  let extraClassDefinition = reifiedShapes;
  let summary = "Mamba selective scan";
  let description = [{
    Per batch `b`, channel `d`, state `n` and time `t`:
    `Δ = softplus(delta + delta_bias)` with `delta_softplus`, else
    `delta + delta_bias`;
    `h[t] = exp(Δ[t] A[d,n]) h[t-1] + Δ[t] B[t,n] u[t]`, `h[-1] = 0`;
    `y[t] = Σ_n h[t] C[t,n] + D[d] u[t]`, then `y[t] *= silu(z[t])` when `z`
    is given. Shapes: `u, delta, z [B, T, D]`, `A [D, N]`, `B, C [B, T, N]`,
    `D, delta_bias [D]`; results `y [B, T, D]` and, optionally, the final
    state `h[T-1]` as `[B, D, N]`. With `seq_offsets` (`[N+1]` offsets along
    T, a packed batch) the state restarts from 0 at every sequence start,
    tokens outside every sequence are zero, and there is no final state.
  }];
  let arguments = (ins Scan_FloatTensor:$u, Scan_FloatTensor:$delta,
                       Scan_FloatTensor:$A, Scan_FloatTensor:$B,
                       Scan_FloatTensor:$C,
                       Optional<Scan_FloatTensor>:$D,
                       Optional<Scan_FloatTensor>:$z,
                       Optional<Scan_FloatTensor>:$delta_bias,
                       Optional<Scan_IntTensor>:$seq_offsets,
                       UnitAttr:$delta_softplus);
  let results = (outs Scan_FloatTensor:$y,
                      Optional<Scan_FloatTensor>:$final_state);
  let assemblyFormat = [{
    $u `,` $delta `,` $A `,` $B `,` $C (`D` $D^)? (`z` $z^)?
    (`delta_bias` $delta_bias^)? (`seq_offsets` $seq_offsets^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Scan_LinearRecurrenceOp : Scan_Op<"linear_recurrence",
    [Pure, AttrSizedOperandSegments, InferTypeOpAdaptorWithIsCompatible,
     Kiln_ReifiedByRuleTrait]>,
    Kiln_CompatibleResultTypes, Kiln_ReifiedByRule {
  let extraClassDeclaration = shapeRuleDeclaration;
  let summary = "first-order linear recurrence h[t] = a[t] h[t-1] + b[t]";
  let description = [{
    `a, b [B, T, D]`, optional `h0 [B, D]` (zero when absent). With
    `reverse` the recurrence runs from `T-1` down: `h[t] = a[t] h[t+1] + b[t]`.
    With `seq_offsets` (`[N+1]` offsets along T, a packed batch) every
    sequence runs on its own from `h0`, and tokens outside every sequence
    are zero.
  }];
  let arguments = (ins Scan_FloatTensor:$a, Scan_FloatTensor:$b,
                       Optional<Scan_FloatTensor>:$h0,
                       Optional<Scan_IntTensor>:$seq_offsets,
                       UnitAttr:$reverse);
  let results = (outs Scan_FloatTensor:$result);
  let assemblyFormat = [{
    $a `,` $b (`init` $h0^)? (`seq_offsets` $seq_offsets^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDefinition = compatibleTypes # reifiedShapes;
}

//===----------------------------------------------------------------------===//
// Generation: scans continued from per-sequence state
//===----------------------------------------------------------------------===//

def Scan_SelectiveScanStepOp : Scan_Op<"selective_scan_step",
    [AttrSizedOperandSegments, MemoryEffects<[MemRead, MemWrite]>,
     InferTypeOpAdaptorWithIsCompatible, Kiln_ReifiedByRuleTrait]>,
    Kiln_CompatibleResultTypes, Kiln_ReifiedByRule {
  let extraClassDeclaration = shapeRuleDeclaration;
  let summary = "selective scan continued from per-sequence state";
  let description = [{
    The stateful form of `scan.selective_scan` for the `prefill` and
    `decode` entries: row `b` continues sequence `slots[b]` from its state
    `state [S, D, N]` instead of zero, and leaves the state after its last
    token there. Operands and `delta_softplus` as for `scan.selective_scan`.
  }];
  let arguments = (ins Scan_FloatTensor:$u, Scan_FloatTensor:$delta,
                       Scan_FloatTensor:$A, Scan_FloatTensor:$Bm,
                       Scan_FloatTensor:$Cm,
                       Optional<Scan_FloatTensor>:$D,
                       Optional<Scan_FloatTensor>:$z,
                       Optional<Scan_FloatTensor>:$delta_bias,
                       Arg<F32Tensor, "", [MemRead, MemWrite]>:$state,
                       I64Tensor:$slots,
                       UnitAttr:$delta_softplus);
  let results = (outs Scan_FloatTensor:$y);
  let assemblyFormat = [{
    $u `,` $delta `,` $A `,` $Bm `,` $Cm (`skip` $D^)? (`gate` $z^)?
    (`delta_bias` $delta_bias^)? `state` $state `slots` $slots attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDefinition = compatibleTypes # reifiedShapes;
}

def Scan_LinearRecurrenceStepOp : Scan_Op<"linear_recurrence_step",
    [MemoryEffects<[MemRead, MemWrite]>, InferTypeOpAdaptorWithIsCompatible,
     Kiln_ReifiedByRuleTrait]>,
    Kiln_CompatibleResultTypes, Kiln_ReifiedByRule {
  let extraClassDeclaration = shapeRuleDeclaration;
  let summary = "linear recurrence continued from per-sequence state";
  let description = [{
    The stateful form of a forward `scan.linear_recurrence`: row `b` of
    `a, b [B, T, D]` continues sequence `slots[b]` from `state [S, D]` and
    leaves its last `h` there.
  }];
  let arguments = (ins Scan_FloatTensor:$a, Scan_FloatTensor:$b,
                       Arg<F32Tensor, "", [MemRead, MemWrite]>:$state,
                       I64Tensor:$slots);
  let results = (outs Scan_FloatTensor:$result);
  let assemblyFormat = [{
    $a `,` $b `state` $state `slots` $slots attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDefinition = compatibleTypes # reifiedShapes;
}

#endif // KILN_SCAN_OPS
