//===- AttnOps.td - Kiln attention operations -------------*- tablegen -*-===//
//
// Operation definitions of the attention dialect.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_ATTN_OPS
#define KILN_ATTN_OPS

include "dialects/Attn/IR/AttnDialect.td"
include "dialects/Graph/IR/InferredTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Attn_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Attn_IntTensor : RankedTensorOf<[I32, I64]>;

/// A soft cap from kMinAttentionSoftCap (the smallest normal f32) to
/// kMaxAttentionSoftCap (1e38): the kernels' base-2 cap and its inverse
/// stay finite in f32 (ShapeRules.h).
def Attn_SoftCap : AttrConstraint<
    CPred<"::llvm::cast<::mlir::FloatAttr>($_self).getValueAsDouble() >= "
          "::kiln::shapes::kMinAttentionSoftCap && "
          "::llvm::cast<::mlir::FloatAttr>($_self).getValueAsDouble() <= "
          "::kiln::shapes::kMaxAttentionSoftCap">,
    "whose value is from 1.2e-38 to 1e38">;

/// An op on query, key and value whose result `[B, T, H, Dv]` the attention
/// rule infers (AttnOps.cpp); `groupedHeads` admits fewer key and value
/// heads (GQA).
class Attn_QKVOp<string mnemonic, bit groupedHeads, list<Trait> traits = []>
    : Attn_Op<mnemonic,
              !listconcat(traits, [InferTypeOpAdaptorWithIsCompatible,
                                   Kiln_ReifiedByRuleTrait])>,
      Kiln_CompatibleResultTypes, Kiln_ReifiedByRule {
  let extraClassDeclaration = shapeRuleDeclaration;
  let extraClassDefinition = compatibleTypes # reifiedShapes # [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                           tensorType(adaptor.getQuery()).getElementType(),
                           types);
    }
    ::kiln::shapes::ShapeResult $cppClass::shapeRule(
        Adaptor adaptor, const ::kiln::OperandShapes &shapes) {
      return attentionShape(adaptor.getQuery(), adaptor.getKey(),
                            adaptor.getValue(), }] #
      !if(groupedHeads, "true", "false") # [{, shapes);
    }
  }];
}

