// RUN: kiln-opt %s -split-input-file --kiln-raise-linear | FileCheck %s

// x · w with w [in, out], then the bias: one linear with its bias, whose
// weight is w transposed.

// CHECK-LABEL: func.func @conv1d
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>, %[[W:.*]]: tensor<8x12xf32>, %[[B:.*]]: tensor<12xf32>)
// CHECK-NEXT: %[[WT:.*]] = graph.transpose %[[W]] {perm = array<i64: 1, 0>} : tensor<8x12xf32> -> tensor<12x8xf32>
// CHECK-NEXT: %[[Y:.*]] = graph.linear %[[X]], %[[WT]], %[[B]] : (tensor<?x?x8xf32>, tensor<12x8xf32>, tensor<12xf32>) -> tensor<?x?x12xf32>
// CHECK-NEXT: return %[[Y]]
func.func @conv1d(%x: tensor<?x?x8xf32>, %w: tensor<8x12xf32>, %b: tensor<12xf32>) -> tensor<?x?x12xf32> {
  %m = graph.matmul %x, %w : tensor<?x?x8xf32>, tensor<8x12xf32> -> tensor<?x?x12xf32>
  %y = graph.add %b, %m : tensor<12xf32>, tensor<?x?x12xf32> -> tensor<?x?x12xf32>
  return %y : tensor<?x?x12xf32>
}

// -----

// A weight given [out, in] and transposed for the product is read as it
// is; a [1, 1, N] bias is reshaped to [N].

// CHECK-LABEL: func.func @transposed_weight
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>, %[[W:.*]]: tensor<12x8xf32>, %[[B:.*]]: tensor<1x1x12xf32>)
// CHECK-NEXT: %[[B1:.*]] = graph.reshape %[[B]] : tensor<1x1x12xf32> -> tensor<12xf32>
// CHECK-NEXT: %[[Y:.*]] = graph.linear %[[X]], %[[W]], %[[B1]] : (tensor<?x?x8xf32>, tensor<12x8xf32>, tensor<12xf32>) -> tensor<?x?x12xf32>
// CHECK-NEXT: return %[[Y]]
func.func @transposed_weight(%x: tensor<?x?x8xf32>, %w: tensor<12x8xf32>, %b: tensor<1x1x12xf32>) -> tensor<?x?x12xf32> {
  %wt = graph.transpose %w {perm = array<i64: 1, 0>} : tensor<12x8xf32> -> tensor<8x12xf32>
  %m = graph.matmul %x, %wt : tensor<?x?x8xf32>, tensor<8x12xf32> -> tensor<?x?x12xf32>
  %y = graph.add %m, %b : tensor<?x?x12xf32>, tensor<1x1x12xf32> -> tensor<?x?x12xf32>
  return %y : tensor<?x?x12xf32>
}

// -----

// A batched product (a [B, K, N] right operand) stays a matmul; a
// per-token add is no bias.

// CHECK-LABEL: func.func @batched
// CHECK-NEXT: graph.matmul
// CHECK-NEXT: graph.add
func.func @batched(%x: tensor<2x?x8xf32>, %w: tensor<2x8x12xf32>, %t: tensor<2x?x12xf32>) -> tensor<2x?x12xf32> {
  %m = graph.matmul %x, %w : tensor<2x?x8xf32>, tensor<2x8x12xf32> -> tensor<2x?x12xf32>
  %y = graph.add %m, %t : tensor<2x?x12xf32>, tensor<2x?x12xf32> -> tensor<2x?x12xf32>
  return %y : tensor<2x?x12xf32>
}

// -----

// Bias adds that do not fold: the unbiased result is also returned; the
// linear has a bias already.

// CHECK-LABEL: func.func @not_folded
// CHECK-COUNT-2: graph.add
func.func @not_folded(%x: tensor<?x8xf32>, %w: tensor<12x8xf32>, %b: tensor<12xf32>)
    -> (tensor<?x12xf32>, tensor<?x12xf32>, tensor<?x12xf32>) {
  %p = graph.linear %x, %w : (tensor<?x8xf32>, tensor<12x8xf32>) -> tensor<?x12xf32>
  %y1 = graph.add %p, %b : tensor<?x12xf32>, tensor<12xf32> -> tensor<?x12xf32>
  %q = graph.linear %x, %w, %b : (tensor<?x8xf32>, tensor<12x8xf32>, tensor<12xf32>) -> tensor<?x12xf32>
  %y2 = graph.add %q, %b : tensor<?x12xf32>, tensor<12xf32> -> tensor<?x12xf32>
  return %p, %y1, %y2 : tensor<?x12xf32>, tensor<?x12xf32>, tensor<?x12xf32>
}

// -----

// A bias computed after the projection (JAX traces Flax's Dense as the
// matmul, then the bias's reshape, then the add): the projection moves
// down to the add and takes the bias.

// CHECK-LABEL: func.func @bias_after_projection
// CHECK-NEXT: %[[B:.*]] = graph.neg
// CHECK-NEXT: %[[Y:.*]] = graph.linear %{{.*}}, %{{.*}}, %[[B]] : (tensor<?x8xf32>, tensor<12x8xf32>, tensor<12xf32>) -> tensor<?x12xf32>
// CHECK-NEXT: return %[[Y]]
func.func @bias_after_projection(%x: tensor<?x8xf32>, %w: tensor<12x8xf32>, %b: tensor<12xf32>)
    -> tensor<?x12xf32> {
  %r = graph.linear %x, %w : (tensor<?x8xf32>, tensor<12x8xf32>) -> tensor<?x12xf32>
  %late = graph.neg %b : tensor<12xf32>
  %y = graph.add %r, %late : tensor<?x12xf32>, tensor<12xf32> -> tensor<?x12xf32>
  return %y : tensor<?x12xf32>
}
