// RUN: kiln-opt %s --split-input-file --kiln-bufferize-ops --verify-diagnostics

// kiln-bufferize-ops chooses the buffers inside a function whose boundary
// kiln-bufferize-boundaries has put on buffers.

// expected-error @+1 {{function boundary on tensors: kiln-bufferize-ops runs after kiln-bufferize-boundaries}}
func.func @tensors(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = graph.exp %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
