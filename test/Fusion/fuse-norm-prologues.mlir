// RUN: kiln-opt %s -split-input-file --kiln-fuse-norm-prologues | FileCheck %s

// A pre-norm block: ln_1 feeds the attention's three projections, ln_2 the
// MLP, an rms_norm a GLU. Each GEMM takes the norm as its prologue and
// reads the norm's input; the norms are gone.

// CHECK-LABEL: func.func @pre_norm
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x8xf32>, %[[G:[^:]*]]: tensor<8xf32>, %[[B:[^:]*]]: tensor<8xf32>, %[[W:[^:]*]]: tensor<8x8xf32>, %[[W1:[^:]*]]: tensor<16x8xf32>, %[[W2:[^:]*]]: tensor<8x16xf32>)
// CHECK-NOT: graph.layer_norm
// CHECK-NOT: graph.rms_norm
// CHECK: %[[Q:.*]] = graph.linear %[[X]], %[[W]] norm_weight %[[G]] norm_bias %[[B]] {norm = #graph<norm layer_norm>, norm_eps = 1.000000e-05 : f64}
// CHECK: %[[K:.*]] = graph.linear %[[X]], %[[W]] norm_weight %[[G]] norm_bias %[[B]] {norm = #graph<norm layer_norm>, norm_eps = 1.000000e-05 : f64}
// CHECK: %[[H:.*]] = graph.add %[[Q]], %[[K]]
// CHECK: %[[M:.*]] = ffn.mlp %[[H]], %[[W1]], %[[W2]] norm_weight %[[G]] norm_bias %[[B]] {activation = #graph<activation gelu>, norm = #graph<norm layer_norm>, norm_eps = 9.9999999999999995E-7 : f64}
// CHECK: ffn.glu %[[M]], %[[W1]], %[[W1]], %[[W2]] norm_weight %[[G]] {activation = #graph<activation silu>, norm = #graph<norm rms_norm>, norm_eps = 9.9999999999999995E-7 : f64}
func.func @pre_norm(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>,
                    %w: tensor<8x8xf32>, %w1: tensor<16x8xf32>,
                    %w2: tensor<8x16xf32>) -> tensor<?x8xf32> {
  %n1 = graph.layer_norm %x, %g, %b {eps = 1.0e-5 : f64} : (tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %q = graph.linear %n1, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %k = graph.linear %n1, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %h = graph.add %q, %k : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %n2 = graph.layer_norm %h, %g, %b {eps = 1.0e-6 : f64} : (tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %m = ffn.mlp %n2, %w1, %w2 {activation = #graph<activation gelu>} : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  %n3 = graph.rms_norm %m, %g {eps = 1.0e-6 : f64} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %y = ffn.glu %n3, %w1, %w1, %w2 {activation = #graph<activation silu>} : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Not folded: a norm whose result also feeds an add (a post-norm block's
// residual), one that is a GEMM's residual, one that is an output, and one
// read by a GEMM that already normalizes its input.

// CHECK-LABEL: func.func @refused
// CHECK: %[[N1:.*]] = graph.layer_norm
// CHECK: graph.linear %[[N1]]
// CHECK: graph.add %{{.*}}, %[[N1]]
// CHECK: %[[N2:.*]] = graph.rms_norm
// CHECK: graph.linear %{{.*}}, %{{.*}} residual %[[N2]]
// CHECK: %[[N3:.*]] = graph.rms_norm
// CHECK: graph.linear %[[N3]]
// CHECK: %[[N4:.*]] = graph.rms_norm
// CHECK: graph.linear %[[N4]], %{{.*}} norm_weight
func.func @refused(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %w: tensor<8x8xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %n1 = graph.layer_norm %x, %g {eps = 1.0e-5 : f64} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %l1 = graph.linear %n1, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %a1 = graph.add %l1, %n1 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %n2 = graph.rms_norm %x, %g {eps = 1.0e-5 : f64} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %l2 = graph.linear %x, %w residual %n2 : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %n3 = graph.rms_norm %x, %g {eps = 1.0e-5 : f64} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %l3 = graph.linear %n3, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %n4 = graph.rms_norm %x, %g {eps = 1.0e-5 : f64} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %l4 = graph.linear %n4, %w norm_weight %g {norm = #graph<norm rms_norm>, norm_eps = 1.0e-5 : f64} : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %a1, %l2, %l3, %n3, %l4 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}
