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

// -----

// Phi-3's gate_up_proj: one projection split into gate and up, then
// silu(gate) * up → down: one ffn.glu whose gate and up weights are the
// projection's weight rows, [0, 24) and [24, 48).

// CHECK-LABEL: func.func @split_gate_up
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<48x8xf32>, %[[WD:.*]]: tensor<8x24xf32>)
// CHECK-DAG:  %[[WG:.*]] = graph.slice %[[W]] {axis = 0 : i64, end = 24 : i64, start = 0 : i64} : tensor<48x8xf32> -> tensor<24x8xf32>
// CHECK-DAG:  %[[WU:.*]] = graph.slice %[[W]] {axis = 0 : i64, end = 48 : i64, start = 24 : i64} : tensor<48x8xf32> -> tensor<24x8xf32>
// CHECK:      %[[Y:.*]] = ffn.glu %[[X]], %[[WG]], %[[WU]], %[[WD]] {activation = #graph<activation silu>}
// CHECK-NEXT: return %[[Y]]
func.func @split_gate_up(%x: tensor<?x8xf32>, %w: tensor<48x8xf32>,
                         %wd: tensor<8x24xf32>) -> tensor<?x8xf32> {
  %h = graph.linear %x, %w : (tensor<?x8xf32>, tensor<48x8xf32>) -> tensor<?x48xf32>
  %g, %u = graph.split %h {axis = 1 : i64} : tensor<?x48xf32> -> tensor<?x24xf32>, tensor<?x24xf32>
  %a = graph.silu %g : tensor<?x24xf32>
  %p = graph.mul %a, %u : tensor<?x24xf32>, tensor<?x24xf32> -> tensor<?x24xf32>
  %y = graph.linear %p, %wd : (tensor<?x24xf32>, tensor<8x24xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// The up half first, as slices (Mamba's in_proj order: x, then the gate),
// and the weight given [in, out] and transposed (kiln-raise-linear): the
// rows are sliced from the source's columns, then transposed, so that the
// panels are packed from the parameter itself.

// CHECK-LABEL: func.func @sliced_gate_up_transposed
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<8x48xf32>, %[[WD:.*]]: tensor<8x24xf32>)
// CHECK-DAG:  %[[G:.*]] = graph.slice %[[W]] {axis = 1 : i64, end = 48 : i64, start = 24 : i64} : tensor<8x48xf32> -> tensor<8x24xf32>
// CHECK-DAG:  %[[U:.*]] = graph.slice %[[W]] {axis = 1 : i64, end = 24 : i64, start = 0 : i64} : tensor<8x48xf32> -> tensor<8x24xf32>
// CHECK-DAG:  %[[WG:.*]] = graph.transpose %[[G]] {perm = array<i64: 1, 0>}
// CHECK-DAG:  %[[WU:.*]] = graph.transpose %[[U]] {perm = array<i64: 1, 0>}
// CHECK:      ffn.glu %[[X]], %[[WG]], %[[WU]], %[[WD]] {activation = #graph<activation gelu>}
func.func @sliced_gate_up_transposed(%x: tensor<?x8xf32>, %w: tensor<8x48xf32>,
                                     %wd: tensor<8x24xf32>) -> tensor<?x8xf32> {
  %wt = graph.transpose %w {perm = array<i64: 1, 0>} : tensor<8x48xf32> -> tensor<48x8xf32>
  %h = graph.linear %x, %wt : (tensor<?x8xf32>, tensor<48x8xf32>) -> tensor<?x48xf32>
  %u = graph.slice %h {axis = 1 : i64, start = 0 : i64, end = 24 : i64} : tensor<?x48xf32> -> tensor<?x24xf32>
  %g = graph.slice %h {axis = 1 : i64, start = 24 : i64, end = 48 : i64} : tensor<?x48xf32> -> tensor<?x24xf32>
  %a = graph.gelu %g : tensor<?x24xf32>
  %p = graph.mul %u, %a : tensor<?x24xf32>, tensor<?x24xf32> -> tensor<?x24xf32>
  %y = graph.linear %p, %wd : (tensor<?x24xf32>, tensor<8x24xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Not raised: a bias on the projection; parts of different sizes (a gate
// of one column broadcast over the up); parts that overlap; a projection
// also read elsewhere; a split into three parts.

// CHECK-LABEL: func.func @parts_refused
// CHECK-NOT:   ffn.glu
func.func @parts_refused(%x: tensor<?x8xf32>, %w: tensor<48x8xf32>, %b: tensor<48xf32>,
                         %wd: tensor<8x24xf32>, %w25: tensor<25x8xf32>, %w3: tensor<72x8xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x48xf32>, tensor<?x8xf32>) {
  %h0 = graph.linear %x, %w, %b : (tensor<?x8xf32>, tensor<48x8xf32>, tensor<48xf32>) -> tensor<?x48xf32>
  %g0, %u0 = graph.split %h0 {axis = 1 : i64} : tensor<?x48xf32> -> tensor<?x24xf32>, tensor<?x24xf32>
  %a0 = graph.silu %g0 : tensor<?x24xf32>
  %p0 = graph.mul %a0, %u0 : tensor<?x24xf32>, tensor<?x24xf32> -> tensor<?x24xf32>
  %biased = graph.linear %p0, %wd : (tensor<?x24xf32>, tensor<8x24xf32>) -> tensor<?x8xf32>
  %h1 = graph.linear %x, %w25 : (tensor<?x8xf32>, tensor<25x8xf32>) -> tensor<?x25xf32>
  %g1 = graph.slice %h1 {axis = 1 : i64, start = 0 : i64, end = 1 : i64} : tensor<?x25xf32> -> tensor<?x1xf32>
  %u1 = graph.slice %h1 {axis = 1 : i64, start = 1 : i64, end = 25 : i64} : tensor<?x25xf32> -> tensor<?x24xf32>
  %a1 = graph.silu %g1 : tensor<?x1xf32>
  %p1 = graph.mul %a1, %u1 : tensor<?x1xf32>, tensor<?x24xf32> -> tensor<?x24xf32>
  %unequal = graph.linear %p1, %wd : (tensor<?x24xf32>, tensor<8x24xf32>) -> tensor<?x8xf32>
  %h2 = graph.linear %x, %w : (tensor<?x8xf32>, tensor<48x8xf32>) -> tensor<?x48xf32>
  %g2 = graph.slice %h2 {axis = 1 : i64, start = 0 : i64, end = 24 : i64} : tensor<?x48xf32> -> tensor<?x24xf32>
  %u2 = graph.slice %h2 {axis = 1 : i64, start = 12 : i64, end = 36 : i64} : tensor<?x48xf32> -> tensor<?x24xf32>
  %a2 = graph.silu %g2 : tensor<?x24xf32>
  %p2 = graph.mul %a2, %u2 : tensor<?x24xf32>, tensor<?x24xf32> -> tensor<?x24xf32>
  %overlapping = graph.linear %p2, %wd : (tensor<?x24xf32>, tensor<8x24xf32>) -> tensor<?x8xf32>
  %h3 = graph.linear %x, %w : (tensor<?x8xf32>, tensor<48x8xf32>) -> tensor<?x48xf32>
  %g3, %u3 = graph.split %h3 {axis = 1 : i64} : tensor<?x48xf32> -> tensor<?x24xf32>, tensor<?x24xf32>
  %a3 = graph.silu %g3 : tensor<?x24xf32>
  %p3 = graph.mul %a3, %u3 : tensor<?x24xf32>, tensor<?x24xf32> -> tensor<?x24xf32>
  %shared = graph.linear %p3, %wd : (tensor<?x24xf32>, tensor<8x24xf32>) -> tensor<?x8xf32>
  %h4 = graph.linear %x, %w3 : (tensor<?x8xf32>, tensor<72x8xf32>) -> tensor<?x72xf32>
  %g4, %u4, %r4 = graph.split %h4 {axis = 1 : i64} : tensor<?x72xf32> -> tensor<?x24xf32>, tensor<?x24xf32>, tensor<?x24xf32>
  %a4 = graph.silu %g4 : tensor<?x24xf32>
  %p4 = graph.mul %a4, %u4 : tensor<?x24xf32>, tensor<?x24xf32> -> tensor<?x24xf32>
  %three = graph.linear %p4, %wd : (tensor<?x24xf32>, tensor<8x24xf32>) -> tensor<?x8xf32>
  return %biased, %unequal, %overlapping, %shared, %h3, %three : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x48xf32>, tensor<?x8xf32>
}
