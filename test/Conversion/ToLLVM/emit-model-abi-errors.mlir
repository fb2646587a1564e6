// RUN: not kiln-opt %s --kiln-cpu-pipeline 2>&1 | FileCheck %s --check-prefix=PIPELINE
// RUN: kiln-opt %s --split-input-file --kiln-emit-model-abi --verify-diagnostics

// kiln-emit-model-abi rejects a module it cannot give the ABI: missing
// attributes or model function, a malformed signature, or a model function
// whose arguments do not match the signature's tensors.

// The pipeline fails on this file's first module, which has no attributes:
// kiln-cpu-pipeline checks the signature before lowering anything.
// PIPELINE: error: expected a kiln.signature attribute and a func.func @kiln_main

// expected-error @+1 {{expected the kiln.signature and kiln.source module attributes and an llvm.func @kiln_main}}
module {
  func.func @kiln_main(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// expected-error @+1 {{expected the kiln.signature and kiln.source module attributes and an llvm.func @kiln_main}}
module attributes {kiln.signature = "{}"} {
  llvm.func @kiln_main() {
    llvm.return
  }
}

// -----

// expected-error @+1 {{expected the kiln.signature and kiln.source module attributes and an llvm.func @kiln_main}}
module attributes {kiln.signature = "{}", kiln.source = "{}"} {
  llvm.func @model() {
    llvm.return
  }
}

// -----

// expected-error @+1 {{invalid kiln.signature: }}
module attributes {kiln.signature = "{\22dims\22: [", kiln.source = "{}"} {
  llvm.func @kiln_main() {
    llvm.return
  }
}

// -----

// expected-error @+1 {{invalid kiln.signature: signature has no 'dims' array}}
module attributes {kiln.signature = "[]", kiln.source = "{}"} {
  llvm.func @kiln_main() {
    llvm.return
  }
}

// -----

// expected-error @+1 {{invalid kiln.signature: signature has no 'params' array}}
module attributes {kiln.signature = "{\22dims\22:[],\22inputs\22:[]}", kiln.source = "{}"} {
  llvm.func @kiln_main() {
    llvm.return
  }
}

// -----

// expected-error @+1 {{invalid kiln.signature: a tensor of 'inputs' has no shape}}
module attributes {kiln.signature = "{\22dims\22:[],\22inputs\22:[{\22name\22:\22x\22}],\22params\22:[],\22outputs\22:[]}", kiln.source = "{}"} {
  llvm.func @kiln_main() {
    llvm.return
  }
}

// -----

// expected-error @+1 {{invalid kiln.signature: signature shape names an undeclared dimension}}
module attributes {kiln.signature = "{\22dims\22:[\22n\22],\22inputs\22:[{\22shape\22:[\22m\22]}],\22params\22:[],\22outputs\22:[]}", kiln.source = "{}"} {
  llvm.func @kiln_main() {
    llvm.return
  }
}

// -----

// One rank-1 tensor needs a descriptor of 3 + 2 * 1 arguments.
module attributes {kiln.signature = "{\22dims\22:[],\22inputs\22:[{\22shape\22:[4]}],\22params\22:[],\22outputs\22:[]}", kiln.source = "{}"} {
  // expected-error @+1 {{expected 5 arguments (one memref descriptor per tensor of the signature), got 2}}
  llvm.func @kiln_main(%arg0: !llvm.ptr, %arg1: !llvm.ptr) {
    llvm.return
  }
}

// -----

// expected-error @+1 {{the signature lists packed weights but there is no llvm.func @kiln_pack}}
module attributes {kiln.signature = "{\22dims\22:[],\22inputs\22:[],\22params\22:[],\22packed\22:[{\22shape\22:[2]}],\22outputs\22:[]}", kiln.source = "{}"} {
  llvm.func @kiln_main(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: i64, %arg3: i64, %arg4: i64) {
    llvm.return
  }
}

// -----

module attributes {kiln.signature = "{\22dims\22:[],\22inputs\22:[],\22params\22:[],\22packed\22:[{\22shape\22:[2]}],\22outputs\22:[]}", kiln.source = "{}"} {
  llvm.func @kiln_main(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: i64, %arg3: i64, %arg4: i64) {
    llvm.return
  }
  // expected-error @+1 {{expected 6 arguments (one memref descriptor per tensor of the signature, then the buffer to pack), got 0}}
  llvm.func @kiln_pack() {
    llvm.return
  }
}
