//===- Passes.td - Kiln fusion passes ---------------------*- tablegen -*-===//
//
// Tensor-level fusion: raise graphs of primitive ops into the attn and ffn
// ops whose kernels fuse them, fold epilogues into the GEMMs, group chains of
// elementwise ops, and report what fused. They run before bufferization, so
// every target lowers the same fused ops (docs/compiler.md, "Fusion").
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FUSION_PASSES
#define KILN_FUSION_PASSES

include "mlir/Pass/PassBase.td"

def KeepReducedDims : Pass<"kiln-keep-reduced-dims", "mlir::func::FuncOp"> {
  let summary = "Turn a reduction reshaped to restore its axes into one with keepdims";
  let description = [{
    `reshape(reduce_*(x, axes))` whose result has a unit dim at each
    reduced axis and x's dims elsewhere (static sizes equal, dynamic ones
    shown to be x's at run time) becomes `reduce_*(x, axes, keepdims)`: how
    StableHLO spells jnp.mean(..., keepdims=True), which the norm and
    softmax raises then match. A reduction with another user, or a reshape
    that moves or merges axes, is left as it is.
  }];
}

def RaiseActivations : Pass<"kiln-raise-activations", "mlir::func::FuncOp"> {
  let summary = "Raise activations written as arithmetic into their ops";
  let description = [{
    `x * sigmoid(x)` becomes `graph.silu`, `0.5·x·(1 + erf(x/√2))`
    `graph.gelu` and `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`
    `graph.gelu_tanh`, as exporters and model code write them, so the
    epilogue and FFN fusions that follow see one activation. Each side is
    matched as a polynomial in `x` over scalar constants (`add`, `sub`,
    `mul`, `neg`, `square`, `pow` by 2 or 3, `div` by a constant), so the
    order and grouping of its terms do not matter; constants match within
    1e-4 relative. An intermediate with a user outside the expression, a
    broadcast other than by a scalar, or other constants leave it as it is.
    Before that, `1 / (1 + exp(-x))` becomes `graph.sigmoid` (a numerator
    y other than 1: `y * sigmoid(x)`) and `maximum(x, 0)` `graph.relu`.
  }];
}

