// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of dialects/Attn/IR/AttnOps.cpp (and the
// corner cases that once crashed or slipped through: zero key/value heads, a
// query batch checked against the value's only through a dynamic key).

func.func @rank(%q: tensor<2x8x64xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op query has shape [2, 8, 64]; expected 4 dims [B, T, H, D]}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x64xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @element_type(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf16>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op query, key, value and result must share one element type}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf16>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @result_element_type(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xbf16> {
  // expected-error @+1 {{'attn.attention' op query, key, value and result must share one element type}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xbf16>
  return %0 : tensor<2x8x4x16xbf16>
}

// -----

func.func @batch(%q: tensor<2x8x4x16xf32>, %k: tensor<3x8x4x16xf32>, %v: tensor<3x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op key has shape [3, 8, 4, 16]; expected dim 0 to be 2 (B of query)}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<3x8x4x16xf32>, tensor<3x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @batch_query_value(%q: tensor<2x8x4x16xf32>, %k: tensor<?x8x4x16xf32>, %v: tensor<3x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op value has shape [3, 8, 4, 16]; expected dim 0 to be 2 (B of query)}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<?x8x4x16xf32>, tensor<3x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @key_value_seq(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x6x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op value has shape [2, 6, 4, 16]; expected dim 1 to be 8 (S of key)}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x6x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @head_dim(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x8xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op key has shape [2, 8, 4, 8]; expected dim 3 to be 16 (D of query)}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x8xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @groups(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x3x16xf32>, %v: tensor<2x8x3x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op key has 3 heads and query has 4; expected the heads of query to be a multiple of the heads of key and value (GQA)}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x3x16xf32>, tensor<2x8x3x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @zero_kv_heads(%q: tensor<2x8x?x16xf32>, %k: tensor<2x8x0x16xf32>, %v: tensor<2x8x0x16xf32>) -> tensor<2x8x?x16xf32> {
  // expected-error @+1 {{'attn.attention' op key has 0 heads; expected a positive number of heads}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x?x16xf32>, tensor<2x8x0x16xf32>, tensor<2x8x0x16xf32>) -> tensor<2x8x?x16xf32>
  return %0 : tensor<2x8x?x16xf32>
}

// -----

func.func @result(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x32xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op result type 'tensor<2x8x4x16xf32>' does not match the inferred type 'tensor<2x8x4x32xf32>'}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x32xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @scale_zero(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op scale must be non-zero and finite in f32, got 0}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.0 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @scale_nan(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op scale must be non-zero and finite in f32, got nan}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0x7FF8000000000000 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

// The kernels scale f32 scores: a scale beyond f32's range would make every
// score infinite.
func.func @scale_beyond_f32(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op scale must be non-zero and finite in f32, got 1.000000e+300}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 1.0e+300 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @window_missing(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op window is required by, and only allowed with, the sliding_window mask}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask sliding_window>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @window_extra(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op window is required by, and only allowed with, the sliding_window mask}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, window = 4, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @block_missing(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op block is required by, and only allowed with, the block_diagonal mask}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask block_diagonal>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @block_extra(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op block is required by, and only allowed with, the block_diagonal mask}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, block = 4, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @causal_modifier(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op causal is a modifier of the block_diagonal mask}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, causal, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @window_positive(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op window must be positive, got -2}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask sliding_window>, window = -2, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @block_positive(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op block must be positive, got 0}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask block_diagonal>, block = 0, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @power_missing(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op power is required by, and only allowed with, the power normalizer}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, normalizer = #attn<normalizer power>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @power_extra(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op power is required by, and only allowed with, the power normalizer}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, power = 2, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @softcap_power(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op softcap is only allowed with the softmax normalizer}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, normalizer = #attn<normalizer power>, power = 2, scale = 0.25 : f64, softcap = 30.0 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @softcap_not_positive(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op attribute 'softcap' failed to satisfy constraint: 64-bit float attribute whose value is from 1.2e-38 to 1e38}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64, softcap = 0.0 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

// Below the smallest normal f32 the kernels' 1 / softcap would overflow.
func.func @softcap_tiny(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op attribute 'softcap' failed to satisfy constraint: 64-bit float attribute whose value is from 1.2e-38 to 1e38}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64, softcap = 1.0e-39 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @power_odd(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op power must be a positive even integer, got 3}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, normalizer = #attn<normalizer power>, power = 3, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @power_negative(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op power must be a positive even integer, got -2}}
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, normalizer = #attn<normalizer power>, power = -2, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @bias_shape(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>, %x0: tensor<2x4x8x7xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op bias has shape [2, 4, 8, 7]; expected a shape broadcastable to the scores [batch, heads, seq, key_seq] = [2, 4, 8, 8]}}
  %0 = attn.attention %q, %k, %v bias %x0 {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x4x8x7xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @bias_rank(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>, %x0: tensor<1x2x4x8x8xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op bias has shape [1, 2, 4, 8, 8]; expected a shape broadcastable to the scores [batch, heads, seq, key_seq] = [2, 4, 8, 8]}}
  %0 = attn.attention %q, %k, %v bias %x0 {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<1x2x4x8x8xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @bias_grows(%q: tensor<1x8x4x16xf32>, %k: tensor<1x8x4x16xf32>, %v: tensor<1x8x4x16xf32>, %x0: tensor<2x4x8x8xf32>) -> tensor<1x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op bias has shape [2, 4, 8, 8]; expected a shape broadcastable to the scores [batch, heads, seq, key_seq] = [1, 4, 8, 8]}}
  %0 = attn.attention %q, %k, %v bias %x0 {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<1x8x4x16xf32>, tensor<1x8x4x16xf32>, tensor<1x8x4x16xf32>, tensor<2x4x8x8xf32>) -> tensor<1x8x4x16xf32>
  return %0 : tensor<1x8x4x16xf32>
}

