// RUN: kiln-opt %s -split-input-file --kiln-fuse-epilogues | FileCheck %s

// A linear's activation and the residual add after it, and the residual add
// after an mlp, fold into the GEMMs.

// CHECK-LABEL: func.func @block
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<8x8xf32>, %[[B:.*]]: tensor<8xf32>, %[[W1:.*]]: tensor<16x8xf32>, %[[W2:.*]]: tensor<8x16xf32>)
// CHECK-NEXT: %[[H:.*]] = graph.linear %[[X]], %[[W]], %[[B]] residual %[[X]] {activation = #graph<activation silu>}
// CHECK-NEXT: %[[Y:.*]] = ffn.mlp %[[H]], %[[W1]], %[[W2]] residual %[[H]] {activation = #graph<activation relu>}
// CHECK-NEXT: return %[[Y]]
func.func @block(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>,
                 %w1: tensor<16x8xf32>, %w2: tensor<8x16xf32>) -> tensor<?x8xf32> {
  %l = graph.linear %x, %w, %b : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %a = graph.silu %l : tensor<?x8xf32>
  %h = graph.add %x, %a : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %m = ffn.mlp %h, %w1, %w2 {activation = #graph<activation relu>} : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  %y = graph.add %m, %h : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// relu(x)² written as relu then square (the JSON IR has no relu2 op) is
// one relu2 epilogue.

// CHECK-LABEL: func.func @relu2
// CHECK-NEXT: %[[Y:.*]] = graph.linear %{{.*}}, %{{.*}} {activation = #graph<activation relu2>}
// CHECK-NEXT: return %[[Y]]
func.func @relu2(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x8xf32> {
  %l = graph.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %r = graph.relu %l : tensor<?x8xf32>
  %s = graph.mul %r, %r : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}

// -----

// Not folded: a broadcast residual, a result with a second user, an
// activation after an mlp. A residual computed after the projection is
// folded: the projection moves down to the add.

// CHECK-LABEL: func.func @refused
// CHECK: %[[L1:.*]] = graph.linear %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
// CHECK: graph.add %[[L1]], %{{.*}} : tensor<?x8xf32>, tensor<8xf32>
// CHECK: %[[L2:.*]] = graph.linear %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
// CHECK: graph.relu %[[L2]]
// CHECK: %[[M:.*]] = ffn.mlp
// CHECK: graph.tanh %[[M]]
// CHECK: %[[LATE:.*]] = graph.exp
// CHECK-NEXT: %[[L3:.*]] = graph.linear %{{.*}}, %{{.*}} residual %[[LATE]] : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK-NEXT: return %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[L3]]
func.func @refused(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %v: tensor<8xf32>,
                   %w1: tensor<16x8xf32>, %w2: tensor<8x16xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %l1 = graph.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %r1 = graph.add %l1, %v : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %l2 = graph.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %r2 = graph.relu %l2 : tensor<?x8xf32>
  %m = ffn.mlp %x, %w1, %w2 {activation = #graph<activation relu>} : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  %r3 = graph.tanh %m : tensor<?x8xf32>
  %l3 = graph.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %late = graph.exp %x : tensor<?x8xf32>
  %r4 = graph.add %l3, %late : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %r1, %r2, %l2, %r3, %r4 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// A cast of an f32 projection to bf16 follows its activation in the
// epilogue: the GEMM rounds its accumulators once, as it stores them.

// CHECK-LABEL: func.func @cast_last
// CHECK-NEXT: %[[Y:.*]] = graph.linear %{{.*}}, %{{.*}}, %{{.*}} {activation = #graph<activation gelu>} : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xbf16>
// CHECK-NEXT: return %[[Y]]
func.func @cast_last(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) -> tensor<?x8xbf16> {
  %l = graph.linear %x, %w, %b : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %a = graph.gelu %l : tensor<?x8xf32>
  %y = graph.cast %a : tensor<?x8xf32> -> tensor<?x8xbf16>
  return %y : tensor<?x8xbf16>
}

// -----

// Not folded: nothing follows a cast (the add stays); a cast after a
// residual; a cast of an f16 projection (its f16 rounding would be
// skipped); a cast to an integer.

// CHECK-LABEL: func.func @cast_refused
// CHECK: %[[L:.*]] = graph.linear %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf16>
// CHECK: graph.add %[[L]]
// CHECK: %[[R:.*]] = graph.linear %{{.*}}, %{{.*}} residual %{{.*}} : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK: graph.cast %[[R]] : tensor<?x8xf32> -> tensor<?x8xf16>
// CHECK: %[[H:.*]] = graph.linear %{{.*}}, %{{.*}} : (tensor<?x8xf16>, tensor<8x8xf16>) -> tensor<?x8xf16>
// CHECK: graph.cast %[[H]] : tensor<?x8xf16> -> tensor<?x8xf32>
// CHECK: %[[I:.*]] = graph.linear %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
// CHECK: graph.cast %[[I]] : tensor<?x8xf32> -> tensor<?x8xi32>
func.func @cast_refused(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %r: tensor<?x8xf16>,
                        %xh: tensor<?x8xf16>, %wh: tensor<8x8xf16>)
    -> (tensor<?x8xf16>, tensor<?x8xf16>, tensor<?x8xf32>, tensor<?x8xi32>) {
  %l = graph.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %c = graph.cast %l : tensor<?x8xf32> -> tensor<?x8xf16>
  %s = graph.add %c, %r : tensor<?x8xf16>, tensor<?x8xf16> -> tensor<?x8xf16>
  %rl = graph.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %rs = graph.add %rl, %x : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %rc = graph.cast %rs : tensor<?x8xf32> -> tensor<?x8xf16>
  %h = graph.linear %xh, %wh : (tensor<?x8xf16>, tensor<8x8xf16>) -> tensor<?x8xf16>
  %hc = graph.cast %h : tensor<?x8xf16> -> tensor<?x8xf32>
  %i = graph.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %ic = graph.cast %i : tensor<?x8xf32> -> tensor<?x8xi32>
  return %s, %rc, %hc, %ic : tensor<?x8xf16>, tensor<?x8xf16>, tensor<?x8xf32>, tensor<?x8xi32>
}
