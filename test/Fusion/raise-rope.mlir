// RUN: kiln-opt %s -split-input-file --kiln-raise-rope | FileCheck %s

// HF's LLaMA on [B, H, T, D]: x * cos + rotate_half(x) * sin, the tables
// cos and sin of positions (an arange) times constant inverse frequencies
// 10000^(-2i/D), duplicated by a concat. It becomes graph.rope on the
// token-major tensor the layout transpose read; the tables die with it.

// CHECK-LABEL: func.func @head_major
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x2x8xf32>)
// CHECK-NEXT: %[[R:.*]] = graph.rope %[[X]] {rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : (tensor<?x?x2x8xf32>) -> tensor<?x?x2x8xf32>
// CHECK-NEXT: %[[T:.*]] = graph.transpose %[[R]] {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
// CHECK-NEXT: return %[[T]]
func.func @head_major(%x: tensor<?x?x2x8xf32>) -> tensor<?x2x?x8xf32> {
  %c1 = arith.constant 1 : index
  %seq = tensor.dim %x, %c1 : tensor<?x?x2x8xf32>
  %h = graph.transpose %x {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %pos = graph.arange %x {axis = 1 : i64, start = 0.000000e+00 : f64} : (tensor<?x?x2x8xf32>) -> tensor<?xi64>
  %posf = graph.cast %pos : tensor<?xi64> -> tensor<?xf32>
  %col = graph.reshape %posf sizes(%seq) : tensor<?xf32> -> tensor<?x1xf32>
  %inv = graph.constant dense<[1.0, 0.1, 0.01, 0.001]> : tensor<4xf32>
  %f = graph.mul %col, %inv : tensor<?x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %emb = graph.concat %f, %f {axis = 1 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  %c = graph.cos %emb : tensor<?x8xf32>
  %s = graph.sin %emb : tensor<?x8xf32>
  %cos = graph.reshape %c sizes(%seq) : tensor<?x8xf32> -> tensor<1x1x?x8xf32>
  %sin = graph.reshape %s sizes(%seq) : tensor<?x8xf32> -> tensor<1x1x?x8xf32>
  %x1 = graph.slice %h {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x2x?x8xf32> -> tensor<?x2x?x4xf32>
  %x2 = graph.slice %h {axis = 3 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x2x?x8xf32> -> tensor<?x2x?x4xf32>
  %n = graph.neg %x2 : tensor<?x2x?x4xf32>
  %rot = graph.concat %n, %x1 {axis = 3 : i64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x8xf32>
  %xc = graph.mul %h, %cos : tensor<?x2x?x8xf32>, tensor<1x1x?x8xf32> -> tensor<?x2x?x8xf32>
  %xs = graph.mul %sin, %rot : tensor<1x1x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %y = graph.add %xs, %xc : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %y : tensor<?x2x?x8xf32>
}

// -----

// [B, T, H, D] with tables [T, 1, D] whose frequencies come from LLaMA 3's
// theta, 500000, computed in the graph as 1 / theta^(2i/D); the theta read
// from the f32 tables snaps back to the integer.

// CHECK-LABEL: func.func @token_major
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x2x8xf32>)
// CHECK-NEXT: %[[R:.*]] = graph.rope %[[X]] {rotary_dim = 8 : i64, theta = 5.000000e+05 : f64}
// CHECK-NEXT: return %[[R]]
func.func @token_major(%x: tensor<?x?x2x8xf32>) -> tensor<?x?x2x8xf32> {
  %c1 = arith.constant 1 : index
  %seq = tensor.dim %x, %c1 : tensor<?x?x2x8xf32>
  %pos = graph.arange %x {axis = 1 : i64, start = 0.000000e+00 : f64} : (tensor<?x?x2x8xf32>) -> tensor<?xi64>
  %posf = graph.cast %pos : tensor<?xi64> -> tensor<?xf32>
  %col = graph.reshape %posf sizes(%seq) : tensor<?xf32> -> tensor<?x1xf32>
  %exponents = graph.constant dense<[0.0, 0.25, 0.5, 0.75]> : tensor<4xf32>
  %theta = graph.constant dense<500000.0> : tensor<1xf32>
  %one = graph.constant dense<1.0> : tensor<1xf32>
  %powers = graph.pow %theta, %exponents : tensor<1xf32>, tensor<4xf32> -> tensor<4xf32>
  %inv = graph.div %one, %powers : tensor<1xf32>, tensor<4xf32> -> tensor<4xf32>
  %f = graph.mul %col, %inv : tensor<?x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %emb = graph.concat %f, %f {axis = 1 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  %c = graph.cos %emb : tensor<?x8xf32>
  %s = graph.sin %emb : tensor<?x8xf32>
  %cos = graph.reshape %c sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %sin = graph.reshape %s sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %x1 = graph.slice %x {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %x2 = graph.slice %x {axis = 3 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %n = graph.neg %x2 : tensor<?x?x2x4xf32>
  %rot = graph.concat %n, %x1 {axis = 3 : i64} : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x8xf32>
  %xc = graph.mul %cos, %x : tensor<?x1x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  %xs = graph.mul %rot, %sin : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %y = graph.add %xc, %xs : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  return %y : tensor<?x?x2x8xf32>
}

// -----

// Not raised: tables given as inputs (their values are known only at run
// time); frequencies that are no powers of one theta (1, 1/2, 1/3, 1/4);
// and a rotation whose rotate_half is also an output.

// CHECK-LABEL: func.func @tables_from_inputs
// CHECK-NOT: graph.rope
func.func @tables_from_inputs(%x: tensor<?x?x2x8xf32>, %cos: tensor<?x1x8xf32>, %sin: tensor<?x1x8xf32>) -> tensor<?x?x2x8xf32> {
  %x1 = graph.slice %x {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %x2 = graph.slice %x {axis = 3 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %n = graph.neg %x2 : tensor<?x?x2x4xf32>
  %rot = graph.concat %n, %x1 {axis = 3 : i64} : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x8xf32>
  %xc = graph.mul %x, %cos : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %xs = graph.mul %rot, %sin : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %y = graph.add %xc, %xs : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  return %y : tensor<?x?x2x8xf32>
}

// CHECK-LABEL: func.func @not_rope_frequencies
// CHECK-NOT: graph.rope
func.func @not_rope_frequencies(%x: tensor<?x?x2x8xf32>) -> (tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>) {
  %c1 = arith.constant 1 : index
  %seq = tensor.dim %x, %c1 : tensor<?x?x2x8xf32>
  %pos = graph.arange %x {axis = 1 : i64, start = 0.000000e+00 : f64} : (tensor<?x?x2x8xf32>) -> tensor<?xi64>
  %posf = graph.cast %pos : tensor<?xi64> -> tensor<?xf32>
  %col = graph.reshape %posf sizes(%seq) : tensor<?xf32> -> tensor<?x1xf32>
  %inv = graph.constant dense<[1.0, 0.5, 0.333333343, 0.25]> : tensor<4xf32>
  %f = graph.mul %col, %inv : tensor<?x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %emb = graph.concat %f, %f {axis = 1 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  %c = graph.cos %emb : tensor<?x8xf32>
  %s = graph.sin %emb : tensor<?x8xf32>
  %cos = graph.reshape %c sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %sin = graph.reshape %s sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %x1 = graph.slice %x {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %x2 = graph.slice %x {axis = 3 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %n = graph.neg %x2 : tensor<?x?x2x4xf32>
  %rot = graph.concat %n, %x1 {axis = 3 : i64} : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x8xf32>
  %xc = graph.mul %x, %cos : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %xs = graph.mul %rot, %sin : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %y = graph.add %xc, %xs : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  // The same tables, theta's powers, but the rotation escapes.
  %inv2 = graph.constant dense<[1.0, 0.1, 0.01, 0.001]> : tensor<4xf32>
  %f2 = graph.mul %col, %inv2 : tensor<?x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %emb2 = graph.concat %f2, %f2 {axis = 1 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  %c2 = graph.cos %emb2 : tensor<?x8xf32>
  %s2 = graph.sin %emb2 : tensor<?x8xf32>
  %cos2 = graph.reshape %c2 sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %sin2 = graph.reshape %s2 sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %xc2 = graph.mul %x, %cos2 : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %xs2 = graph.mul %rot, %sin2 : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %y2 = graph.add %xc2, %xs2 : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  return %y, %y2 : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>
}

// -----

// Tables of position ids (HF's LlamaRotaryEmbedding: the frequencies
// [1, D/2, 1] times the ids [B, 1, T] as a matmul, then transposed): the
// ids, integers of x's batch and sequence dims (one name in
// kiln.signature), become the rope's positions.

// CHECK-LABEL: func.func @kiln_main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x2x8xf32>, %[[IDS:.*]]: tensor<?x?xi64>, %{{.*}}: tensor<?x?xi64>)
// CHECK: graph.rope %[[X]] positions %[[IDS]] {rotary_dim = 8 : i64, theta = 1.000000e+04 : f64}
// CHECK-NOT: graph.rope
// CHECK: graph.cos
// CHECK: return
module attributes {kiln.signature = "{\22inputs\22:[{\22name\22:\22x\22,\22shape\22:[\22batch\22,\22seq\22,2,8]},{\22name\22:\22ids\22,\22shape\22:[\22batch\22,\22seq\22]},{\22name\22:\22other\22,\22shape\22:[\22n\22,\22m\22]}]}"} {
func.func @kiln_main(%x: tensor<?x?x2x8xf32>, %ids: tensor<?x?xi64>, %other: tensor<?x?xi64>) -> (tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %batch = tensor.dim %x, %c0 : tensor<?x?x2x8xf32>
  %seq = tensor.dim %x, %c1 : tensor<?x?x2x8xf32>
  %idsf = graph.cast %ids : tensor<?x?xi64> -> tensor<?x?xf32>
  %p = graph.reshape %idsf sizes(%batch, %seq) : tensor<?x?xf32> -> tensor<?x1x?xf32>
  %inv = graph.constant dense<[[[1.0], [0.1], [0.01], [0.001]]]> : tensor<1x4x1xf32>
  %ft = graph.matmul %inv, %p : tensor<1x4x1xf32>, tensor<?x1x?xf32> -> tensor<?x4x?xf32>
  %f = graph.transpose %ft {perm = array<i64: 0, 2, 1>} : tensor<?x4x?xf32> -> tensor<?x?x4xf32>
  %emb = graph.concat %f, %f {axis = 2 : i64} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x8xf32>
  %c = graph.cos %emb : tensor<?x?x8xf32>
  %s = graph.sin %emb : tensor<?x?x8xf32>
  %cos = graph.reshape %c sizes(%batch, %seq) : tensor<?x?x8xf32> -> tensor<?x?x1x8xf32>
  %sin = graph.reshape %s sizes(%batch, %seq) : tensor<?x?x8xf32> -> tensor<?x?x1x8xf32>
  %x1 = graph.slice %x {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %x2 = graph.slice %x {axis = 3 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %n = graph.neg %x2 : tensor<?x?x2x4xf32>
  %rot = graph.concat %n, %x1 {axis = 3 : i64} : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x8xf32>
  %xc = graph.mul %x, %cos : tensor<?x?x2x8xf32>, tensor<?x?x1x8xf32> -> tensor<?x?x2x8xf32>
  %xs = graph.mul %rot, %sin : tensor<?x?x2x8xf32>, tensor<?x?x1x8xf32> -> tensor<?x?x2x8xf32>
  %y = graph.add %xc, %xs : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  // Not raised: ids of other dims than x's, whose sizes need not match.
  %of = graph.cast %other : tensor<?x?xi64> -> tensor<?x?xf32>
  %o3 = graph.reshape %of sizes(%batch, %seq) : tensor<?x?xf32> -> tensor<?x?x1xf32>
  %inv2 = graph.constant dense<[1.0, 0.1, 0.01, 0.001]> : tensor<4xf32>
  %g = graph.mul %o3, %inv2 : tensor<?x?x1xf32>, tensor<4xf32> -> tensor<?x?x4xf32>
  %emb2 = graph.concat %g, %g {axis = 2 : i64} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x8xf32>
  %c2 = graph.cos %emb2 : tensor<?x?x8xf32>
  %s2 = graph.sin %emb2 : tensor<?x?x8xf32>
  %cos2 = graph.reshape %c2 sizes(%batch, %seq) : tensor<?x?x8xf32> -> tensor<?x?x1x8xf32>
  %sin2 = graph.reshape %s2 sizes(%batch, %seq) : tensor<?x?x8xf32> -> tensor<?x?x1x8xf32>
  %y1 = graph.slice %y {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %y2 = graph.slice %y {axis = 3 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %m = graph.neg %y2 : tensor<?x?x2x4xf32>
  %rot2 = graph.concat %m, %y1 {axis = 3 : i64} : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x8xf32>
  %yc = graph.mul %y, %cos2 : tensor<?x?x2x8xf32>, tensor<?x?x1x8xf32> -> tensor<?x?x2x8xf32>
  %ys = graph.mul %rot2, %sin2 : tensor<?x?x2x8xf32>, tensor<?x?x1x8xf32> -> tensor<?x?x2x8xf32>
  %z = graph.add %yc, %ys : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  return %y, %z : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>
}
}

// -----

// Not raised: positions clamped at 200 (minimum(t, 200)). The tables are
// those of theta 10000 at every position up to 200; the check samples
// positions up to 131073, so it sees where they stop growing.

// CHECK-LABEL: func.func @clamped_positions
// CHECK-NOT: graph.rope
func.func @clamped_positions(%x: tensor<?x?x2x8xf32>) -> tensor<?x?x2x8xf32> {
  %c1 = arith.constant 1 : index
  %seq = tensor.dim %x, %c1 : tensor<?x?x2x8xf32>
  %pos = graph.arange %x {axis = 1 : i64, start = 0.000000e+00 : f64} : (tensor<?x?x2x8xf32>) -> tensor<?xi64>
  %posf = graph.cast %pos : tensor<?xi64> -> tensor<?xf32>
  %limit = graph.constant dense<200.0> : tensor<1xf32>
  %clamped = graph.minimum %posf, %limit : tensor<?xf32>, tensor<1xf32> -> tensor<?xf32>
  %col = graph.reshape %clamped sizes(%seq) : tensor<?xf32> -> tensor<?x1xf32>
  %inv = graph.constant dense<[1.0, 0.1, 0.01, 0.001]> : tensor<4xf32>
  %f = graph.mul %col, %inv : tensor<?x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %emb = graph.concat %f, %f {axis = 1 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  %c = graph.cos %emb : tensor<?x8xf32>
  %s = graph.sin %emb : tensor<?x8xf32>
  %cos = graph.reshape %c sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %sin = graph.reshape %s sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %x1 = graph.slice %x {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %x2 = graph.slice %x {axis = 3 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %n = graph.neg %x2 : tensor<?x?x2x4xf32>
  %rot = graph.concat %n, %x1 {axis = 3 : i64} : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x8xf32>
  %xc = graph.mul %x, %cos : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %xs = graph.mul %rot, %sin : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %y = graph.add %xc, %xs : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  return %y : tensor<?x?x2x8xf32>
}

// -----

// Qwen2's theta, 1e6, on a head dim of 128, the frequencies computed in the
// graph as PyTorch does (1 / theta^(2i / D) in f32). theta is estimated
// from the lowest frequency, whose exponent passes the f32 rounding on
// least (feature 1 alone gave 1000002).

// CHECK-LABEL: func.func @theta_million
// CHECK: graph.rope %{{.*}} {rotary_dim = 128 : i64, theta = 1.000000e+06 : f64}
func.func @theta_million(%x: tensor<?x?x2x128xf32>) -> tensor<?x?x2x128xf32> {
  %c1 = arith.constant 1 : index
  %seq = tensor.dim %x, %c1 : tensor<?x?x2x128xf32>
  %pos = graph.arange %x {axis = 1 : i64, start = 0.000000e+00 : f64} : (tensor<?x?x2x128xf32>) -> tensor<?xi64>
  %posf = graph.cast %pos : tensor<?xi64> -> tensor<?xf32>
  %col = graph.reshape %posf sizes(%seq) : tensor<?xf32> -> tensor<?x1xf32>
  %carrier = graph.constant dense<0.0> : tensor<64xf32>
  %i = graph.arange %carrier {axis = 0 : i64, start = 0.000000e+00 : f64} : (tensor<64xf32>) -> tensor<64xi64>
  %if = graph.cast %i : tensor<64xi64> -> tensor<64xf32>
  %step = graph.constant dense<0.015625> : tensor<1xf32>
  %exponent = graph.mul %if, %step : tensor<64xf32>, tensor<1xf32> -> tensor<64xf32>
  %theta = graph.constant dense<1000000.0> : tensor<1xf32>
  %one = graph.constant dense<1.0> : tensor<1xf32>
  %power = graph.pow %theta, %exponent : tensor<1xf32>, tensor<64xf32> -> tensor<64xf32>
  %inv = graph.div %one, %power : tensor<1xf32>, tensor<64xf32> -> tensor<64xf32>
  %f = graph.mul %col, %inv : tensor<?x1xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %emb = graph.concat %f, %f {axis = 1 : i64} : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x128xf32>
  %c = graph.cos %emb : tensor<?x128xf32>
  %s = graph.sin %emb : tensor<?x128xf32>
  %cos = graph.reshape %c sizes(%seq) : tensor<?x128xf32> -> tensor<?x1x128xf32>
  %sin = graph.reshape %s sizes(%seq) : tensor<?x128xf32> -> tensor<?x1x128xf32>
  %x1 = graph.slice %x {axis = 3 : i64, start = 0 : i64, end = 64 : i64} : tensor<?x?x2x128xf32> -> tensor<?x?x2x64xf32>
  %x2 = graph.slice %x {axis = 3 : i64, start = 64 : i64, end = 128 : i64} : tensor<?x?x2x128xf32> -> tensor<?x?x2x64xf32>
  %n = graph.neg %x2 : tensor<?x?x2x64xf32>
  %rot = graph.concat %n, %x1 {axis = 3 : i64} : (tensor<?x?x2x64xf32>, tensor<?x?x2x64xf32>) -> tensor<?x?x2x128xf32>
  %xc = graph.mul %x, %cos : tensor<?x?x2x128xf32>, tensor<?x1x128xf32> -> tensor<?x?x2x128xf32>
  %xs = graph.mul %rot, %sin : tensor<?x?x2x128xf32>, tensor<?x1x128xf32> -> tensor<?x?x2x128xf32>
  %y = graph.add %xc, %xs : tensor<?x?x2x128xf32>, tensor<?x?x2x128xf32> -> tensor<?x?x2x128xf32>
  return %y : tensor<?x?x2x128xf32>
}

// -----

// GPT-NeoX's partial rotary on [B, H, T, D]: the first R = 8 of D = 12
// features rotate, concat(rope(x[..., :8]), x[..., 8:]), the tables over R.
// The rope op with rotary_dim 8 replaces the concat; the slices die.

// CHECK-LABEL: func.func @partial_rotary
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x2x12xf32>)
// CHECK-NEXT: %[[R:.*]] = graph.rope %[[X]] {rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : (tensor<?x?x2x12xf32>) -> tensor<?x?x2x12xf32>
// CHECK-NEXT: %[[T:.*]] = graph.transpose %[[R]] {perm = array<i64: 0, 2, 1, 3>}
// CHECK-NEXT: return %[[T]]
func.func @partial_rotary(%x: tensor<?x?x2x12xf32>) -> tensor<?x2x?x12xf32> {
  %c1 = arith.constant 1 : index
  %seq = tensor.dim %x, %c1 : tensor<?x?x2x12xf32>
  %h = graph.transpose %x {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x12xf32> -> tensor<?x2x?x12xf32>
  %pos = graph.arange %x {axis = 1 : i64, start = 0.000000e+00 : f64} : (tensor<?x?x2x12xf32>) -> tensor<?xi64>
  %posf = graph.cast %pos : tensor<?xi64> -> tensor<?xf32>
  %col = graph.reshape %posf sizes(%seq) : tensor<?xf32> -> tensor<?x1xf32>
  %inv = graph.constant dense<[1.0, 0.1, 0.01, 0.001]> : tensor<4xf32>
  %f = graph.mul %col, %inv : tensor<?x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %emb = graph.concat %f, %f {axis = 1 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  %c = graph.cos %emb : tensor<?x8xf32>
  %s = graph.sin %emb : tensor<?x8xf32>
  %cos = graph.reshape %c sizes(%seq) : tensor<?x8xf32> -> tensor<1x1x?x8xf32>
  %sin = graph.reshape %s sizes(%seq) : tensor<?x8xf32> -> tensor<1x1x?x8xf32>
  %r = graph.slice %h {axis = 3 : i64, start = 0 : i64, end = 8 : i64} : tensor<?x2x?x12xf32> -> tensor<?x2x?x8xf32>
  %pass = graph.slice %h {axis = 3 : i64, start = 8 : i64, end = 12 : i64} : tensor<?x2x?x12xf32> -> tensor<?x2x?x4xf32>
  %x1 = graph.slice %r {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x2x?x8xf32> -> tensor<?x2x?x4xf32>
  %x2 = graph.slice %r {axis = 3 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x2x?x8xf32> -> tensor<?x2x?x4xf32>
  %n = graph.neg %x2 : tensor<?x2x?x4xf32>
  %rot = graph.concat %n, %x1 {axis = 3 : i64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x8xf32>
  %xc = graph.mul %r, %cos : tensor<?x2x?x8xf32>, tensor<1x1x?x8xf32> -> tensor<?x2x?x8xf32>
  %xs = graph.mul %rot, %sin : tensor<?x2x?x8xf32>, tensor<1x1x?x8xf32> -> tensor<?x2x?x8xf32>
  %y = graph.add %xc, %xs : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %out = graph.concat %y, %pass {axis = 3 : i64} : (tensor<?x2x?x8xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x12xf32>
  return %out : tensor<?x2x?x12xf32>
}

// -----

// The pass-through part first, concat(x[..., 8:], rope(x[..., :8])): no
// rope op rotates its last features, so only the prefix's rotation is
// raised and the concat stays; so does a rotated prefix also read elsewhere.

// CHECK-LABEL: func.func @partial_rotary_refused
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x2x12xf32>)
// CHECK:      %[[P1:.*]] = graph.slice %[[X]] {axis = 3 : i64, end = 8 : i64, start = 0 : i64}
// CHECK:      %[[R1:.*]] = graph.rope %[[P1]] {rotary_dim = 8 : i64
// CHECK:      graph.concat %{{.*}}, %[[R1]]
// CHECK:      %[[R2:.*]] = graph.rope %{{.*}} {rotary_dim = 8 : i64
// CHECK:      graph.concat %[[R2]], %{{.*}}
func.func @partial_rotary_refused(%x: tensor<?x?x2x12xf32>) -> (tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x8xf32>) {
  %c1 = arith.constant 1 : index
  %seq = tensor.dim %x, %c1 : tensor<?x?x2x12xf32>
  %pos = graph.arange %x {axis = 1 : i64, start = 0.000000e+00 : f64} : (tensor<?x?x2x12xf32>) -> tensor<?xi64>
  %posf = graph.cast %pos : tensor<?xi64> -> tensor<?xf32>
  %col = graph.reshape %posf sizes(%seq) : tensor<?xf32> -> tensor<?x1xf32>
  %inv = graph.constant dense<[1.0, 0.1, 0.01, 0.001]> : tensor<4xf32>
  %f = graph.mul %col, %inv : tensor<?x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %emb = graph.concat %f, %f {axis = 1 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  %c = graph.cos %emb : tensor<?x8xf32>
  %s = graph.sin %emb : tensor<?x8xf32>
  %cos = graph.reshape %c sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %sin = graph.reshape %s sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %r = graph.slice %x {axis = 3 : i64, start = 0 : i64, end = 8 : i64} : tensor<?x?x2x12xf32> -> tensor<?x?x2x8xf32>
  %pass = graph.slice %x {axis = 3 : i64, start = 8 : i64, end = 12 : i64} : tensor<?x?x2x12xf32> -> tensor<?x?x2x4xf32>
  %x1 = graph.slice %r {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %x2 = graph.slice %r {axis = 3 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %n = graph.neg %x2 : tensor<?x?x2x4xf32>
  %rot = graph.concat %n, %x1 {axis = 3 : i64} : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x8xf32>
  %xc = graph.mul %r, %cos : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %xs = graph.mul %rot, %sin : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %y = graph.add %xc, %xs : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  %swapped = graph.concat %pass, %y {axis = 3 : i64} : (tensor<?x?x2x4xf32>, tensor<?x?x2x8xf32>) -> tensor<?x?x2x12xf32>
  %r2 = graph.slice %x {axis = 3 : i64, start = 0 : i64, end = 8 : i64} : tensor<?x?x2x12xf32> -> tensor<?x?x2x8xf32>
  %pass2 = graph.slice %x {axis = 3 : i64, start = 8 : i64, end = 12 : i64} : tensor<?x?x2x12xf32> -> tensor<?x?x2x4xf32>
  %y1 = graph.slice %r2 {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %y2 = graph.slice %r2 {axis = 3 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %n2 = graph.neg %y2 : tensor<?x?x2x4xf32>
  %rot2 = graph.concat %n2, %y1 {axis = 3 : i64} : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x8xf32>
  %yc = graph.mul %r2, %cos : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %ys = graph.mul %rot2, %sin : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %z = graph.add %yc, %ys : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  %kept = graph.concat %z, %pass2 {axis = 3 : i64} : (tensor<?x?x2x8xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x12xf32>
  return %swapped, %kept, %r2 : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x8xf32>
}

// -----

// GPT-J's rotate_every_two on [B, T, H, D]: the features pair as
// neighbours, x reshaped into pairs, stack(-x_odd, x_even) (a concat along
// the pair axis) flattened back, and the tables repeat each frequency
// twice (repeat_interleave, here a concat along a new last axis). It
// becomes an interleaved rope.

// CHECK-LABEL: func.func @interleaved
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x2x8xf32>)
// CHECK-NEXT: %[[R:.*]] = graph.rope %[[X]] {interleaved, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : (tensor<?x?x2x8xf32>) -> tensor<?x?x2x8xf32>
// CHECK-NEXT: return %[[R]]
func.func @interleaved(%x: tensor<?x?x2x8xf32>) -> tensor<?x?x2x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %batch = tensor.dim %x, %c0 : tensor<?x?x2x8xf32>
  %seq = tensor.dim %x, %c1 : tensor<?x?x2x8xf32>
  %pos = graph.arange %x {axis = 1 : i64, start = 0.000000e+00 : f64} : (tensor<?x?x2x8xf32>) -> tensor<?xi64>
  %posf = graph.cast %pos : tensor<?xi64> -> tensor<?xf32>
  %col = graph.reshape %posf sizes(%seq) : tensor<?xf32> -> tensor<?x1xf32>
  %inv = graph.constant dense<[1.0, 0.1, 0.01, 0.001]> : tensor<4xf32>
  %f = graph.mul %col, %inv : tensor<?x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %f3 = graph.reshape %f sizes(%seq) : tensor<?x4xf32> -> tensor<?x4x1xf32>
  %twice = graph.concat %f3, %f3 {axis = 2 : i64} : (tensor<?x4x1xf32>, tensor<?x4x1xf32>) -> tensor<?x4x2xf32>
  %emb = graph.reshape %twice sizes(%seq) : tensor<?x4x2xf32> -> tensor<?x8xf32>
  %c = graph.cos %emb : tensor<?x8xf32>
  %s = graph.sin %emb : tensor<?x8xf32>
  %cos = graph.reshape %c sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %sin = graph.reshape %s sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %pairs = graph.reshape %x sizes(%batch, %seq) : tensor<?x?x2x8xf32> -> tensor<?x?x2x4x2xf32>
  %even = graph.slice %pairs {axis = 4 : i64, start = 0 : i64, end = 1 : i64} : tensor<?x?x2x4x2xf32> -> tensor<?x?x2x4x1xf32>
  %odd = graph.slice %pairs {axis = 4 : i64, start = 1 : i64, end = 2 : i64} : tensor<?x?x2x4x2xf32> -> tensor<?x?x2x4x1xf32>
  %n = graph.neg %odd : tensor<?x?x2x4x1xf32>
  %stacked = graph.concat %n, %even {axis = 4 : i64} : (tensor<?x?x2x4x1xf32>, tensor<?x?x2x4x1xf32>) -> tensor<?x?x2x4x2xf32>
  %rot = graph.reshape %stacked sizes(%batch, %seq) : tensor<?x?x2x4x2xf32> -> tensor<?x?x2x8xf32>
  %xc = graph.mul %x, %cos : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %xs = graph.mul %rot, %sin : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %y = graph.add %xc, %xs : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  return %y : tensor<?x?x2x8xf32>
}

// -----

// The same rotation as exported strided slices, x[..., ::2] and
// x[..., 1::2] as gathers of constant indices, and the tables' repeat as a
// gather of 0, 0, 1, 1, ...: an interleaved rope too; the constant
// indices die with it.

// CHECK-LABEL: func.func @interleaved_gathers
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x2x8xf32>)
// CHECK-NEXT: %[[R:.*]] = graph.rope %[[X]] {interleaved, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64}
// CHECK-NEXT: return %[[R]]
func.func @interleaved_gathers(%x: tensor<?x?x2x8xf32>) -> tensor<?x?x2x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %batch = tensor.dim %x, %c0 : tensor<?x?x2x8xf32>
  %seq = tensor.dim %x, %c1 : tensor<?x?x2x8xf32>
  %pos = graph.arange %x {axis = 1 : i64, start = 0.000000e+00 : f64} : (tensor<?x?x2x8xf32>) -> tensor<?xi64>
  %posf = graph.cast %pos : tensor<?xi64> -> tensor<?xf32>
  %col = graph.reshape %posf sizes(%seq) : tensor<?xf32> -> tensor<?x1xf32>
  %inv = graph.constant dense<[1.0, 0.1, 0.01, 0.001]> : tensor<4xf32>
  %f = graph.mul %col, %inv : tensor<?x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %repeat = graph.constant dense<[0, 0, 1, 1, 2, 2, 3, 3]> : tensor<8xi64>
  %emb = graph.gather %f, %repeat {axis = 1 : i64} : (tensor<?x4xf32>, tensor<8xi64>) -> tensor<?x8xf32>
  %c = graph.cos %emb : tensor<?x8xf32>
  %s = graph.sin %emb : tensor<?x8xf32>
  %cos = graph.reshape %c sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %sin = graph.reshape %s sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %evens = graph.constant dense<[0, 2, 4, 6]> : tensor<4xi64>
  %odds = graph.constant dense<[1, 3, 5, 7]> : tensor<4xi64>
  %x1 = graph.gather %x, %evens {axis = 3 : i64} : (tensor<?x?x2x8xf32>, tensor<4xi64>) -> tensor<?x?x2x4xf32>
  %x2 = graph.gather %x, %odds {axis = 3 : i64} : (tensor<?x?x2x8xf32>, tensor<4xi64>) -> tensor<?x?x2x4xf32>
  %n = graph.neg %x2 : tensor<?x?x2x4xf32>
  %n5 = graph.reshape %n sizes(%batch, %seq) : tensor<?x?x2x4xf32> -> tensor<?x?x2x4x1xf32>
  %x15 = graph.reshape %x1 sizes(%batch, %seq) : tensor<?x?x2x4xf32> -> tensor<?x?x2x4x1xf32>
  %stacked = graph.concat %n5, %x15 {axis = 4 : i64} : (tensor<?x?x2x4x1xf32>, tensor<?x?x2x4x1xf32>) -> tensor<?x?x2x4x2xf32>
  %rot = graph.reshape %stacked sizes(%batch, %seq) : tensor<?x?x2x4x2xf32> -> tensor<?x?x2x8xf32>
  %xc = graph.mul %cos, %x : tensor<?x1x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  %xs = graph.mul %rot, %sin : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %y = graph.add %xs, %xc : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  return %y : tensor<?x?x2x8xf32>
}

// -----

// Rotations that are none of the two, each left as written: neighbours
// rotated with tables of halves (each frequency once, then again); the
// inverse rotation stack(x_odd, -x_even); and a rotation whose odd features
// come from the other head.

// CHECK-LABEL: func.func @interleaved_refused
// CHECK-NOT:   graph.rope
// CHECK:       return
func.func @interleaved_refused(%x: tensor<?x?x2x8xf32>) -> (tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %batch = tensor.dim %x, %c0 : tensor<?x?x2x8xf32>
  %seq = tensor.dim %x, %c1 : tensor<?x?x2x8xf32>
  %pos = graph.arange %x {axis = 1 : i64, start = 0.000000e+00 : f64} : (tensor<?x?x2x8xf32>) -> tensor<?xi64>
  %posf = graph.cast %pos : tensor<?xi64> -> tensor<?xf32>
  %col = graph.reshape %posf sizes(%seq) : tensor<?xf32> -> tensor<?x1xf32>
  %inv = graph.constant dense<[1.0, 0.1, 0.01, 0.001]> : tensor<4xf32>
  %f = graph.mul %col, %inv : tensor<?x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %halves = graph.concat %f, %f {axis = 1 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  %ch = graph.cos %halves : tensor<?x8xf32>
  %sh = graph.sin %halves : tensor<?x8xf32>
  %cosh = graph.reshape %ch sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %sinh = graph.reshape %sh sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %f3 = graph.reshape %f sizes(%seq) : tensor<?x4xf32> -> tensor<?x4x1xf32>
  %twice = graph.concat %f3, %f3 {axis = 2 : i64} : (tensor<?x4x1xf32>, tensor<?x4x1xf32>) -> tensor<?x4x2xf32>
  %emb = graph.reshape %twice sizes(%seq) : tensor<?x4x2xf32> -> tensor<?x8xf32>
  %c = graph.cos %emb : tensor<?x8xf32>
  %s = graph.sin %emb : tensor<?x8xf32>
  %cos = graph.reshape %c sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %sin = graph.reshape %s sizes(%seq) : tensor<?x8xf32> -> tensor<?x1x8xf32>
  %pairs = graph.reshape %x sizes(%batch, %seq) : tensor<?x?x2x8xf32> -> tensor<?x?x2x4x2xf32>
  %even = graph.slice %pairs {axis = 4 : i64, start = 0 : i64, end = 1 : i64} : tensor<?x?x2x4x2xf32> -> tensor<?x?x2x4x1xf32>
  %odd = graph.slice %pairs {axis = 4 : i64, start = 1 : i64, end = 2 : i64} : tensor<?x?x2x4x2xf32> -> tensor<?x?x2x4x1xf32>
  %nodd = graph.neg %odd : tensor<?x?x2x4x1xf32>
  %stacked = graph.concat %nodd, %even {axis = 4 : i64} : (tensor<?x?x2x4x1xf32>, tensor<?x?x2x4x1xf32>) -> tensor<?x?x2x4x2xf32>
  %rot = graph.reshape %stacked sizes(%batch, %seq) : tensor<?x?x2x4x2xf32> -> tensor<?x?x2x8xf32>
  %xc1 = graph.mul %x, %cosh : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %xs1 = graph.mul %rot, %sinh : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %wrong_tables = graph.add %xc1, %xs1 : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  %neven = graph.neg %even : tensor<?x?x2x4x1xf32>
  %inverse = graph.concat %odd, %neven {axis = 4 : i64} : (tensor<?x?x2x4x1xf32>, tensor<?x?x2x4x1xf32>) -> tensor<?x?x2x4x2xf32>
  %irot = graph.reshape %inverse sizes(%batch, %seq) : tensor<?x?x2x4x2xf32> -> tensor<?x?x2x8xf32>
  %xc2 = graph.mul %x, %cos : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %xs2 = graph.mul %irot, %sin : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %inverted = graph.add %xc2, %xs2 : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  %head0 = graph.slice %pairs {axis = 2 : i64, start = 0 : i64, end = 1 : i64} : tensor<?x?x2x4x2xf32> -> tensor<?x?x1x4x2xf32>
  %head1 = graph.slice %pairs {axis = 2 : i64, start = 1 : i64, end = 2 : i64} : tensor<?x?x2x4x2xf32> -> tensor<?x?x1x4x2xf32>
  %swapped = graph.concat %head1, %head0 {axis = 2 : i64} : (tensor<?x?x1x4x2xf32>, tensor<?x?x1x4x2xf32>) -> tensor<?x?x2x4x2xf32>
  %other = graph.slice %swapped {axis = 4 : i64, start = 1 : i64, end = 2 : i64} : tensor<?x?x2x4x2xf32> -> tensor<?x?x2x4x1xf32>
  %nother = graph.neg %other : tensor<?x?x2x4x1xf32>
  %mixed = graph.concat %nother, %even {axis = 4 : i64} : (tensor<?x?x2x4x1xf32>, tensor<?x?x2x4x1xf32>) -> tensor<?x?x2x4x2xf32>
  %mrot = graph.reshape %mixed sizes(%batch, %seq) : tensor<?x?x2x4x2xf32> -> tensor<?x?x2x8xf32>
  %xc3 = graph.mul %x, %cos : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %xs3 = graph.mul %mrot, %sin : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %cross_head = graph.add %xc3, %xs3 : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  return %wrong_tables, %inverted, %cross_head : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>
}
