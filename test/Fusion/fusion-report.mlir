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
