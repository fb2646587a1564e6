//===- FusionSupport.h - What the fusion passes share -----------*- C++ -*-===//
//
// The candidate checks of each fusion pass, declared here so that
// kiln-fusion-report explains a refusal with the very check that made it,
// and the location helpers that carry JSON node pointers through fusion.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_FUSION_FUSIONSUPPORT_H
#define KILN_PASSES_FUSION_FUSIONSUPPORT_H

#include "dialects/Attn/IR/AttnOps.h"
#include "dialects/FFN/IR/FFNOps.h"
#include "dialects/Graph/IR/GraphOps.h"
#include "passes/Fusion/PositionMask.h"

#include "mlir/IR/PatternMatch.h"

#include <string>

namespace kiln {

/// The JSON pointers ("/nodes/7") of the nodes a location stands for.
llvm::SmallVector<std::string> nodePointers(mlir::Location loc);

/// One location for an op that computes what `ops` computed.
mlir::Location fusedLoc(llvm::ArrayRef<mlir::Operation *> ops);

/// Whether every op of `ops` but `last` is used only by ops of `ops`: the
/// intermediates of a matched expression, which die with it when `last` is
/// replaced.
bool intermediatesContained(llvm::ArrayRef<mlir::Operation *> ops,
                            mlir::Operation *last);

/// The only user of `value`, or null (no user, or several).
mlir::Operation *soleUser(mlir::Value value);

/// Whether `value` is available before `op` runs (defined earlier in its
/// block, or an argument of it).
bool isDefinedBefore(mlir::Value value, mlir::Operation *op);

/// "its result also feeds /nodes/9" for a value with several users, naming
/// those other than `consumer`; `subject` names the value.
std::string otherUsersReason(mlir::Value value,
                             mlir::Operation *consumer = nullptr,
                             llvm::StringRef subject = "its result");

/// The pieces of `matmul(softmax(layers(matmul(q, kᵀ))), v)`, where the
/// layers are masks (a `where` hiding scores, an `add` of a mask or bias)
/// and scalings by a scalar, in any order.
struct AttentionMatch {
  /// q [B, H, T, D], kᵀ [B, H, D, S] and v [B, H, S, Dv], as the primitive
  /// graph has them; for grouped-query attention written as a broadcasting
  /// matmul, q [B, Hkv, G, T, D], kᵀ [B, Hkv, 1, D, S], v [B, Hkv, 1, S, Dv].
  mlir::Value query, keyT, value;
  /// G, the query heads per kv head, in the grouped form; else 0.
  int64_t groups = 0;
  /// The product of the constant scalars the scores are multiplied (or
  /// divided) by, and those q and kᵀ were before q·kᵀ (timm's ViT scales q;
  /// some models scale both by D^-1/4).
  double constantScale = 1.0;
  /// A scalar known only at run time that the scores are multiplied (or
  /// divided) by, below every mask; null: none.
  mlir::Value runtimeScale;
  bool divideByRuntimeScale = false;
  /// A layer between q·kᵀ and the softmax, as it acts on the bias: a
  /// constant scaling, an additive mask or bias, or a `where(cond, scores,
  /// fill)` (or with the branches swapped) that hides scores.
  struct BiasLayer {
    enum class Kind { scale, add, hide } kind;
    /// The constant factor (scale).
    double factor = 1.0;
    /// The additive mask or bias (add); the where's condition (hide).
    mlir::Value operand;
    /// What the where puts where it hides (hide), on its false side unless
    /// `hiddenWhereTrue`.
    mlir::Value fill;
    bool hiddenWhereTrue = false;
    /// A mask of positions that the kernel applies as `mask`: no part of
    /// the bias.
    bool position = false;
  };
  /// The layers, outermost first. The bias is them applied to 0, from the
  /// innermost: `x·c`, `x + m`, `where(cond, x, fill)`.
  llvm::SmallVector<BiasLayer> layers;
  /// A causal or sliding-window mask built from positions.
  PositionMask mask;
  /// The power normalizer's p (`x^p / Σ x^p`); none: softmax.
  std::optional<int64_t> power;
  /// c of a soft cap `c · tanh(s / c)` between the scalings and the masks
  /// (Gemma 2); none: no cap.
  std::optional<double> softcap;
  /// matmul(·, v), whose result the attention replaces.
  graph::MatmulOp output;
  /// Every op the attention replaces, the producer side first.
  llvm::SmallVector<mlir::Operation *> ops;
};
/// kiln-raise-attention's rewrite of llama's repeat_kv (K/V heads copied n
/// times before the products) into grouped-query attention
/// (RepeatedHeads.cpp).
void populateRepeatedHeadsPatterns(mlir::RewritePatternSet &patterns);
/// kiln-raise-attention's layout rewrites for q, k and v taken from one
/// permuted projection (timm's qkv): the parts taken before the permutation
/// (PermutedParts.cpp).
void populatePermutedPartsPatterns(mlir::RewritePatternSet &patterns);

/// Whether `op` turns attention scores into weights: a softmax, or the
/// division of a power normalizer `e / reduce_sum(e)` along the last,
/// kept axis, e = x^p for an even p (`pow` by a constant, `square`,
/// `x * x`).
bool isAttentionNormalizer(mlir::Operation *op);
/// Matches the attention graph around `normalizer` (isAttentionNormalizer);
/// on failure says why.
mlir::FailureOr<AttentionMatch> matchAttention(mlir::Operation *normalizer,
                                               std::string &why);

/// The value of a float constant with one value in every element (a scalar
/// or a splat), if `value` is one.
std::optional<double> scalarConstant(mlir::Value value);

/// `r` when `op` computes r², as `square(r)`, `r * r` or `pow(r, 2)`, of
/// r's shape; else null.
mlir::Value squaredOperand(mlir::Operation *op);

/// An activation as the graph computes it: one unary op, or relu2 written
/// as `square(relu(x))`, `relu(x) * relu(x)` or `pow(relu(x), 2)` (the JSON
/// IR has no relu2 op).
struct ActivationMatch {
  Activation kind{};
  mlir::Value input;
  /// The ops that compute it, the input side first.
  llvm::SmallVector<mlir::Operation *, 2> ops;
};
/// The activation whose result is `result`, if any.
std::optional<ActivationMatch> matchActivation(mlir::Value result);
/// The activation that `input`, which has no other user, feeds: the longest
/// one (a relu whose only user squares it is relu2).
std::optional<ActivationMatch> matchActivationOf(mlir::Value input);

/// Columns `[start, start + size)` of the last axis of a projection's
/// output, taken by a slice or as a split's result (Phi-3's gate_up_proj).
struct ProjectionPart {
  graph::LinearOp projection;
  int64_t start = 0, size = 0;
  /// The slice or split that takes it.
  mlir::Operation *op = nullptr;
};
/// The part of a projection that `value` is, if it is one.
std::optional<ProjectionPart> projectionPart(mlir::Value value);
/// Whether a GLU's gate and up, the parts `gate` and `up` of one
/// projection, become ffn.glu weights (the projection's weight rows): equal
/// and disjoint, of a bias-free projection that nothing else reads, and
/// `out` bias-free; on failure says why.
mlir::LogicalResult canTakeParts(const ProjectionPart &gate,
                                 const ProjectionPart &up, graph::LinearOp out,
                                 std::string &why);

/// `out(act(in(x)))` for an ffn.mlp, or `down(act(gate(x)) * up(x))` for an
/// ffn.glu; `up` is null for an MLP, and for a GLU whose gate and up are
/// parts of one projection `in` (`parts` then holds them).
struct FFNMatch {
  graph::LinearOp in, up, out;
  ActivationMatch act;
  /// The gating mul of a GLU.
  mlir::Operation *gate = nullptr;
  std::optional<std::pair<ProjectionPart, ProjectionPart>> parts;
};
/// Matches the MLP or GLU that `out` (the last projection) ends; on failure
/// says why.
mlir::FailureOr<FFNMatch> matchFFN(graph::LinearOp out, std::string &why);

/// Whether `matmul` is a projection by one matrix, `[..., M, K] x [K, N]`,
/// that kiln-raise-linear rewrites into `linear(x, transpose(w))`.
mlir::LogicalResult canRaiseToLinear(graph::MatmulOp matmul, std::string &why);

/// The operand of `add` other than `linear`'s result when it is shaped as a
/// bias: `[N]`, or `[1, ..., 1, N]` of no higher rank than the result.
mlir::Value biasOperand(graph::AddOp add, graph::LinearOp linear);
/// Whether `add`, the only user of `linear`'s result, adds a bias that
/// kiln-raise-linear folds into the linear's own.
mlir::LogicalResult canFoldBias(graph::LinearOp linear, graph::AddOp add,
                                std::string &why);

/// Whether `user`, the only user of `gemm`'s result, folds into its
/// epilogue: an activation (linear only) or the add of a residual.
mlir::LogicalResult canFuseEpilogue(mlir::Operation *gemm,
                                    mlir::Operation *user, std::string &why);

/// Whether `norm` (a layer_norm or rms_norm) folds into the GEMMs that read
/// it: every user is a linear, mlp or glu that takes its result as `input`
/// and normalizes nothing yet.
mlir::LogicalResult canFuseNormPrologue(mlir::Operation *norm,
                                        std::string &why);

/// `rope(reshape(linear(x)))`: a projection whose result, split into heads,
/// is rotated (the query and key projections of a Llama-style attention).
struct RopeProjection {
  graph::LinearOp linear;
  graph::ReshapeOp reshape;
};
/// Matches the projection `rope` rotates; on failure says why.
mlir::FailureOr<RopeProjection> matchRopeProjection(graph::RopeOp rope,
                                                    std::string &why);
/// Whether `producer` (a group member, graph::isGroupMember, or a group)
/// joins the group of `consumer`, which uses its result.
mlir::LogicalResult canFuseElementwise(mlir::Operation *producer,
                                       mlir::Operation *consumer,
                                       std::string &why);

/// Whether dim `axisA` of `a` and dim `axisB` of `b` are one size at run
/// time: equal static sizes, or dynamic dims followed through transposes,
/// concats, slices and splits along other axes, broadcasts, shape-keeping ops
/// and reshapes to graph input dims of one name (RuntimeDims.cpp).
bool sameRuntimeDim(mlir::Value a, int64_t axisA, mlir::Value b, int64_t axisB);

/// The ops that read `value` inside `group`: the users of the block
/// arguments that stand for it.
llvm::SmallVector<mlir::Operation *>
readersInGroup(graph::FusedElementwiseOp group, mlir::Value value);

/// graph::isElementwise, or a graph.fused_elementwise group.
bool isElementwiseKernel(mlir::Operation *op);

/// The ops whose results go through a GEMM kernel with an epilogue.
bool isGemmWithEpilogue(mlir::Operation *op);

} // namespace kiln

#endif // KILN_PASSES_FUSION_FUSIONSUPPORT_H
