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

// -----

// relu(x)² has no op of its own: square(relu), relu * relu and
// pow(relu, 2) are each an MLP's relu2.

// CHECK-LABEL: func.func @relu2
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[W1:.*]]: tensor<32x8xf32>, %[[W2:.*]]: tensor<8x32xf32>)
// CHECK-NEXT: %[[A:.*]] = ffn.mlp %[[X]], %[[W1]], %[[W2]] {activation = #graph<activation relu2>}
// CHECK-NEXT: %[[B:.*]] = ffn.mlp %[[X]], %[[W1]], %[[W2]] {activation = #graph<activation relu2>}
// CHECK-NEXT: %[[C:.*]] = ffn.mlp %[[X]], %[[W1]], %[[W2]] {activation = #graph<activation relu2>}
// CHECK-NEXT: return %[[A]], %[[B]], %[[C]]
func.func @relu2(%x: tensor<?x8xf32>, %w1: tensor<32x8xf32>, %w2: tensor<8x32xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %two = graph.constant dense<2.0> : tensor<f32>
  %h1 = graph.linear %x, %w1 : (tensor<?x8xf32>, tensor<32x8xf32>) -> tensor<?x32xf32>
  %r1 = graph.relu %h1 : tensor<?x32xf32>
  %s1 = graph.square %r1 : tensor<?x32xf32>
  %y1 = graph.linear %s1, %w2 : (tensor<?x32xf32>, tensor<8x32xf32>) -> tensor<?x8xf32>
  %h2 = graph.linear %x, %w1 : (tensor<?x8xf32>, tensor<32x8xf32>) -> tensor<?x32xf32>
  %r2 = graph.relu %h2 : tensor<?x32xf32>
  %s2 = graph.mul %r2, %r2 : tensor<?x32xf32>, tensor<?x32xf32> -> tensor<?x32xf32>
  %y2 = graph.linear %s2, %w2 : (tensor<?x32xf32>, tensor<8x32xf32>) -> tensor<?x8xf32>
  %h3 = graph.linear %x, %w1 : (tensor<?x8xf32>, tensor<32x8xf32>) -> tensor<?x32xf32>
  %r3 = graph.relu %h3 : tensor<?x32xf32>
  %s3 = graph.pow %r3, %two : tensor<?x32xf32>, tensor<f32> -> tensor<?x32xf32>
  %y3 = graph.linear %s3, %w2 : (tensor<?x32xf32>, tensor<8x32xf32>) -> tensor<?x8xf32>
  return %y1, %y2, %y3 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Not raised: the relu is also returned, so squaring it is no relu2 the
// MLP could keep to itself.

// CHECK-LABEL: func.func @relu2_escapes
// CHECK-NOT: ffn.mlp
func.func @relu2_escapes(%x: tensor<?x8xf32>, %w1: tensor<32x8xf32>, %w2: tensor<8x32xf32>)
    -> (tensor<?x8xf32>, tensor<?x32xf32>) {
  %h = graph.linear %x, %w1 : (tensor<?x8xf32>, tensor<32x8xf32>) -> tensor<?x32xf32>
  %r = graph.relu %h : tensor<?x32xf32>
  %s = graph.square %r : tensor<?x32xf32>
  %y = graph.linear %s, %w2 : (tensor<?x32xf32>, tensor<8x32xf32>) -> tensor<?x8xf32>
  return %y, %r : tensor<?x8xf32>, tensor<?x32xf32>
}

// -----

// GeGLU with the tanh GELU (Gemma) and the sigmoid GLU raise too.

// CHECK-LABEL: func.func @geglu_tanh
// CHECK-NEXT: %[[A:.*]] = ffn.glu {{.*}} {activation = #graph<activation gelu_tanh>}
// CHECK-NEXT: %[[B:.*]] = ffn.glu {{.*}} {activation = #graph<activation sigmoid>}
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @geglu_tanh(%x: tensor<?x8xf32>, %wg: tensor<24x8xf32>, %wu: tensor<24x8xf32>,
                      %wd: tensor<8x24xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %g = graph.linear %x, %wg : (tensor<?x8xf32>, tensor<24x8xf32>) -> tensor<?x24xf32>
  %u = graph.linear %x, %wu : (tensor<?x8xf32>, tensor<24x8xf32>) -> tensor<?x24xf32>
  %a = graph.gelu_tanh %g : tensor<?x24xf32>
  %p = graph.mul %a, %u : tensor<?x24xf32>, tensor<?x24xf32> -> tensor<?x24xf32>
  %y = graph.linear %p, %wd : (tensor<?x24xf32>, tensor<8x24xf32>) -> tensor<?x8xf32>
  %g2 = graph.linear %x, %wg : (tensor<?x8xf32>, tensor<24x8xf32>) -> tensor<?x24xf32>
  %u2 = graph.linear %x, %wu : (tensor<?x8xf32>, tensor<24x8xf32>) -> tensor<?x24xf32>
  %a2 = graph.sigmoid %g2 : tensor<?x24xf32>
  %p2 = graph.mul %u2, %a2 : tensor<?x24xf32>, tensor<?x24xf32> -> tensor<?x24xf32>
  %y2 = graph.linear %p2, %wd : (tensor<?x24xf32>, tensor<8x24xf32>) -> tensor<?x8xf32>
  return %y, %y2 : tensor<?x8xf32>, tensor<?x8xf32>
}