def RaiseNorms : Pass<"kiln-raise-norms", "mlir::func::FuncOp"> {
  let summary = "Raise RMSNorm and LayerNorm written as arithmetic into their ops";
  let description = [{
    `x * rsqrt(mean(x²) + eps) * w` becomes `graph.rms_norm` and
    `(x - mean(x)) / sqrt(mean((x - mean(x))²) + eps) * w + b` becomes
    `graph.layer_norm` (the bias optional), the means over the last axis
    with keepdims; the variance may also be `max(0, mean(x²) - mean(x)²)`
    (Flax's fast variance, the max optional). The inverse root may be `rsqrt`, `pow(·, -0.5)` or
    `1 / sqrt`, the division `/ sqrt` or `/ pow(·, 0.5)`, the square
    `square`, `y * y` or `pow(y, 2)`, the weight multiply on either side; w
    and b are `[C]` vectors and eps a positive scalar constant. An
    intermediate with a user outside the expression leaves it as it is.
  }];
}

def RaiseSoftmax : Pass<"kiln-raise-softmax", "mlir::func::FuncOp"> {
  let summary = "Raise a softmax written as arithmetic into graph.softmax";
  let description = [{
    `exp(x - max(x)) / sum(exp(x - max(x)))`, the max and the sum over the
    same one axis with keepdims (jax.nn.softmax as StableHLO spells it), or
    `exp(x) / sum(exp(x))`, either also as `e * (1 / sum(e))`, becomes
    `graph.softmax` along that axis, which
    kiln-raise-attention then finds between the two products of an
    attention. An intermediate with a user outside the expression, a max
    over another axis than the sum's, or a division that broadcasts leave
    it as it is.
  }];
}

def RaiseRope : Pass<"kiln-raise-rope", "mlir::func::FuncOp"> {
  let summary = "Raise RoPE written as arithmetic into graph.rope";
  let description = [{
    `x * cos + rotate_half(x) * sin` (HF's LLaMA; rotate_half(x) =
    `concat(-x[..., D/2:], x[..., :D/2])` along the last axis), each
    product and the sum in either operand order, on x `[B, T, H, D]` or
    `[B, H, T, D]`, becomes `graph.rope` (with transposes for the second
    layout, which fold into the layout transposes around it) when the
    tables are computed from aranges, constants and position ids alone and
    are, at sampled positions up to 131073 and every feature, the cos and
    sin of the rope op's angles `p * theta^(-2 (i mod D/2) / D)` for one
    theta (estimated from the lowest frequency, then the integer and rounder
    numbers near it tried). Position ids, an integer [B, T] value of x's
    batch and sequence dims, become the rope's `positions`. GPT-NeoX's
    partial rotary, `concat(rotated(x[..., :R]), x[..., R:])`, becomes one
    rope of rotary_dim R on x. Tables read from a parameter, tables that
    vary over heads, another rotated part of D, or an intermediate with
    another user leave it as it is.
  }];
}

def RaiseAttention : Pass<"kiln-raise-attention", "mlir::func::FuncOp"> {
  let summary = "Raise matmul-softmax-matmul graphs into attn.attention";
  let description = [{
    Rewrites `matmul(softmax(mask?(scale?(matmul(q, kᵀ)))), v)` on
    `[B, H, T, D]` operands into one `attn.attention`, so a model written
    with primitives runs the flash kernel: the scale is a `mul` or `div` by
    a scalar (a constant becomes the op's `scale`, any other scalar tensor
    scales the query; constant scalars multiplying or dividing q or kᵀ
    before the product, or before their layout transposes and head-split
    reshapes, fold into `scale` too), the mask an `add` of a
    tensor broadcastable to the scores (the op's `bias`), the softmax over
    the last axis. The power normalizer `e / reduce_sum(e)` over the last
    axis, e = x^p for an even p (`pow` by a constant, `square`, `x * x`),
    takes the softmax's place as the op's `normalizer = power`; under it
    only a `where` that zeroes the scores of a mask of positions hides
    keys. Transposes that only move the heads axis are absorbed.
    Grouped-query attention written as a broadcasting matmul, q
    `[B, Hkv, G, T, D]` against kᵀ `[B, Hkv, 1, D, S]` and v
    `[B, Hkv, 1, S, D]`, becomes the GQA form of the op, and so does
    llama's repeat_kv (K/V heads copied in place by a concat, a broadcast
    or a gather of heads 0, .., 0, 1, .., RepeatedHeads.cpp): the attention
    reads the heads, and the copies go. Every intermediate must have no other user.
  }];
  let dependentDialects = ["kiln::attn::AttnDialect"];
}

def RaiseLinear : Pass<"kiln-raise-linear", "mlir::func::FuncOp"> {
  let summary = "Raise matrix products by one matrix, and bias adds, into "
                "graph.linear";
  let description = [{
    `matmul(x, w)` with x `[..., M, K]` and w one `[K, N]` matrix (GPT-2's
    Conv1D, Flax's Dense, ONNX's MatMul by an initializer) becomes
    `linear(x, transpose(w))`; `matmul(x, transpose(v))` folds to
    `linear(x, v)`. A transposed parameter is never computed:
    kiln-pack-weights packs its panels from the parameter. Then
    `add(linear(x, w), b)`, b `[N]` or `[1, ..., 1, N]`, becomes
    `linear(x, w, b)` when the linear has no bias or epilogue yet and b is
    defined before it. Runs after kiln-raise-attention, whose products
    these are not, and before kiln-raise-ffn and kiln-fuse-epilogues, so
    the projections they fuse are the ones a composite model imports.
  }];
}

def RaiseFFN : Pass<"kiln-raise-ffn", "mlir::func::FuncOp"> {
  let summary = "Raise linear-activation-linear graphs into ffn.mlp and ffn.glu";
  let description = [{
    `linear(act(linear(x, w_in, b_in)), w_out, b_out)` becomes `ffn.mlp` and
    `linear(act(linear(x, w_gate)) * linear(x, w_up), w_down)` becomes
    `ffn.glu`, for every activation the ops take, so the hidden activations
    are produced and consumed by one fused kernel.
  }];
  let dependentDialects = ["kiln::ffn::FFNDialect"];
}

def FuseEpilogues : Pass<"kiln-fuse-epilogues", "mlir::func::FuncOp"> {
  let summary = "Fold activations and residual adds into the GEMMs";
  let description = [{
    A `graph.linear` whose only user is an activation takes it as its
    `activation`; a `graph.linear`, `ffn.mlp` or `ffn.glu` whose only user
    adds a tensor of the same type takes that tensor as its `residual`. The
    GEMM kernel applies both to its accumulators before the store.
  }];
}

def FuseNormPrologues : Pass<"kiln-fuse-norm-prologues",
                              "mlir::func::FuncOp"> {
  let summary = "Fold layer_norm and rms_norm into the GEMMs that read them";
  let description = [{
    A `graph.layer_norm` or `graph.rms_norm` whose every user is a
    `graph.linear`, `ffn.mlp` or `ffn.glu` reading it as its `input`
    becomes the `norm` prologue of each of them: the GEMM reads the norm's
    input and normalizes its rows itself (each row's statistics, then the
    row while it is in L1, into a buffer that lives only for the GEMM;
    docs/compiler.md, "GEMM"). A norm whose result also feeds anything
    else (the residual of a post-norm block, an output) stays an op of its
    own.
  }];
}

def FuseRopeProjections : Pass<"kiln-fuse-rope-projections",
                                "mlir::func::FuncOp"> {
  let summary = "Fold rope into the projection whose heads it rotates";
  let description = [{
    `graph.rope(graph.reshape(graph.linear(x)))`, where the reshape splits
    the projection's `[B, T, H·D]` result into heads `[B, T, H, D]`,
    becomes the linear's rope epilogue (`rope_head_dim`, `rope_rotary_dim`,
    `rope_theta`, `rope_interleaved`, `rope_positions`) followed by the
    reshape. The lowering rotates each GEMM block's heads right after the
    block computes them. A projection or reshape whose result has another
    user, or a reshape that is no split into heads, stays as it is.
  }];
}

