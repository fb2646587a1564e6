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
  // Shape reification of the ops builds tensor.dim.
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
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

// The pointwise activation of ffn.mlp and ffn.glu, and of a projection's
// fused epilogue. Its enum is Kiln's one list of activations,
// `kiln::Activation` (lib/ShapeRules/Activation.h), which the importer, the
// lowering and the reference evaluator share; printed by its name.
def Graph_ActivationAttr : AttrDef<Graph_Dialect, "Activation"> {
  let mnemonic = "activation";
  let summary = "pointwise activation";
  let parameters = (ins
      AttrParameter<"::kiln::Activation", "a pointwise activation">:$value);
  let assemblyFormat = "$value";
  let returnType = "::kiln::Activation";
  let convertFromStorage = "$_self.getValue()";
  let constBuilderCall =
      "::kiln::graph::ActivationAttr::get($_builder.getContext(), $0)";
}

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
