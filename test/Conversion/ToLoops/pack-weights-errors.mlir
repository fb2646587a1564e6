// RUN: kiln-opt %s --split-input-file --kiln-pack-weights --verify-diagnostics

// Planning the bind-time packing needs a signature it can read, and a model
// function with its inputs and parameters.

// expected-error @+1 {{invalid kiln.signature: expected 'inputs' and 'params' arrays}}
module attributes {kiln.signature = "{\22inputs\22: []}"} {
  func.func @kiln_main() {
    return
  }
}

// -----

module attributes {kiln.signature = "{\22inputs\22: [{}], \22params\22: [{}]}"} {
  // expected-error @+1 {{expected 2 arguments (the signature's inputs and params)}}
  func.func @kiln_main(%x: tensor<4xf32>) {
    return
  }
}

// -----

module attributes {kiln.signature = "{\22inputs\22: [], \22params\22: [{}]}"} {
  // expected-error @+1 {{expected parameter 0 (argument 0) to be a ranked tensor}}
  func.func @kiln_main(%w: memref<4xf32>) {
    return
  }
}
