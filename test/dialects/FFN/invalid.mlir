// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of dialects/FFN/IR/FFNOps.cpp, and one per
// weight that the shape messages name. A scalar input once crashed the
// verifiers (ArrayRef::back on an empty shape).

func.func @mlp_rank0(%x: tensor<f32>, %w_in: tensor<16x8xf32>, %w_out: tensor<4x16xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ffn.mlp' op input has shape []; expected at least 1 dims [..., D]}}
  %0 = ffn.mlp %x, %w_in, %w_out {activation = #graph<activation relu>}
      : (tensor<f32>, tensor<16x8xf32>, tensor<4x16xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @mlp_weight_rank(%x: tensor<2x8xf32>, %w_in: tensor<16x8xf32>, %w_out: tensor<64xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'ffn.mlp' op w_out has shape [64]; expected 2 dims [out, in]}}
  %0 = ffn.mlp %x, %w_in, %w_out {activation = #graph<activation relu>}
      : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<64xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @mlp_w_in(%x: tensor<2x8xf32>, %w_in: tensor<16x6xf32>, %w_out: tensor<4x16xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'ffn.mlp' op w_in has shape [16, 6]; expected dim 1 to be 8 (D of input)}}
  %0 = ffn.mlp %x, %w_in, %w_out {activation = #graph<activation relu>}
      : (tensor<2x8xf32>, tensor<16x6xf32>, tensor<4x16xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @mlp_w_out(%x: tensor<2x8xf32>, %w_in: tensor<16x8xf32>, %w_out: tensor<4x12xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'ffn.mlp' op w_out has shape [4, 12]; expected dim 1 to be 16 (rows of w_in)}}
  %0 = ffn.mlp %x, %w_in, %w_out {activation = #graph<activation relu>}
      : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<4x12xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @mlp_b_in(%x: tensor<2x8xf32>, %w_in: tensor<16x8xf32>, %b_in: tensor<4xf32>, %w_out: tensor<4x16xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'ffn.mlp' op b_in has shape [4]; expected dim 0 to be 16 (rows of w_in)}}
  %0 = ffn.mlp %x, %w_in bias %b_in, %w_out {activation = #graph<activation relu>}
      : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<4xf32>, tensor<4x16xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @mlp_b_out(%x: tensor<2x8xf32>, %w_in: tensor<16x8xf32>, %w_out: tensor<4x16xf32>, %b_out: tensor<4x1xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'ffn.mlp' op b_out has shape [4, 1]; expected 1 dims [out]}}
  %0 = ffn.mlp %x, %w_in, %w_out bias %b_out {activation = #graph<activation relu>}
      : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<4x16xf32>, tensor<4x1xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @mlp_element_type(%x: tensor<2x8xf32>, %w_in: tensor<16x8xf32>, %w_out: tensor<4x16xf16>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'ffn.mlp' op requires one element type for all operands and results}}
  %0 = ffn.mlp %x, %w_in, %w_out {activation = #graph<activation relu>}
      : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<4x16xf16>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @mlp_result(%x: tensor<2x8xf32>, %w_in: tensor<16x8xf32>, %w_out: tensor<4x16xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{'ffn.mlp' op result type 'tensor<2x16xf32>' does not match the inferred type 'tensor<2x4xf32>'}}
  %0 = ffn.mlp %x, %w_in, %w_out {activation = #graph<activation relu>}
      : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<4x16xf32>) -> tensor<2x16xf32>
  return %0 : tensor<2x16xf32>
}

// -----

func.func @glu_activation_relu2(%x: tensor<2x8xf32>, %w_gate: tensor<16x8xf32>, %w_up: tensor<16x8xf32>, %w_down: tensor<4x16xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'ffn.glu' op activation must be silu, gelu, relu, gelu_tanh or sigmoid, got relu2}}
  %0 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #graph<activation relu2>}
      : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<4x16xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @glu_rank0(%x: tensor<f32>, %w_gate: tensor<16x8xf32>, %w_up: tensor<16x8xf32>, %w_down: tensor<4x16xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ffn.glu' op input has shape []; expected at least 1 dims [..., D]}}
  %0 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #graph<activation silu>}
      : (tensor<f32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<4x16xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @glu_weight_rank(%x: tensor<2x8xf32>, %w_gate: tensor<16x8x1xf32>, %w_up: tensor<16x8xf32>, %w_down: tensor<4x16xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'ffn.glu' op w_gate has shape [16, 8, 1]; expected 2 dims [out, in]}}
  %0 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #graph<activation silu>}
      : (tensor<2x8xf32>, tensor<16x8x1xf32>, tensor<16x8xf32>, tensor<4x16xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @glu_w_gate(%x: tensor<2x8xf32>, %w_gate: tensor<16x9xf32>, %w_up: tensor<16x8xf32>, %w_down: tensor<4x16xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'ffn.glu' op w_gate has shape [16, 9]; expected dim 1 to be 8 (D of input)}}
  %0 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #graph<activation silu>}
      : (tensor<2x8xf32>, tensor<16x9xf32>, tensor<16x8xf32>, tensor<4x16xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @glu_w_up(%x: tensor<2x8xf32>, %w_gate: tensor<16x8xf32>, %w_up: tensor<12x8xf32>, %w_down: tensor<4x16xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'ffn.glu' op w_up has shape [12, 8]; expected [16, 8], the shape of w_gate}}
  %0 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #graph<activation silu>}
      : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<12x8xf32>, tensor<4x16xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @glu_w_down(%x: tensor<2x8xf32>, %w_gate: tensor<16x8xf32>, %w_up: tensor<16x8xf32>, %w_down: tensor<4x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'ffn.glu' op w_down has shape [4, 8]; expected dim 1 to be 16 (rows of w_gate)}}
  %0 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #graph<activation silu>}
      : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @glu_element_type(%x: tensor<2x8xf32>, %w_gate: tensor<16x8xf32>, %w_up: tensor<16x8xbf16>, %w_down: tensor<4x16xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'ffn.glu' op requires one element type for all operands and results}}
  %0 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #graph<activation silu>}
      : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<16x8xbf16>, tensor<4x16xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @glu_result(%x: tensor<2x8xf32>, %w_gate: tensor<16x8xf32>, %w_up: tensor<16x8xf32>, %w_down: tensor<4x16xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ffn.glu' op result type 'tensor<2x8xf32>' does not match the inferred type 'tensor<2x4xf32>'}}
  %0 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #graph<activation silu>}
      : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<4x16xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @mlp_norm_prologue(%x: tensor<?x8xf32>, %w1: tensor<16x8xf32>, %w2: tensor<8x16xf32>, %g: tensor<16xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'ffn.mlp' op norm_weight must have shape [8], got [16]}}
  %0 = ffn.mlp %x, %w1, %w2 norm_weight %g {activation = #graph<activation relu>, norm = #graph<norm rms_norm>, norm_eps = 1.0e-6 : f64} : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @glu_norm_prologue(%x: tensor<?x8xf32>, %w1: tensor<16x8xf32>, %w2: tensor<8x16xf32>, %g: tensor<8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'ffn.glu' op a norm prologue needs `norm`, `norm_weight` and `norm_eps` together}}
  %0 = ffn.glu %x, %w1, %w1, %w2 norm_weight %g {activation = #graph<activation silu>} : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
