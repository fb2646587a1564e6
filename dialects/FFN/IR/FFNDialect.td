//===- FFNDialect.td - Kiln feed-forward dialect ----------*- tablegen -*-===//
//
// The feed-forward dialect: two-layer MLPs and gated linear units, kept whole
// so that the GEMMs, the activation and the gate fuse into one kernel.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FFN_DIALECT
#define KILN_FFN_DIALECT

include "mlir/IR/OpBase.td"

def FFN_Dialect : Dialect {
  let name = "ffn";
  let cppNamespace = "::kiln::ffn";
  let summary = "Kiln feed-forward blocks";
  let dependentDialects = ["::kiln::graph::GraphDialect"];
}

class FFN_Op<string mnemonic, list<Trait> traits = []>
    : Op<FFN_Dialect, mnemonic, traits>;

#endif // KILN_FFN_DIALECT
