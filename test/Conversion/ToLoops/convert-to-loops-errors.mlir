// RUN: kiln-opt %s --split-input-file --kiln-convert-to-loops=vector-width=8 --verify-diagnostics

// kiln-convert-to-loops lowers ops, not function boundaries: those are
// kiln-bufferize-boundaries' step.

// expected-error @+1 {{function boundary on tensors: kiln-convert-to-loops runs after kiln-bufferize-boundaries}}
func.func @tensors(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// Nor does it choose the buffers of intermediate values: that is
// kiln-bufferize-ops' step.
func.func @no_buffer(%x: memref<4xf32>, %out: memref<4xf32>) {
  %xt = bufferization.to_tensor %x : memref<4xf32>
  // expected-error @+1 {{'graph.exp' op result #0 has no buffer: kiln-convert-to-loops runs after kiln-bufferize-ops}}
  %y = graph.exp %xt : tensor<4xf32>
  %z = graph.neg %y : tensor<4xf32>
  bufferization.materialize_in_destination %z in writable %out : (tensor<4xf32>, memref<4xf32>) -> ()
  return
}

// -----

// Panels packed for 16 lanes (32 columns) cannot feed the 8-lane GEMM.
func.func @wide_panels(%x: memref<?x64xf32>, %w: memref<40x64xf32>, %panels: memref<2x64x32xf32>, %out: memref<?x40xf32>) {
  %xt = bufferization.to_tensor %x : memref<?x64xf32>
  %wt = bufferization.to_tensor %w : memref<40x64xf32>
  // expected-error @+1 {{'graph.linear' op kiln.packed_panels names no panels argument of 16 columns (packed for another vector-width?)}}
  %y = graph.linear %xt, %wt {kiln.packed_panels = array<i64: 1, 2>} : (tensor<?x64xf32>, tensor<40x64xf32>) -> tensor<?x40xf32>
  bufferization.materialize_in_destination %y in writable %out : (tensor<?x40xf32>, memref<?x40xf32>) -> ()
  return
}

// -----

// The argument a weight's panels are said to be in must exist.
func.func @missing_panels(%x: memref<?x64xf32>, %w: memref<40x64xf32>, %out: memref<?x40xf32>) {
  %xt = bufferization.to_tensor %x : memref<?x64xf32>
  %wt = bufferization.to_tensor %w : memref<40x64xf32>
  // expected-error @+1 {{kiln.packed_panels names no panels argument}}
  %y = graph.linear %xt, %wt {kiln.packed_panels = array<i64: 1, 7>} : (tensor<?x64xf32>, tensor<40x64xf32>) -> tensor<?x40xf32>
  bufferization.materialize_in_destination %y in writable %out : (tensor<?x40xf32>, memref<?x40xf32>) -> ()
  return
}

// -----

func.func @odd_pairs(%x: memref<?x64xf32>, %w: memref<40x64xf32>, %out: memref<?x40xf32>) {
  %xt = bufferization.to_tensor %x : memref<?x64xf32>
  %wt = bufferization.to_tensor %w : memref<40x64xf32>
  // expected-error @+1 {{kiln.packed_panels must hold (operand, argument) pairs, got 3 values}}
  %y = graph.linear %xt, %wt {kiln.packed_panels = array<i64: 1, 2, 3>} : (tensor<?x64xf32>, tensor<40x64xf32>) -> tensor<?x40xf32>
  bufferization.materialize_in_destination %y in writable %out : (tensor<?x40xf32>, memref<?x40xf32>) -> ()
  return
}
