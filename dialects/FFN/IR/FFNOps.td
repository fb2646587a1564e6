//===- FFNOps.td - Kiln feed-forward operations -----------*- tablegen -*-===//
//
// Operation definitions of the feed-forward dialect.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FFN_OPS
#define KILN_FFN_OPS

include "dialects/FFN/IR/FFNDialect.td"
include "dialects/Graph/IR/GraphDialect.td"
include "dialects/Graph/IR/InferredTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def FFN_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;

def FFN_MLPOp : FFN_Op<"mlp", [Pure, AttrSizedOperandSegments,
    OptionalTypesMatchWith<"the residual has the result's type",
                           "result", "residual", "$_self">,
    InferTypeOpAdaptorWithIsCompatible, Kiln_ReifiedByRuleTrait]>,
    Kiln_CompatibleResultTypes, Kiln_ReifiedByRule {
  let summary = "two-layer perceptron act(x·w_inᵀ + b_in)·w_outᵀ + b_out";
  let description = [{
    `input [..., D]`, `w_in [F, D]`, `b_in [F]`, `w_out [E, F]`, `b_out [E]`
    give `[..., E]`. `relu2` is `relu(x)^2`, `gelu` the erf form and
    `gelu_tanh` the tanh approximation. The optional `residual`, of the
    result's type, is added to the result (a fused epilogue,
    kiln-fuse-epilogues). With `norm` (a fused prologue,
    kiln-fuse-norm-prologues) the rows of `input` are normalized first, as
    on graph.linear.
  }];
  let arguments = (ins FFN_FloatTensor:$input, FFN_FloatTensor:$w_in,
                       Optional<FFN_FloatTensor>:$b_in,
                       FFN_FloatTensor:$w_out,
                       Optional<FFN_FloatTensor>:$b_out,
                       Optional<FFN_FloatTensor>:$residual,
                       Optional<FFN_FloatTensor>:$norm_weight,
                       Optional<FFN_FloatTensor>:$norm_bias,
                       Graph_ActivationAttr:$activation,
                       OptionalAttr<Graph_NormKindAttr>:$norm,
                       OptionalAttr<F64Attr>:$norm_eps);
  let results = (outs FFN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $w_in (`bias` $b_in^)? `,` $w_out (`bias` $b_out^)?
    (`residual` $residual^)? (`norm_weight` $norm_weight^)?
    (`norm_bias` $norm_bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "mlir::Value":$input,
                   "mlir::Value":$w_in, "mlir::Value":$b_in,
                   "mlir::Value":$w_out, "mlir::Value":$b_out,
                   "mlir::Value":$residual,
                   "::kiln::graph::ActivationAttr":$activation), [{
      build($_builder, $_state, input, w_in, b_in, w_out, b_out,
            residual, mlir::Value(), mlir::Value(), activation,
            ::kiln::graph::NormKindAttr(), mlir::FloatAttr());
    }]>
  ];
  let hasVerifier = 1;
  let extraClassDeclaration = shapeRuleDeclaration;
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
      return mlpShape(adaptor, shapes);
    }
  }];
}

def FFN_GLUOp : FFN_Op<"glu", [Pure, AttrSizedOperandSegments,
    OptionalTypesMatchWith<"the residual has the result's type",
                           "result", "residual", "$_self">,
    InferTypeOpAdaptorWithIsCompatible, Kiln_ReifiedByRuleTrait]>,
    Kiln_CompatibleResultTypes, Kiln_ReifiedByRule {
  let summary = "gated linear unit (act(x·w_gateᵀ) * x·w_upᵀ)·w_downᵀ";
  let description = [{
    SwiGLU (`silu`), GeGLU (`gelu`) or ReGLU (`relu`). `input [..., D]`,
    `w_gate, w_up [F, D]`, `w_down [E, F]` give `[..., E]`; the optional
    `residual`, of the result's type, is added to the result, and the
    optional `norm` prologue normalizes the rows of `input` first, as on
    graph.linear.
  }];
  let arguments = (ins FFN_FloatTensor:$input, FFN_FloatTensor:$w_gate,
                       FFN_FloatTensor:$w_up, FFN_FloatTensor:$w_down,
                       Optional<FFN_FloatTensor>:$residual,
                       Optional<FFN_FloatTensor>:$norm_weight,
                       Optional<FFN_FloatTensor>:$norm_bias,
                       Graph_ActivationAttr:$activation,
                       OptionalAttr<Graph_NormKindAttr>:$norm,
                       OptionalAttr<F64Attr>:$norm_eps);
  let results = (outs FFN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $w_gate `,` $w_up `,` $w_down (`residual` $residual^)?
    (`norm_weight` $norm_weight^)? (`norm_bias` $norm_bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "mlir::Value":$input,
                   "mlir::Value":$w_gate, "mlir::Value":$w_up,
                   "mlir::Value":$w_down, "mlir::Value":$residual,
                   "::kiln::graph::ActivationAttr":$activation), [{
      build($_builder, $_state, input, w_gate, w_up, w_down, residual,
            mlir::Value(), mlir::Value(), activation,
            ::kiln::graph::NormKindAttr(), mlir::FloatAttr());
    }]>
  ];
  let hasVerifier = 1;
  let extraClassDeclaration = shapeRuleDeclaration;
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
      return gluShape(adaptor, shapes);
    }
  }];
}

#endif // KILN_FFN_OPS
