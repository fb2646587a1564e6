//===- FFNDialect.td - Kiln feed-forward dialect ----------*- tablegen -*-===//
//
// The feed-forward dialect: two-layer MLPs and gated linear units, kept whole
// so that the GEMMs, the activation and the gate fuse into one kernel.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FFN_DIALECT
#define KILN_FFN_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def FFN_Dialect : Dialect {
  let name = "ffn";
  let cppNamespace = "::kiln::ffn";
  let summary = "Kiln feed-forward blocks";
  let useDefaultAttributePrinterParser = 1;
}

class FFN_Op<string mnemonic, list<Trait> traits = []>
    : Op<FFN_Dialect, mnemonic, traits>;

def FFN_Activation : I32EnumAttr<"Activation", "pointwise activation", [
    I32EnumAttrCase<"relu", 0>,
    I32EnumAttrCase<"gelu", 1>,
    I32EnumAttrCase<"gelu_tanh", 2>,
    I32EnumAttrCase<"silu", 3>,
    I32EnumAttrCase<"relu2", 4>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::kiln::ffn";
}
def FFN_ActivationAttr : EnumAttr<FFN_Dialect, FFN_Activation, "activation">;

#endif // KILN_FFN_DIALECT
