// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of dialects/Graph/IR/GraphOps.cpp.

//===----------------------------------------------------------------------===//
// Shared checks
//===----------------------------------------------------------------------===//

func.func @binary_element_type(%a: tensor<4xf32>, %b: tensor<4xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{'graph.add' op requires all operands and results to have element type 'f32'}}
  %0 = graph.add %a, %b : tensor<4xf32>, tensor<4xf16> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @binary_result_element_type(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi64> {
  // expected-error @+1 {{'graph.mul' op requires all operands and results to have element type 'i32'}}
  %0 = graph.mul %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @binary_no_broadcast(%a: tensor<3x4xf32>, %b: tensor<5xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'graph.sub' op rhs: cannot broadcast [3, 4] with [5]: 4 vs 5 (dims must be equal or one of them 1)}}
  %0 = graph.sub %a, %b : tensor<3x4xf32>, tensor<5xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @binary_result_shape(%a: tensor<?x4xf32>, %b: tensor<1x4xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'graph.div' op result type 'tensor<?x8xf32>' does not match the inferred type 'tensor<?x4xf32>'}}
  %0 = graph.div %a, %b : tensor<?x4xf32>, tensor<1x4xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @binary_result_rank(%a: tensor<4xf32>, %b: tensor<2x1xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'graph.add' op result type 'tensor<4xf32>' does not match the inferred type 'tensor<2x4xf32>'}}
  %0 = graph.add %a, %b : tensor<4xf32>, tensor<2x1xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// linear
//===----------------------------------------------------------------------===//

func.func @linear_element_type(%x: tensor<2x8xf32>, %w: tensor<4x8xf16>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'graph.linear' op requires all operands and results to have element type 'f32'}}
  %0 = graph.linear %x, %w : (tensor<2x8xf32>, tensor<4x8xf16>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @linear_rank0(%x: tensor<f32>, %w: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'graph.linear' op input has shape []; expected at least 1 dims [..., D]}}
  %0 = graph.linear %x, %w : (tensor<f32>, tensor<4x8xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @linear_weight_rank(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'graph.linear' op weight has shape [8]; expected 2 dims [out, in]}}
  %0 = graph.linear %x, %w : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @linear_features(%x: tensor<?x?x8xf32>, %w: tensor<4x16xf32>) -> tensor<?x?x4xf32> {
  // expected-error @+1 {{'graph.linear' op weight has shape [4, 16]; expected dim 1 to be 8 (D of input)}}
  %0 = graph.linear %x, %w : (tensor<?x?x8xf32>, tensor<4x16xf32>) -> tensor<?x?x4xf32>
  return %0 : tensor<?x?x4xf32>
}

// -----

func.func @linear_bias(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'graph.linear' op bias has shape [8]; expected dim 0 to be 4 (rows of weight)}}
  %0 = graph.linear %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @linear_result(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'graph.linear' op result shape [2, 8] does not match the inferred shape [2, 4]}}
  %0 = graph.linear %x, %w : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

func.func @matmul_element_type(%a: tensor<2x3xf32>, %b: tensor<3x4xbf16>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'graph.matmul' op requires all operands and results to have element type 'f32'}}
  %0 = graph.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xbf16> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_rank(%a: tensor<3xf32>, %b: tensor<3x4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'graph.matmul' op lhs has shape [3]; expected at least 2 dims [..., M, K] / [..., K, N]}}
  %0 = graph.matmul %a, %b : tensor<3xf32>, tensor<3x4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<5x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'graph.matmul' op rhs has shape [5, 4]; expected dim 0 to be 3 (K, the last dim of lhs)}}
  %0 = graph.matmul %a, %b : tensor<2x3xf32>, tensor<5x4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_batch(%a: tensor<2x2x3xf32>, %b: tensor<3x3x4xf32>) -> tensor<2x2x4xf32> {
  // expected-error @+1 {{'graph.matmul' op batch dims of rhs: cannot broadcast [2] with [3]: 2 vs 3 (dims must be equal or one of them 1)}}
  %0 = graph.matmul %a, %b : tensor<2x2x3xf32>, tensor<3x3x4xf32> -> tensor<2x2x4xf32>
  return %0 : tensor<2x2x4xf32>
}

// -----

func.func @matmul_result(%a: tensor<?x2x3xf32>, %b: tensor<3x4xf32>) -> tensor<?x4x2xf32> {
  // expected-error @+1 {{'graph.matmul' op result type 'tensor<?x4x2xf32>' does not match the inferred type 'tensor<?x2x4xf32>'}}
  %0 = graph.matmul %a, %b : tensor<?x2x3xf32>, tensor<3x4xf32> -> tensor<?x4x2xf32>
  return %0 : tensor<?x4x2xf32>
}

// -----

