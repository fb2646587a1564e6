//===- AttnOps.td - Kiln attention operations -------------*- tablegen -*-===//
//
// Operation definitions of the attention dialect.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_ATTN_OPS
#define KILN_ATTN_OPS

include "dialects/Attn/IR/AttnDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Attn_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Attn_IntTensor : RankedTensorOf<[I32, I64]>;

def Attn_AttentionOp : Attn_Op<"attention", [Pure, AttrSizedOperandSegments]> {
  let summary = "scaled dot-product attention with masks and normalizers";
  let description = [{
    `query [B, T, H, D]`, `key [B, S, Hkv, D]`, `value [B, S, Hkv, Dv]` give
    `[B, T, H, Dv]`. Query head `h` reads key/value head `h / (H / Hkv)`
    (grouped-query attention). Scores are `scale * q·k` plus the optional
    additive `bias`, broadcastable to `[B, H, T, S]`.

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
                       OptionalAttr<I64Attr>:$power);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`bias` $bias^)? (`seq_offsets` $seq_offsets^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Attn_LinearAttentionOp : Attn_Op<"linear_attention", [Pure]> {
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

#endif // KILN_ATTN_OPS
