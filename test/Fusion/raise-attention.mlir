// RUN: kiln-opt %s -split-input-file --kiln-raise-attention | FileCheck %s

// q·kᵀ, scaled by a constant, masked by an additive bias, softmax over the
// keys, times v: one attn.attention whose scale is the constant. The
// transposes into and out of [B, H, T, D] cancel against its own.

// CHECK-LABEL: func.func @scaled_masked
// CHECK-SAME: (%[[Q:.*]]: tensor<?x?x4x16xf32>, %[[K:.*]]: tensor<?x?x4x16xf32>, %[[V:.*]]: tensor<?x?x4x16xf32>, %[[M:.*]]: tensor<?x?xf32>)
// CHECK-NEXT: %[[O:.*]] = attn.attention %[[Q]], %[[K]], %[[V]] bias %[[M]] {mask = #attn<mask none>, scale = 2.500000e-01 : f64}
// CHECK-NEXT: return %[[O]]
func.func @scaled_masked(%q4: tensor<?x?x4x16xf32>, %k4: tensor<?x?x4x16xf32>,
                         %v4: tensor<?x?x4x16xf32>, %mask: tensor<?x?xf32>)
    -> tensor<?x?x4x16xf32> {
  %scale = arith.constant dense<2.500000e-01> : tensor<f32>
  %q = graph.transpose %q4 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  %kt = graph.transpose %k4 {perm = array<i64: 0, 2, 3, 1>} : tensor<?x?x4x16xf32> -> tensor<?x4x16x?xf32>
  %v = graph.transpose %v4 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  %s0 = graph.matmul %q, %kt : tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32> -> tensor<?x4x?x?xf32>
  %s1 = graph.mul %s0, %scale : tensor<?x4x?x?xf32>, tensor<f32> -> tensor<?x4x?x?xf32>
  %s2 = graph.add %mask, %s1 : tensor<?x?xf32>, tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %p = graph.softmax %s2 {axis = 3 : i64} : tensor<?x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %o4 = graph.transpose %o {perm = array<i64: 0, 2, 1, 3>} : tensor<?x4x?x16xf32> -> tensor<?x?x4x16xf32>
  return %o4 : tensor<?x?x4x16xf32>
}

// -----

// A divisor known only at run time scales the query instead; no mask.

// CHECK-LABEL: func.func @runtime_divisor
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x8x16xf32>, %[[KT:.*]]: tensor<2x4x16x8xf32>, %[[V:.*]]: tensor<2x4x8x16xf32>, %[[S:.*]]: tensor<1xf32>)
// CHECK: %[[QT:.*]] = graph.transpose %[[Q]] {perm = array<i64: 0, 2, 1, 3>}
// CHECK: %[[QS:.*]] = graph.div %[[QT]], %[[S]]
// CHECK: %[[KB:.*]] = graph.transpose %[[KT]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK: %[[VB:.*]] = graph.transpose %[[V]] {perm = array<i64: 0, 2, 1, 3>}
// CHECK: %[[O:.*]] = attn.attention %[[QS]], %[[KB]], %[[VB]] {mask = #attn<mask none>, scale = 1.000000e+00 : f64}
// CHECK: graph.transpose %[[O]] {perm = array<i64: 0, 2, 1, 3>}
// CHECK-NOT: graph.softmax
func.func @runtime_divisor(%q: tensor<2x4x8x16xf32>, %kt: tensor<2x4x16x8xf32>,
                           %v: tensor<2x4x8x16xf32>, %s: tensor<1xf32>)
    -> tensor<2x4x8x16xf32> {
  %s0 = graph.matmul %q, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %s1 = graph.div %s0, %s : tensor<2x4x8x8xf32>, tensor<1xf32> -> tensor<2x4x8x8xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %o = graph.matmul %p, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// Not raised: the probabilities have another user (they are returned).

// CHECK-LABEL: func.func @probabilities_returned
// CHECK-NOT: attn.attention
// CHECK: graph.softmax
func.func @probabilities_returned(%q: tensor<2x4x8x16xf32>, %kt: tensor<2x4x16x8xf32>,
                                  %v: tensor<2x4x8x16xf32>)
    -> (tensor<2x4x8x16xf32>, tensor<2x4x8x8xf32>) {
  %s0 = graph.matmul %q, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %p = graph.softmax %s0 {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %o = graph.matmul %p, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
  return %o, %p : tensor<2x4x8x16xf32>, tensor<2x4x8x8xf32>
}

// -----

// Not raised: the softmax runs over the queries, and the scale is a tensor.

// CHECK-LABEL: func.func @wrong_axis
// CHECK-NOT: attn.attention
func.func @wrong_axis(%q: tensor<2x4x8x16xf32>, %kt: tensor<2x4x16x8xf32>,
                      %v: tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %s0 = graph.matmul %q, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %p = graph.softmax %s0 {axis = 2 : i64} : tensor<2x4x8x8xf32>
  %o = graph.matmul %p, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// CHECK-LABEL: func.func @tensor_scale
// CHECK-NOT: attn.attention
func.func @tensor_scale(%q: tensor<2x4x8x16xf32>, %kt: tensor<2x4x16x8xf32>,
                        %v: tensor<2x4x8x16xf32>, %s: tensor<8xf32>) -> tensor<2x4x8x16xf32> {
  %s0 = graph.matmul %q, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %s1 = graph.mul %s0, %s : tensor<2x4x8x8xf32>, tensor<8xf32> -> tensor<2x4x8x8xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %o = graph.matmul %p, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// A graph.constant divisor (a JSON `constant` node) becomes the scale.

// CHECK-LABEL: func.func @constant_divisor
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask none>, scale = 1.250000e-01 : f64}
func.func @constant_divisor(%q: tensor<2x4x8x16xf32>, %kt: tensor<2x4x16x8xf32>,
                            %v: tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %s = graph.constant dense<8.000000e+00> : tensor<f32>
  %s0 = graph.matmul %q, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %s1 = graph.div %s0, %s : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %o = graph.matmul %p, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}