def Attn_AttentionOp : Attn_QKVOp<"attention", /*groupedHeads=*/1,
                                  [Pure, AttrSizedOperandSegments]> {
  let summary = "scaled dot-product attention with masks and normalizers";
  let description = [{
    `query [B, T, H, D]`, `key [B, S, Hkv, D]`, `value [B, S, Hkv, Dv]` give
    `[B, T, H, Dv]`. Query head `h` reads key/value head `h / (H / Hkv)`
    (grouped-query attention). Scores are `scale * q·k`, soft-capped to
    `softcap * tanh(scale * q·k / softcap)` when `softcap` is set (Gemma 2's
    logit soft-capping; softmax only), plus the optional additive `bias`,
    broadcastable to `[B, H, T, S]`.

    Query `t` sees key `s` when, for `mask`:
    - `none`: always;
    - `causal`: `s <= t`;
    - `sliding_window`: `t - window < s <= t`;
    - `block_diagonal`: `s / block == t / block`, and `s <= t` too when
      `causal` is set.

    With `normalizer = softmax` the weights are the softmax of the visible
    scores; with `power` they are `s^p / sum s^p` for the even integer `p`
    (a zero sum gives a zero row). With `seq_offsets` (`[N+1]` ascending
    offsets along T), queries and keys interact only inside one sequence and
    mask positions count from the sequence start; rows past the last offset
    are zero.
  }];
  let arguments = (ins Attn_FloatTensor:$query, Attn_FloatTensor:$key,
                       Attn_FloatTensor:$value,
                       Optional<Attn_FloatTensor>:$bias,
                       Optional<Attn_IntTensor>:$seq_offsets,
                       F64Attr:$scale,
                       Attn_MaskKindAttr:$mask,
                       OptionalAttr<I64Attr>:$window,
                       OptionalAttr<I64Attr>:$block,
                       UnitAttr:$causal,
                       DefaultValuedAttr<Attn_NormalizerAttr,
                                         "Normalizer::softmax">:$normalizer,
                       OptionalAttr<I64Attr>:$power,
                       OptionalAttr<ConfinedAttr<F64Attr, [Attn_SoftCap]>>:$softcap);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`bias` $bias^)? (`seq_offsets` $seq_offsets^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Attn_LinearAttentionOp : Attn_QKVOp<"linear_attention",
                                        /*groupedHeads=*/0, [Pure]> {
  let summary = "kernelized linear attention";
  let description = [{
    With `φ` the feature map, the causal form is
    `o[t] = φ(q[t])ᵀ S[t]`, `S[t] = Σ_{s<=t} φ(k[s]) v[s]ᵀ`, divided by
    `φ(q[t])ᵀ Σ_{s<=t} φ(k[s])` when `normalize = denominator`. Without
    `causal` the sums run over every `s`. All operands are `[B, T, H, D]`
    (value may have its own last dimension). With `seq_offsets` (`[N+1]`
    offsets along T, a packed batch) the sums run within each sequence, and
    tokens outside every sequence are zero.
  }];
  let arguments = (ins Attn_FloatTensor:$query, Attn_FloatTensor:$key,
                       Attn_FloatTensor:$value,
                       Optional<Attn_IntTensor>:$seq_offsets,
                       Attn_FeatureMapAttr:$feature_map,
                       UnitAttr:$causal,
                       Attn_NormalizeAttr:$normalize);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`seq_offsets` $seq_offsets^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Generation: one-step forms that read and update per-sequence state
//===----------------------------------------------------------------------===//

def Attn_DecodeAttentionOp : Attn_QKVOp<"decode_attention", /*groupedHeads=*/1,
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "one decode step of causal attention against a K/V cache";
  let description = [{
    The step form of `attn.attention` that `kiln-compile` derives for the
    `decode` entry (docs/compiler.md, "Generation"). `query [B, 1, H, D]`,
    the new token's `key [B, 1, Hkv, D]` and `value [B, 1, Hkv, Dv]`;
    `key_cache [S, R, Hkv, D]` and `value_cache [S, R, Hkv, Dv]` hold the
    keys and values of `S` sequences in rings of `R` entries; row `b` is
    sequence `slots[b]`, its new token at position `positions[b]`.

    The op first stores the new key and value at ring entry `p mod R`, then
    attends over the ring's visible entries: `min(p + 1, R)` of them for
    `causal` (R is the capacity) and `sliding_window` (R is the window), and
    `p mod R + 1` for a causal `block_diagonal` mask (R is the block). The
    order of keys does not matter to attention, so the ring needs no
    rotation. `scale`, `normalizer`, `power` and `softcap` are those of
    `attn.attention`.
  }];
  let arguments = (ins Attn_FloatTensor:$query, Attn_FloatTensor:$key,
                       Attn_FloatTensor:$value,
                       Arg<F32Tensor, "", [MemRead, MemWrite]>:$key_cache,
                       Arg<F32Tensor, "", [MemRead, MemWrite]>:$value_cache,
                       I64Tensor:$slots, I64Tensor:$positions,
                       F64Attr:$scale,
                       Attn_MaskKindAttr:$mask,
                       DefaultValuedAttr<Attn_NormalizerAttr,
                                         "Normalizer::softmax">:$normalizer,
                       OptionalAttr<I64Attr>:$power,
                       OptionalAttr<ConfinedAttr<F64Attr, [Attn_SoftCap]>>:$softcap);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `cache` $key_cache `,` $value_cache
    `slots` $slots `positions` $positions attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Attn_LinearAttentionStepOp : Attn_QKVOp<"linear_attention_step",
    /*groupedHeads=*/0, [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "causal linear attention continued from per-sequence sums";
  let description = [{
    The stateful form of causal `attn.linear_attention` for the `prefill`
    and `decode` entries: row `b` of `query, key, value [B, T, H, D]`
    continues sequence `slots[b]` from its running sums
    `kv_state [S, H, D, Dv]` (`Σ φ(k) vᵀ`) and `key_sum [S, H, D]`
    (`Σ φ(k)`), and leaves the sums after its last token there.
  }];
  let arguments = (ins Attn_FloatTensor:$query, Attn_FloatTensor:$key,
                       Attn_FloatTensor:$value,
                       Arg<F32Tensor, "", [MemRead, MemWrite]>:$kv_state,
                       Arg<F32Tensor, "", [MemRead, MemWrite]>:$key_sum,
                       I64Tensor:$slots,
                       Attn_FeatureMapAttr:$feature_map,
                       Attn_NormalizeAttr:$normalize);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `state` $kv_state `,` $key_sum
    `slots` $slots attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // KILN_ATTN_OPS
