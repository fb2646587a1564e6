// RUN: kiln-opt %s -split-input-file --kiln-raise-norms | FileCheck %s

// RMSNorm as HF's LlamaRMSNorm writes it:
// w * (x * rsqrt(mean(pow(x, 2), -1, keepdim) + eps)).

// CHECK-LABEL: func.func @rms_hf
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x16xf32>, %[[W:.*]]: tensor<16xf32>)
// CHECK-NEXT: %[[Y:.*]] = graph.rms_norm %[[X]], %[[W]] {eps = 9.99{{[0-9]*}}E-7 : f64}
// CHECK-NEXT: return %[[Y]]
func.func @rms_hf(%x: tensor<?x?x16xf32>, %w: tensor<16xf32>) -> tensor<?x?x16xf32> {
  %two = graph.constant dense<2.0> : tensor<f32>
  %eps = graph.constant dense<1.0e-6> : tensor<f32>
  %sq = graph.pow %x, %two : tensor<?x?x16xf32>, tensor<f32> -> tensor<?x?x16xf32>
  %ms = graph.reduce_mean %sq {axes = array<i64: 2>, keepdims} : tensor<?x?x16xf32> -> tensor<?x?x1xf32>
  %v = graph.add %ms, %eps : tensor<?x?x1xf32>, tensor<f32> -> tensor<?x?x1xf32>
  %r = graph.rsqrt %v : tensor<?x?x1xf32>
  %n = graph.mul %x, %r : tensor<?x?x16xf32>, tensor<?x?x1xf32> -> tensor<?x?x16xf32>
  %y = graph.mul %w, %n : tensor<16xf32>, tensor<?x?x16xf32> -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// LayerNorm as ONNX exports it before opset 17: (x - mean) / sqrt(mean((x -
// mean)^2) + eps) * w + b.

// CHECK-LABEL: func.func @layer_norm_onnx
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK-NEXT: %[[Y:.*]] = graph.layer_norm %[[X]], %[[W]], %[[B]] {eps = 9.9999997473787516E-6 : f64}
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_onnx(%x: tensor<?x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %two = graph.constant dense<2.0> : tensor<f32>
  %eps = graph.constant dense<1.0e-5> : tensor<f32>
  %m = graph.reduce_mean %x {axes = array<i64: 1>, keepdims} : tensor<?x8xf32> -> tensor<?x1xf32>
  %c = graph.sub %x, %m : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %sq = graph.pow %c, %two : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %var = graph.reduce_mean %sq {axes = array<i64: 1>, keepdims} : tensor<?x8xf32> -> tensor<?x1xf32>
  %v = graph.add %eps, %var : tensor<f32>, tensor<?x1xf32> -> tensor<?x1xf32>
  %s = graph.sqrt %v : tensor<?x1xf32>
  %n = graph.div %c, %s : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %scaled = graph.mul %n, %w : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %y = graph.add %scaled, %b : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Flax's LayerNorm with use_fast_variance (its default): var = max(0,
// mean(x²) - mean(x)²), the scale multiplied into the inverse root. And
// the same without the max, its means sums times 1/C as JAX writes them.
// The raised norm computes the variance in two passes, as torch does.

// CHECK-LABEL: func.func @layer_norm_fast_variance
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK-NEXT: %[[Y:.*]] = graph.layer_norm %[[X]], %[[W]], %[[B]] {eps = 9.9999999747524271E-7 : f64}
// CHECK-NEXT: %[[Z:.*]] = graph.layer_norm %[[X]], %[[W]], %[[B]] {eps = 9.9999999747524271E-7 : f64}
// CHECK-NEXT: return %[[Y]], %[[Z]]
func.func @layer_norm_fast_variance(%x: tensor<?x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %zero = graph.constant dense<0.0> : tensor<f32>
  %eps = graph.constant dense<1.0e-6> : tensor<f32>
  %m = graph.reduce_mean %x {axes = array<i64: 1>, keepdims} : tensor<?x8xf32> -> tensor<?x1xf32>
  %sq = graph.square %x : tensor<?x8xf32>
  %m2 = graph.reduce_mean %sq {axes = array<i64: 1>, keepdims} : tensor<?x8xf32> -> tensor<?x1xf32>
  %mm = graph.mul %m, %m : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x1xf32>
  %d = graph.sub %m2, %mm : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x1xf32>
  %var = graph.maximum %zero, %d : tensor<f32>, tensor<?x1xf32> -> tensor<?x1xf32>
  %v = graph.add %var, %eps : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %r = graph.rsqrt %v : tensor<?x1xf32>
  %rw = graph.mul %r, %w : tensor<?x1xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %c = graph.sub %x, %m : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %n = graph.mul %c, %rw : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %y = graph.add %n, %b : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %eighth = graph.constant dense<0.125> : tensor<f32>
  %s1 = graph.reduce_sum %x {axes = array<i64: 1>, keepdims} : tensor<?x8xf32> -> tensor<?x1xf32>
  %n1 = graph.mul %s1, %eighth : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %sq2 = graph.mul %x, %x : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %s2 = graph.reduce_sum %sq2 {axes = array<i64: 1>, keepdims} : tensor<?x8xf32> -> tensor<?x1xf32>
  %n2 = graph.mul %eighth, %s2 : tensor<f32>, tensor<?x1xf32> -> tensor<?x1xf32>
  %nn = graph.square %n1 : tensor<?x1xf32>
  %d2 = graph.sub %n2, %nn : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x1xf32>
  %v2 = graph.add %d2, %eps : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %r2 = graph.rsqrt %v2 : tensor<?x1xf32>
  %c2 = graph.sub %x, %n1 : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %o2 = graph.mul %c2, %r2 : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %scaled2 = graph.mul %o2, %w : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %z = graph.add %scaled2, %b : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  return %y, %z : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// The fast variance's max with 0 as relu, as kiln-raise-activations leaves
// it.

// CHECK-LABEL: func.func @fast_variance_relu
// CHECK-NEXT: %[[Y:.*]] = graph.layer_norm %arg0, %arg1 {eps = 9.9999999747524271E-7 : f64}
// CHECK-NEXT: return %[[Y]]
func.func @fast_variance_relu(%x: tensor<?x8xf32>, %w: tensor<8xf32>) -> tensor<?x8xf32> {
  %eps = graph.constant dense<1.0e-6> : tensor<f32>
  %m = graph.reduce_mean %x {axes = array<i64: 1>, keepdims} : tensor<?x8xf32> -> tensor<?x1xf32>
  %sq = graph.square %x : tensor<?x8xf32>
  %m2 = graph.reduce_mean %sq {axes = array<i64: 1>, keepdims} : tensor<?x8xf32> -> tensor<?x1xf32>
  %mm = graph.square %m : tensor<?x1xf32>
  %d = graph.sub %m2, %mm : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x1xf32>
  %var = graph.relu %d : tensor<?x1xf32>
  %v = graph.add %var, %eps : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %r = graph.rsqrt %v : tensor<?x1xf32>
  %c = graph.sub %x, %m : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %n = graph.mul %c, %r : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %y = graph.mul %n, %w : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Not raised: the fast variance's mean squared is another row's (m of y),
// its max is with 1, not 0.

// CHECK-LABEL: func.func @fast_variance_not_raised
// CHECK-NOT: graph.layer_norm
func.func @fast_variance_not_raised(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>, %w: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %one = graph.constant dense<1.0> : tensor<f32>
  %eps = graph.constant dense<1.0e-6> : tensor<f32>
  %m = graph.reduce_mean %x {axes = array<i64: 1>, keepdims} : tensor<4x8xf32> -> tensor<4x1xf32>
  %my = graph.reduce_mean %y {axes = array<i64: 1>, keepdims} : tensor<4x8xf32> -> tensor<4x1xf32>
  %sq = graph.square %x : tensor<4x8xf32>
  %m2 = graph.reduce_mean %sq {axes = array<i64: 1>, keepdims} : tensor<4x8xf32> -> tensor<4x1xf32>
  %mm = graph.square %my : tensor<4x1xf32>
  %d = graph.sub %m2, %mm : tensor<4x1xf32>, tensor<4x1xf32> -> tensor<4x1xf32>
  %v = graph.add %d, %eps : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xf32>
  %r = graph.rsqrt %v : tensor<4x1xf32>
  %c = graph.sub %x, %m : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %n = graph.mul %c, %r : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %a = graph.mul %n, %w : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  %mx = graph.square %m : tensor<4x1xf32>
  %dx = graph.sub %m2, %mx : tensor<4x1xf32>, tensor<4x1xf32> -> tensor<4x1xf32>
  %cl = graph.maximum %dx, %one : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xf32>
  %vx = graph.add %cl, %eps : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xf32>
  %rx = graph.rsqrt %vx : tensor<4x1xf32>
  %nx = graph.mul %c, %rx : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %bx = graph.mul %nx, %w : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %a, %bx : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// LayerNorm without a bias, its square a self-product and its inverse root
// 1 / sqrt; and RMSNorm dividing by pow(·, 0.5) after square.

// CHECK-LABEL: func.func @variants
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<8xf32>)
// CHECK-DAG: %[[A:.*]] = graph.layer_norm %[[X]], %[[W]] {eps = 0.00100{{[0-9]*}} : f64}
// CHECK-DAG: %[[B:.*]] = graph.rms_norm %[[X]], %[[W]] {eps = 0.00100{{[0-9]*}} : f64}
// CHECK: return %[[A]], %[[B]]
func.func @variants(%x: tensor<4x8xf32>, %w: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %eps = graph.constant dense<1.0e-3> : tensor<1xf32>
  %m = graph.reduce_mean %x {axes = array<i64: 1>, keepdims} : tensor<4x8xf32> -> tensor<4x1xf32>
  %c = graph.sub %x, %m : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %sq = graph.mul %c, %c : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %var = graph.reduce_mean %sq {axes = array<i64: 1>, keepdims} : tensor<4x8xf32> -> tensor<4x1xf32>
  %v = graph.add %var, %eps : tensor<4x1xf32>, tensor<1xf32> -> tensor<4x1xf32>
  %s = graph.sqrt %v : tensor<4x1xf32>
  %inv = graph.div %one, %s : tensor<f32>, tensor<4x1xf32> -> tensor<4x1xf32>
  %n = graph.mul %inv, %c : tensor<4x1xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %a = graph.mul %n, %w : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>

  %sq2 = graph.square %x : tensor<4x8xf32>
  %ms2 = graph.reduce_mean %sq2 {axes = array<i64: 1>, keepdims} : tensor<4x8xf32> -> tensor<4x1xf32>
  %v2 = graph.add %ms2, %eps : tensor<4x1xf32>, tensor<1xf32> -> tensor<4x1xf32>
  %r2 = graph.pow %v2, %half : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xf32>
  %n2 = graph.div %x, %r2 : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %b = graph.mul %w, %n2 : tensor<8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Not raised: a mean over the first axis, an eps that is a parameter, an
// eps of 0 (the norm ops take a positive one), a normalized value that is
// also returned, and a weight of another shape than [C].

// CHECK-LABEL: func.func @first_axis
// CHECK-NOT: graph.rms_norm
func.func @first_axis(%x: tensor<4x8xf32>, %w: tensor<8xf32>) -> tensor<4x8xf32> {
  %eps = graph.constant dense<1.0e-3> : tensor<f32>
  %sq = graph.square %x : tensor<4x8xf32>
  %m = graph.reduce_mean %sq {axes = array<i64: 0>, keepdims} : tensor<4x8xf32> -> tensor<1x8xf32>
  %v = graph.add %m, %eps : tensor<1x8xf32>, tensor<f32> -> tensor<1x8xf32>
  %r = graph.rsqrt %v : tensor<1x8xf32>
  %n = graph.mul %x, %r : tensor<4x8xf32>, tensor<1x8xf32> -> tensor<4x8xf32>
  %y = graph.mul %n, %w : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @runtime_eps
// CHECK-NOT: graph.rms_norm
func.func @runtime_eps(%x: tensor<4x8xf32>, %w: tensor<8xf32>, %eps: tensor<f32>) -> tensor<4x8xf32> {
  %sq = graph.square %x : tensor<4x8xf32>
  %m = graph.reduce_mean %sq {axes = array<i64: 1>, keepdims} : tensor<4x8xf32> -> tensor<4x1xf32>
  %v = graph.add %m, %eps : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xf32>
  %r = graph.rsqrt %v : tensor<4x1xf32>
  %n = graph.mul %x, %r : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %y = graph.mul %n, %w : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @zero_eps
// CHECK-NOT: graph.rms_norm
func.func @zero_eps(%x: tensor<4x8xf32>, %w: tensor<8xf32>) -> tensor<4x8xf32> {
  %eps = graph.constant dense<0.0> : tensor<f32>
  %sq = graph.square %x : tensor<4x8xf32>
  %m = graph.reduce_mean %sq {axes = array<i64: 1>, keepdims} : tensor<4x8xf32> -> tensor<4x1xf32>
  %v = graph.add %m, %eps : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xf32>
  %r = graph.rsqrt %v : tensor<4x1xf32>
  %n = graph.mul %x, %r : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %y = graph.mul %n, %w : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @escapes
// CHECK-NOT: graph.rms_norm
func.func @escapes(%x: tensor<4x8xf32>, %w: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %eps = graph.constant dense<1.0e-3> : tensor<f32>
  %sq = graph.square %x : tensor<4x8xf32>
  %m = graph.reduce_mean %sq {axes = array<i64: 1>, keepdims} : tensor<4x8xf32> -> tensor<4x1xf32>
  %v = graph.add %m, %eps : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xf32>
  %r = graph.rsqrt %v : tensor<4x1xf32>
  %n = graph.mul %x, %r : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %y = graph.mul %n, %w : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %y, %n : tensor<4x8xf32>, tensor<4x8xf32>
}

// CHECK-LABEL: func.func @weight_per_row
// CHECK-NOT: graph.rms_norm
func.func @weight_per_row(%x: tensor<4x8xf32>, %w: tensor<4x1xf32>) -> tensor<4x8xf32> {
  %eps = graph.constant dense<1.0e-3> : tensor<f32>
  %sq = graph.square %x : tensor<4x8xf32>
  %m = graph.reduce_mean %sq {axes = array<i64: 1>, keepdims} : tensor<4x8xf32> -> tensor<4x1xf32>
  %v = graph.add %m, %eps : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xf32>
  %r = graph.rsqrt %v : tensor<4x1xf32>
  %n = graph.mul %x, %r : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %y = graph.mul %n, %w : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Means as JAX writes them: the RMSNorm's as reduce_sum / 16, the
// LayerNorm's as reduce_sum * (1/8).

// CHECK-LABEL: func.func @sum_means
// CHECK: graph.rms_norm
// CHECK: graph.layer_norm
// CHECK-NOT: graph.reduce_sum
func.func @sum_means(%x: tensor<?x?x16xf32>, %w: tensor<16xf32>,
                     %z: tensor<?x8xf32>, %v8: tensor<8xf32>)
    -> (tensor<?x?x16xf32>, tensor<?x8xf32>) {
  %eps = graph.constant dense<1.0e-6> : tensor<f32>
  %n16 = graph.constant dense<16.0> : tensor<f32>
  %sq = graph.mul %x, %x : tensor<?x?x16xf32>, tensor<?x?x16xf32> -> tensor<?x?x16xf32>
  %ss = graph.reduce_sum %sq {axes = array<i64: 2>, keepdims} : tensor<?x?x16xf32> -> tensor<?x?x1xf32>
  %ms = graph.div %ss, %n16 : tensor<?x?x1xf32>, tensor<f32> -> tensor<?x?x1xf32>
  %v = graph.add %ms, %eps : tensor<?x?x1xf32>, tensor<f32> -> tensor<?x?x1xf32>
  %r = graph.rsqrt %v : tensor<?x?x1xf32>
  %n = graph.mul %x, %r : tensor<?x?x16xf32>, tensor<?x?x1xf32> -> tensor<?x?x16xf32>
  %y = graph.mul %n, %w : tensor<?x?x16xf32>, tensor<16xf32> -> tensor<?x?x16xf32>
  %eighth = graph.constant dense<0.125> : tensor<f32>
  %zs = graph.reduce_sum %z {axes = array<i64: 1>, keepdims} : tensor<?x8xf32> -> tensor<?x1xf32>
  %zm = graph.mul %zs, %eighth : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %c = graph.sub %z, %zm : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %c2 = graph.mul %c, %c : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %cs = graph.reduce_sum %c2 {axes = array<i64: 1>, keepdims} : tensor<?x8xf32> -> tensor<?x1xf32>
  %var = graph.mul %eighth, %cs : tensor<f32>, tensor<?x1xf32> -> tensor<?x1xf32>
  %ve = graph.add %var, %eps : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %inv = graph.rsqrt %ve : tensor<?x1xf32>
  %zn = graph.mul %c, %inv : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %zy = graph.mul %zn, %v8 : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  return %y, %zy : tensor<?x?x16xf32>, tensor<?x8xf32>
}

// -----

// Not raised: a sum divided by another count than the axis's 16 is no mean.

// CHECK-LABEL: func.func @sum_not_mean
// CHECK-NOT: graph.rms_norm
func.func @sum_not_mean(%x: tensor<?x?x16xf32>, %w: tensor<16xf32>) -> tensor<?x?x16xf32> {
  %eps = graph.constant dense<1.0e-6> : tensor<f32>
  %n15 = graph.constant dense<15.0> : tensor<f32>
  %sq = graph.mul %x, %x : tensor<?x?x16xf32>, tensor<?x?x16xf32> -> tensor<?x?x16xf32>
  %ss = graph.reduce_sum %sq {axes = array<i64: 2>, keepdims} : tensor<?x?x16xf32> -> tensor<?x?x1xf32>
  %ms = graph.div %ss, %n15 : tensor<?x?x1xf32>, tensor<f32> -> tensor<?x?x1xf32>
  %v = graph.add %ms, %eps : tensor<?x?x1xf32>, tensor<f32> -> tensor<?x?x1xf32>
  %r = graph.rsqrt %v : tensor<?x?x1xf32>
  %n = graph.mul %x, %r : tensor<?x?x16xf32>, tensor<?x?x1xf32> -> tensor<?x?x16xf32>
  %y = graph.mul %n, %w : tensor<?x?x16xf32>, tensor<16xf32> -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// HF's LlamaRMSNorm in bf16: x cast up to f32, normalized, cast back, then
// times the bf16 weight. The norm takes x and computes in f32 itself.

// CHECK-LABEL: func.func @rms_hf_bf16
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x16xbf16>, %[[W:.*]]: tensor<16xbf16>)
// CHECK-NEXT: %[[Y:.*]] = graph.rms_norm %[[X]], %[[W]] {eps = 9.99{{[0-9]*}}E-7 : f64} : (tensor<?x?x16xbf16>, tensor<16xbf16>) -> tensor<?x?x16xbf16>
// CHECK-NEXT: return %[[Y]]
func.func @rms_hf_bf16(%x: tensor<?x?x16xbf16>, %w: tensor<16xbf16>) -> tensor<?x?x16xbf16> {
  %two = graph.constant dense<2.0> : tensor<f32>
  %eps = graph.constant dense<1.0e-6> : tensor<f32>
  %x32 = graph.cast %x : tensor<?x?x16xbf16> -> tensor<?x?x16xf32>
  %sq = graph.pow %x32, %two : tensor<?x?x16xf32>, tensor<f32> -> tensor<?x?x16xf32>
  %ms = graph.reduce_mean %sq {axes = array<i64: 2>, keepdims} : tensor<?x?x16xf32> -> tensor<?x?x1xf32>
  %v = graph.add %ms, %eps : tensor<?x?x1xf32>, tensor<f32> -> tensor<?x?x1xf32>
  %r = graph.rsqrt %v : tensor<?x?x1xf32>
  %n = graph.mul %x32, %r : tensor<?x?x16xf32>, tensor<?x?x1xf32> -> tensor<?x?x16xf32>
  %n16 = graph.cast %n : tensor<?x?x16xf32> -> tensor<?x?x16xbf16>
  %y = graph.mul %w, %n16 : tensor<16xbf16>, tensor<?x?x16xbf16> -> tensor<?x?x16xbf16>
  return %y : tensor<?x?x16xbf16>
}

// -----

// Flax's LayerNorm: the scale multiplied into the inverse root first,
// (x - mean) * (rsqrt(var + eps) * w) + b.

// CHECK-LABEL: func.func @layer_norm_flax
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK-NEXT: %[[Y:.*]] = graph.layer_norm %[[X]], %[[W]], %[[B]] {eps = 9.99{{[0-9]*}}E-7 : f64}
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_flax(%x: tensor<?x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %eps = graph.constant dense<1.0e-6> : tensor<f32>
  %m = graph.reduce_mean %x {axes = array<i64: 1>, keepdims} : tensor<?x8xf32> -> tensor<?x1xf32>
  %c = graph.sub %x, %m : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %sq = graph.mul %c, %c : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %var = graph.reduce_mean %sq {axes = array<i64: 1>, keepdims} : tensor<?x8xf32> -> tensor<?x1xf32>
  %v = graph.add %var, %eps : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %r = graph.rsqrt %v : tensor<?x1xf32>
  %f = graph.mul %r, %w : tensor<?x1xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %n = graph.mul %c, %f : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %y = graph.add %n, %b : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
