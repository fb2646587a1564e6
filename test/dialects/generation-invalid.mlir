// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of the generation ops (docs/compiler.md,
// "Generation"): AttnOps.cpp, ScanOps.cpp, GraphOps.cpp and
// verifyGenerationState in ShapeUtils.cpp.

func.func @mask(%q: tensor<2x1x4x16xf32>, %kc: tensor<?x?x4x16xf32>, %i: tensor<2xi64>) -> tensor<2x1x4x16xf32> {
  // expected-error @+1 {{'attn.decode_attention' op decode needs a causal, sliding_window or block_diagonal mask}}
  %0 = attn.decode_attention %q, %q, %q cache %kc, %kc slots %i positions %i {mask = #attn<mask none>, scale = 1.0 : f64}
      : (tensor<2x1x4x16xf32>, tensor<2x1x4x16xf32>, tensor<2x1x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x1x4x16xf32>
  return %0 : tensor<2x1x4x16xf32>
}

// -----

func.func @power(%q: tensor<2x1x4x16xf32>, %kc: tensor<?x?x4x16xf32>, %i: tensor<2xi64>) -> tensor<2x1x4x16xf32> {
  // expected-error @+1 {{'attn.decode_attention' op power is required exactly with the power normalizer}}
  %0 = attn.decode_attention %q, %q, %q cache %kc, %kc slots %i positions %i {mask = #attn<mask causal>, scale = 1.0 : f64, power = 2 : i64}
      : (tensor<2x1x4x16xf32>, tensor<2x1x4x16xf32>, tensor<2x1x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x1x4x16xf32>
  return %0 : tensor<2x1x4x16xf32>
}

// -----

func.func @softcap_power(%q: tensor<2x1x4x16xf32>, %kc: tensor<?x?x4x16xf32>, %i: tensor<2xi64>) -> tensor<2x1x4x16xf32> {
  // expected-error @+1 {{'attn.decode_attention' op softcap is only allowed with the softmax normalizer}}
  %0 = attn.decode_attention %q, %q, %q cache %kc, %kc slots %i positions %i {mask = #attn<mask causal>, normalizer = #attn<normalizer power>, power = 2 : i64, scale = 1.0 : f64, softcap = 50.0 : f64}
      : (tensor<2x1x4x16xf32>, tensor<2x1x4x16xf32>, tensor<2x1x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x1x4x16xf32>
  return %0 : tensor<2x1x4x16xf32>
}

// -----

func.func @cache_heads(%q: tensor<2x1x4x16xf32>, %kc: tensor<?x?x2x16xf32>, %i: tensor<2xi64>) -> tensor<2x1x4x16xf32> {
  // expected-error @+1 {{'attn.decode_attention' op state must have shape [?, ?, 4, 16], got [?, ?, 2, 16]}}
  %0 = attn.decode_attention %q, %q, %q cache %kc, %kc slots %i positions %i {mask = #attn<mask causal>, scale = 1.0 : f64}
      : (tensor<2x1x4x16xf32>, tensor<2x1x4x16xf32>, tensor<2x1x4x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x1x4x16xf32>
  return %0 : tensor<2x1x4x16xf32>
}

// -----

func.func @slots(%q: tensor<2x1x4x16xf32>, %kc: tensor<?x?x4x16xf32>, %i: tensor<3xi64>) -> tensor<2x1x4x16xf32> {
  // expected-error @+1 {{'attn.decode_attention' op slots and positions must be [batch] with batch = 2, got [3]}}
  %0 = attn.decode_attention %q, %q, %q cache %kc, %kc slots %i positions %i {mask = #attn<mask causal>, scale = 1.0 : f64}
      : (tensor<2x1x4x16xf32>, tensor<2x1x4x16xf32>, tensor<2x1x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<3xi64>, tensor<3xi64>) -> tensor<2x1x4x16xf32>
  return %0 : tensor<2x1x4x16xf32>
}

// -----

func.func @linear_attention_state(%q: tensor<?x?x2x8xf32>, %s: tensor<?x2x8x4xf32>, %z: tensor<?x2x8xf32>, %i: tensor<?xi64>) -> tensor<?x?x2x8xf32> {
  // expected-error @+1 {{'attn.linear_attention_step' op state must have shape [?, 2, 8, 8], got [?, 2, 8, 4]}}
  %0 = attn.linear_attention_step %q, %q, %q state %s, %z slots %i {feature_map = #attn<feature_map relu>, normalize = #attn<normalize none>}
      : (tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x2x8x4xf32>, tensor<?x2x8xf32>, tensor<?xi64>) -> tensor<?x?x2x8xf32>
  return %0 : tensor<?x?x2x8xf32>
}

// -----

func.func @scan_rank(%u: tensor<?x32xf32>, %A: tensor<32x16xf32>, %B: tensor<?x?x16xf32>, %h: tensor<?x32x16xf32>, %i: tensor<?xi64>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'scan.selective_scan_step' op u has shape [?, 32]; expected 3 dims [B, T, D]}}
  %0 = scan.selective_scan_step %u, %u, %A, %B, %B state %h slots %i
      : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<32x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x32x16xf32>, tensor<?xi64>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @scan_delta(%u: tensor<?x?x32xf32>, %d: tensor<?x?x16xf32>, %A: tensor<32x16xf32>, %B: tensor<?x?x16xf32>, %h: tensor<?x32x16xf32>, %i: tensor<?xi64>) -> tensor<?x?x32xf32> {
  // expected-error @+1 {{'scan.selective_scan_step' op delta has shape [?, ?, 16]; expected [?, ?, 32], the shape of u}}
  %0 = scan.selective_scan_step %u, %d, %A, %B, %B state %h slots %i
      : (tensor<?x?x32xf32>, tensor<?x?x16xf32>, tensor<32x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x32x16xf32>, tensor<?xi64>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// -----

func.func @scan_state(%u: tensor<?x?x32xf32>, %A: tensor<32x16xf32>, %B: tensor<?x?x16xf32>, %h: tensor<?x16x32xf32>, %i: tensor<?xi64>) -> tensor<?x?x32xf32> {
  // expected-error @+1 {{'scan.selective_scan_step' op state must have shape [?, 32, 16], got [?, 16, 32]}}
  %0 = scan.selective_scan_step %u, %u, %A, %B, %B state %h slots %i
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x16x32xf32>, tensor<?xi64>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// -----

func.func @recurrence_rank(%a: tensor<?x32xf32>, %h: tensor<?x32xf32>, %i: tensor<?xi64>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'scan.linear_recurrence_step' op a has shape [?, 32]; expected 3 dims [B, T, D]}}
  %0 = scan.linear_recurrence_step %a, %a state %h slots %i
      : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi64>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @recurrence_b(%a: tensor<?x?x32xf32>, %b: tensor<?x?x16xf32>, %h: tensor<?x32xf32>, %i: tensor<?xi64>) -> tensor<?x?x32xf32> {
  // expected-error @+1 {{'scan.linear_recurrence_step' op b has shape [?, ?, 16]; expected [?, ?, 32], the shape of a}}
  %0 = scan.linear_recurrence_step %a, %b state %h slots %i
      : (tensor<?x?x32xf32>, tensor<?x?x16xf32>, tensor<?x32xf32>, tensor<?xi64>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// -----

func.func @conv_type(%x: tensor<?x?x8xf32>, %w: tensor<8x4xf32>, %s: tensor<?x3x8xf32>, %i: tensor<?xi64>) -> tensor<?x?x4xf32> {
  // expected-error @+1 {{'graph.conv1d_step' op result type 'tensor<?x?x4xf32>' does not match the inferred type 'tensor<?x?x8xf32>'}}
  %0 = graph.conv1d_step %x, %w state %s slots %i positions %i
      : (tensor<?x?x8xf32>, tensor<8x4xf32>, tensor<?x3x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?x4xf32>
  return %0 : tensor<?x?x4xf32>
}

// -----

func.func @conv_kernel(%x: tensor<?x?x8xf32>, %w: tensor<8x1xf32>, %s: tensor<?x3x8xf32>, %i: tensor<?xi64>) -> tensor<?x?x8xf32> {
  // expected-error @+1 {{'graph.conv1d_step' op weight has shape [8, 1]; expected dim 1, the kernel size K, to be static and at least 2}}
  %0 = graph.conv1d_step %x, %w state %s slots %i positions %i
      : (tensor<?x?x8xf32>, tensor<8x1xf32>, tensor<?x3x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?x8xf32>
  return %0 : tensor<?x?x8xf32>
}

// -----

func.func @ring_rank(%x: tensor<?x?x8xf32>, %s: tensor<?x8xf32>, %i: tensor<?xi64>) {
  // expected-error @+1 {{'graph.ring_store' op state must have shape [?, 8, 8], got [?, 8]}}
  graph.ring_store %x into %s slots %i positions %i : tensor<?x?x8xf32>, tensor<?x8xf32>, tensor<?xi64>, tensor<?xi64>
  return
}

// -----

func.func @ring_values(%x: tensor<8xf32>, %s: tensor<?x8xf32>, %i: tensor<?xi64>) {
  // expected-error @+1 {{'graph.ring_store' op values has shape [8]; expected at least 2 dims [B, T, ...]}}
  graph.ring_store %x into %s slots %i positions %i : tensor<8xf32>, tensor<?x8xf32>, tensor<?xi64>, tensor<?xi64>
  return
}
