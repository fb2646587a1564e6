//===- GraphOps.td - Kiln graph dialect operations --------*- tablegen -*-===//
//
// Operation definitions of the graph dialect. Shape rules come from
// lib/ShapeRules: ops whose result types follow from their operands and attrs
// infer them (InferTypeOpInterface), the others' verifiers check them in
// GraphOps.cpp. Dynamic dimensions are accepted wherever a static one could
// be, and checked when both sides are static.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_GRAPH_OPS
#define KILN_GRAPH_OPS

include "dialects/Graph/IR/GraphDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"
include "dialects/Graph/IR/InferredTypes.td"
include "mlir/IR/OpBase.td"

def Graph_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Graph_IntTensor : RankedTensorOf<[I32, I64]>;
def Graph_Tensor : RankedTensorOf<[F32, F16, BF16, I32, I64]>;
/// Any Kiln tensor, including bool (i1: one byte per element in memory).
def Graph_AnyTensor : RankedTensorOf<[F32, F16, BF16, I32, I64, I1]>;
def Graph_BoolTensor : RankedTensorOf<[I1]>;

/// An op whose shape rule infers its result type (InferTypeOpInterface,
/// `inferReturnTypes` in GraphOps.cpp).
class Graph_InferredOp<string mnemonic, list<Trait> traits = []>
    : Graph_Op<mnemonic,
               !listconcat(traits, [InferTypeOpAdaptorWithIsCompatible,
                                    Kiln_ReifiedByRuleTrait])>,
      Kiln_CompatibleResultTypes, Kiln_ReifiedByRule {
  let extraClassDeclaration = shapeRuleDeclaration;
  let extraClassDefinition = compatibleTypes # reifiedShapes;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Graph_BinaryOp<string mnemonic, list<Trait> traits = []>
    : Graph_InferredOp<mnemonic, !listconcat(traits, [Pure])> {
  let summary = "elementwise " # mnemonic # " with NumPy broadcasting";
  let arguments = (ins Graph_Tensor:$lhs, Graph_Tensor:$rhs);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDefinition = compatibleTypes # reifiedShapes # [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                           tensorType(adaptor.getLhs()).getElementType(),
                           types);
    }
    ::kiln::shapes::ShapeResult $cppClass::shapeRule(
        Adaptor adaptor, const ::kiln::OperandShapes &shapes) {
      return binaryShape(adaptor.getLhs(), adaptor.getRhs(), shapes);
    }
  }];
}

def Graph_AddOp : Graph_BinaryOp<"add", [Commutative]>;
def Graph_SubOp : Graph_BinaryOp<"sub">;
def Graph_MulOp : Graph_BinaryOp<"mul", [Commutative]>;
def Graph_DivOp : Graph_BinaryOp<"div">;

/// An op whose result has its input's shape: that is its shape rule.
class Graph_SameShapeOp<string mnemonic, list<Trait> traits = []>
    : Graph_Op<mnemonic, !listconcat(traits, [Kiln_ReifiedByRuleTrait])>,
      Kiln_ReifiedByRule {
  let extraClassDeclaration = shapeRuleDeclaration;
  let extraClassDefinition = reifiedShapes # [{
    ::kiln::shapes::ShapeResult $cppClass::shapeRule(
        Adaptor adaptor, const ::kiln::OperandShapes &shapes) {
      return shapes(adaptor.getInput());
    }
  }];
}

