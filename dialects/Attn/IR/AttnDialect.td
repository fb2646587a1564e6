//===- AttnDialect.td - Kiln attention dialect definition -*- tablegen -*-===//
//
// The attention dialect: softmax-family attention with the masks and
// normalizers of the sequence-model literature, and kernelized linear
// attention. Ops take `[B, T, H, D]` tensors, the layout of the JSON IR.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_ATTN_DIALECT
#define KILN_ATTN_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::kiln::attn";
  // Shape reification of the ops builds tensor.dim.
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
  let summary = "Kiln attention operations";
  let description = [{
    Attention as single ops so that fusion and tiling passes see the whole
    computation: the masks (none, causal, sliding window, block diagonal),
    grouped-query heads, additive bias, packed variable-length batches, the
    softmax and power normalizers, and linear attention with its feature maps.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

def Attn_MaskKind : I32EnumAttr<"MaskKind", "which keys a query sees", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"causal", 1>,
    I32EnumAttrCase<"sliding_window", 2>,
    I32EnumAttrCase<"block_diagonal", 3>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::kiln::attn";
}
def Attn_MaskKindAttr : EnumAttr<Attn_Dialect, Attn_MaskKind, "mask">;

def Attn_Normalizer : I32EnumAttr<"Normalizer", "how scores become weights", [
    I32EnumAttrCase<"softmax", 0>,
    I32EnumAttrCase<"power", 1>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::kiln::attn";
}
def Attn_NormalizerAttr : EnumAttr<Attn_Dialect, Attn_Normalizer, "normalizer">;

def Attn_FeatureMap : I32EnumAttr<"FeatureMap", "linear-attention feature map", [
    I32EnumAttrCase<"elu1", 0>,
    I32EnumAttrCase<"relu", 1>,
    I32EnumAttrCase<"identity", 2>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::kiln::attn";
}
def Attn_FeatureMapAttr : EnumAttr<Attn_Dialect, Attn_FeatureMap, "feature_map">;

def Attn_Normalize : I32EnumAttr<"Normalize", "linear-attention normalization", [
    I32EnumAttrCase<"denominator", 0>,
    I32EnumAttrCase<"none", 1>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::kiln::attn";
}
def Attn_NormalizeAttr : EnumAttr<Attn_Dialect, Attn_Normalize, "normalize">;

#endif // KILN_ATTN_DIALECT
