// RUN: kiln-opt %s -split-input-file --kiln-raise-ffn | FileCheck %s

// linear → gelu_tanh → linear, with biases: one ffn.mlp.

// CHECK-LABEL: func.func @mlp
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>, %[[W1:.*]]: tensor<32x8xf32>, %[[B1:.*]]: tensor<32xf32>, %[[W2:.*]]: tensor<8x32xf32>, %[[B2:.*]]: tensor<8xf32>)
// CHECK-NEXT: %[[Y:.*]] = ffn.mlp %[[X]], %[[W1]] bias %[[B1]], %[[W2]] bias %[[B2]] {activation = #graph<activation gelu_tanh>}
// CHECK-NEXT: return %[[Y]]
func.func @mlp(%x: tensor<?x?x8xf32>, %w1: tensor<32x8xf32>, %b1: tensor<32xf32>,
               %w2: tensor<8x32xf32>, %b2: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %h = graph.linear %x, %w1, %b1 : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %a = graph.gelu_tanh %h : tensor<?x?x32xf32>
  %y = graph.linear %a, %w2, %b2 : (tensor<?x?x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// up * silu(gate) → down (the product in either order): one ffn.glu.

// CHECK-LABEL: func.func @swiglu
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[WG:.*]]: tensor<24x8xf32>, %[[WU:.*]]: tensor<24x8xf32>, %[[WD:.*]]: tensor<8x24xf32>)
// CHECK-NEXT: %[[Y:.*]] = ffn.glu %[[X]], %[[WG]], %[[WU]], %[[WD]] {activation = #graph<activation silu>}
// CHECK-NEXT: return %[[Y]]
func.func @swiglu(%x: tensor<?x8xf32>, %wg: tensor<24x8xf32>, %wu: tensor<24x8xf32>,
                  %wd: tensor<8x24xf32>) -> tensor<?x8xf32> {
  %g = graph.linear %x, %wg : (tensor<?x8xf32>, tensor<24x8xf32>) -> tensor<?x24xf32>
  %u = graph.linear %x, %wu : (tensor<?x8xf32>, tensor<24x8xf32>) -> tensor<?x24xf32>
  %a = graph.silu %g : tensor<?x24xf32>
  %p = graph.mul %u, %a : tensor<?x24xf32>, tensor<?x24xf32> -> tensor<?x24xf32>
  %y = graph.linear %p, %wd : (tensor<?x24xf32>, tensor<8x24xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Not raised: the hidden activations are also returned.

// CHECK-LABEL: func.func @hidden_escapes
// CHECK-NOT: ffn.mlp
func.func @hidden_escapes(%x: tensor<?x8xf32>, %w1: tensor<32x8xf32>, %w2: tensor<8x32xf32>)
    -> (tensor<?x8xf32>, tensor<?x32xf32>) {
  %h = graph.linear %x, %w1 : (tensor<?x8xf32>, tensor<32x8xf32>) -> tensor<?x32xf32>
  %a = graph.relu %h : tensor<?x32xf32>
  %y = graph.linear %a, %w2 : (tensor<?x32xf32>, tensor<8x32xf32>) -> tensor<?x8xf32>
  return %y, %a : tensor<?x8xf32>, tensor<?x32xf32>
}

// -----

// Not raised: the gate and up projections read different inputs, and a GLU
// whose down projection has a bias.

// CHECK-LABEL: func.func @different_inputs
// CHECK-NOT: ffn.glu
func.func @different_inputs(%x: tensor<?x8xf32>, %z: tensor<?x8xf32>, %wg: tensor<24x8xf32>,
                            %wu: tensor<24x8xf32>, %wd: tensor<8x24xf32>) -> tensor<?x8xf32> {
  %g = graph.linear %x, %wg : (tensor<?x8xf32>, tensor<24x8xf32>) -> tensor<?x24xf32>
  %u = graph.linear %z, %wu : (tensor<?x8xf32>, tensor<24x8xf32>) -> tensor<?x24xf32>
  %a = graph.silu %g : tensor<?x24xf32>
  %p = graph.mul %a, %u : tensor<?x24xf32>, tensor<?x24xf32> -> tensor<?x24xf32>
  %y = graph.linear %p, %wd : (tensor<?x24xf32>, tensor<8x24xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @down_bias
// CHECK-NOT: ffn.glu
func.func @down_bias(%x: tensor<?x8xf32>, %wg: tensor<24x8xf32>, %wu: tensor<24x8xf32>,
                     %wd: tensor<8x24xf32>, %bd: tensor<8xf32>) -> tensor<?x8xf32> {
  %g = graph.linear %x, %wg : (tensor<?x8xf32>, tensor<24x8xf32>) -> tensor<?x24xf32>
  %u = graph.linear %x, %wu : (tensor<?x8xf32>, tensor<24x8xf32>) -> tensor<?x24xf32>
  %a = graph.gelu %g : tensor<?x24xf32>
  %p = graph.mul %a, %u : tensor<?x24xf32>, tensor<?x24xf32> -> tensor<?x24xf32>
  %y = graph.linear %p, %wd, %bd : (tensor<?x24xf32>, tensor<8x24xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