class Graph_UnaryOp<string mnemonic, string formula,
                    Type tensor = Graph_FloatTensor>
    : Graph_SameShapeOp<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = "elementwise " # mnemonic;
  let description = "Computes `" # formula # "` elementwise.";
  let arguments = (ins tensor:$input);
  let results = (outs tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_ReluOp : Graph_UnaryOp<"relu", "max(x, 0)">;
def Graph_GeluOp : Graph_UnaryOp<"gelu", "x * (1 + erf(x / sqrt(2))) / 2">;
def Graph_GeluTanhOp : Graph_UnaryOp<"gelu_tanh",
    "x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) / 2">;
def Graph_SiluOp : Graph_UnaryOp<"silu", "x * sigmoid(x)">;
def Graph_QuickGeluOp : Graph_UnaryOp<"quick_gelu", "x * sigmoid(1.702 x)">;
def Graph_SigmoidOp : Graph_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def Graph_TanhOp : Graph_UnaryOp<"tanh", "tanh(x)">;
def Graph_ExpOp : Graph_UnaryOp<"exp", "exp(x)">;
def Graph_SoftplusOp : Graph_UnaryOp<"softplus",
    "x > 20 ? x : log1p(exp(x))">;
def Graph_NegOp : Graph_UnaryOp<"neg", "-x", Graph_Tensor>;
def Graph_RsqrtOp : Graph_UnaryOp<"rsqrt", "1 / sqrt(x)">;

//===----------------------------------------------------------------------===//
// Projections and normalization
//===----------------------------------------------------------------------===//

def Graph_LinearOp : Graph_Op<"linear", [Pure, AttrSizedOperandSegments,
    OptionalTypesMatchWith<"the residual has the result's type",
                           "result", "residual", "$_self">,
    Kiln_ReifiedByRuleTrait]>, Kiln_ReifiedByRule {
  let summary = "affine projection y = act(x · weightᵀ + bias) + residual";
  let description = [{
    `input` is `[..., in]`, `weight` is `[out, in]` (PyTorch layout) and the
    optional `bias` is `[out]`; the result is `[..., out]`.

    The fused epilogue (kiln-fuse-epilogues) is optional: `activation`
    applied after the bias, then `residual`, of the result's type, added.
    The result's element type may differ from the input's (a fused `cast`,
    one rounding of the f32 accumulators); such a linear has no residual.

    The fused prologue (kiln-fuse-norm-prologues) is optional too: with
    `norm`, the rows of `input` are normalized first, as `layer_norm` (with
    `norm_weight`, an optional `norm_bias` and `norm_eps`) or `rms_norm`
    (`norm_weight`, `norm_eps`) over the last dimension would.

    The fused rotary embedding (kiln-fuse-rope-projections) is optional:
    with `rope_head_dim` D, the result `[B, T, H·D]` is rotated, after the
    rest of the epilogue, as `graph.rope` (with `rope_theta`,
    `rope_rotary_dim`, `rope_interleaved` and the optional
    `rope_positions [B, T]`) would rotate its `[B, T, H, D]` reshape.
    A linear imported from JSON has none of them.
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$weight,
                       Optional<Graph_FloatTensor>:$bias,
                       Optional<Graph_FloatTensor>:$residual,
                       Optional<Graph_FloatTensor>:$norm_weight,
                       Optional<Graph_FloatTensor>:$norm_bias,
                       Optional<Graph_IntTensor>:$rope_positions,
                       OptionalAttr<Graph_ActivationAttr>:$activation,
                       OptionalAttr<Graph_NormKindAttr>:$norm,
                       OptionalAttr<F64Attr>:$norm_eps,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$rope_head_dim,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$rope_rotary_dim,
                       OptionalAttr<F64Attr>:$rope_theta,
                       UnitAttr:$rope_interleaved);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`residual` $residual^)?
    (`norm_weight` $norm_weight^)? (`norm_bias` $norm_bias^)?
    (`rope_positions` $rope_positions^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "mlir::Type":$result, "mlir::Value":$input,
                   "mlir::Value":$weight, "mlir::Value":$bias), [{
      build($_builder, $_state, result, input, weight, bias, mlir::Value(),
            mlir::Value(), mlir::Value(), mlir::Value(), ActivationAttr(),
            NormKindAttr(), mlir::FloatAttr(), mlir::IntegerAttr(),
            mlir::IntegerAttr(), mlir::FloatAttr(), mlir::UnitAttr());
    }]>
  ];
  let hasVerifier = 1;
  let extraClassDeclaration = shapeRuleDeclaration # [{
    /// The rope epilogue's attrs and operand, all or none (GraphOps.cpp).
    mlir::LogicalResult verifyRopeEpilogue();
  }];
  let extraClassDefinition = reifiedShapes;
}

