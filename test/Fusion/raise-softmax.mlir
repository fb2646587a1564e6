// RUN: kiln-opt %s -split-input-file --kiln-raise-softmax | FileCheck %s

// exp(x - max(x)) / sum(exp(x - max(x))) over the last axis, as
// jax.nn.softmax spells it: one softmax.

// CHECK-LABEL: func.func @stable
// CHECK-SAME: (%[[X:.*]]: tensor<2x?x?xf32>)
// CHECK-NEXT: %[[Y:.*]] = graph.softmax %[[X]] {axis = 2 : i64} : tensor<2x?x?xf32>
// CHECK-NEXT: return %[[Y]]
func.func @stable(%x: tensor<2x?x?xf32>) -> tensor<2x?x?xf32> {
  %m = graph.reduce_max %x {axes = array<i64: 2>, keepdims} : tensor<2x?x?xf32> -> tensor<2x?x1xf32>
  %t = graph.sub %x, %m : tensor<2x?x?xf32>, tensor<2x?x1xf32> -> tensor<2x?x?xf32>
  %e = graph.exp %t : tensor<2x?x?xf32>
  %s = graph.reduce_sum %e {axes = array<i64: 2>, keepdims} : tensor<2x?x?xf32> -> tensor<2x?x1xf32>
  %y = graph.div %e, %s : tensor<2x?x?xf32>, tensor<2x?x1xf32> -> tensor<2x?x?xf32>
  return %y : tensor<2x?x?xf32>
}

// -----

// Without the max, and along an axis other than the last.

// CHECK-LABEL: func.func @plain_middle_axis
// CHECK-NEXT: %[[Y:.*]] = graph.softmax %arg0 {axis = 1 : i64} : tensor<2x5x3xf32>
// CHECK-NEXT: return %[[Y]]
func.func @plain_middle_axis(%x: tensor<2x5x3xf32>) -> tensor<2x5x3xf32> {
  %e = graph.exp %x : tensor<2x5x3xf32>
  %s = graph.reduce_sum %e {axes = array<i64: 1>, keepdims} : tensor<2x5x3xf32> -> tensor<2x1x3xf32>
  %y = graph.div %e, %s : tensor<2x5x3xf32>, tensor<2x1x3xf32> -> tensor<2x5x3xf32>
  return %y : tensor<2x5x3xf32>
}

// -----

// The sum's reciprocal times e, in either order: one softmax. A reciprocal
// of anything but 1 / sum stays a product.

// CHECK-LABEL: func.func @reciprocal
// CHECK: %[[Y:.*]] = graph.softmax %arg0 {axis = 1 : i64} : tensor<4x6xf32>
// CHECK-NEXT: %[[Z:.*]] = graph.softmax %arg0 {axis = 1 : i64} : tensor<4x6xf32>
// CHECK: %[[W:.*]] = graph.mul
// CHECK-NEXT: return %[[Y]], %[[Z]], %[[W]]
func.func @reciprocal(%x: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>) {
  %one = graph.constant dense<1.0> : tensor<f32>
  %two = graph.constant dense<2.0> : tensor<f32>
  %e = graph.exp %x : tensor<4x6xf32>
  %s = graph.reduce_sum %e {axes = array<i64: 1>, keepdims} : tensor<4x6xf32> -> tensor<4x1xf32>
  %r = graph.div %one, %s : tensor<f32>, tensor<4x1xf32> -> tensor<4x1xf32>
  %y = graph.mul %e, %r : tensor<4x6xf32>, tensor<4x1xf32> -> tensor<4x6xf32>
  %m = graph.reduce_max %x {axes = array<i64: 1>, keepdims} : tensor<4x6xf32> -> tensor<4x1xf32>
  %t = graph.sub %x, %m : tensor<4x6xf32>, tensor<4x1xf32> -> tensor<4x6xf32>
  %e2 = graph.exp %t : tensor<4x6xf32>
  %s2 = graph.reduce_sum %e2 {axes = array<i64: 1>, keepdims} : tensor<4x6xf32> -> tensor<4x1xf32>
  %r2 = graph.div %one, %s2 : tensor<f32>, tensor<4x1xf32> -> tensor<4x1xf32>
  %z = graph.mul %r2, %e2 : tensor<4x1xf32>, tensor<4x6xf32> -> tensor<4x6xf32>
  %e3 = graph.exp %x : tensor<4x6xf32>
  %s3 = graph.reduce_sum %e3 {axes = array<i64: 1>, keepdims} : tensor<4x6xf32> -> tensor<4x1xf32>
  %r3 = graph.div %two, %s3 : tensor<f32>, tensor<4x1xf32> -> tensor<4x1xf32>
  %w = graph.mul %e3, %r3 : tensor<4x6xf32>, tensor<4x1xf32> -> tensor<4x6xf32>
  return %y, %z, %w : tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>
}

// -----

// A max over another axis than the sum's is no part of the softmax: its
// difference is the softmax's input (softmax(x - c) for c constant along
// the axis is still exp / sum).

// CHECK-LABEL: func.func @max_over_other_axis
// CHECK: %[[M:.*]] = graph.reduce_max
// CHECK-NEXT: %[[T:.*]] = graph.sub %arg0, %[[M]]
// CHECK-NEXT: %[[Y:.*]] = graph.softmax %[[T]] {axis = 1 : i64}
// CHECK-NEXT: return %[[Y]]
func.func @max_over_other_axis(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %m = graph.reduce_max %x {axes = array<i64: 0>, keepdims} : tensor<4x6xf32> -> tensor<1x6xf32>
  %t = graph.sub %x, %m : tensor<4x6xf32>, tensor<1x6xf32> -> tensor<4x6xf32>
  %e = graph.exp %t : tensor<4x6xf32>
  %s = graph.reduce_sum %e {axes = array<i64: 1>, keepdims} : tensor<4x6xf32> -> tensor<4x1xf32>
  %y = graph.div %e, %s : tensor<4x6xf32>, tensor<4x1xf32> -> tensor<4x6xf32>
  return %y : tensor<4x6xf32>
}

// -----

// Not raised: exp(x) is also returned; the sum runs over two axes; the
// sum drops its axis.

// CHECK-LABEL: func.func @not_raised
// CHECK-NOT: graph.softmax
func.func @not_raised(%x: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>) {
  %e = graph.exp %x : tensor<4x6xf32>
  %s = graph.reduce_sum %e {axes = array<i64: 1>, keepdims} : tensor<4x6xf32> -> tensor<4x1xf32>
  %y = graph.div %e, %s : tensor<4x6xf32>, tensor<4x1xf32> -> tensor<4x6xf32>
  %e2 = graph.exp %x : tensor<4x6xf32>
  %s2 = graph.reduce_sum %e2 {axes = array<i64: 0, 1>, keepdims} : tensor<4x6xf32> -> tensor<1x1xf32>
  %y2 = graph.div %e2, %s2 : tensor<4x6xf32>, tensor<1x1xf32> -> tensor<4x6xf32>
  %e3 = graph.exp %x : tensor<4x6xf32>
  %s3 = graph.reduce_sum %e3 {axes = array<i64: 0>} : tensor<4x6xf32> -> tensor<6xf32>
  %y3 = graph.div %e3, %s3 : tensor<4x6xf32>, tensor<6xf32> -> tensor<4x6xf32>
  return %e, %y, %y2, %y3 : tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>
}