def FuseElementwise : Pass<"kiln-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Group chains of elementwise ops into graph.fused_elementwise";
  let description = [{
    An elementwise op whose result only one op reads, another elementwise
    op with a result of the same shape, joins that user's group; the group
    becomes one loop nest with no intermediate buffer. The data movement
    the kernel reads through (graph::isGroupMember: a slice of a static
    axis, a concat, a transpose that keeps the last axis last) joins a
    group the same way, as producer or consumer of an elementwise op, so
    RoPE's `x * cos + concat(-x2, x1) * sin` is one kernel; data movement
    alone stays as it is. A producer whose result the consumer broadcasts
    stays apart (fusing it would recompute it per element of the
    broadcast).
  }];
}

def FusionReport : Pass<"kiln-fusion-report", "mlir::ModuleOp"> {
  let summary = "Print which JSON nodes each fused kernel computes";
  let description = [{
    For a module after fusion, prints one line per kernel,
    `fused <kind>: /nodes/i, /nodes/j, ...` (the JSON pointers of the nodes
    it computes, read from the op locations), then one line per candidate
    that did not fuse, `not fused: /nodes/k: <reason>`. The reasons come
    from the same checks the fusion passes apply. With the JSON model in
    the module's `kiln.source`, every node is accounted for: nodes no
    kernel computes are listed as `fused constant:` (constants, folded into
    the kernels that read them) and `fused folded:` (nodes canonicalization
    removed: identity reshapes, unused results). The IR is not changed.
  }];
  let options = [
    Option<"outputFile", "output", "std::string", "\"-\"",
           "Where to write the report ('-' for stdout)">
  ];
}

#endif // KILN_FUSION_PASSES
