// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of dialects/Scan/IR/ScanOps.cpp, and one per
// operand that the shape message names.

func.func @element_type(%u: tensor<2x8x4xf32>, %delta: tensor<2x8x4xf32>, %A: tensor<4x3xf16>, %B: tensor<2x8x3xf32>, %C: tensor<2x8x3xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.selective_scan' op requires one element type for all operands and results}}
  %0 = scan.selective_scan %u, %delta, %A, %B, %C
      : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4x3xf16>, tensor<2x8x3xf32>, tensor<2x8x3xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @result_element_type(%u: tensor<2x8x4xf32>, %delta: tensor<2x8x4xf32>, %A: tensor<4x3xf32>, %B: tensor<2x8x3xf32>, %C: tensor<2x8x3xf32>) -> tensor<2x8x4xbf16> {
  // expected-error @+1 {{'scan.selective_scan' op requires one element type for all operands and results}}
  %0 = scan.selective_scan %u, %delta, %A, %B, %C
      : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<2x8x3xf32>, tensor<2x8x3xf32>) -> tensor<2x8x4xbf16>
  return %0 : tensor<2x8x4xbf16>
}

// -----

func.func @u_rank(%u: tensor<2x8xf32>, %delta: tensor<2x8x4xf32>, %A: tensor<4x3xf32>, %B: tensor<2x8x3xf32>, %C: tensor<2x8x3xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.selective_scan' op u has shape [2, 8]; expected 3 dims [B, T, D]}}
  %0 = scan.selective_scan %u, %delta, %A, %B, %C
      : (tensor<2x8xf32>, tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<2x8x3xf32>, tensor<2x8x3xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @A_rank(%u: tensor<2x8x4xf32>, %delta: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x3xf32>, %C: tensor<2x8x3xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.selective_scan' op A has shape [4]; expected 2 dims [D, N]}}
  %0 = scan.selective_scan %u, %delta, %A, %B, %C
      : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4xf32>, tensor<2x8x3xf32>, tensor<2x8x3xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @delta_shape(%u: tensor<2x8x4xf32>, %delta: tensor<2x7x4xf32>, %A: tensor<4x3xf32>, %B: tensor<2x8x3xf32>, %C: tensor<2x8x3xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.selective_scan' op delta has shape [2, 7, 4]; expected [2, 8, 4], the shape of u}}
  %0 = scan.selective_scan %u, %delta, %A, %B, %C
      : (tensor<2x8x4xf32>, tensor<2x7x4xf32>, tensor<4x3xf32>, tensor<2x8x3xf32>, tensor<2x8x3xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @A_channels(%u: tensor<2x8x4xf32>, %delta: tensor<2x8x4xf32>, %A: tensor<5x3xf32>, %B: tensor<2x8x3xf32>, %C: tensor<2x8x3xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.selective_scan' op A has shape [5, 3]; expected dim 0 to be 4 (D of u)}}
  %0 = scan.selective_scan %u, %delta, %A, %B, %C
      : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<5x3xf32>, tensor<2x8x3xf32>, tensor<2x8x3xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @B_shape(%u: tensor<2x8x4xf32>, %delta: tensor<2x8x4xf32>, %A: tensor<4x3xf32>, %B: tensor<2x8x4xf32>, %C: tensor<2x8x3xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.selective_scan' op B has shape [2, 8, 4]; expected dim 2 to be 3 (N of A)}}
  %0 = scan.selective_scan %u, %delta, %A, %B, %C
      : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<2x8x4xf32>, tensor<2x8x3xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @C_shape(%u: tensor<2x8x4xf32>, %delta: tensor<2x8x4xf32>, %A: tensor<4x3xf32>, %B: tensor<2x8x3xf32>, %C: tensor<1x8x3xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.selective_scan' op C has shape [1, 8, 3]; expected [2, 8, 3], the shape of B}}
  %0 = scan.selective_scan %u, %delta, %A, %B, %C
      : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<2x8x3xf32>, tensor<1x8x3xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @D_shape(%u: tensor<2x8x4xf32>, %delta: tensor<2x8x4xf32>, %A: tensor<4x3xf32>, %B: tensor<2x8x3xf32>, %C: tensor<2x8x3xf32>, %D: tensor<3xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.selective_scan' op D has shape [3]; expected dim 0 to be 4 (D of u)}}
  %0 = scan.selective_scan %u, %delta, %A, %B, %C D %D
      : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<2x8x3xf32>, tensor<2x8x3xf32>, tensor<3xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @z_shape(%u: tensor<2x8x4xf32>, %delta: tensor<2x8x4xf32>, %A: tensor<4x3xf32>, %B: tensor<2x8x3xf32>, %C: tensor<2x8x3xf32>, %z: tensor<2x8x1xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.selective_scan' op z has shape [2, 8, 1]; expected [2, 8, 4], the shape of u}}
  %0 = scan.selective_scan %u, %delta, %A, %B, %C z %z
      : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<2x8x3xf32>, tensor<2x8x3xf32>, tensor<2x8x1xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @delta_bias_shape(%u: tensor<2x8x4xf32>, %delta: tensor<2x8x4xf32>, %A: tensor<4x3xf32>, %B: tensor<2x8x3xf32>, %C: tensor<2x8x3xf32>, %delta_bias: tensor<1x4xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.selective_scan' op delta_bias has shape [1, 4]; expected 1 dims [D]}}
  %0 = scan.selective_scan %u, %delta, %A, %B, %C delta_bias %delta_bias
      : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<2x8x3xf32>, tensor<2x8x3xf32>, tensor<1x4xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @y_shape(%u: tensor<2x8x4xf32>, %delta: tensor<2x8x4xf32>, %A: tensor<4x3xf32>, %B: tensor<2x8x3xf32>, %C: tensor<2x8x3xf32>) -> tensor<2x8x3xf32> {
  // expected-error @+1 {{'scan.selective_scan' op result 0 shape [2, 8, 3] does not match the inferred shape [2, 8, 4]}}
  %0 = scan.selective_scan %u, %delta, %A, %B, %C
      : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<2x8x3xf32>, tensor<2x8x3xf32>) -> tensor<2x8x3xf32>
  return %0 : tensor<2x8x3xf32>
}

// -----

func.func @final_state_shape(%u: tensor<2x8x4xf32>, %delta: tensor<2x8x4xf32>, %A: tensor<4x3xf32>, %B: tensor<2x8x3xf32>, %C: tensor<2x8x3xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.selective_scan' op result 1 shape [2, 3, 4] does not match the inferred shape [2, 4, 3]}}
  %0:2 = scan.selective_scan %u, %delta, %A, %B, %C
      : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<2x8x3xf32>, tensor<2x8x3xf32>) -> (tensor<2x8x4xf32>, tensor<2x3x4xf32>)
  return %0#0 : tensor<2x8x4xf32>
}

// -----

func.func @recurrence_element_type(%a: tensor<2x8x4xf32>, %b: tensor<2x8x4xf16>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.linear_recurrence' op requires one element type for all operands and results}}
  %0 = scan.linear_recurrence %a, %b : (tensor<2x8x4xf32>, tensor<2x8x4xf16>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @recurrence_rank(%a: tensor<8x4xf32>, %b: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.linear_recurrence' op a has shape [8, 4]; expected 3 dims [B, T, D]}}
  %0 = scan.linear_recurrence %a, %b : (tensor<8x4xf32>, tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @recurrence_b(%a: tensor<2x8x4xf32>, %b: tensor<2x8x5xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.linear_recurrence' op b has shape [2, 8, 5]; expected [2, 8, 4], the shape of a}}
  %0 = scan.linear_recurrence %a, %b : (tensor<2x8x4xf32>, tensor<2x8x5xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @recurrence_result(%a: tensor<2x8x4xf32>, %b: tensor<2x8x4xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'scan.linear_recurrence' op result type 'tensor<2x4x8xf32>' does not match the inferred type 'tensor<2x8x4xf32>'}}
  %0 = scan.linear_recurrence %a, %b : (tensor<2x8x4xf32>, tensor<2x8x4xf32>) -> tensor<2x4x8xf32>
  return %0 : tensor<2x4x8xf32>
}

// -----

func.func @recurrence_h0(%a: tensor<2x8x4xf32>, %b: tensor<2x8x4xf32>, %h0: tensor<2x8xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.linear_recurrence' op h0 has shape [2, 8]; expected dim 1 to be 4 (D of a)}}
  %0 = scan.linear_recurrence %a, %b init %h0 : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @scan_packed_state(%u: tensor<1x8x4xf32>, %A: tensor<4x2xf32>, %B: tensor<1x8x2xf32>,
                             %o: tensor<3xi32>) -> tensor<1x4x2xf32> {
  // expected-error @+1 {{'scan.selective_scan' op has no final state with seq_offsets (one state per batch row cannot hold one per sequence)}}
  %0:2 = scan.selective_scan %u, %u, %A, %B, %B seq_offsets %o
      : (tensor<1x8x4xf32>, tensor<1x8x4xf32>, tensor<4x2xf32>, tensor<1x8x2xf32>, tensor<1x8x2xf32>, tensor<3xi32>) -> (tensor<1x8x4xf32>, tensor<1x4x2xf32>)
  return %0#1 : tensor<1x4x2xf32>
}

// -----

func.func @recurrence_offsets_rank(%a: tensor<2x8x4xf32>, %o: tensor<3x1xi32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'scan.linear_recurrence' op seq_offsets has shape [3, 1]; expected 1 dims [N + 1]}}
  %0 = scan.linear_recurrence %a, %a seq_offsets %o : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<3x1xi32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}
