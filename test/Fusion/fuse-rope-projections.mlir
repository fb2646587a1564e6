// RUN: kiln-opt %s -split-input-file --kiln-fuse-rope-projections | FileCheck %s

// The query and key of a Llama attention: each projection, split into heads
// and rotated, becomes a linear with a rope epilogue followed by the split;
// positions move onto the linear, and interleaved and partial rotations
// keep their attrs. The ropes are gone.

// CHECK-LABEL: func.func @query_key
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x?x32xf32>, %[[WQ:[^:]*]]: tensor<64x32xf32>, %[[WK:[^:]*]]: tensor<32x32xf32>, %[[POS:[^:]*]]: tensor<?x?xi64>)
// CHECK-NOT: graph.rope
// CHECK: %[[Q:.*]] = graph.linear %[[X]], %[[WQ]] rope_positions %[[POS]] {rope_head_dim = 16 : i64, rope_rotary_dim = 16 : i64, rope_theta = 1.000000e+04 : f64}
// CHECK: graph.reshape %[[Q]] sizes({{.*}}) : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
// CHECK: %[[K:.*]] = graph.linear %[[X]], %[[WK]] {rope_head_dim = 16 : i64, rope_interleaved, rope_rotary_dim = 8 : i64, rope_theta = 5.000000e+05 : f64}
// CHECK: graph.reshape %[[K]] sizes({{.*}}) : tensor<?x?x32xf32> -> tensor<?x?x2x16xf32>
func.func @query_key(%x: tensor<?x?x32xf32>, %wq: tensor<64x32xf32>,
                     %wk: tensor<32x32xf32>, %pos: tensor<?x?xi64>)
    -> (tensor<?x?x4x16xf32>, tensor<?x?x2x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %x, %c0 : tensor<?x?x32xf32>
  %t = tensor.dim %x, %c1 : tensor<?x?x32xf32>
  %q = graph.linear %x, %wq : (tensor<?x?x32xf32>, tensor<64x32xf32>) -> tensor<?x?x64xf32>
  %q4 = graph.reshape %q sizes(%b, %t) : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
  %qr = graph.rope %q4 positions %pos {rotary_dim = 16 : i64, theta = 10000.0 : f64} : (tensor<?x?x4x16xf32>, tensor<?x?xi64>) -> tensor<?x?x4x16xf32>
  %k = graph.linear %x, %wk : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  %k4 = graph.reshape %k sizes(%b, %t) : tensor<?x?x32xf32> -> tensor<?x?x2x16xf32>
  %kr = graph.rope %k4 {interleaved, rotary_dim = 8 : i64, theta = 500000.0 : f64} : (tensor<?x?x2x16xf32>) -> tensor<?x?x2x16xf32>
  return %qr, %kr : tensor<?x?x4x16xf32>, tensor<?x?x2x16xf32>
}

// -----

// Not folded: a projection whose result is also an output, a split that is
// also read unrotated, a rope of an input, and a reshape that is no split
// of [batch, seq, features] into heads (it regroups the tokens).

// CHECK-LABEL: func.func @refused
// CHECK-COUNT-4: graph.rope
// CHECK-NOT: rope_head_dim
func.func @refused(%x: tensor<2x8x32xf32>, %w: tensor<32x32xf32>,
                   %h: tensor<2x8x2x16xf32>)
    -> (tensor<2x8x32xf32>, tensor<2x8x2x16xf32>, tensor<2x8x2x16xf32>,
        tensor<2x8x2x16xf32>, tensor<2x8x2x16xf32>, tensor<2x4x4x16xf32>) {
  %p = graph.linear %x, %w : (tensor<2x8x32xf32>, tensor<32x32xf32>) -> tensor<2x8x32xf32>
  %p4 = graph.reshape %p : tensor<2x8x32xf32> -> tensor<2x8x2x16xf32>
  %pr = graph.rope %p4 {rotary_dim = 16 : i64, theta = 10000.0 : f64} : (tensor<2x8x2x16xf32>) -> tensor<2x8x2x16xf32>
  %s = graph.linear %x, %w : (tensor<2x8x32xf32>, tensor<32x32xf32>) -> tensor<2x8x32xf32>
  %s4 = graph.reshape %s : tensor<2x8x32xf32> -> tensor<2x8x2x16xf32>
  %sr = graph.rope %s4 {rotary_dim = 16 : i64, theta = 10000.0 : f64} : (tensor<2x8x2x16xf32>) -> tensor<2x8x2x16xf32>
  %hr = graph.rope %h {rotary_dim = 16 : i64, theta = 10000.0 : f64} : (tensor<2x8x2x16xf32>) -> tensor<2x8x2x16xf32>
  %g = graph.linear %x, %w : (tensor<2x8x32xf32>, tensor<32x32xf32>) -> tensor<2x8x32xf32>
  %g4 = graph.reshape %g : tensor<2x8x32xf32> -> tensor<2x4x4x16xf32>
  %gr = graph.rope %g4 {rotary_dim = 16 : i64, theta = 10000.0 : f64} : (tensor<2x4x4x16xf32>) -> tensor<2x4x4x16xf32>
  return %p, %pr, %s4, %sr, %hr, %gr : tensor<2x8x32xf32>, tensor<2x8x2x16xf32>, tensor<2x8x2x16xf32>, tensor<2x8x2x16xf32>, tensor<2x8x2x16xf32>, tensor<2x4x4x16xf32>
}
