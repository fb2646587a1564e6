//===- WarpDialect.td - Kiln warp dialect ------------------*- tablegen -*-===//
//
// The warp dialect: operations that the 32 threads of a GPU warp execute
// together, with semantics per lane that the CPU can run too. Kiln's GPU
// kernels use it where a tensor-core instruction computes a tile that no
// single thread does (kiln-gpu-lower-mma for the GPU,
// kiln-gpu-emulate-mma for --gpu-emulation).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_WARP_DIALECT
#define KILN_WARP_DIALECT

include "mlir/IR/OpBase.td"

def Warp_Dialect : Dialect {
  let name = "warp";
  let cppNamespace = "::kiln::warp";
  let summary = "Kiln warp-level operations (tensor-core tiles)";
}

class Warp_Op<string mnemonic, list<Trait> traits = []>
    : Op<Warp_Dialect, mnemonic, traits>;

#endif // KILN_WARP_DIALECT
