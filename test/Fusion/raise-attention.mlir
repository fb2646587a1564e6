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

// Constant scalars applied to q (times 0.5, as timm's ViT scales q) and to
// kᵀ (divided by 2) before the product, and to the scores (times 0.5),
// multiply into the one scale. A scale on a q with another user stays.

// CHECK-LABEL: func.func @scaled_operands
// CHECK-SAME: (%[[Q:.*]]: tensor<?x?x4x16xf32>, %[[K:.*]]: tensor<?x?x4x16xf32>, %[[V:.*]]: tensor<?x?x4x16xf32>)
// CHECK-NEXT: %[[O:.*]] = attn.attention %[[Q]], %[[K]], %[[V]] {mask = #attn<mask none>, scale = 1.250000e-01 : f64}
// CHECK-NEXT: return %[[O]]
func.func @scaled_operands(%q4: tensor<?x?x4x16xf32>, %k4: tensor<?x?x4x16xf32>,
                           %v4: tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32> {
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %two = graph.constant dense<2.000000e+00> : tensor<1xf32>
  %q = graph.transpose %q4 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  %qs = graph.mul %half, %q : tensor<f32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %kt = graph.transpose %k4 {perm = array<i64: 0, 2, 3, 1>} : tensor<?x?x4x16xf32> -> tensor<?x4x16x?xf32>
  %kts = graph.div %kt, %two : tensor<?x4x16x?xf32>, tensor<1xf32> -> tensor<?x4x16x?xf32>
  %v = graph.transpose %v4 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  %s0 = graph.matmul %qs, %kts : tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32> -> tensor<?x4x?x?xf32>
  %s1 = graph.mul %s0, %half : tensor<?x4x?x?xf32>, tensor<f32> -> tensor<?x4x?x?xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<?x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %o4 = graph.transpose %o {perm = array<i64: 0, 2, 1, 3>} : tensor<?x4x?x16xf32> -> tensor<?x?x4x16xf32>
  return %o4 : tensor<?x?x4x16xf32>
}

// CHECK-LABEL: func.func @scaled_query_escapes
// CHECK: %[[QS:.*]] = graph.mul
// CHECK: %[[QT:.*]] = graph.transpose %[[QS]]
// CHECK: attn.attention %[[QT]], {{.*}} scale = 1.000000e+00 : f64
// CHECK: return {{.*}}, %[[QS]]
func.func @scaled_query_escapes(%q: tensor<2x4x8x16xf32>, %kt: tensor<2x4x16x8xf32>,
                                %v: tensor<2x4x8x16xf32>) -> (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) {
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %qs = graph.mul %q, %half : tensor<2x4x8x16xf32>, tensor<f32> -> tensor<2x4x8x16xf32>
  %s = graph.matmul %qs, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %p = graph.softmax %s {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %o = graph.matmul %p, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
  return %o, %qs : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>
}

// -----

// Grouped-query attention as a broadcasting matmul: q [B, Hkv, G, T, D]
// against kᵀ [B, Hkv, 1, D, S] and v [B, Hkv, 1, S, D]. It becomes the GQA
// attention on [B, T, Hkv·G, D] queries and [B, S, Hkv, D] keys and
// values; the layout ops cancel against the graph's own.

// CHECK-LABEL: func.func @grouped
// CHECK-SAME: (%[[Q:.*]]: tensor<?x?x2x3x16xf32>, %[[K:.*]]: tensor<?x?x2x1x16xf32>, %[[V:.*]]: tensor<?x?x2x1x16xf32>)
// CHECK-DAG: %[[B:.*]] = tensor.dim %[[Q]], %c0
// CHECK-DAG: %[[T:.*]] = tensor.dim %[[Q]], %c1
// CHECK-DAG: %[[QM:.*]] = graph.reshape %[[Q]] sizes(%[[B]], %[[T]]) : tensor<?x?x2x3x16xf32> -> tensor<?x?x6x16xf32>
// CHECK-DAG: %[[KM:.*]] = graph.reshape %[[K]] sizes({{.*}}) : tensor<?x?x2x1x16xf32> -> tensor<?x?x2x16xf32>
// CHECK-DAG: %[[VM:.*]] = graph.reshape %[[V]] sizes({{.*}}) : tensor<?x?x2x1x16xf32> -> tensor<?x?x2x16xf32>
// CHECK: %[[O:.*]] = attn.attention %[[QM]], %[[KM]], %[[VM]] {mask = #attn<mask none>, scale = 2.500000e-01 : f64}
// CHECK: %[[OG:.*]] = graph.reshape %[[O]] sizes({{.*}}) : tensor<?x?x6x16xf32> -> tensor<?x?x2x3x16xf32>
// CHECK-NEXT: return %[[OG]]
func.func @grouped(%q5: tensor<?x?x2x3x16xf32>, %k5: tensor<?x?x2x1x16xf32>,
                   %v5: tensor<?x?x2x1x16xf32>) -> tensor<?x?x2x3x16xf32> {
  %scale = graph.constant dense<2.500000e-01> : tensor<f32>
  %q = graph.transpose %q5 {perm = array<i64: 0, 2, 3, 1, 4>} : tensor<?x?x2x3x16xf32> -> tensor<?x2x3x?x16xf32>
  %kt = graph.transpose %k5 {perm = array<i64: 0, 2, 3, 4, 1>} : tensor<?x?x2x1x16xf32> -> tensor<?x2x1x16x?xf32>
  %v = graph.transpose %v5 {perm = array<i64: 0, 2, 3, 1, 4>} : tensor<?x?x2x1x16xf32> -> tensor<?x2x1x?x16xf32>
  %s0 = graph.matmul %q, %kt : tensor<?x2x3x?x16xf32>, tensor<?x2x1x16x?xf32> -> tensor<?x2x3x?x?xf32>
  %s1 = graph.mul %s0, %scale : tensor<?x2x3x?x?xf32>, tensor<f32> -> tensor<?x2x3x?x?xf32>
  %p = graph.softmax %s1 {axis = 4 : i64} : tensor<?x2x3x?x?xf32>
  %o = graph.matmul %p, %v : tensor<?x2x3x?x?xf32>, tensor<?x2x1x?x16xf32> -> tensor<?x2x3x?x16xf32>
  %og = graph.transpose %o {perm = array<i64: 0, 3, 1, 2, 4>} : tensor<?x2x3x?x16xf32> -> tensor<?x?x2x3x16xf32>
  return %og : tensor<?x?x2x3x16xf32>
}

// -----

// Not raised: rank-5 scores whose k is not broadcast over the group (a
// batched matmul over two batch axes, not grouped-query attention).

// CHECK-LABEL: func.func @rank5_not_grouped
// CHECK-NOT: attn.attention
func.func @rank5_not_grouped(%q: tensor<2x2x3x8x16xf32>, %kt: tensor<2x2x3x16x8xf32>,
                             %v: tensor<2x2x3x8x16xf32>) -> tensor<2x2x3x8x16xf32> {
  %s = graph.matmul %q, %kt : tensor<2x2x3x8x16xf32>, tensor<2x2x3x16x8xf32> -> tensor<2x2x3x8x8xf32>
  %p = graph.softmax %s {axis = 4 : i64} : tensor<2x2x3x8x8xf32>
  %o = graph.matmul %p, %v : tensor<2x2x3x8x8xf32>, tensor<2x2x3x8x16xf32> -> tensor<2x2x3x8x16xf32>
  return %o : tensor<2x2x3x8x16xf32>
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

// -----

// A causal mask built from positions, where(k <= q, scores, -1e9), becomes
// the kernel's causal mask; the mask ops die with the chain.

// CHECK-LABEL: func.func @causal_from_positions
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask causal>, scale = 1.000000e+00 : f64}
// CHECK-NOT: graph.where
// CHECK-NOT: graph.arange
func.func @causal_from_positions(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                                 %v: tensor<2x4x?x16xf32>, %n: index)
    -> tensor<2x4x?x16xf32> {
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %seen = graph.greater_equal %rows, %pos : tensor<?x1xi64>, tensor<?xi64> -> tensor<?x?xi1>
  %hide = graph.constant dense<-1.000000e+09> : tensor<f32>
  %s1 = graph.where %seen, %s0, %hide : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}

// -----

// The mask written the other way round, where(k > q, -inf-like, scores),
// with the key positions offset by one (k + 1 > q + 1): still causal.

// CHECK-LABEL: func.func @causal_hiding_future
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask causal>
func.func @causal_hiding_future(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                                %v: tensor<2x4x?x16xf32>, %n: index)
    -> tensor<2x4x?x16xf32> {
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %pos = graph.arange %q {axis = 2 : i64, start = 1.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %future = graph.greater %pos, %rows : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %hide = graph.constant dense<-3.400000e+38> : tensor<1x1xf32>
  %s1 = graph.where %future, %hide, %s0 : (tensor<?x?xi1>, tensor<1x1xf32>, tensor<2x4x?x?xf32>) -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}

// -----

// An additive mask of 0 where 0 <= q - k < 5 and -1e4 elsewhere is a
// sliding window of 5, not a bias.

// CHECK-LABEL: func.func @window_from_distance
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask sliding_window>, scale = 1.000000e+00 : f64, window = 5 : i64}
func.func @window_from_distance(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                                %v: tensor<2x4x?x16xf32>, %n: index)
    -> tensor<2x4x?x16xf32> {
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %dist = graph.sub %rows, %pos : tensor<?x1xi64>, tensor<?xi64> -> tensor<?x?xi64>
  %zero = graph.constant dense<0> : tensor<i64>
  %five = graph.constant dense<5> : tensor<i64>
  %past = graph.greater_equal %dist, %zero : tensor<?x?xi64>, tensor<i64> -> tensor<?x?xi1>
  %near = graph.less %dist, %five : tensor<?x?xi64>, tensor<i64> -> tensor<?x?xi1>
  %open = graph.constant dense<0.000000e+00> : tensor<f32>
  %shut = graph.constant dense<-1.000000e+04> : tensor<f32>
  %m0 = graph.where %near, %open, %shut : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %m1 = graph.where %past, %m0, %shut : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  %s1 = graph.add %s0, %m1 : tensor<2x4x?x?xf32>, tensor<?x?xf32> -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}

// -----

// Not a position mask: it also hides key 0 of every row (k == 0), so it
// stays an additive bias, exact but without block skipping.

// CHECK-LABEL: func.func @additive_not_a_window
// CHECK: %[[M:.*]] = graph.where
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %[[M]] {mask = #attn<mask none>
func.func @additive_not_a_window(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                                 %v: tensor<2x4x?x16xf32>)
    -> tensor<2x4x?x16xf32> {
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %zero = graph.constant dense<0> : tensor<i64>
  %first = graph.equal %pos, %zero : tensor<?xi64>, tensor<i64> -> tensor<?xi1>
  %open = graph.constant dense<0.000000e+00> : tensor<f32>
  %shut = graph.constant dense<-1.000000e+04> : tensor<f32>
  %m = graph.where %first, %shut, %open : (tensor<?xi1>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  %s1 = graph.add %s0, %m : tensor<2x4x?x?xf32>, tensor<?xf32> -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}

// -----

// Not raised: the where keeps scores of -1 for hidden keys, which softmax
// still weighs.

// CHECK-LABEL: func.func @where_fill_too_small
// CHECK-NOT: attn.attention
func.func @where_fill_too_small(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                                %v: tensor<2x4x?x16xf32>, %n: index)
    -> tensor<2x4x?x16xf32> {
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %seen = graph.greater_equal %rows, %pos : tensor<?x1xi64>, tensor<?xi64> -> tensor<?x?xi1>
  %hide = graph.constant dense<-1.000000e+00> : tensor<f32>
  %s1 = graph.where %seen, %s0, %hide : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}

// -----

// A mask given as booleans, where(mask, scores, -3.4e38) (HF's GPT-2) or
// where(hidden, -1e9, scores), is no function of positions: the attention
// adds the bias where(mask, 0, fill) (where(hidden, fill, 0)).

// CHECK-LABEL: func.func @boolean_mask
// CHECK-SAME: %[[MASK:[^:]*]]: tensor<2x1x?x?xi1>, %[[HIDDEN:[^:]*]]: tensor<?x?xi1>
// CHECK-DAG: %[[ZERO:.*]] = graph.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[MIN:.*]] = graph.constant dense<-3.400000e+38> : tensor<f32>
// CHECK: %[[B1:.*]] = graph.where %[[MASK]], %[[ZERO]], %[[MIN]]
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %[[B1]] {mask = #attn<mask none>
// CHECK: %[[B2:.*]] = graph.where %[[HIDDEN]], %{{.*}}, %{{.*}} : (tensor<?x?xi1>, tensor<1x1xf32>, tensor<f32>) -> tensor<?x?xf32>
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %[[B2]] {mask = #attn<mask none>
// CHECK-NOT: graph.softmax
func.func @boolean_mask(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                        %v: tensor<2x4x?x16xf32>, %mask: tensor<2x1x?x?xi1>,
                        %hidden: tensor<?x?xi1>)
    -> (tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>) {
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %min = graph.constant dense<-3.400000e+38> : tensor<f32>
  %s1 = graph.where %mask, %s0, %min : (tensor<2x1x?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %t0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %hide = graph.constant dense<-1.000000e+09> : tensor<1x1xf32>
  %t1 = graph.where %hidden, %hide, %t0 : (tensor<?x?xi1>, tensor<1x1xf32>, tensor<2x4x?x?xf32>) -> tensor<2x4x?x?xf32>
  %r = graph.softmax %t1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o2 = graph.matmul %r, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o, %o2 : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>
}

// -----

// The scale after the mask (GPT-J, CodeGen: where(causal, q·kᵀ, fill) /
// √D): a mask of positions stays the kernel's mask, the scale its scale. A
// bias under a scale is scaled with the scores: (s + m)·c = s·c + m·c.

// CHECK-LABEL: func.func @scaled_after_mask
// CHECK-SAME: %[[BIAS:[^:]*]]: tensor<?x?xf32>
// CHECK-DAG: %[[C:.*]] = graph.constant dense<2.500000e-01> : tensor<f32>
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask causal>, scale = 2.500000e-01 : f64}
// CHECK: %[[SCALED:.*]] = graph.mul %[[BIAS]], %[[C]] : tensor<?x?xf32>, tensor<f32> -> tensor<?x?xf32>
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %[[SCALED]] {mask = #attn<mask none>, scale = 2.500000e-01 : f64}
// CHECK-NOT: graph.softmax
func.func @scaled_after_mask(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                             %v: tensor<2x4x?x16xf32>, %bias: tensor<?x?xf32>,
                             %n: index)
    -> (tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>) {
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %seen = graph.less_equal %pos, %rows : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %min = graph.constant dense<-3.400000e+38> : tensor<f32>
  %s1 = graph.where %seen, %s0, %min : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %four = graph.constant dense<4.000000e+00> : tensor<f32>
  %s2 = graph.div %s1, %four : tensor<2x4x?x?xf32>, tensor<f32> -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s2 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %t0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %t1 = graph.add %t0, %bias : tensor<2x4x?x?xf32>, tensor<?x?xf32> -> tensor<2x4x?x?xf32>
  %t2 = graph.div %t1, %four : tensor<2x4x?x?xf32>, tensor<f32> -> tensor<2x4x?x?xf32>
  %r = graph.softmax %t2 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o2 = graph.matmul %r, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o, %o2 : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>
}

// -----

// HF's GPT-2 with a padding mask: where(causal, q·kᵀ, finfo.min) + pad.
// With -inf as the fill the causal mask stays the kernel's. With a finite
// fill a row whose visible keys are all padded weighs the keys the two
// fills left equal, future ones included (PyTorch's arithmetic), so the
// causal where becomes part of the bias: where(causal, 0, fill) + pad.

// CHECK-LABEL: func.func @position_mask_and_padding
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %[[PAD:[^ ]*]] {mask = #attn<mask causal>
// CHECK: %[[HIDE:.*]] = graph.where %[[SEEN:.*]], %{{.*}}, %{{.*}} : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
// CHECK: %[[BIAS:.*]] = graph.add %[[HIDE]], %[[PAD]] : tensor<?x?xf32>, tensor<2x1x1x?xf32> -> tensor<2x1x?x?xf32>
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %[[BIAS]] {mask = #attn<mask none>
// CHECK-NOT: graph.softmax
func.func @position_mask_and_padding(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                                     %v: tensor<2x4x?x16xf32>, %pad: tensor<2x1x1x?xf32>,
                                     %n: index)
    -> (tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>) {
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %seen = graph.less_equal %pos, %rows : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %inf = graph.constant dense<0xFF800000> : tensor<f32>
  %s1 = graph.where %seen, %s0, %inf : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %s2 = graph.add %s1, %pad : tensor<2x4x?x?xf32>, tensor<2x1x1x?xf32> -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s2 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %t0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %min = graph.constant dense<-3.400000e+38> : tensor<f32>
  %t1 = graph.where %seen, %t0, %min : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %t2 = graph.add %t1, %pad : tensor<2x4x?x?xf32>, tensor<2x1x1x?xf32> -> tensor<2x4x?x?xf32>
  %r = graph.softmax %t2 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o2 = graph.matmul %r, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o, %o2 : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>
}

// -----

// Not raised: a mask under a scale known only at run time (its sign, which
// decides whether the mask still hides, is unknown). Two masks of positions
// (a causal where, then an additive window of 3) intersect: the window.

// CHECK-LABEL: func.func @not_raised_layers
// CHECK: graph.softmax
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask sliding_window>, scale = 1.000000e+00 : f64, window = 3 : i64}
func.func @not_raised_layers(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                             %v: tensor<2x4x?x16xf32>, %c: tensor<f32>, %n: index)
    -> (tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>) {
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %seen = graph.less_equal %pos, %rows : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %min = graph.constant dense<-1.000000e+09> : tensor<f32>
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %s1 = graph.where %seen, %s0, %min : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %s2 = graph.mul %s1, %c : tensor<2x4x?x?xf32>, tensor<f32> -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s2 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %t0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %t1 = graph.where %seen, %t0, %min : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %three = graph.constant dense<3> : tensor<i64>
  %from = graph.sub %rows, %three : tensor<?x1xi64>, tensor<i64> -> tensor<?x1xi64>
  %near = graph.greater %pos, %from : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %zero = graph.constant dense<0.000000e+00> : tensor<f32>
  %causal = graph.where %seen, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %window = graph.where %near, %causal, %min : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  %t2 = graph.add %t1, %window : tensor<2x4x?x?xf32>, tensor<?x?xf32> -> tensor<2x4x?x?xf32>
  %r = graph.softmax %t2 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o2 = graph.matmul %r, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o, %o2 : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>
}

// -----

// Not raised: a causal where filling with -1e9 beside a padding mask. A
// row whose visible keys are all padded weighs the future keys, each
// exactly -1e9, alike; a bias would keep their scores.

// CHECK-LABEL: func.func @fill_keeps_scores
// CHECK-NOT: attn.attention
func.func @fill_keeps_scores(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                             %v: tensor<2x4x?x16xf32>, %pad: tensor<2x1x1x?xf32>,
                             %n: index) -> tensor<2x4x?x16xf32> {
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %seen = graph.less_equal %pos, %rows : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %min = graph.constant dense<-1.000000e+09> : tensor<f32>
  %s1 = graph.where %seen, %s0, %min : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %s2 = graph.add %s1, %pad : tensor<2x4x?x?xf32>, tensor<2x1x1x?xf32> -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s2 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}

// -----

// ALiBi (BLOOM): per-head slopes times the key positions, added to the
// scores before the causal where fills with finfo.min. The bias is finite
// wherever it is evaluated (constants and an arange), so it hides no key
// and the causal mask stays the kernel's beside it. A bias through a
// division may be infinite: the causal mask then becomes part of the bias.

// CHECK-LABEL: func.func @alibi
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} {mask = #attn<mask causal>, scale = 1.000000e+00 : f64}
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} {mask = #attn<mask none>, scale = 1.000000e+00 : f64}
func.func @alibi(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                 %v: tensor<2x4x?x16xf32>, %n: index)
    -> (tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>) {
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %seen = graph.less_equal %pos, %rows : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %keys = graph.cast %pos : tensor<?xi64> -> tensor<?xf32>
  %slopes = graph.constant dense<[[[[0.25]], [[0.0625]], [[0.015625]], [[0.00390625]]]]> : tensor<1x4x1x1xf32>
  %bias = graph.mul %slopes, %keys : tensor<1x4x1x1xf32>, tensor<?xf32> -> tensor<1x4x1x?xf32>
  %min = graph.constant dense<-3.400000e+38> : tensor<f32>
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %s1 = graph.add %s0, %bias : tensor<2x4x?x?xf32>, tensor<1x4x1x?xf32> -> tensor<2x4x?x?xf32>
  %s2 = graph.where %seen, %s1, %min : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s2 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %one = graph.constant dense<1.000000e+00> : tensor<f32>
  %inverse = graph.div %one, %keys : tensor<f32>, tensor<?xf32> -> tensor<?xf32>
  %bias2 = graph.mul %slopes, %inverse : tensor<1x4x1x1xf32>, tensor<?xf32> -> tensor<1x4x1x?xf32>
  %t0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %t1 = graph.add %t0, %bias2 : tensor<2x4x?x?xf32>, tensor<1x4x1x?xf32> -> tensor<2x4x?x?xf32>
  %t2 = graph.where %seen, %t1, %min : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %r = graph.softmax %t2 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o2 = graph.matmul %r, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o, %o2 : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>
}

// -----

// A fill of -1e4 times a later scale of 1e-4 is -1: it no longer hides, so
// the where is no mask. Six layers (any number) still raise.

// CHECK-LABEL: func.func @scaled_fills
// CHECK: graph.softmax
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} {mask = #attn<mask causal>, scale = 1.250000e-01 : f64}
func.func @scaled_fills(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                        %v: tensor<2x4x?x16xf32>, %bias: tensor<?x?xf32>, %n: index)
    -> (tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>) {
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %seen = graph.less_equal %pos, %rows : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %fill = graph.constant dense<-1.000000e+04> : tensor<f32>
  %s1 = graph.where %seen, %s0, %fill : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %tiny = graph.constant dense<1.000000e-04> : tensor<f32>
  %s2 = graph.mul %s1, %tiny : tensor<2x4x?x?xf32>, tensor<f32> -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s2 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %two = graph.constant dense<2.000000e+00> : tensor<f32>
  %inf = graph.constant dense<0xFF800000> : tensor<f32>
  %t0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %t1 = graph.div %t0, %two : tensor<2x4x?x?xf32>, tensor<f32> -> tensor<2x4x?x?xf32>
  %t2 = graph.add %t1, %bias : tensor<2x4x?x?xf32>, tensor<?x?xf32> -> tensor<2x4x?x?xf32>
  %t3 = graph.div %t2, %two : tensor<2x4x?x?xf32>, tensor<f32> -> tensor<2x4x?x?xf32>
  %t4 = graph.where %seen, %t3, %inf : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %t5 = graph.div %t4, %two : tensor<2x4x?x?xf32>, tensor<f32> -> tensor<2x4x?x?xf32>
  %t6 = graph.add %t5, %bias : tensor<2x4x?x?xf32>, tensor<?x?xf32> -> tensor<2x4x?x?xf32>
  %r = graph.softmax %t6 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o2 = graph.matmul %r, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o, %o2 : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>
}

// -----

// A bias that is itself a product (Transformer-XL's q·rᵀ, r broadcast over
// batch and heads) on the left of the add: both operands lead to a matmul;
// read with the left as the scores the match fails (broadcast heads), so
// the right is the scores.

// CHECK-LABEL: func.func @product_bias_left
// CHECK-SAME: %[[R:[^:]*]]: tensor<1x1x16x?xf32>
// CHECK: %[[REL:.*]] = graph.matmul %{{.*}}, %[[R]]
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %[[REL]] {mask = #attn<mask none>
// CHECK-NOT: graph.softmax
func.func @product_bias_left(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                             %v: tensor<2x4x?x16xf32>, %r: tensor<1x1x16x?xf32>)
    -> tensor<2x4x?x16xf32> {
  %rel = graph.matmul %q, %r : tensor<2x4x?x16xf32>, tensor<1x1x16x?xf32> -> tensor<2x4x?x?xf32>
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %s1 = graph.add %rel, %s0 : tensor<2x4x?x?xf32>, tensor<2x4x?x?xf32> -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}

// -----

// Masks the position evaluator computes as the kernels do: -inf written
// as -1 / 0 (JSON has no -inf literal) is causal; positions in bf16
// collide past 256 (301 rounds to 300), so a mask comparing them is no
// causal mask and stays a bias.

// CHECK-LABEL: func.func @mask_arithmetic
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask causal>
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} {mask = #attn<mask none>
func.func @mask_arithmetic(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                           %v: tensor<2x4x?x16xf32>, %n: index)
    -> (tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>) {
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %future = graph.greater %pos, %rows : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %minus = graph.constant dense<-1.000000e+00> : tensor<f32>
  %zero = graph.constant dense<0.000000e+00> : tensor<f32>
  %inf = graph.div %minus, %zero : tensor<f32>, tensor<f32> -> tensor<f32>
  %mask = graph.where %future, %inf, %zero : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %s1 = graph.add %s0, %mask : tensor<2x4x?x?xf32>, tensor<?x?xf32> -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %bpos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xbf16>
  %brows = graph.reshape %bpos sizes(%n) : tensor<?xbf16> -> tensor<?x1xbf16>
  %bfuture = graph.greater %bpos, %brows : tensor<?xbf16>, tensor<?x1xbf16> -> tensor<?x?xi1>
  %min = graph.constant dense<-1.000000e+09> : tensor<f32>
  %t0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %t1 = graph.where %bfuture, %min, %t0 : (tensor<?x?xi1>, tensor<f32>, tensor<2x4x?x?xf32>) -> tensor<2x4x?x?xf32>
  %r = graph.softmax %t1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o2 = graph.matmul %r, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o, %o2 : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>
}

// -----

// HF's eager attention in bf16: softmax over the scores widened to f32,
// the weights cast back to bf16 for the product with v. Not raised when
// the weights stay f32 (the product would be f32).

// CHECK-LABEL: func.func @widened_softmax
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask none>, scale = 1.000000e+00 : f64} : (tensor<2x?x4x16xbf16>, tensor<2x?x4x16xbf16>, tensor<2x?x4x16xbf16>) -> tensor<2x?x4x16xbf16>
// CHECK: graph.softmax
// CHECK-NOT: attn.attention
func.func @widened_softmax(%q: tensor<2x4x?x16xbf16>, %kt: tensor<2x4x16x?xbf16>,
                           %v: tensor<2x4x?x16xbf16>, %v32: tensor<2x4x?x16xf32>)
    -> (tensor<2x4x?x16xbf16>, tensor<2x4x?x16xf32>) {
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xbf16>, tensor<2x4x16x?xbf16> -> tensor<2x4x?x?xbf16>
  %s1 = graph.cast %s0 : tensor<2x4x?x?xbf16> -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %p16 = graph.cast %p : tensor<2x4x?x?xf32> -> tensor<2x4x?x?xbf16>
  %o = graph.matmul %p16, %v : tensor<2x4x?x?xbf16>, tensor<2x4x?x16xbf16> -> tensor<2x4x?x16xbf16>
  %t0 = graph.matmul %q, %kt : tensor<2x4x?x16xbf16>, tensor<2x4x16x?xbf16> -> tensor<2x4x?x?xbf16>
  %t1 = graph.cast %t0 : tensor<2x4x?x?xbf16> -> tensor<2x4x?x?xf32>
  %r = graph.softmax %t1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o2 = graph.matmul %r, %v32 : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o, %o2 : tensor<2x4x?x16xbf16>, tensor<2x4x?x16xf32>
}

// -----

// Not raised: the boolean mask has more batches than the scores; the where
// broadcasts them.

// CHECK-LABEL: func.func @boolean_mask_broadcasts_scores
// CHECK-NOT: attn.attention
func.func @boolean_mask_broadcasts_scores(%q: tensor<1x4x?x16xf32>, %kt: tensor<1x4x16x?xf32>,
                                          %v: tensor<1x4x?x16xf32>, %mask: tensor<2x1x?x?xi1>)
    -> tensor<2x4x?x16xf32> {
  %s0 = graph.matmul %q, %kt : tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32> -> tensor<1x4x?x?xf32>
  %min = graph.constant dense<-1.000000e+09> : tensor<f32>
  %s1 = graph.where %mask, %s0, %min : (tensor<2x1x?x?xi1>, tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<1x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}

// -----

// The power normalizer x^p / Σ x^p (p even) in place of the softmax: the
// power as pow by a constant, square or x * x. A where that zeroes the
// scores of a mask of positions is the kernel's mask (0^p weighs nothing);
// a bias added inside it is the kernel's bias, raised to p with the scores.

// CHECK-LABEL: func.func @power_normalizer
// CHECK-SAME: %[[BIAS:[^:]*]]: tensor<?x?xf32>
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask causal>, normalizer = #attn<normalizer power>, power = 4 : i64, scale = 2.500000e-01 : f64}
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %[[BIAS]] {mask = #attn<mask causal>, normalizer = #attn<normalizer power>, power = 2 : i64, scale = 1.000000e+00 : f64}
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask none>, normalizer = #attn<normalizer power>, power = 2 : i64, scale = 1.000000e+00 : f64}
// CHECK-NOT: graph.reduce_sum
func.func @power_normalizer(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                            %v: tensor<2x4x?x16xf32>, %bias: tensor<?x?xf32>,
                            %n: index)
    -> (tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>) {
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %seen = graph.less_equal %pos, %rows : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %zero = graph.constant dense<0.000000e+00> : tensor<f32>
  %quarter = graph.constant dense<2.500000e-01> : tensor<f32>
  %four = graph.constant dense<4.000000e+00> : tensor<f32>
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %s1 = graph.mul %s0, %quarter : tensor<2x4x?x?xf32>, tensor<f32> -> tensor<2x4x?x?xf32>
  %s2 = graph.where %seen, %s1, %zero : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %e = graph.pow %s2, %four : tensor<2x4x?x?xf32>, tensor<f32> -> tensor<2x4x?x?xf32>
  %sum = graph.reduce_sum %e {axes = array<i64: 3>, keepdims} : tensor<2x4x?x?xf32> -> tensor<2x4x?x1xf32>
  %w = graph.div %e, %sum : tensor<2x4x?x?xf32>, tensor<2x4x?x1xf32> -> tensor<2x4x?x?xf32>
  %o = graph.matmul %w, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %t0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %t1 = graph.add %t0, %bias : tensor<2x4x?x?xf32>, tensor<?x?xf32> -> tensor<2x4x?x?xf32>
  %t2 = graph.where %seen, %t1, %zero : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %f = graph.square %t2 : tensor<2x4x?x?xf32>
  %fsum = graph.reduce_sum %f {axes = array<i64: 3>, keepdims} : tensor<2x4x?x?xf32> -> tensor<2x4x?x1xf32>
  %x = graph.div %f, %fsum : tensor<2x4x?x?xf32>, tensor<2x4x?x1xf32> -> tensor<2x4x?x?xf32>
  %o2 = graph.matmul %x, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %u0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %g = graph.mul %u0, %u0 : tensor<2x4x?x?xf32>, tensor<2x4x?x?xf32> -> tensor<2x4x?x?xf32>
  %gsum = graph.reduce_sum %g {axes = array<i64: 3>, keepdims} : tensor<2x4x?x?xf32> -> tensor<2x4x?x1xf32>
  %y = graph.div %g, %gsum : tensor<2x4x?x?xf32>, tensor<2x4x?x1xf32> -> tensor<2x4x?x?xf32>
  %o3 = graph.matmul %y, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o, %o2, %o3 : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>
}

// -----

// Not raised under a power normalizer: a where filling with -1e9 ((-1e9)^2
// would weigh the hidden keys), a bias added after the mask where (hidden
// keys get bias^p), a mask given as a tensor (no bias hides keys from x^p),
// and an odd power (no normalizer: x^3 can be negative).

// CHECK-LABEL: func.func @power_not_raised
// CHECK-NOT: attn.attention
func.func @power_not_raised(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                            %v: tensor<2x4x?x16xf32>, %bias: tensor<?x?xf32>,
                            %mask: tensor<?x?xi1>, %n: index)
    -> (tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>,
        tensor<2x4x?x16xf32>) {
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %seen = graph.less_equal %pos, %rows : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %zero = graph.constant dense<0.000000e+00> : tensor<f32>
  %hide = graph.constant dense<-1.000000e+09> : tensor<f32>
  %three = graph.constant dense<3.000000e+00> : tensor<f32>
  %a0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %a1 = graph.where %seen, %a0, %hide : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %a2 = graph.square %a1 : tensor<2x4x?x?xf32>
  %as = graph.reduce_sum %a2 {axes = array<i64: 3>, keepdims} : tensor<2x4x?x?xf32> -> tensor<2x4x?x1xf32>
  %aw = graph.div %a2, %as : tensor<2x4x?x?xf32>, tensor<2x4x?x1xf32> -> tensor<2x4x?x?xf32>
  %o1 = graph.matmul %aw, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %b0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %b1 = graph.where %seen, %b0, %zero : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %b2 = graph.add %b1, %bias : tensor<2x4x?x?xf32>, tensor<?x?xf32> -> tensor<2x4x?x?xf32>
  %b3 = graph.square %b2 : tensor<2x4x?x?xf32>
  %bs = graph.reduce_sum %b3 {axes = array<i64: 3>, keepdims} : tensor<2x4x?x?xf32> -> tensor<2x4x?x1xf32>
  %bw = graph.div %b3, %bs : tensor<2x4x?x?xf32>, tensor<2x4x?x1xf32> -> tensor<2x4x?x?xf32>
  %o2 = graph.matmul %bw, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %c0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %c1 = graph.where %mask, %c0, %zero : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %c2 = graph.square %c1 : tensor<2x4x?x?xf32>
  %cs = graph.reduce_sum %c2 {axes = array<i64: 3>, keepdims} : tensor<2x4x?x?xf32> -> tensor<2x4x?x1xf32>
  %cw = graph.div %c2, %cs : tensor<2x4x?x?xf32>, tensor<2x4x?x1xf32> -> tensor<2x4x?x?xf32>
  %o3 = graph.matmul %cw, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %d0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %d1 = graph.pow %d0, %three : tensor<2x4x?x?xf32>, tensor<f32> -> tensor<2x4x?x?xf32>
  %ds = graph.reduce_sum %d1 {axes = array<i64: 3>, keepdims} : tensor<2x4x?x?xf32> -> tensor<2x4x?x1xf32>
  %dw = graph.div %d1, %ds : tensor<2x4x?x?xf32>, tensor<2x4x?x1xf32> -> tensor<2x4x?x?xf32>
  %o4 = graph.matmul %dw, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o1, %o2, %o3, %o4 : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>
}

// -----

// Block-diagonal masks from positions: block ids as ⌊position / b⌋ (a float
// division cast to integers), equal ids seen. Blocks of 4 alone; blocks of
// 3 inside a causal where are causal blocks.

// CHECK-LABEL: func.func @blocks_from_positions
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {block = 4 : i64, mask = #attn<mask block_diagonal>, scale = 1.000000e+00 : f64}
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {block = 3 : i64, causal, mask = #attn<mask block_diagonal>, scale = 1.000000e+00 : f64}
// CHECK-NOT: graph.softmax
func.func @blocks_from_positions(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                                 %v: tensor<2x4x?x16xf32>, %n: index)
    -> (tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>) {
  %fpos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xf32>
  %four = graph.constant dense<4.000000e+00> : tensor<f32>
  %b4f = graph.div %fpos, %four : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
  %b4 = graph.cast %b4f : tensor<?xf32> -> tensor<?xi64>
  %b4rows = graph.reshape %b4 sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %same4 = graph.equal %b4rows, %b4 : tensor<?x1xi64>, tensor<?xi64> -> tensor<?x?xi1>
  %hide = graph.constant dense<-1.000000e+09> : tensor<f32>
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %s1 = graph.where %same4, %s0, %hide : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s1 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %three = graph.constant dense<3.000000e+00> : tensor<f32>
  %b3f = graph.div %fpos, %three : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
  %b3 = graph.cast %b3f : tensor<?xf32> -> tensor<?xi64>
  %b3rows = graph.reshape %b3 sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %same3 = graph.equal %b3rows, %b3 : tensor<?x1xi64>, tensor<?xi64> -> tensor<?x?xi1>
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %seen = graph.less_equal %pos, %rows : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %t0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %t1 = graph.where %seen, %t0, %hide : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %t2 = graph.where %same3, %t1, %hide : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %r = graph.softmax %t2 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o2 = graph.matmul %r, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o, %o2 : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>
}

// -----

// Blocks of 4 beside a window of 2: no mask kind shows what both show, so
// the attention is not raised. Block ids as position · 0.25 are the same
// blocks (0.25 is exact).

// CHECK-LABEL: func.func @blocks_and_window
// CHECK-NOT: attn.attention
func.func @blocks_and_window(%q: tensor<2x4x?x16xf32>, %kt: tensor<2x4x16x?xf32>,
                             %v: tensor<2x4x?x16xf32>, %n: index)
    -> tensor<2x4x?x16xf32> {
  %fpos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xf32>
  %quarter = graph.constant dense<2.500000e-01> : tensor<f32>
  %bf = graph.mul %fpos, %quarter : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
  %b = graph.cast %bf : tensor<?xf32> -> tensor<?xi64>
  %brows = graph.reshape %b sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %same = graph.equal %brows, %b : tensor<?x1xi64>, tensor<?xi64> -> tensor<?x?xi1>
  %pos = graph.arange %q {axis = 2 : i64, start = 0.000000e+00 : f64} : (tensor<2x4x?x16xf32>) -> tensor<?xi64>
  %rows = graph.reshape %pos sizes(%n) : tensor<?xi64> -> tensor<?x1xi64>
  %dist = graph.sub %rows, %pos : tensor<?x1xi64>, tensor<?xi64> -> tensor<?x?xi64>
  %two = graph.constant dense<2> : tensor<i64>
  %zero = graph.constant dense<0> : tensor<i64>
  %near = graph.less %dist, %two : tensor<?x?xi64>, tensor<i64> -> tensor<?x?xi1>
  %past = graph.greater_equal %dist, %zero : tensor<?x?xi64>, tensor<i64> -> tensor<?x?xi1>
  %false = graph.constant dense<false> : tensor<i1>
  %window = graph.where %past, %near, %false : (tensor<?x?xi1>, tensor<?x?xi1>, tensor<i1>) -> tensor<?x?xi1>
  %hide = graph.constant dense<-1.000000e+09> : tensor<f32>
  %s0 = graph.matmul %q, %kt : tensor<2x4x?x16xf32>, tensor<2x4x16x?xf32> -> tensor<2x4x?x?xf32>
  %s1 = graph.where %window, %s0, %hide : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %s2 = graph.where %same, %s1, %hide : (tensor<?x?xi1>, tensor<2x4x?x?xf32>, tensor<f32>) -> tensor<2x4x?x?xf32>
  %p = graph.softmax %s2 {axis = 3 : i64} : tensor<2x4x?x?xf32>
  %o = graph.matmul %p, %v : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}

// -----

// llama's repeat_kv written with primitives: each K/V head copied 3 times
// in place (a concat of x, x, x along a unit axis, or x plus zeros that
// broadcast along it) before the products. Head j of the copy is head j / 3
// of k, which is how grouped-query attention reads its heads: the
// attention takes k and v themselves. (Dims of different arguments are one
// size only through kiln.signature's dim names, which this test has none
// of: each reshape reads its sizes from the tensor it splits.)

// CHECK-LABEL: func.func @repeated_heads
// CHECK-SAME: (%[[Q:.*]]: tensor<?x6x?x8xf32>, %[[K:.*]]: tensor<?x2x?x8xf32>, %[[V:.*]]: tensor<?x2x?x8xf32>)
// CHECK-DAG: %[[KT:.*]] = graph.transpose %[[K]] {perm = array<i64: 0, 2, 1, 3>} : tensor<?x2x?x8xf32> -> tensor<?x?x2x8xf32>
// CHECK-DAG: %[[VT:.*]] = graph.transpose %[[V]] {perm = array<i64: 0, 2, 1, 3>} : tensor<?x2x?x8xf32> -> tensor<?x?x2x8xf32>
// CHECK: attn.attention %{{.*}}, %[[KT]], %[[VT]] {mask = #attn<mask none>, scale = 1.000000e+00 : f64} : (tensor<?x?x6x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>) -> tensor<?x?x6x8xf32>
// CHECK-NOT: graph.concat
// CHECK-NOT: graph.add
func.func @repeated_heads(%q: tensor<?x6x?x8xf32>, %k: tensor<?x2x?x8xf32>,
                          %v: tensor<?x2x?x8xf32>) -> tensor<?x6x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = tensor.dim %k, %c0 : tensor<?x2x?x8xf32>
  %s = tensor.dim %k, %c2 : tensor<?x2x?x8xf32>
  %zeros = graph.constant dense<0.000000e+00> : tensor<1x1x3x1x1xf32>
  %k5 = graph.reshape %k sizes(%b, %s) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %kc = graph.concat %k5, %k5, %k5 {axis = 2 : i64} : (tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>) -> tensor<?x2x3x?x8xf32>
  %kr = graph.reshape %kc sizes(%b, %s) : tensor<?x2x3x?x8xf32> -> tensor<?x6x?x8xf32>
  %vb0 = tensor.dim %v, %c0 : tensor<?x2x?x8xf32>
  %vs = tensor.dim %v, %c2 : tensor<?x2x?x8xf32>
  %v5 = graph.reshape %v sizes(%vb0, %vs) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %vb = graph.add %v5, %zeros : tensor<?x2x1x?x8xf32>, tensor<1x1x3x1x1xf32> -> tensor<?x2x3x?x8xf32>
  %vr = graph.reshape %vb sizes(%vb0, %vs) : tensor<?x2x3x?x8xf32> -> tensor<?x6x?x8xf32>
  %kt = graph.transpose %kr {perm = array<i64: 0, 1, 3, 2>} : tensor<?x6x?x8xf32> -> tensor<?x6x8x?xf32>
  %s0 = graph.matmul %q, %kt : tensor<?x6x?x8xf32>, tensor<?x6x8x?xf32> -> tensor<?x6x?x?xf32>
  %p = graph.softmax %s0 {axis = 3 : i64} : tensor<?x6x?x?xf32>
  %o = graph.matmul %p, %vr : tensor<?x6x?x?xf32>, tensor<?x6x?x8xf32> -> tensor<?x6x?x8xf32>
  return %o : tensor<?x6x?x8xf32>
}

// -----

// Not copies of one head: a concat of two different tensors (k); a reshape
// that does not keep the sequence dim where it was (v, its sizes swapped).
// The attention reads the 6 heads given.

// CHECK-LABEL: func.func @concat_of_different_heads
// CHECK: graph.concat
// CHECK: attn.attention {{.*}} : (tensor<?x?x6x8xf32>, tensor<?x?x6x8xf32>, tensor<?x?x6x8xf32>) -> tensor<?x?x6x8xf32>
func.func @concat_of_different_heads(%q: tensor<?x6x?x8xf32>, %k: tensor<?x2x?x8xf32>,
    %k2: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x6x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = tensor.dim %k, %c0 : tensor<?x2x?x8xf32>
  %s = tensor.dim %k, %c2 : tensor<?x2x?x8xf32>
  %k5 = graph.reshape %k sizes(%b, %s) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %j5 = graph.reshape %k2 sizes(%b, %s) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %kc = graph.concat %k5, %j5, %k5 {axis = 2 : i64} : (tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>) -> tensor<?x2x3x?x8xf32>
  %kr = graph.reshape %kc sizes(%b, %s) : tensor<?x2x3x?x8xf32> -> tensor<?x6x?x8xf32>
  %vb0 = tensor.dim %v, %c0 : tensor<?x2x?x8xf32>
  %vs = tensor.dim %v, %c2 : tensor<?x2x?x8xf32>
  %v5 = graph.reshape %v sizes(%vb0, %vs) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %vc = graph.concat %v5, %v5, %v5 {axis = 2 : i64} : (tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>) -> tensor<?x2x3x?x8xf32>
  %vr = graph.reshape %vc sizes(%vb0, %vs) : tensor<?x2x3x?x8xf32> -> tensor<?x6x?x8xf32>
  %kt = graph.transpose %kr {perm = array<i64: 0, 1, 3, 2>} : tensor<?x6x?x8xf32> -> tensor<?x6x8x?xf32>
  %s0 = graph.matmul %q, %kt : tensor<?x6x?x8xf32>, tensor<?x6x8x?xf32> -> tensor<?x6x?x?xf32>
  %p = graph.softmax %s0 {axis = 3 : i64} : tensor<?x6x?x?xf32>
  %o = graph.matmul %p, %vr : tensor<?x6x?x?xf32>, tensor<?x6x?x8xf32> -> tensor<?x6x?x8xf32>
  return %o : tensor<?x6x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @sizes_swapped
// CHECK: graph.concat
// CHECK: attn.attention {{.*}} : (tensor<?x?x6x8xf32>, tensor<?x?x6x8xf32>, tensor<?x?x6x8xf32>) -> tensor<?x?x6x8xf32>
func.func @sizes_swapped(%q: tensor<?x6x?x8xf32>, %k: tensor<?x2x?x8xf32>,
    %k2: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x6x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = tensor.dim %k, %c0 : tensor<?x2x?x8xf32>
  %s = tensor.dim %k, %c2 : tensor<?x2x?x8xf32>
  %k5 = graph.reshape %k sizes(%b, %s) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %j5 = graph.reshape %k2 sizes(%b, %s) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %kc = graph.concat %k5, %k5, %k5 {axis = 2 : i64} : (tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>) -> tensor<?x2x3x?x8xf32>
  %kr = graph.reshape %kc sizes(%b, %s) : tensor<?x2x3x?x8xf32> -> tensor<?x6x?x8xf32>
  %vb0 = tensor.dim %v, %c0 : tensor<?x2x?x8xf32>
  %vs = tensor.dim %v, %c2 : tensor<?x2x?x8xf32>
  %v5 = graph.reshape %v sizes(%vb0, %vs) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %vc = graph.concat %v5, %v5, %v5 {axis = 2 : i64} : (tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>) -> tensor<?x2x3x?x8xf32>
  %vr = graph.reshape %vc sizes(%vs, %vb0) : tensor<?x2x3x?x8xf32> -> tensor<?x6x?x8xf32>
  %kt = graph.transpose %kr {perm = array<i64: 0, 1, 3, 2>} : tensor<?x6x?x8xf32> -> tensor<?x6x8x?xf32>
  %s0 = graph.matmul %q, %kt : tensor<?x6x?x8xf32>, tensor<?x6x8x?xf32> -> tensor<?x6x?x?xf32>
  %p = graph.softmax %s0 {axis = 3 : i64} : tensor<?x6x?x?xf32>
  %o = graph.matmul %p, %vr : tensor<?x6x?x?xf32>, tensor<?x6x?x8xf32> -> tensor<?x6x?x8xf32>
  return %o : tensor<?x6x?x8xf32>
}

// -----

// repeat_kv as a gather of heads 0, 0, 0, 1, 1, 1 (PyTorch's
// repeat_interleave; indices from the end count too), head-major for k and
// token-major ([B, S, Hkv, D] gathered along axis 2) for v: the attention
// reads the 2 heads.

// CHECK-LABEL: func.func @gathered_heads
// CHECK-SAME: (%[[Q:.*]]: tensor<?x6x?x8xf32>, %[[K:.*]]: tensor<?x2x?x8xf32>, %[[V:.*]]: tensor<?x?x2x8xf32>)
// CHECK: %[[KT:.*]] = graph.transpose %[[K]] {perm = array<i64: 0, 2, 1, 3>} : tensor<?x2x?x8xf32> -> tensor<?x?x2x8xf32>
// CHECK: attn.attention %{{.*}}, %[[KT]], %[[V]] {mask = #attn<mask none>, scale = 1.000000e+00 : f64} : (tensor<?x?x6x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>) -> tensor<?x?x6x8xf32>
// CHECK-NOT: graph.gather
func.func @gathered_heads(%q: tensor<?x6x?x8xf32>, %k: tensor<?x2x?x8xf32>,
                          %v: tensor<?x?x2x8xf32>) -> tensor<?x6x?x8xf32> {
  %heads = graph.constant dense<[0, 0, 0, 1, 1, 1]> : tensor<6xi64>
  %from_end = graph.constant dense<[-2, -2, -2, -1, -1, -1]> : tensor<6xi32>
  %kg = graph.gather %k, %from_end {axis = 1 : i64} : (tensor<?x2x?x8xf32>, tensor<6xi32>) -> tensor<?x6x?x8xf32>
  %vg = graph.gather %v, %heads {axis = 2 : i64} : (tensor<?x?x2x8xf32>, tensor<6xi64>) -> tensor<?x?x6x8xf32>
  %vh = graph.transpose %vg {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x6x8xf32> -> tensor<?x6x?x8xf32>
  %kt = graph.transpose %kg {perm = array<i64: 0, 1, 3, 2>} : tensor<?x6x?x8xf32> -> tensor<?x6x8x?xf32>
  %s0 = graph.matmul %q, %kt : tensor<?x6x?x8xf32>, tensor<?x6x8x?xf32> -> tensor<?x6x?x?xf32>
  %p = graph.softmax %s0 {axis = 3 : i64} : tensor<?x6x?x?xf32>
  %o = graph.matmul %p, %vh : tensor<?x6x?x?xf32>, tensor<?x6x?x8xf32> -> tensor<?x6x?x8xf32>
  return %o : tensor<?x6x?x8xf32>
}

// -----

// Not grouped-query heads: heads 0, 1, 0, 1, 0, 1 (k, the whole tensor
// tiled; grouped-query attention reads head j / 3, not j mod 2) and a
// gather whose indices are an argument (v). The attention reads 6 heads.

// CHECK-LABEL: func.func @gathered_other_heads
// CHECK-COUNT-2: graph.gather
// CHECK: attn.attention {{.*}} : (tensor<?x?x6x8xf32>, tensor<?x?x6x8xf32>, tensor<?x?x6x8xf32>) -> tensor<?x?x6x8xf32>
func.func @gathered_other_heads(%q: tensor<?x6x?x8xf32>, %k: tensor<?x2x?x8xf32>,
    %v: tensor<?x2x?x8xf32>, %indices: tensor<6xi64>) -> tensor<?x6x?x8xf32> {
  %tiled = graph.constant dense<[0, 1, 0, 1, 0, 1]> : tensor<6xi64>
  %kg = graph.gather %k, %tiled {axis = 1 : i64} : (tensor<?x2x?x8xf32>, tensor<6xi64>) -> tensor<?x6x?x8xf32>
  %vg = graph.gather %v, %indices {axis = 1 : i64} : (tensor<?x2x?x8xf32>, tensor<6xi64>) -> tensor<?x6x?x8xf32>
  %kt = graph.transpose %kg {perm = array<i64: 0, 1, 3, 2>} : tensor<?x6x?x8xf32> -> tensor<?x6x8x?xf32>
  %s0 = graph.matmul %q, %kt : tensor<?x6x?x8xf32>, tensor<?x6x8x?xf32> -> tensor<?x6x?x?xf32>
  %p = graph.softmax %s0 {axis = 3 : i64} : tensor<?x6x?x?xf32>
  %o = graph.matmul %p, %vg : tensor<?x6x?x?xf32>, tensor<?x6x?x8xf32> -> tensor<?x6x?x8xf32>
  return %o : tensor<?x6x?x8xf32>
}

// -----

// A constant scale on q before its layout transpose (Flax scales q on
// [B, T, H, D]) moves onto the product's operand and folds into `scale`;
// a scale that is no scalar (per head) stays.

// CHECK-LABEL: func.func @scale_before_transpose
// CHECK-SAME: (%[[Q:.*]]: tensor<?x?x2x8xf32>, %[[K:.*]]: tensor<?x?x2x8xf32>, %[[V:.*]]: tensor<?x?x2x8xf32>, %[[C:.*]]: tensor<1x1x2x1xf32>)
// CHECK: attn.attention %[[Q]], %[[K]], %[[V]] {mask = #attn<mask none>, scale = 2.500000e-01 : f64}
// CHECK: %[[QC:.*]] = graph.mul %[[Q]], %[[C]]
// CHECK: attn.attention %[[QC]], %[[K]], %[[V]] {mask = #attn<mask none>, scale = 1.000000e+00 : f64}
func.func @scale_before_transpose(%q: tensor<?x?x2x8xf32>, %k: tensor<?x?x2x8xf32>,
    %v: tensor<?x?x2x8xf32>, %c: tensor<1x1x2x1xf32>) -> (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) {
  %four = graph.constant dense<4.0> : tensor<f32>
  %qs = graph.div %q, %four : tensor<?x?x2x8xf32>, tensor<f32> -> tensor<?x?x2x8xf32>
  %qh = graph.transpose %qs {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %kt = graph.transpose %k {perm = array<i64: 0, 2, 3, 1>} : tensor<?x?x2x8xf32> -> tensor<?x2x8x?xf32>
  %vh = graph.transpose %v {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %s = graph.matmul %qh, %kt : tensor<?x2x?x8xf32>, tensor<?x2x8x?xf32> -> tensor<?x2x?x?xf32>
  %p = graph.softmax %s {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o = graph.matmul %p, %vh : tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %qc = graph.mul %q, %c : tensor<?x?x2x8xf32>, tensor<1x1x2x1xf32> -> tensor<?x?x2x8xf32>
  %qch = graph.transpose %qc {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %kt2 = graph.transpose %k {perm = array<i64: 0, 2, 3, 1>} : tensor<?x?x2x8xf32> -> tensor<?x2x8x?xf32>
  %vh2 = graph.transpose %v {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %s2 = graph.matmul %qch, %kt2 : tensor<?x2x?x8xf32>, tensor<?x2x8x?xf32> -> tensor<?x2x?x?xf32>
  %p2 = graph.softmax %s2 {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o2 = graph.matmul %p2, %vh2 : tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o, %o2 : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>
}

// -----

// A constant scale on q's projection before its split into heads (BART,
// OPT and Whisper: `q_proj(x) * scaling`, then view and transpose) moves
// through the reshape and the transpose and folds into `scale`. Where the
// scaled projection has another user, the scale stays a kernel of its own.

// CHECK-LABEL: func.func @scale_before_head_split
// CHECK-SAME: (%[[Q:.*]]: tensor<?x?x16xf32>
// CHECK: %[[QH:.*]] = graph.reshape %[[Q]]
// CHECK: attn.attention %[[QH]], %{{.*}}, %{{.*}} {mask = #attn<mask none>, scale = 1.250000e-01 : f64}
// CHECK: %[[QS:.*]] = graph.mul %[[Q]]
// CHECK: %[[QSH:.*]] = graph.reshape %[[QS]]
// CHECK: attn.attention %[[QSH]], %{{.*}}, %{{.*}} {mask = #attn<mask none>, scale = 1.000000e+00 : f64}
func.func @scale_before_head_split(%q: tensor<?x?x16xf32>, %k: tensor<?x?x2x8xf32>,
    %v: tensor<?x?x2x8xf32>) -> (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x?x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %q, %c0 : tensor<?x?x16xf32>
  %t = tensor.dim %q, %c1 : tensor<?x?x16xf32>
  %eighth = graph.constant dense<0.125> : tensor<1xf32>
  %kt = graph.transpose %k {perm = array<i64: 0, 2, 3, 1>} : tensor<?x?x2x8xf32> -> tensor<?x2x8x?xf32>
  %vh = graph.transpose %v {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %qs = graph.mul %q, %eighth : tensor<?x?x16xf32>, tensor<1xf32> -> tensor<?x?x16xf32>
  %qr = graph.reshape %qs sizes(%b, %t) : tensor<?x?x16xf32> -> tensor<?x?x2x8xf32>
  %qh = graph.transpose %qr {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %s = graph.matmul %qh, %kt : tensor<?x2x?x8xf32>, tensor<?x2x8x?xf32> -> tensor<?x2x?x?xf32>
  %p = graph.softmax %s {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o = graph.matmul %p, %vh : tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %qs2 = graph.mul %q, %eighth : tensor<?x?x16xf32>, tensor<1xf32> -> tensor<?x?x16xf32>
  %qr2 = graph.reshape %qs2 sizes(%b, %t) : tensor<?x?x16xf32> -> tensor<?x?x2x8xf32>
  %qh2 = graph.transpose %qr2 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %kt2 = graph.transpose %k {perm = array<i64: 0, 2, 3, 1>} : tensor<?x?x2x8xf32> -> tensor<?x2x8x?xf32>
  %vh2 = graph.transpose %v {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %s2 = graph.matmul %qh2, %kt2 : tensor<?x2x?x8xf32>, tensor<?x2x8x?xf32> -> tensor<?x2x?x?xf32>
  %p2 = graph.softmax %s2 {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o2 = graph.matmul %p2, %vh2 : tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o, %o2, %qs2 : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x?x16xf32>
}

// -----

// timm's fused qkv: [B, N, 3, H, D] permuted to [3, B, H, N, D], then q, k
// and v taken along the leading axis (slices, or a split) and reshaped to
// drop it. The parts are taken before the permutation, which moves below
// the reshapes and folds into the attention's layout: no permuted copy.

// CHECK-LABEL: func.func @permuted_qkv_slices
// CHECK-SAME: (%[[QKV:.*]]: tensor<2x5x3x4x8xf32>)
// CHECK-NOT: graph.transpose %[[QKV]]
// CHECK: %[[Q:.*]] = graph.slice %[[QKV]] {axis = 2 : i64, end = 1 : i64, start = 0 : i64}
// CHECK: %[[QR:.*]] = graph.reshape %[[Q]] : tensor<2x5x1x4x8xf32> -> tensor<2x5x4x8xf32>
// CHECK: attn.attention %[[QR]]
func.func @permuted_qkv_slices(%qkv: tensor<2x5x3x4x8xf32>) -> tensor<2x4x5x8xf32> {
  %t = graph.transpose %qkv {perm = array<i64: 2, 0, 3, 1, 4>} : tensor<2x5x3x4x8xf32> -> tensor<3x2x4x5x8xf32>
  %q1 = graph.slice %t {axis = 0 : i64, start = 0 : i64, end = 1 : i64} : tensor<3x2x4x5x8xf32> -> tensor<1x2x4x5x8xf32>
  %k1 = graph.slice %t {axis = 0 : i64, start = 1 : i64, end = 2 : i64} : tensor<3x2x4x5x8xf32> -> tensor<1x2x4x5x8xf32>
  %v1 = graph.slice %t {axis = 0 : i64, start = 2 : i64, end = 3 : i64} : tensor<3x2x4x5x8xf32> -> tensor<1x2x4x5x8xf32>
  %q = graph.reshape %q1 : tensor<1x2x4x5x8xf32> -> tensor<2x4x5x8xf32>
  %k = graph.reshape %k1 : tensor<1x2x4x5x8xf32> -> tensor<2x4x5x8xf32>
  %v = graph.reshape %v1 : tensor<1x2x4x5x8xf32> -> tensor<2x4x5x8xf32>
  %kt = graph.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<2x4x5x8xf32> -> tensor<2x4x8x5xf32>
  %s = graph.matmul %q, %kt : tensor<2x4x5x8xf32>, tensor<2x4x8x5xf32> -> tensor<2x4x5x5xf32>
  %p = graph.softmax %s {axis = 3 : i64} : tensor<2x4x5x5xf32>
  %o = graph.matmul %p, %v : tensor<2x4x5x5xf32>, tensor<2x4x5x8xf32> -> tensor<2x4x5x8xf32>
  return %o : tensor<2x4x5x8xf32>
}

// CHECK-LABEL: func.func @permuted_qkv_split
// CHECK-SAME: (%[[QKV:.*]]: tensor<2x5x3x4x8xf32>)
// CHECK: %[[P:.*]]:3 = graph.split %[[QKV]] {axis = 2 : i64}
// CHECK: %[[QR:.*]] = graph.reshape %[[P]]#0 : tensor<2x5x1x4x8xf32> -> tensor<2x5x4x8xf32>
// CHECK: attn.attention %[[QR]]
func.func @permuted_qkv_split(%qkv: tensor<2x5x3x4x8xf32>) -> tensor<2x4x5x8xf32> {
  %t = graph.transpose %qkv {perm = array<i64: 2, 0, 3, 1, 4>} : tensor<2x5x3x4x8xf32> -> tensor<3x2x4x5x8xf32>
  %parts:3 = graph.split %t {axis = 0 : i64} : tensor<3x2x4x5x8xf32> -> tensor<1x2x4x5x8xf32>, tensor<1x2x4x5x8xf32>, tensor<1x2x4x5x8xf32>
  %q = graph.reshape %parts#0 : tensor<1x2x4x5x8xf32> -> tensor<2x4x5x8xf32>
  %k = graph.reshape %parts#1 : tensor<1x2x4x5x8xf32> -> tensor<2x4x5x8xf32>
  %v = graph.reshape %parts#2 : tensor<1x2x4x5x8xf32> -> tensor<2x4x5x8xf32>
  %kt = graph.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<2x4x5x8xf32> -> tensor<2x4x8x5xf32>
  %s = graph.matmul %q, %kt : tensor<2x4x5x8xf32>, tensor<2x4x8x5xf32> -> tensor<2x4x5x5xf32>
  %p = graph.softmax %s {axis = 3 : i64} : tensor<2x4x5x5xf32>
  %o = graph.matmul %p, %v : tensor<2x4x5x5xf32>, tensor<2x4x5x8xf32> -> tensor<2x4x5x8xf32>
  return %o : tensor<2x4x5x8xf32>
}

// -----

// repeat_kv of keys that went through rope (LLaMA's order) or any op that
// keeps their shape: the reshapes' sizes are still the heads' own dims.

// CHECK-LABEL: func.func @repeated_heads_after_rope
// CHECK-SAME: (%[[Q:.*]]: tensor<?x6x?x8xf32>, %[[K:.*]]: tensor<?x2x?x8xf32>, %[[V:.*]]: tensor<?x2x?x8xf32>)
// CHECK: attn.attention {{.*}} : (tensor<?x?x6x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>) -> tensor<?x?x6x8xf32>
// CHECK-NOT: graph.concat
func.func @repeated_heads_after_rope(%q: tensor<?x6x?x8xf32>, %k: tensor<?x2x?x8xf32>,
                                     %v: tensor<?x2x?x8xf32>) -> tensor<?x6x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = tensor.dim %k, %c0 : tensor<?x2x?x8xf32>
  %s = tensor.dim %k, %c2 : tensor<?x2x?x8xf32>
  %kr = graph.rope %k {rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : (tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  %kt0 = graph.tanh %kr : tensor<?x2x?x8xf32>
  %k5 = graph.reshape %kt0 sizes(%b, %s) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %kc = graph.concat %k5, %k5, %k5 {axis = 2 : i64} : (tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>) -> tensor<?x2x3x?x8xf32>
  %kr6 = graph.reshape %kc sizes(%b, %s) : tensor<?x2x3x?x8xf32> -> tensor<?x6x?x8xf32>
  %vb = tensor.dim %v, %c0 : tensor<?x2x?x8xf32>
  %vs = tensor.dim %v, %c2 : tensor<?x2x?x8xf32>
  %v5 = graph.reshape %v sizes(%vb, %vs) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %vc = graph.concat %v5, %v5, %v5 {axis = 2 : i64} : (tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>) -> tensor<?x2x3x?x8xf32>
  %vr6 = graph.reshape %vc sizes(%vb, %vs) : tensor<?x2x3x?x8xf32> -> tensor<?x6x?x8xf32>
  %kt = graph.transpose %kr6 {perm = array<i64: 0, 1, 3, 2>} : tensor<?x6x?x8xf32> -> tensor<?x6x8x?xf32>
  %s0 = graph.matmul %q, %kt : tensor<?x6x?x8xf32>, tensor<?x6x8x?xf32> -> tensor<?x6x?x?xf32>
  %p = graph.softmax %s0 {axis = 3 : i64} : tensor<?x6x?x?xf32>
  %o = graph.matmul %p, %vr6 : tensor<?x6x?x?xf32>, tensor<?x6x?x8xf32> -> tensor<?x6x?x8xf32>
  return %o : tensor<?x6x?x8xf32>
}

// -----

// repeat_kv of keys that went through a broadcasting op whose operands'
// dims agree (rope written out: k * cos + rotate_half(k) * sin; here k plus
// its halves swapped by slices and a concat): still the heads' own dims.

// CHECK-LABEL: func.func @repeated_heads_after_broadcast
// CHECK: attn.attention {{.*}} : (tensor<?x?x6x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>) -> tensor<?x?x6x8xf32>
// CHECK-NOT: graph.concat %{{.*}}, %{{.*}}, %{{.*}} {axis = 2
func.func @repeated_heads_after_broadcast(%q: tensor<?x6x?x8xf32>, %k: tensor<?x2x?x8xf32>,
                                          %v: tensor<?x2x?x8xf32>) -> tensor<?x6x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = tensor.dim %k, %c0 : tensor<?x2x?x8xf32>
  %s = tensor.dim %k, %c2 : tensor<?x2x?x8xf32>
  %lo = graph.slice %k {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x2x?x8xf32> -> tensor<?x2x?x4xf32>
  %hi = graph.slice %k {axis = 3 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x2x?x8xf32> -> tensor<?x2x?x4xf32>
  %rot = graph.concat %hi, %lo {axis = 3 : i64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x8xf32>
  %kr = graph.add %k, %rot : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %k5 = graph.reshape %kr sizes(%b, %s) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %kc = graph.concat %k5, %k5, %k5 {axis = 2 : i64} : (tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>) -> tensor<?x2x3x?x8xf32>
  %kr6 = graph.reshape %kc sizes(%b, %s) : tensor<?x2x3x?x8xf32> -> tensor<?x6x?x8xf32>
  %vb = tensor.dim %v, %c0 : tensor<?x2x?x8xf32>
  %vs = tensor.dim %v, %c2 : tensor<?x2x?x8xf32>
  %v5 = graph.reshape %v sizes(%vb, %vs) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %vc = graph.concat %v5, %v5, %v5 {axis = 2 : i64} : (tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>) -> tensor<?x2x3x?x8xf32>
  %vr6 = graph.reshape %vc sizes(%vb, %vs) : tensor<?x2x3x?x8xf32> -> tensor<?x6x?x8xf32>
  %kt = graph.transpose %kr6 {perm = array<i64: 0, 1, 3, 2>} : tensor<?x6x?x8xf32> -> tensor<?x6x8x?xf32>
  %s0 = graph.matmul %q, %kt : tensor<?x6x?x8xf32>, tensor<?x6x8x?xf32> -> tensor<?x6x?x?xf32>
  %p = graph.softmax %s0 {axis = 3 : i64} : tensor<?x6x?x?xf32>
  %o = graph.matmul %p, %vr6 : tensor<?x6x?x?xf32>, tensor<?x6x?x8xf32> -> tensor<?x6x?x8xf32>
  return %o : tensor<?x6x?x8xf32>
}

// -----

// Gemma 2's soft cap between the scale and the mask: c · tanh(s / c) becomes
// `softcap`, the scale below it `scale`, the bias above it the op's. Written
// as tanh(s · k) · c with k ≠ 1/c, it is c · tanh((s · k·c) / c): k·c (here
// 0.5 · 4 = 2) multiplies into the scale.

// CHECK-LABEL: func.func @softcap
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} {mask = #attn<mask none>, scale = 1.250000e-01 : f64, softcap = 5.000000e+01 : f64}
// CHECK-LABEL: func.func @softcap_rescaled
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask none>, scale = 2.500000e-01 : f64, softcap = 4.000000e+00 : f64}
func.func @softcap(%q: tensor<2x4x8x16xf32>, %kt: tensor<2x4x16x8xf32>,
                   %v: tensor<2x4x8x16xf32>, %m: tensor<8x8xf32>) -> tensor<2x4x8x16xf32> {
  %scale = graph.constant dense<1.250000e-01> : tensor<f32>
  %cap = graph.constant dense<5.000000e+01> : tensor<f32>
  %s0 = graph.matmul %q, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %s1 = graph.mul %s0, %scale : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %s2 = graph.div %s1, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %s3 = graph.tanh %s2 : tensor<2x4x8x8xf32>
  %s4 = graph.mul %s3, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %s5 = graph.add %s4, %m : tensor<2x4x8x8xf32>, tensor<8x8xf32> -> tensor<2x4x8x8xf32>
  %p = graph.softmax %s5 {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %o = graph.matmul %p, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

func.func @softcap_rescaled(%q: tensor<2x4x8x16xf32>, %kt: tensor<2x4x16x8xf32>,
                            %v: tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %scale = graph.constant dense<1.250000e-01> : tensor<f32>
  %k = graph.constant dense<5.000000e-01> : tensor<f32>
  %cap = graph.constant dense<4.000000e+00> : tensor<f32>
  %s0 = graph.matmul %q, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %s1 = graph.mul %scale, %s0 : tensor<f32>, tensor<2x4x8x8xf32> -> tensor<2x4x8x8xf32>
  %s2 = graph.mul %k, %s1 : tensor<f32>, tensor<2x4x8x8xf32> -> tensor<2x4x8x8xf32>
  %s3 = graph.tanh %s2 : tensor<2x4x8x8xf32>
  %s4 = graph.mul %cap, %s3 : tensor<f32>, tensor<2x4x8x8xf32> -> tensor<2x4x8x8xf32>
  %p = graph.softmax %s4 {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %o = graph.matmul %p, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// Not raised: a mask below the cap (tanh would un-hide what it hid: the
// fill becomes -c), a scale after the cap (which changes the cap), a cap
// whose tanh has another user, a cap before a power normalizer, and a cap
// below the smallest normal f32 (the kernels' 1 / cap would overflow).

// CHECK-LABEL: func.func @softcap_refused
// CHECK-NOT: attn.attention
func.func @softcap_refused(%q: tensor<2x4x8x16xf32>, %kt: tensor<2x4x16x8xf32>,
                           %v: tensor<2x4x8x16xf32>, %m: tensor<8x8xf32>)
    -> (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>,
        tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) {
  %cap = graph.constant dense<5.000000e+01> : tensor<f32>
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %a0 = graph.matmul %q, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %a1 = graph.add %a0, %m : tensor<2x4x8x8xf32>, tensor<8x8xf32> -> tensor<2x4x8x8xf32>
  %a2 = graph.div %a1, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %a3 = graph.tanh %a2 : tensor<2x4x8x8xf32>
  %a4 = graph.mul %a3, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %ap = graph.softmax %a4 {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %ao = graph.matmul %ap, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>

  %c0 = graph.matmul %v, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %c1 = graph.div %c0, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %c2 = graph.tanh %c1 : tensor<2x4x8x8xf32>
  %c3 = graph.mul %c2, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %c4 = graph.mul %c3, %half : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %cp = graph.softmax %c4 {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %co = graph.matmul %cp, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>

  %q2 = graph.neg %q : tensor<2x4x8x16xf32>
  %d0 = graph.matmul %q2, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %d1 = graph.div %d0, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %d2 = graph.tanh %d1 : tensor<2x4x8x8xf32>
  %d3 = graph.mul %d2, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %dp = graph.softmax %d3 {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %do = graph.matmul %dp, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>

  %q3 = graph.abs %q : tensor<2x4x8x16xf32>
  %e0 = graph.matmul %q3, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %e1 = graph.div %e0, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %e2 = graph.tanh %e1 : tensor<2x4x8x8xf32>
  %e3 = graph.mul %e2, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %e4 = graph.square %e3 : tensor<2x4x8x8xf32>
  %e5 = graph.reduce_sum %e4 {axes = array<i64: 3>, keepdims} : tensor<2x4x8x8xf32> -> tensor<2x4x8x1xf32>
  %e6 = graph.div %e4, %e5 : tensor<2x4x8x8xf32>, tensor<2x4x8x1xf32> -> tensor<2x4x8x8xf32>
  %eo = graph.matmul %e6, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
  %tiny = graph.constant dense<1.000000e-39> : tensor<f32>
  %q4 = graph.exp %q : tensor<2x4x8x16xf32>
  %f0 = graph.matmul %q4, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %f1 = graph.div %f0, %tiny : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %f2 = graph.tanh %f1 : tensor<2x4x8x8xf32>
  %f3 = graph.mul %f2, %tiny : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32>
  %fp = graph.softmax %f3 {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %fo = graph.matmul %fp, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
  return %ao, %co, %do, %d2, %eo, %fo : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>
}

// -----

// repeat_kv of keys normalized per head (Qwen3's and Gemma 3's k_norm, an
// rms_norm over the head dim) and then rotated: the norm keeps its input's
// dims, so the copies still have the heads' own dims and go.

// CHECK-LABEL: func.func @repeated_heads_after_norm
// CHECK-SAME: (%[[Q:.*]]: tensor<?x6x?x8xf32>, %[[K:.*]]: tensor<?x2x?x8xf32>, %[[V:.*]]: tensor<?x2x?x8xf32>, %[[W:.*]]: tensor<8xf32>)
// CHECK: graph.rms_norm %[[K]], %[[W]]
// CHECK: attn.attention {{.*}} : (tensor<?x?x6x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>) -> tensor<?x?x6x8xf32>
// CHECK-NOT: graph.concat
func.func @repeated_heads_after_norm(%q: tensor<?x6x?x8xf32>, %k: tensor<?x2x?x8xf32>,
                                     %v: tensor<?x2x?x8xf32>, %w: tensor<8xf32>) -> tensor<?x6x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = tensor.dim %k, %c0 : tensor<?x2x?x8xf32>
  %s = tensor.dim %k, %c2 : tensor<?x2x?x8xf32>
  %kn = graph.rms_norm %k, %w {eps = 1.000000e-06 : f64} : (tensor<?x2x?x8xf32>, tensor<8xf32>) -> tensor<?x2x?x8xf32>
  %kr = graph.rope %kn {rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : (tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  %k5 = graph.reshape %kr sizes(%b, %s) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %kc = graph.concat %k5, %k5, %k5 {axis = 2 : i64} : (tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>) -> tensor<?x2x3x?x8xf32>
  %kr6 = graph.reshape %kc sizes(%b, %s) : tensor<?x2x3x?x8xf32> -> tensor<?x6x?x8xf32>
  %vb = tensor.dim %v, %c0 : tensor<?x2x?x8xf32>
  %vs = tensor.dim %v, %c2 : tensor<?x2x?x8xf32>
  %v5 = graph.reshape %v sizes(%vb, %vs) : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %vc = graph.concat %v5, %v5, %v5 {axis = 2 : i64} : (tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>) -> tensor<?x2x3x?x8xf32>
  %vr6 = graph.reshape %vc sizes(%vb, %vs) : tensor<?x2x3x?x8xf32> -> tensor<?x6x?x8xf32>
  %kt = graph.transpose %kr6 {perm = array<i64: 0, 1, 3, 2>} : tensor<?x6x?x8xf32> -> tensor<?x6x8x?xf32>
  %s0 = graph.matmul %q, %kt : tensor<?x6x?x8xf32>, tensor<?x6x8x?xf32> -> tensor<?x6x?x?xf32>
  %p = graph.softmax %s0 {axis = 3 : i64} : tensor<?x6x?x?xf32>
  %o = graph.matmul %p, %vr6 : tensor<?x6x?x?xf32>, tensor<?x6x?x8xf32> -> tensor<?x6x?x8xf32>
  return %o : tensor<?x6x?x8xf32>
}