//===----------------------------------------------------------------------===//
// layer_norm, rms_norm
//===----------------------------------------------------------------------===//

func.func @norm_element_type(%x: tensor<2x8xf32>, %w: tensor<8xf16>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'graph.rms_norm' op requires all operands and results to have element type 'f32'}}
  %0 = graph.rms_norm %x, %w {eps = 1.0e-6 : f64} : (tensor<2x8xf32>, tensor<8xf16>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @norm_eps(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'graph.layer_norm' op eps must be positive, got 0}}
  %0 = graph.layer_norm %x, %w {eps = 0.0 : f64} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @norm_eps_nan(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'graph.rms_norm' op eps must be positive, got nan}}
  %0 = graph.rms_norm %x, %w {eps = 0x7FF8000000000000 : f64} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @norm_rank0(%x: tensor<f32>, %w: tensor<1xf32>) -> tensor<f32> {
  // expected-error @+1 {{'graph.layer_norm' op input has shape []; expected at least 1 dims [..., D]}}
  %0 = graph.layer_norm %x, %w {eps = 1.0e-5 : f64} : (tensor<f32>, tensor<1xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @norm_weight(%x: tensor<?x?x8xf32>, %w: tensor<16xf32>) -> tensor<?x?x8xf32> {
  // expected-error @+1 {{'graph.rms_norm' op weight has shape [16]; expected dim 0 to be 8 (D of input)}}
  %0 = graph.rms_norm %x, %w {eps = 1.0e-6 : f64} : (tensor<?x?x8xf32>, tensor<16xf32>) -> tensor<?x?x8xf32>
  return %0 : tensor<?x?x8xf32>
}

// -----

func.func @norm_bias(%x: tensor<2x8xf32>, %w: tensor<8xf32>, %b: tensor<1x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'graph.layer_norm' op bias has shape [1, 8]; expected 1 dims [D]}}
  %0 = graph.layer_norm %x, %w, %b {eps = 1.0e-5 : f64} : (tensor<2x8xf32>, tensor<8xf32>, tensor<1x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @norm_result(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> tensor<8x2xf32> {
  // expected-error @+1 {{'graph.layer_norm' op result type 'tensor<8x2xf32>' does not match the inferred type 'tensor<2x8xf32>'}}
  %0 = graph.layer_norm %x, %w {eps = 1.0e-5 : f64} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<8x2xf32>
  return %0 : tensor<8x2xf32>
}

// -----

//===----------------------------------------------------------------------===//
// softmax, embedding
//===----------------------------------------------------------------------===//

func.func @softmax_axis(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'graph.softmax' op axis 2 is out of range for rank 2}}
  %0 = graph.softmax %x {axis = 2 : i64} : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @softmax_negative_axis(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'graph.softmax' op axis -1 is out of range for rank 2}}
  %0 = graph.softmax %x {axis = -1 : i64} : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @embedding_table_rank(%ids: tensor<?xi32>, %table: tensor<256xf32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{'graph.embedding' op table has shape [256]; expected 2 dims [V, D]}}
  %0 = graph.embedding %ids, %table : (tensor<?xi32>, tensor<256xf32>) -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

func.func @embedding_element_type(%ids: tensor<?xi32>, %table: tensor<256x8xf32>) -> tensor<?x8xf16> {
  // expected-error @+1 {{'graph.embedding' op result type 'tensor<?x8xf16>' does not match the inferred type 'tensor<?x8xf32>'}}
  %0 = graph.embedding %ids, %table : (tensor<?xi32>, tensor<256x8xf32>) -> tensor<?x8xf16>
  return %0 : tensor<?x8xf16>
}

// -----

func.func @embedding_result(%ids: tensor<?x?xi32>, %table: tensor<256x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'graph.embedding' op result type 'tensor<?x8xf32>' does not match the inferred type 'tensor<?x?x8xf32>'}}
  %0 = graph.embedding %ids, %table : (tensor<?x?xi32>, tensor<256x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// rope
//===----------------------------------------------------------------------===//

func.func @rope_result_type(%x: tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf16> {
  // expected-error @+1 {{'graph.rope' op result type 'tensor<?x?x4x16xf16>' does not match the inferred type 'tensor<?x?x4x16xf32>'}}
  %0 = graph.rope %x {rotary_dim = 16 : i64, theta = 10000.0 : f64} : (tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf16>
  return %0 : tensor<?x?x4x16xf16>
}

// -----

func.func @rope_rank(%x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{'graph.rope' op input has shape [?, ?, 64]; expected 4 dims [B, T, H, D]}}
  %0 = graph.rope %x {rotary_dim = 16 : i64, theta = 10000.0 : f64} : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

func.func @rope_rotary_odd(%x: tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32> {
  // expected-error @+1 {{'graph.rope' op rotary_dim must be a positive even number, got 7}}
  %0 = graph.rope %x {rotary_dim = 7 : i64, theta = 10000.0 : f64} : (tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  return %0 : tensor<?x?x4x16xf32>
}

// -----

func.func @rope_rotary_negative(%x: tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32> {
  // expected-error @+1 {{'graph.rope' op rotary_dim must be a positive even number, got -2}}
  %0 = graph.rope %x {rotary_dim = -2 : i64, theta = 10000.0 : f64} : (tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  return %0 : tensor<?x?x4x16xf32>
}

// -----

func.func @rope_rotary_too_large(%x: tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32> {
  // expected-error @+1 {{'graph.rope' op rotary_dim 32 exceeds the head size D = 16; expected at most D}}
  %0 = graph.rope %x {rotary_dim = 32 : i64, theta = 10000.0 : f64} : (tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  return %0 : tensor<?x?x4x16xf32>
}

// -----

func.func @rope_theta(%x: tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32> {
  // expected-error @+1 {{'graph.rope' op theta must be positive}}
  %0 = graph.rope %x {rotary_dim = 16 : i64, theta = -1.0 : f64} : (tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  return %0 : tensor<?x?x4x16xf32>
}

// -----

func.func @rope_positions(%x: tensor<2x?x4x16xf32>, %pos: tensor<3x?xi32>) -> tensor<2x?x4x16xf32> {
  // expected-error @+1 {{'graph.rope' op positions has shape [3, ?]; expected dim 0 to be 2 (B of input)}}
  %0 = graph.rope %x positions %pos {rotary_dim = 16 : i64, theta = 10000.0 : f64} : (tensor<2x?x4x16xf32>, tensor<3x?xi32>) -> tensor<2x?x4x16xf32>
  return %0 : tensor<2x?x4x16xf32>
}

// -----

//===----------------------------------------------------------------------===//
// conv1d
//===----------------------------------------------------------------------===//

func.func @conv1d_element_type(%x: tensor<?x?x8xf32>, %w: tensor<8x4xf16>) -> tensor<?x?x8xf32> {
  // expected-error @+1 {{'graph.conv1d' op requires all operands but seq_offsets to share the input's element type}}
  %0 = graph.conv1d %x, %w : (tensor<?x?x8xf32>, tensor<8x4xf16>) -> tensor<?x?x8xf32>
  return %0 : tensor<?x?x8xf32>
}

// -----

func.func @conv1d_result_type(%x: tensor<?x?x8xf32>, %w: tensor<8x4xf32>) -> tensor<2x?x8xf32> {
  // expected-error @+1 {{'graph.conv1d' op result type 'tensor<2x?x8xf32>' does not match the inferred type 'tensor<?x?x8xf32>'}}
  %0 = graph.conv1d %x, %w : (tensor<?x?x8xf32>, tensor<8x4xf32>) -> tensor<2x?x8xf32>
  return %0 : tensor<2x?x8xf32>
}

// -----

func.func @conv1d_rank(%x: tensor<?x8xf32>, %w: tensor<8x4xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'graph.conv1d' op input has shape [?, 8]; expected 3 dims [B, T, C]}}
  %0 = graph.conv1d %x, %w : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @conv1d_weight(%x: tensor<?x?x8xf32>, %w: tensor<4x8xf32>) -> tensor<?x?x8xf32> {
  // expected-error @+1 {{'graph.conv1d' op weight has shape [4, 8]; expected dim 0 to be 8 (C of input)}}
  %0 = graph.conv1d %x, %w : (tensor<?x?x8xf32>, tensor<4x8xf32>) -> tensor<?x?x8xf32>
  return %0 : tensor<?x?x8xf32>
}

// -----

func.func @conv1d_bias(%x: tensor<?x?x8xf32>, %w: tensor<8x4xf32>, %b: tensor<4xf32>) -> tensor<?x?x8xf32> {
  // expected-error @+1 {{'graph.conv1d' op bias has shape [4]; expected dim 0 to be 8 (C of input)}}
  %0 = graph.conv1d %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<?x?x8xf32>
  return %0 : tensor<?x?x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

func.func @reduce_element_type(%x: tensor<4x8xi32>) -> tensor<4xi64> {
  // expected-error @+1 {{'graph.reduce_sum' op requires all operands and results to have element type 'i32'}}
  %0 = graph.reduce_sum %x {axes = array<i64: 1>} : tensor<4x8xi32> -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @reduce_mean_integer(%x: tensor<4x8xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'graph.reduce_mean' op requires a float element type, got 'i32'}}
  %0 = graph.reduce_mean %x {axes = array<i64: 1>} : tensor<4x8xi32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @reduce_axis(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'graph.reduce_mean' op axis 2 is out of range for rank 2}}
  %0 = graph.reduce_mean %x {axes = array<i64: 2>} : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @reduce_unsorted(%x: tensor<4x8x2xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'graph.reduce_max' op axes must be sorted and unique}}
  %0 = graph.reduce_max %x {axes = array<i64: 2, 0>} : tensor<4x8x2xf32> -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @reduce_duplicate(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'graph.reduce_sum' op axes must be sorted and unique}}
  %0 = graph.reduce_sum %x {axes = array<i64: 1, 1>} : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @reduce_keepdims(%x: tensor<?x8xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{'graph.reduce_sum' op result type 'tensor<?xf32>' does not match the inferred type 'tensor<?x1xf32>'}}
  %0 = graph.reduce_sum %x {axes = array<i64: 1>, keepdims} : tensor<?x8xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

//===----------------------------------------------------------------------===//
// reshape, transpose
//===----------------------------------------------------------------------===//

func.func @reshape_element_type(%x: tensor<2x8xf32>) -> tensor<16xf16> {
  // expected-error @+1 {{'graph.reshape' op cannot change the element type}}
  %0 = graph.reshape %x : tensor<2x8xf32> -> tensor<16xf16>
  return %0 : tensor<16xf16>
}

// -----

func.func @reshape_sizes(%x: tensor<?x64xf32>, %n: index) -> tensor<?x?x16xf32> {
  // expected-error @+1 {{'graph.reshape' op expects 2 sizes for the dynamic result dimensions, got 1}}
  %0 = graph.reshape %x sizes(%n) : tensor<?x64xf32> -> tensor<?x?x16xf32>
  return %0 : tensor<?x?x16xf32>
}

// -----

func.func @reshape_elements(%x: tensor<2x8xf32>) -> tensor<4x5xf32> {
  // expected-error @+1 {{'graph.reshape' op cannot reshape input of shape [2, 8] to [4, 5]: static sizes multiply to 16 vs 20; expected equal products}}
  %0 = graph.reshape %x : tensor<2x8xf32> -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

func.func @transpose_perm_size(%x: tensor<2x3x4xf32>) -> tensor<3x2x4xf32> {
  // expected-error @+1 {{'graph.transpose' op expected a permutation of the 3 axes of [2, 3, 4], got [1, 0]}}
  %0 = graph.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  return %0 : tensor<3x2x4xf32>
}

// -----

func.func @transpose_perm_repeat(%x: tensor<2x3x4xf32>) -> tensor<3x3x4xf32> {
  // expected-error @+1 {{'graph.transpose' op expected a permutation of the 3 axes of [2, 3, 4], got [1, 1, 2]}}
  %0 = graph.transpose %x {perm = array<i64: 1, 1, 2>} : tensor<2x3x4xf32> -> tensor<3x3x4xf32>
  return %0 : tensor<3x3x4xf32>
}

// -----

func.func @transpose_perm_range(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'graph.transpose' op expected a permutation of the 2 axes of [2, 3], got [1, 2]}}
  %0 = graph.transpose %x {perm = array<i64: 1, 2>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_element_type(%x: tensor<2x3xf32>) -> tensor<3x2xi32> {
  // expected-error @+1 {{'graph.transpose' op result type 'tensor<3x2xi32>' does not match the inferred type 'tensor<3x2xf32>'}}
  %0 = graph.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xi32>
  return %0 : tensor<3x2xi32>
}

// -----

func.func @transpose_result(%x: tensor<?x3x4xf32>) -> tensor<?x3x4xf32> {
  // expected-error @+1 {{'graph.transpose' op result type 'tensor<?x3x4xf32>' does not match the inferred type 'tensor<?x4x3xf32>'}}
  %0 = graph.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<?x3x4xf32> -> tensor<?x3x4xf32>
  return %0 : tensor<?x3x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// slice, concat, split
//===----------------------------------------------------------------------===//

func.func @slice_axis_range(%x: tensor<?x8xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'graph.slice' op axis 2 is out of range for rank 2}}
  %0 = graph.slice %x {axis = 2 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @slice_dynamic_axis(%x: tensor<?x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'graph.slice' op slice [1, end) of dynamic axis 0 (?) has a size that depends on the axis; expected both bounds counted from the same end (e.g. start -1 for the last position), or the whole axis}}
  %0 = graph.slice %x {axis = 0 : i64, start = 1 : i64} : tensor<?x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @slice_range(%x: tensor<?x8xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'graph.slice' op slice [6, 10) of axis 1 with size 8 is out of bounds; expected 0 <= start < end <= 8}}
  %0 = graph.slice %x {axis = 1 : i64, start = 6 : i64, end = 10 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @slice_empty(%x: tensor<?x8xf32>) -> tensor<?x0xf32> {
  // expected-error @+1 {{'graph.slice' op empty slice [3, 3) of axis 1 with size 8; expected start < end after clamping}}
  %0 = graph.slice %x {axis = 1 : i64, start = 3 : i64, end = 3 : i64} : tensor<?x8xf32> -> tensor<?x0xf32>
  return %0 : tensor<?x0xf32>
}

// -----

func.func @slice_element_type(%x: tensor<?x8xf32>) -> tensor<?x4xf16> {
  // expected-error @+1 {{'graph.slice' op result type 'tensor<?x4xf16>' does not match the inferred type 'tensor<?x4xf32>'}}
  %0 = graph.slice %x {axis = 1 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x8xf32> -> tensor<?x4xf16>
  return %0 : tensor<?x4xf16>
}

// -----

func.func @slice_result(%x: tensor<?x8xf32>) -> tensor<?x5xf32> {
  // expected-error @+1 {{'graph.slice' op result type 'tensor<?x5xf32>' does not match the inferred type 'tensor<?x4xf32>'}}
  %0 = graph.slice %x {axis = 1 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x8xf32> -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @concat_no_inputs() -> tensor<4xf32> {
  // expected-error @+1 {{'graph.concat' op expects at least one input}}
  %0 = "graph.concat"() {axis = 0 : i64} : () -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @concat_element_type(%a: tensor<2xf32>, %b: tensor<2xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{'graph.concat' op requires all operands and results to have element type 'f32'}}
  %0 = graph.concat %a, %b {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf16>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x6xf32> {
  // expected-error @+1 {{'graph.concat' op x1 has shape [3]; expected 2 dims like input x0}}
  %0 = graph.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_dynamic_axis(%a: tensor<?x3xf32>, %b: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'graph.concat' op x0 has shape [?, 3]; expected dim 0 to be static (the concatenated axis)}}
  %0 = graph.concat %a, %b {axis = 0 : i64} : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @concat_dims(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+1 {{'graph.concat' op x1 has shape [4, 3]; expected dim 0 to be 2 (as in input x0)}}
  %0 = graph.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_result(%a: tensor<?x3xf32>, %b: tensor<?x5xf32>) -> tensor<?x9xf32> {
  // expected-error @+1 {{'graph.concat' op result type 'tensor<?x9xf32>' does not match the inferred type 'tensor<?x8xf32>'}}
  %0 = graph.concat %a, %b {axis = 1 : i64} : (tensor<?x3xf32>, tensor<?x5xf32>) -> tensor<?x9xf32>
  return %0 : tensor<?x9xf32>
}

// -----

func.func @split_dynamic_axis(%x: tensor<?x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'graph.split' op input has shape [?, 8]; expected dim 0 to be static (the split axis)}}
  %0 = graph.split %x {axis = 0 : i64} : tensor<?x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @split_dynamic_result(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'graph.split' op result sizes along the axis must be static}}
  %0 = graph.split %x {axis = 0 : i64} : tensor<?x8xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @split_axis_range(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'graph.split' op axis -1 is out of range for rank 2}}
  %0 = graph.split %x {axis = -1 : i64} : tensor<?x8xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @split_no_results(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'graph.split' op expects at least one result}}
  "graph.split"(%x) {axis = 1 : i64} : (tensor<?x8xf32>) -> ()
  return
}

// -----

func.func @split_result_type(%x: tensor<?x8xf32>) -> (tensor<?x4xf32>, tensor<?x4xf16>) {
  // expected-error @+1 {{'graph.split' op results must keep the input's rank and element type}}
  %0:2 = graph.split %x {axis = 1 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>, tensor<?x4xf16>
  return %0#0, %0#1 : tensor<?x4xf32>, tensor<?x4xf16>
}

// -----

func.func @split_result_rank(%x: tensor<?x8xf32>) -> (tensor<?x4xf32>, tensor<4xf32>) {
  // expected-error @+1 {{'graph.split' op results must keep the input's rank and element type}}
  %0:2 = graph.split %x {axis = 1 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>, tensor<4xf32>
  return %0#0, %0#1 : tensor<?x4xf32>, tensor<4xf32>
}

// -----

func.func @split_dynamic_part(%x: tensor<?x8xf32>) -> (tensor<?x4xf32>, tensor<?x?xf32>) {
  // expected-error @+1 {{'graph.split' op result sizes along the axis must be static}}
  %0:2 = graph.split %x {axis = 1 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>, tensor<?x?xf32>
  return %0#0, %0#1 : tensor<?x4xf32>, tensor<?x?xf32>
}

// -----

func.func @split_other_dim(%x: tensor<2x8xf32>) -> (tensor<2x4xf32>, tensor<3x4xf32>) {
  // expected-error @+1 {{'graph.split' op result 1 shape [3, 4] does not match the inferred shape [2, 4]}}
  %0:2 = graph.split %x {axis = 1 : i64} : tensor<2x8xf32> -> tensor<2x4xf32>, tensor<3x4xf32>
  return %0#0, %0#1 : tensor<2x4xf32>, tensor<3x4xf32>
}

// -----

func.func @split_sum(%x: tensor<?x8xf32>) -> (tensor<?x4xf32>, tensor<?x2xf32>) {
  // expected-error @+1 {{'graph.split' op sizes add up to 6; expected 8, the size of axis 1 of [?, 8]}}
  %0:2 = graph.split %x {axis = 1 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>, tensor<?x2xf32>
  return %0#0, %0#1 : tensor<?x4xf32>, tensor<?x2xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Additions for generation
//===----------------------------------------------------------------------===//

func.func @compare_element_type(%a: tensor<4xf32>, %b: tensor<4xi32>) -> tensor<4xi1> {
  // expected-error @+1 {{'graph.less' op requires all operands and results to have element type 'f32'}}
  %0 = graph.less %a, %b : tensor<4xf32>, tensor<4xi32> -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @compare_no_broadcast(%a: tensor<3xf32>, %b: tensor<4xf32>) -> tensor<4xi1> {
  // expected-error @+1 {{'graph.equal' op rhs: cannot broadcast [3] with [4]: 3 vs 4 (dims must be equal or one of them 1)}}
  %0 = graph.equal %a, %b : tensor<3xf32>, tensor<4xf32> -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @where_no_broadcast(%c: tensor<3xi1>, %a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'graph.where' op cond: cannot broadcast [3] with [4]: 3 vs 4 (dims must be equal or one of them 1)}}
  %0 = graph.where %c, %a, %a : (tensor<3xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @arange_axis(%x: tensor<?x8xf32>) -> tensor<?xi64> {
  // expected-error @+1 {{'graph.arange' op axis 2 is out of range for rank 2}}
  %0 = graph.arange %x {axis = 2 : i64, start = 0.0 : f64} : (tensor<?x8xf32>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

func.func @arange_rank(%x: tensor<?x8xf32>) -> tensor<8x1xi64> {
  // expected-error @+1 {{'graph.arange' op result shape [8, 1] does not match the inferred shape [8]}}
  %0 = graph.arange %x {axis = 1 : i64, start = 0.0 : f64} : (tensor<?x8xf32>) -> tensor<8x1xi64>
  return %0 : tensor<8x1xi64>
}

// -----

func.func @gather_shape(%x: tensor<?x8xf32>, %i: tensor<3xi32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'graph.gather' op result type 'tensor<?x4xf32>' does not match the inferred type 'tensor<?x3xf32>'}}
  %0 = graph.gather %x, %i {axis = 1 : i64} : (tensor<?x8xf32>, tensor<3xi32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @take_along_axis_rank(%x: tensor<?x8xf32>, %i: tensor<3xi32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'graph.take_along_axis' op indices has shape [3]; expected 2 dims (the rank of input)}}
  %0 = graph.take_along_axis %x, %i {axis = 1 : i64} : (tensor<?x8xf32>, tensor<3xi32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @take_along_axis_broadcast(%x: tensor<2x8xf32>, %i: tensor<3x1xi32>) -> tensor<2x1xf32> {
  // expected-error @+1 {{'graph.take_along_axis' op indices has shape [3, 1]; expected dim 0 to broadcast with 2, dim 0 of input [2, 8]}}
  %0 = graph.take_along_axis %x, %i {axis = 1 : i64} : (tensor<2x8xf32>, tensor<3x1xi32>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

func.func @argmax_shape(%x: tensor<?x8xf32>) -> tensor<?x8xi64> {
  // expected-error @+1 {{'graph.argmax' op result type 'tensor<?x8xi64>' does not match the inferred type 'tensor<?xi64>'}}
  %0 = graph.argmax %x {axis = 1 : i64} : tensor<?x8xf32> -> tensor<?x8xi64>
  return %0 : tensor<?x8xi64>
}

// -----

func.func @top_k_range(%x: tensor<?x8xf32>) -> tensor<?x9xf32> {
  // expected-error @+1 {{'graph.top_k' op k = 9 for axis 1 of size 8; expected 1 <= k <= the size of the axis}}
  %0 = graph.top_k %x {axis = 1 : i64, k = 9 : i64} : tensor<?x8xf32> -> tensor<?x9xf32>
  return %0 : tensor<?x9xf32>
}

// -----

func.func @top_k_indices(%x: tensor<?x8xf32>) -> tensor<?x3xi64> {
  // expected-error @+1 {{'graph.top_k' op result 1 shape [?, 3] does not match the inferred shape [?, 2]}}
  %0:2 = graph.top_k %x {axis = 1 : i64, k = 2 : i64} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x3xi64>
  return %0#1 : tensor<?x3xi64>
}

// -----

func.func @cumsum_type(%x: tensor<?x8xi32>) -> tensor<?x8xi32> {
  // expected-error @+1 {{'graph.cumsum' op result type 'tensor<?x8xi32>' does not match the inferred type 'tensor<?x8xi64>'}}
  %0 = graph.cumsum %x {axis = 1 : i64} : (tensor<?x8xi32>) -> tensor<?x8xi32>
  return %0 : tensor<?x8xi32>
}

// -----

func.func @slice_dynamic_empty(%x: tensor<?x8xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{'graph.slice' op empty slice [-2, -3) of axis 0; expected start < end}}
  %0 = graph.slice %x {axis = 0 : i64, start = -2 : i64, end = -3 : i64} : tensor<?x8xf32> -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @cumsum_packed_axis(%x: tensor<2x?xf32>, %o: tensor<3xi32>) -> tensor<2x?xf32> {
  // expected-error @+1 {{'graph.cumsum' op axis 0 with seq_offsets; expected 1, the sequence axis T of input [B, T, ...]}}
  %0 = graph.cumsum %x seq_offsets %o {axis = 0 : i64} : (tensor<2x?xf32>, tensor<3xi32>) -> tensor<2x?xf32>
  return %0 : tensor<2x?xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Fused forms
//===----------------------------------------------------------------------===//

func.func @linear_residual_type(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'graph.linear' op failed to verify that the residual has the result's type}}
  %0 = graph.linear %x, %w residual %x : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<?x8xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @fused_argument_types(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'graph.fused_elementwise' op body arguments must have the types of the inputs}}
  %0 = graph.fused_elementwise %x : (tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<8xf32>):
    graph.yield %a : tensor<8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

func.func @fused_yield_type(%x: tensor<?x8xf32>) -> tensor<?x8xf16> {
  // expected-error @+1 {{'graph.fused_elementwise' op yields 'tensor<?x8xf32>' but the result is 'tensor<?x8xf16>'}}
  %0 = graph.fused_elementwise %x : (tensor<?x8xf32>) -> tensor<?x8xf16> {
  ^bb0(%a: tensor<?x8xf32>):
    graph.yield %a : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf16>
}

// -----

func.func @fused_not_elementwise(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = graph.fused_elementwise %x : (tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>):
    // expected-error @+1 {{'graph.softmax' op cannot be part of a fused elementwise group: only elementwise ops, slices of static axes, concats and transposes that keep the last axis last can}}
    %s = graph.softmax %a {axis = 1 : i64} : tensor<?x8xf32>
    graph.yield %s : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

func.func @fused_transpose_of_lanes(%x: tensor<?x8xf32>) -> tensor<8x?xf32> {
  %0 = graph.fused_elementwise %x : (tensor<?x8xf32>) -> tensor<8x?xf32> {
  ^bb0(%a: tensor<?x8xf32>):
    %e = graph.exp %a : tensor<?x8xf32>
    // expected-error @+1 {{'graph.transpose' op cannot be part of a fused elementwise group}}
    %t = graph.transpose %e {perm = array<i64: 1, 0>} : tensor<?x8xf32> -> tensor<8x?xf32>
    graph.yield %t : tensor<8x?xf32>
  }
  return %0 : tensor<8x?xf32>
}

// -----

func.func @fused_slice_of_dynamic_axis(%x: tensor<?x8xf32>) -> tensor<2x8xf32> {
  %0 = graph.fused_elementwise %x : (tensor<?x8xf32>) -> tensor<2x8xf32> {
  ^bb0(%a: tensor<?x8xf32>):
    // expected-error @+1 {{'graph.slice' op cannot be part of a fused elementwise group}}
    %s = graph.slice %a {axis = 0 : i64, start = 0 : i64, end = 2 : i64} : tensor<?x8xf32> -> tensor<2x8xf32>
    %e = graph.exp %s : tensor<2x8xf32>
    graph.yield %e : tensor<2x8xf32>
  }
  return %0 : tensor<2x8xf32>
}

// -----

func.func @fused_broadcast_inside(%x: tensor<?x8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = graph.fused_elementwise %x, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>, %c: tensor<8xf32>):
    %e = graph.exp %c : tensor<8xf32>
    // expected-error @+1 {{'graph.add' op broadcasts a value computed in the group; only the group's inputs may broadcast}}
    %s = graph.add %a, %e : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
    graph.yield %s : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

func.func @fused_terminator(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'graph.fused_elementwise' op body must end with graph.yield}}
  %0 = graph.fused_elementwise %x : (tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>):
    %e = graph.exp %a : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

func.func @norm_prologue_incomplete(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>, %g: tensor<8xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'graph.linear' op a norm prologue needs `norm`, `norm_weight` and `norm_eps` together}}
  %0 = graph.linear %x, %w norm_weight %g {norm = #graph<norm rms_norm>} : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @norm_prologue_rms_bias(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>, %g: tensor<8xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'graph.linear' op norm_bias needs a layer_norm prologue, got rms_norm}}
  %0 = graph.linear %x, %w norm_weight %g norm_bias %g {norm = #graph<norm rms_norm>, norm_eps = 1.0e-5 : f64} : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @norm_prologue_eps(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>, %g: tensor<8xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'graph.linear' op norm_eps must be positive, got 0}}
  %0 = graph.linear %x, %w norm_weight %g {norm = #graph<norm rms_norm>, norm_eps = 0.0 : f64} : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @norm_prologue_features(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>, %g: tensor<6xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'graph.linear' op norm_weight must have shape [8], got [6]}}
  %0 = graph.linear %x, %w norm_weight %g {norm = #graph<norm layer_norm>, norm_eps = 1.0e-5 : f64} : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<6xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @norm_prologue_type(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>, %g: tensor<8xf16>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'graph.linear' op}}
  %0 = graph.linear %x, %w norm_weight %g {norm = #graph<norm layer_norm>, norm_eps = 1.0e-5 : f64} : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<8xf16>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @rope_epilogue_partial(%x: tensor<?x?x8xf32>, %w: tensor<32x8xf32>) -> tensor<?x?x32xf32> {
  // expected-error @+1 {{'graph.linear' op a rope epilogue needs `rope_head_dim`, `rope_rotary_dim` and `rope_theta` together}}
  %0 = graph.linear %x, %w {rope_head_dim = 16 : i64, rope_theta = 10000.0 : f64} : (tensor<?x?x8xf32>, tensor<32x8xf32>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// -----

func.func @rope_epilogue_rank(%x: tensor<?x8xf32>, %w: tensor<32x8xf32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'graph.linear' op a rope epilogue needs a [batch, seq, heads * head_dim] result, got [?, 32]}}
  %0 = graph.linear %x, %w {rope_head_dim = 16 : i64, rope_rotary_dim = 16 : i64, rope_theta = 10000.0 : f64} : (tensor<?x8xf32>, tensor<32x8xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @rope_epilogue_heads(%x: tensor<?x?x8xf32>, %w: tensor<40x8xf32>) -> tensor<?x?x40xf32> {
  // expected-error @+1 {{'graph.linear' op result features 40 are no multiple of rope_head_dim 16}}
  %0 = graph.linear %x, %w {rope_head_dim = 16 : i64, rope_rotary_dim = 16 : i64, rope_theta = 10000.0 : f64} : (tensor<?x?x8xf32>, tensor<40x8xf32>) -> tensor<?x?x40xf32>
  return %0 : tensor<?x?x40xf32>
}

// -----

func.func @rope_epilogue_rotary(%x: tensor<?x?x8xf32>, %w: tensor<32x8xf32>) -> tensor<?x?x32xf32> {
  // expected-error @+1 {{'graph.linear' op rope_rotary_dim must be even and at most rope_head_dim 16, got 18}}
  %0 = graph.linear %x, %w {rope_head_dim = 16 : i64, rope_rotary_dim = 18 : i64, rope_theta = 10000.0 : f64} : (tensor<?x?x8xf32>, tensor<32x8xf32>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// -----

func.func @rope_epilogue_theta(%x: tensor<?x?x8xf32>, %w: tensor<32x8xf32>) -> tensor<?x?x32xf32> {
  // expected-error @+1 {{'graph.linear' op rope_theta must be positive}}
  %0 = graph.linear %x, %w {rope_head_dim = 16 : i64, rope_rotary_dim = 16 : i64, rope_theta = 0.0 : f64} : (tensor<?x?x8xf32>, tensor<32x8xf32>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// -----

func.func @rope_epilogue_positions(%x: tensor<2x4x8xf32>, %w: tensor<32x8xf32>, %p: tensor<2x5xi32>) -> tensor<2x4x32xf32> {
  // expected-error @+1 {{'graph.linear' op rope_positions must have shape [batch, seq], got [2, 5]}}
  %0 = graph.linear %x, %w rope_positions %p {rope_head_dim = 16 : i64, rope_rotary_dim = 16 : i64, rope_theta = 10000.0 : f64} : (tensor<2x4x8xf32>, tensor<32x8xf32>, tensor<2x5xi32>) -> tensor<2x4x32xf32>
  return %0 : tensor<2x4x32xf32>
}

// -----

func.func @rope_epilogue_head_dim(%x: tensor<?x?x8xf32>, %w: tensor<32x8xf32>) -> tensor<?x?x32xf32> {
  // expected-error @+1 {{'graph.linear' op attribute 'rope_head_dim' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = graph.linear %x, %w {rope_head_dim = 0 : i64, rope_rotary_dim = 16 : i64, rope_theta = 10000.0 : f64} : (tensor<?x?x8xf32>, tensor<32x8xf32>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}