// -----

func.func @bias_element_type(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>, %x0: tensor<8xf16>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op bias element type must match the query's}}
  %0 = attn.attention %q, %k, %v bias %x0 {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<8xf16>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @seq_offsets_rank(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>, %x0: tensor<2x3xi32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.attention' op seq_offsets has shape [2, 3]; expected 1 dims [N + 1]}}
  %0 = attn.attention %q, %k, %v seq_offsets %x0 {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x3xi32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @linear_rank(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x64xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.linear_attention' op key has shape [2, 8, 64]; expected 4 dims [B, T, H, D]}}
  %0 = attn.linear_attention %q, %k, %v {feature_map = #attn<feature_map relu>, normalize = #attn<normalize none>}
      : (tensor<2x8x4x16xf32>, tensor<2x8x64xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @linear_element_type(%q: tensor<2x8x4x16xf16>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.linear_attention' op query, key, value and result must share one element type}}
  %0 = attn.linear_attention %q, %k, %v {feature_map = #attn<feature_map relu>, normalize = #attn<normalize none>}
      : (tensor<2x8x4x16xf16>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @linear_heads(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x2x16xf32>, %v: tensor<2x8x2x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.linear_attention' op key has 2 heads and query has 4; expected the heads of query to equal the heads of key and value}}
  %0 = attn.linear_attention %q, %k, %v {feature_map = #attn<feature_map relu>, normalize = #attn<normalize none>}
      : (tensor<2x8x4x16xf32>, tensor<2x8x2x16xf32>, tensor<2x8x2x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @linear_result(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x8xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.linear_attention' op result type 'tensor<2x8x4x16xf32>' does not match the inferred type 'tensor<2x8x4x8xf32>'}}
  %0 = attn.linear_attention %q, %k, %v {feature_map = #attn<feature_map relu>, normalize = #attn<normalize none>}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x8xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// -----

func.func @linear_attention_packed_cross(%q: tensor<2x8x4x16xf32>, %k: tensor<2x6x4x16xf32>,
                                         %o: tensor<3xi32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'attn.linear_attention' op with seq_offsets, queries and keys must be the same tokens}}
  %0 = attn.linear_attention %q, %k, %k seq_offsets %o {feature_map = #attn<feature_map relu>, normalize = #attn<normalize none>}
      : (tensor<2x8x4x16xf32>, tensor<2x6x4x16xf32>, tensor<2x6x4x16xf32>, tensor<3xi32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}
