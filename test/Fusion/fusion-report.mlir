// RUN: kiln-opt %s -split-input-file --kiln-fusion-report | FileCheck %s

// One line per kernel with the JSON pointers of the nodes it computes (read
// from the locations), then why each candidate left did not fuse.

// CHECK:      fused gemm: /nodes/0, /nodes/1, /nodes/2
// CHECK-NEXT: fused elementwise: /nodes/3
// CHECK-NEXT: fused softmax: /nodes/4
// CHECK-NEXT: fused elementwise: /nodes/5
// CHECK-NEXT: not fused: /nodes/3: not an epilogue of /nodes/0: the projection already adds a residual, the last step of its epilogue
// CHECK-NEXT: not fused: /nodes/4: not raised to attention: the softmax input has rank 2, not the [batch, heads, queries, keys] of attention
// CHECK-NEXT: not fused: /nodes/5: not grouped with /nodes/3: its result also feeds /nodes/4
func.func @report(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %0 = graph.linear %x, %w residual %x {activation = #graph<activation relu>} : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc(fused["/nodes/0", "/nodes/1", "/nodes/2"])
  %1 = graph.exp %0 : tensor<?x8xf32> loc("/nodes/3")
  %2 = graph.softmax %1 {axis = 1 : i64} : tensor<?x8xf32> loc("/nodes/4")
  %3 = graph.neg %1 : tensor<?x8xf32> loc("/nodes/5")
  return %2, %3 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// With the JSON model in kiln.source, nodes no kernel computes are listed
// too: a constant (folded into its reader) and a node canonicalization
// removed (here an identity reshape).

// CHECK:      fused elementwise: /nodes/2
// CHECK-NEXT: fused constant: /nodes/0
// CHECK-NEXT: fused folded: /nodes/1
module attributes {kiln.source = "{\22nodes\22: [{\22op\22: \22constant\22}, {\22op\22: \22reshape\22}, {\22op\22: \22exp\22}]}"} {
  func.func @accounted(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
    %0 = graph.exp %x : tensor<?x8xf32> loc("/nodes/2")
    return %0 : tensor<?x8xf32>
  }
}

// -----

// Soft caps the attention raise refuses: a mask below the cap (tanh would
// turn the fill into -c, a score that no longer hides), a scale after it
// (which changes the cap), a cap before a power normalizer, two caps.

// CHECK: not fused: /nodes/6: not raised to attention: the scores are masked before the soft cap, which does not keep them hidden: only scalings may precede it
// CHECK: not fused: /nodes/13: not raised to attention: the soft cap is scaled after it, which changes the cap: only masks may follow it
// CHECK: not fused: /nodes/20: not raised to attention: the power normalizer takes no soft cap
// CHECK: not fused: /nodes/26: not raised to attention: the scores are soft-capped twice
func.func @softcap_refused(%q: tensor<2x4x8x16xf32>, %kt: tensor<2x4x16x8xf32>,
                           %v: tensor<2x4x8x16xf32>, %m: tensor<8x8xf32>)
    -> (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>,
        tensor<2x4x8x16xf32>) {
  %cap = graph.constant dense<5.000000e+01> : tensor<f32> loc("/nodes/0")
  %half = graph.constant dense<5.000000e-01> : tensor<f32> loc("/nodes/1")
  %a0 = graph.matmul %q, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32> loc("/nodes/2")
  %a1 = graph.add %a0, %m : tensor<2x4x8x8xf32>, tensor<8x8xf32> -> tensor<2x4x8x8xf32> loc("/nodes/3")
  %a2 = graph.div %a1, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32> loc("/nodes/4")
  %a3 = graph.tanh %a2 : tensor<2x4x8x8xf32> loc("/nodes/5")
  %a4 = graph.mul %a3, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32> loc("/nodes/6")
  %ap = graph.softmax %a4 {axis = 3 : i64} : tensor<2x4x8x8xf32> loc("/nodes/6")
  %ao = graph.matmul %ap, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32> loc("/nodes/7")
  %b0 = graph.matmul %v, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32> loc("/nodes/8")
  %b1 = graph.div %b0, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32> loc("/nodes/9")
  %b2 = graph.tanh %b1 : tensor<2x4x8x8xf32> loc("/nodes/10")
  %b3 = graph.mul %b2, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32> loc("/nodes/11")
  %b4 = graph.mul %b3, %half : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32> loc("/nodes/12")
  %bp = graph.softmax %b4 {axis = 3 : i64} : tensor<2x4x8x8xf32> loc("/nodes/13")
  %bo = graph.matmul %bp, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32> loc("/nodes/14")
  %q3 = graph.abs %q : tensor<2x4x8x16xf32> loc("/nodes/15")
  %c0 = graph.matmul %q3, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32> loc("/nodes/16")
  %c1 = graph.div %c0, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32> loc("/nodes/17")
  %c2 = graph.tanh %c1 : tensor<2x4x8x8xf32> loc("/nodes/18")
  %c3 = graph.mul %c2, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32> loc("/nodes/19")
  %c4 = graph.square %c3 : tensor<2x4x8x8xf32> loc("/nodes/20")
  %c5 = graph.reduce_sum %c4 {axes = array<i64: 3>, keepdims} : tensor<2x4x8x8xf32> -> tensor<2x4x8x1xf32> loc("/nodes/20")
  %c6 = graph.div %c4, %c5 : tensor<2x4x8x8xf32>, tensor<2x4x8x1xf32> -> tensor<2x4x8x8xf32> loc("/nodes/20")
  %co = graph.matmul %c6, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32> loc("/nodes/21")
  %q4 = graph.exp %q : tensor<2x4x8x16xf32> loc("/nodes/22")
  %d0 = graph.matmul %q4, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32> loc("/nodes/23")
  %d1 = graph.div %d0, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32> loc("/nodes/24")
  %d2 = graph.tanh %d1 : tensor<2x4x8x8xf32> loc("/nodes/24")
  %d3 = graph.mul %d2, %cap : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32> loc("/nodes/24")
  %d4 = graph.div %d3, %half : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32> loc("/nodes/25")
  %d5 = graph.tanh %d4 : tensor<2x4x8x8xf32> loc("/nodes/25")
  %d6 = graph.mul %d5, %half : tensor<2x4x8x8xf32>, tensor<f32> -> tensor<2x4x8x8xf32> loc("/nodes/25")
  %dp = graph.softmax %d6 {axis = 3 : i64} : tensor<2x4x8x8xf32> loc("/nodes/26")
  %do = graph.matmul %dp, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32> loc("/nodes/27")
  return %ao, %bo, %co, %do : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>
}