def Graph_MatmulOp : Graph_InferredOp<"matmul", [Pure]> {
  let summary = "batched matrix product with broadcast batch dimensions";
  let description = [{
    `[..., M, K] x [..., K, N] -> [..., M, N]`; the leading dimensions
    broadcast as in NumPy.
  }];
  let arguments = (ins Graph_FloatTensor:$lhs, Graph_FloatTensor:$rhs);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Graph_LayerNormOp : Graph_InferredOp<"layer_norm", [Pure]> {
  let summary = "layer normalization over the last dimension";
  let description = [{
    `(x - mean) / sqrt(var + eps) * weight + bias` with the biased variance,
    as `torch.nn.LayerNorm`.
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$weight,
                       Optional<Graph_FloatTensor>:$bias, F64Attr:$eps);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_RMSNormOp : Graph_InferredOp<"rms_norm", [Pure]> {
  let summary = "RMS normalization over the last dimension";
  let description = "`x / sqrt(mean(x^2) + eps) * weight`.";
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$weight,
                       F64Attr:$eps);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_SoftmaxOp : Graph_Op<"softmax", [Pure, SameOperandsAndResultType,
    Kiln_ReifiedByRuleTrait]>, Kiln_ReifiedByRule {
  let extraClassDeclaration = shapeRuleDeclaration;
  let extraClassDefinition = reifiedShapes;
  let summary = "softmax along one axis";
  let arguments = (ins Graph_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Graph_EmbeddingOp : Graph_InferredOp<"embedding", [Pure]> {
  let summary = "row gather from an embedding table";
  let description = [{
    `ids [...]` and `table [V, D]` give `[..., D]`. Ids outside `[0, V)` are
    clamped by the generated code; the runtime rejects them at graph inputs.
  }];
  let arguments = (ins Graph_IntTensor:$ids, Graph_Tensor:$table);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = [{
    $ids `,` $table attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_RopeOp : Graph_Op<"rope", [Pure, InferTypeOpAdaptor,
    Kiln_ReifiedByRuleTrait]>, Kiln_ReifiedByRule {
  let extraClassDeclaration = shapeRuleDeclaration;
  let extraClassDefinition = reifiedShapes;
  let summary = "rotary position embedding";
  let description = [{
    Rotates the first `rotary_dim` features of `input [B, T, H, D]` by the
    angle `position * theta^(-2i/rotary_dim)`. Without `interleaved`, feature
    `i` pairs with `i + rotary_dim/2` (GPT-NeoX/Llama rotate-half); with it,
    `2i` pairs with `2i+1`. `positions [B, T]` defaults to `0..T-1`.
  }];
  let arguments = (ins Graph_FloatTensor:$input,
                       Optional<Graph_IntTensor>:$positions,
                       F64Attr:$theta, I64Attr:$rotary_dim,
                       UnitAttr:$interleaved);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`positions` $positions^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_Conv1dOp : Graph_Op<"conv1d",
    [Pure, AttrSizedOperandSegments, InferTypeOpAdaptor,
     Kiln_ReifiedByRuleTrait]>, Kiln_ReifiedByRule {
  let extraClassDeclaration = shapeRuleDeclaration;
  let extraClassDefinition = reifiedShapes;
  let summary = "causal depthwise 1-D convolution over the sequence";
  let description = [{
    `y[b,t,c] = bias[c] + sum_k weight[c,k] * x[b, t-K+1+k, c]`, with `x`
    zero before `t = 0`. `input [B, T, C]`, `weight [C, K]`, `bias [C]`.
    With `seq_offsets` (`[N+1]` offsets along T, a packed batch) `x` is zero
    before the start of each token's sequence, and tokens outside every
    sequence are zero.
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$weight,
                       Optional<Graph_FloatTensor>:$bias,
                       Optional<Graph_IntTensor>:$seq_offsets);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`seq_offsets` $seq_offsets^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Graph_ReduceOp<string mnemonic, string what>
    : Graph_InferredOp<mnemonic, [Pure]> {
  let summary = what # " over a set of axes";
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$axes,
                       UnitAttr:$keepdims);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDefinition = compatibleTypes # reifiedShapes # [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                           tensorType(adaptor.getInput()).getElementType(),
                           types);
    }
    ::kiln::shapes::ShapeResult $cppClass::shapeRule(
        Adaptor adaptor, const ::kiln::OperandShapes &shapes) {
      return reduceShape(adaptor.getInput(), adaptor.getAxes(),
                         adaptor.getKeepdims(), shapes);
    }
  }];
}

def Graph_ReduceSumOp : Graph_ReduceOp<"reduce_sum", "sum">;
def Graph_ReduceMeanOp : Graph_ReduceOp<"reduce_mean", "arithmetic mean">;
def Graph_ReduceMaxOp : Graph_ReduceOp<"reduce_max", "maximum">;

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

/// Bufferized, the op's result is a view of its input's buffer:
/// kiln-bufferize-ops gives it no buffer of its own.
def Graph_BufferView : NativeOpTrait<"BufferView"> {
  let cppNamespace = "::kiln::graph";
}

def Graph_ReshapeOp : Graph_Op<"reshape", [Pure, Graph_BufferView,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface>]> {
  let summary = "reinterpret a tensor with a new shape";
  let description = [{
    Row-major reshape. `sizes` gives the value of each dynamic result
    dimension, in order.
  }];
  let arguments = (ins Graph_AnyTensor:$input, Variadic<Index>:$sizes);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = [{
    $input (`sizes` `(` $sizes^ `)`)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Graph_TransposeOp : Graph_InferredOp<"transpose", [Pure]> {
  let summary = "permute dimensions";
  let description = "Result dimension `i` is input dimension `perm[i]`.";
  let arguments = (ins Graph_AnyTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
  let hasCanonicalizer = 1;
  let hasVerifier = 1;
}

def Graph_SliceOp : Graph_InferredOp<"slice", [Pure]> {
  let summary = "contiguous range [start, end) of one axis";
  let description = [{
    On a static axis `0 <= start < end <= size`. On a dynamic axis the
    result's size is static: a negative `start` counts from the end, and so
    does `end` (negative, or absent for the end of the axis); a non-negative
    `start` needs a non-negative `end`, and the axis must then be at least
    `end` long at run time (shorter axes read their last position).
  }];
  let arguments = (ins Graph_AnyTensor:$input, I64Attr:$axis, I64Attr:$start,
                       OptionalAttr<I64Attr>:$end);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Graph_ConcatOp : Graph_InferredOp<"concat", [Pure]> {
  let summary = "concatenate tensors along one static axis";
  let arguments = (ins Variadic<Graph_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type($inputs, results)
  }];
  let hasVerifier = 1;
}

def Graph_SplitOp : Graph_Op<"split", [Pure, Kiln_ReifiedByRuleTrait]> {
  let summary = "split a tensor into consecutive parts along one static axis";
  let arguments = (ins Graph_AnyTensor:$input, I64Attr:$axis);
  let results = (outs Variadic<Graph_AnyTensor>:$results);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($results)
  }];
  let hasVerifier = 1;
}

def Graph_CastOp : Graph_SameShapeOp<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "convert the element type";
  let description = [{
    Float to integer truncates toward zero, as PyTorch's `.to()`.
  }];
  let arguments = (ins Graph_AnyTensor:$input);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Additions for generation: more math, comparisons, creation, indexing,
// selection and scans along an axis (docs/json-ir.md, "Additions to v1").
//===----------------------------------------------------------------------===//

def Graph_LogOp : Graph_UnaryOp<"log", "log(x)">;
def Graph_SqrtOp : Graph_UnaryOp<"sqrt", "sqrt(x)">;
def Graph_AbsOp : Graph_UnaryOp<"abs", "|x|">;
def Graph_SquareOp : Graph_UnaryOp<"square", "x * x">;
def Graph_ErfOp : Graph_UnaryOp<"erf", "erf(x)">;
def Graph_SinOp : Graph_UnaryOp<"sin", "sin(x)">;
def Graph_CosOp : Graph_UnaryOp<"cos", "cos(x)">;

def Graph_MaximumOp : Graph_BinaryOp<"maximum", [Commutative]> {
  let description = "NaN in either operand gives NaN, as `torch.maximum`.";
}
def Graph_MinimumOp : Graph_BinaryOp<"minimum", [Commutative]> {
  let description = "NaN in either operand gives NaN, as `torch.minimum`.";
}
def Graph_PowOp : Graph_BinaryOp<"pow"> {
  let arguments = (ins Graph_FloatTensor:$lhs, Graph_FloatTensor:$rhs);
  let results = (outs Graph_FloatTensor:$result);
}

class Graph_CompareOp<string mnemonic, string relation>
    : Graph_InferredOp<mnemonic, [Pure]> {
  let summary = "elementwise `" # relation # "` with NumPy broadcasting";
  let description = [{
    A bool (`i1`) result; a comparison with NaN is false except `not_equal`.
  }];
  let arguments = (ins Graph_AnyTensor:$lhs, Graph_AnyTensor:$rhs);
  let results = (outs Graph_BoolTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDefinition = compatibleTypes # reifiedShapes # [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return inferRuleType(location, getOperationName(), shapeRule(adaptor),
                           ::mlir::IntegerType::get(context, 1), types);
    }
    ::kiln::shapes::ShapeResult $cppClass::shapeRule(
        Adaptor adaptor, const ::kiln::OperandShapes &shapes) {
      return binaryShape(adaptor.getLhs(), adaptor.getRhs(), shapes);
    }
  }];
}

def Graph_EqualOp : Graph_CompareOp<"equal", "a == b">;
def Graph_NotEqualOp : Graph_CompareOp<"not_equal", "a != b">;
def Graph_LessOp : Graph_CompareOp<"less", "a < b">;
def Graph_LessEqualOp : Graph_CompareOp<"less_equal", "a <= b">;
def Graph_GreaterOp : Graph_CompareOp<"greater", "a > b">;
def Graph_GreaterEqualOp : Graph_CompareOp<"greater_equal", "a >= b">;

def Graph_WhereOp : Graph_InferredOp<"where", [Pure]> {
  let summary = "elementwise `cond ? lhs : rhs` with NumPy broadcasting";
  let arguments = (ins Graph_BoolTensor:$cond, Graph_AnyTensor:$lhs,
                       Graph_AnyTensor:$rhs);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = [{
    $cond `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_ConstantOp : Graph_Op<"constant",
    [Pure, ConstantLike, AllTypesMatch<["value", "result"]>]> {
  let summary = "a tensor given inline";
  let description = [{
    Constant-like, so the fusion passes read its value (a constant attention
    scale becomes the op's `scale`).
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
}

def Graph_ArangeOp : Graph_Op<"arange", [Pure, Kiln_ReifiedByRuleTrait]>,
    Kiln_ReifiedByRule {
  let extraClassDeclaration = shapeRuleDeclaration;
  let extraClassDefinition = reifiedShapes;
  let summary = "positions start, start + 1, ... along one axis of a tensor";
  let description = [{
    The result is `[n]` with `n` the size of `axis` of `input` (whose values
    are not read); element `i` is `start + i`. With `seq_offsets` (a packed
    batch along `axis` 1) positions restart at every sequence start, and
    tokens outside every sequence are 0.
  }];
  let arguments = (ins Graph_AnyTensor:$input,
                       Optional<Graph_IntTensor>:$seq_offsets, I64Attr:$axis,
                       F64Attr:$start);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = [{
    $input (`seq_offsets` $seq_offsets^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_GatherOp : Graph_InferredOp<"gather", [Pure]> {
  let summary = "NumPy take: select entries of one axis by index";
  let description = [{
    The result has shape `input[:axis] + indices + input[axis+1:]`. Negative
    indices count from the end; the generated code clamps indices that are
    still out of range.
  }];
  let arguments = (ins Graph_AnyTensor:$input, Graph_IntTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_TakeAlongAxisOp : Graph_InferredOp<"take_along_axis", [Pure]> {
  let summary = "NumPy take_along_axis";
  let description = [{
    `indices` has the rank of `input`; the other dimensions broadcast
    against each other, and `axis` takes the size of `indices`. Index
    handling as in `graph.gather`.
  }];
  let arguments = (ins Graph_AnyTensor:$input, Graph_IntTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_ArgmaxOp : Graph_InferredOp<"argmax", [Pure]> {
  let summary = "index of the largest entry along one axis";
  let description = "Ties give the lowest index; NaN counts as the largest.";
  let arguments = (ins Graph_Tensor:$input, I64Attr:$axis, UnitAttr:$keepdims);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_TopKOp : Graph_Op<"top_k", [Pure, Kiln_ReifiedByRuleTrait]>,
    Kiln_ReifiedByRule {
  let extraClassDeclaration = shapeRuleDeclaration;
  let extraClassDefinition = reifiedShapes;
  let summary = "the k largest entries along one axis, sorted descending";
  let description = [{
    Ties keep the lower index first; NaN counts as the largest. `indices` is
    optional.
  }];
  let arguments = (ins Graph_Tensor:$input, I64Attr:$k, I64Attr:$axis);
  let results = (outs Graph_Tensor:$values,
                      Optional<RankedTensorOf<[I64]>>:$indices);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type(results)";
  let hasVerifier = 1;
}

def Graph_CumsumOp : Graph_InferredOp<"cumsum", [Pure]> {
  let summary = "running sum along one axis";
  let description = [{
    `exclusive` leaves the current entry out; `reverse` sums from the end.
    Integer sums are i64, as `torch.cumsum`. With `seq_offsets` (a packed
    batch along `axis` 1) the sums restart at every sequence, and tokens
    outside every sequence are 0.
  }];
  let arguments = (ins Graph_Tensor:$input,
                       Optional<Graph_IntTensor>:$seq_offsets, I64Attr:$axis,
                       UnitAttr:$exclusive, UnitAttr:$reverse);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = [{
    $input (`seq_offsets` $seq_offsets^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fusion groups
//===----------------------------------------------------------------------===//

def Graph_FusedElementwiseOp : Graph_Op<"fused_elementwise",
    [Pure, IsolatedFromAbove, SingleBlock, Kiln_ReifiedByRuleTrait]>,
    Kiln_ReifiedByRule {
  let extraClassDeclaration = shapeRuleDeclaration;
  let extraClassDefinition = reifiedShapes;
  let summary = "a chain of elementwise ops computed in one loop nest";
  let description = [{
    Formed by kiln-fuse-elementwise. The body is the fused subgraph: block
    arguments stand for `inputs`, its ops are elementwise graph ops (unary,
    broadcasting binary, cast) and the data movement between them that the
    kernel reads through (a slice of a static axis, a concat, a transpose
    that keeps the last axis last), and `graph.yield` gives the result. Only
    inputs broadcast: an elementwise op's computed operands have its shape.
    The kernel visits each element of the result once and evaluates the
    body there, every input read at its broadcast index as mapped by the
    data movement, so the intermediate tensors never exist in memory.
  }];
  let arguments = (ins Variadic<Graph_AnyTensor>:$inputs);
  let results = (outs Graph_AnyTensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type($inputs, results) $body
  }];
  let hasVerifier = 1;
}

def Graph_YieldOp : Graph_Op<"yield", [Pure, Terminator,
    HasParent<"FusedElementwiseOp">]> {
  let summary = "the value a fusion group computes";
  let arguments = (ins Graph_AnyTensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

//===----------------------------------------------------------------------===//
// Generation: per-sequence state of the prefill and decode entries
//===----------------------------------------------------------------------===//

def Graph_Conv1dStepOp : Graph_Op<"conv1d_step",
    [MemoryEffects<[MemRead, MemWrite]>, InferTypeOpAdaptor,
     Kiln_ReifiedByRuleTrait]>, Kiln_ReifiedByRule {
  let extraClassDeclaration = shapeRuleDeclaration;
  let extraClassDefinition = reifiedShapes;
  let summary = "causal conv1d continued from a ring of past inputs";
  let description = [{
    The stateful form of `graph.conv1d` for the `prefill` and `decode`
    entries. Row `b` of `input [B, T, C]` continues sequence `slots[b]`,
    whose token `t` is at position `positions[b] + t`. `state [S, K-1, C]`
    holds each sequence's last `K-1` inputs, input at position `p` in entry
    `p mod (K-1)`; taps before position 0 read zero. After the outputs,
    the last `K-1` inputs of the row replace those entries.
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$weight,
                       Optional<Graph_FloatTensor>:$bias,
                       Arg<F32Tensor, "", [MemRead, MemWrite]>:$state,
                       I64Tensor:$slots, I64Tensor:$positions);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `state` $state `slots` $slots
    `positions` $positions attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_RingStoreOp : Graph_Op<"ring_store"> {
  let summary = "store a sequence's last values into a per-sequence ring";
  let description = [{
    `state [S, R, ...]` holds `S` rings of `R` entries. For row `b` of
    `values [B, T, ...]` (whose token `t` is at position
    `positions[b] + t`), the last `min(T, R)` tokens are stored into ring
    `slots[b]` at entry `position mod R`, converted to f32. The `prefill`
    entry fills attention's K/V caches with it.
  }];
  let arguments = (ins Arg<F32Tensor, "", [MemWrite]>:$state,
                       Graph_FloatTensor:$values,
                       I64Tensor:$slots, I64Tensor:$positions);
  let assemblyFormat = [{
    $values `into` $state `slots` $slots `positions` $positions attr-dict
    `:` type($values) `,` type($state) `,` type($slots) `,` type($positions)
  }];
  let hasVerifier = 1;
}

#endif // KILN_GRAPH_OPS
