//===- GraphDialect.td - Kiln graph dialect definition ----*- tablegen -*-===//
//
// The graph dialect holds the model glue that has no domain dialect of its
// own: embeddings, projections, norms, RoPE, elementwise math, reductions and
// data movement. Ops work on ranked tensors whose batch and sequence
// dimensions are dynamic.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_GRAPH_DIALECT
#define KILN_GRAPH_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Graph_Dialect : Dialect {
  let name = "graph";
  let cppNamespace = "::kiln::graph";
  let summary = "Kiln model-graph glue operations";
  let description = [{
    Value-semantic tensor operations that a model graph needs around the
    attention, scan and feed-forward blocks. Every op maps one-to-one onto an
    op of the JSON IR v1 (docs/json-ir.md). Dynamic result sizes that cannot
    be derived from the operands (for `graph.reshape`) are passed as `index`
    operands, as `tensor.empty` does.
  }];
  let hasConstantMaterializer = 0;
  let useDefaultAttributePrinterParser = 1;
}

class Graph_Op<string mnemonic, list<Trait> traits = []>
    : Op<Graph_Dialect, mnemonic, traits>;

// The one pointwise activation enum of Kiln: the activation of ffn.mlp and
// ffn.glu, and of a projection's fused epilogue.
def Graph_Activation : I32EnumAttr<"Activation", "pointwise activation", [
    I32EnumAttrCase<"relu", 0>,
    I32EnumAttrCase<"gelu", 1>,
    I32EnumAttrCase<"gelu_tanh", 2>,
    I32EnumAttrCase<"silu", 3>,
    I32EnumAttrCase<"relu2", 4>,
    I32EnumAttrCase<"sigmoid", 5>,
    I32EnumAttrCase<"tanh", 6>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::kiln::graph";
}
def Graph_ActivationAttr
    : EnumAttr<Graph_Dialect, Graph_Activation, "activation">;

// The normalization a GEMM applies to the rows of its input before the
// product: a layer_norm or rms_norm folded into the GEMMs that read it
// (kiln-fuse-norm-prologues).
def Graph_NormKind : I32EnumAttr<"NormKind", "row normalization", [
    I32EnumAttrCase<"layer_norm", 0>,
    I32EnumAttrCase<"rms_norm", 1>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::kiln::graph";
}
def Graph_NormKindAttr : EnumAttr<Graph_Dialect, Graph_NormKind, "norm">;

#endif // KILN_GRAPH_DIALECT
