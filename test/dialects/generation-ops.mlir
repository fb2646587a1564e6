// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// The stateful ops of the prefill and decode entries (docs/compiler.md,
// "Generation") round-trip, with their optional operands present and absent.

// CHECK-LABEL: func.func @decode_attention
func.func @decode_attention(%q: tensor<?x1x4x16xf32>, %k: tensor<?x1x2x16xf32>,
                            %v: tensor<?x1x2x16xf32>, %kc: tensor<?x?x2x16xf32>,
                            %vc: tensor<?x?x2x16xf32>, %ring: tensor<?x8x2x16xf32>,
                            %slots: tensor<?xi64>, %pos: tensor<?xi64>)
    -> (tensor<?x1x4x16xf32>, tensor<?x1x4x16xf32>) {
  // CHECK: attn.decode_attention %{{.*}}, %{{.*}}, %{{.*}} cache %{{.*}}, %{{.*}} slots %{{.*}} positions %{{.*}} {mask = #attn<mask causal>, scale = 2.500000e-01 : f64, softcap = 5.000000e+01 : f64}
  %0 = attn.decode_attention %q, %k, %v cache %kc, %vc slots %slots positions %pos
      {mask = #attn<mask causal>, scale = 0.25 : f64, softcap = 50.0 : f64}
      : (tensor<?x1x4x16xf32>, tensor<?x1x2x16xf32>, tensor<?x1x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x1x4x16xf32>
  // CHECK: attn.decode_attention {{.*}} {mask = #attn<mask sliding_window>, normalizer = #attn<normalizer power>, power = 2 : i64, scale = 2.500000e-01 : f64}
  %1 = attn.decode_attention %q, %k, %v cache %ring, %ring slots %slots positions %pos
      {mask = #attn<mask sliding_window>, normalizer = #attn<normalizer power>, power = 2 : i64, scale = 0.25 : f64}
      : (tensor<?x1x4x16xf32>, tensor<?x1x2x16xf32>, tensor<?x1x2x16xf32>, tensor<?x8x2x16xf32>, tensor<?x8x2x16xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x1x4x16xf32>
  return %0, %1 : tensor<?x1x4x16xf32>, tensor<?x1x4x16xf32>
}

// CHECK-LABEL: func.func @linear_attention_step
func.func @linear_attention_step(%q: tensor<?x?x2x8xf32>, %s: tensor<?x2x8x8xf32>,
                                 %z: tensor<?x2x8xf32>, %slots: tensor<?xi64>)
    -> tensor<?x?x2x8xf32> {
  // CHECK: attn.linear_attention_step %{{.*}}, %{{.*}}, %{{.*}} state %{{.*}}, %{{.*}} slots %{{.*}} {feature_map = #attn<feature_map elu1>, normalize = #attn<normalize denominator>}
  %0 = attn.linear_attention_step %q, %q, %q state %s, %z slots %slots
      {feature_map = #attn<feature_map elu1>, normalize = #attn<normalize denominator>}
      : (tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x2x8x8xf32>, tensor<?x2x8xf32>, tensor<?xi64>) -> tensor<?x?x2x8xf32>
  return %0 : tensor<?x?x2x8xf32>
}

// CHECK-LABEL: func.func @scans
func.func @scans(%u: tensor<?x?x32xf32>, %A: tensor<32x16xf32>,
                 %B: tensor<?x?x16xf32>, %D: tensor<32xf32>,
                 %h: tensor<?x32x16xf32>, %r: tensor<?x32xf32>,
                 %slots: tensor<?xi64>)
    -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>) {
  // CHECK: scan.selective_scan_step %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} state %{{.*}} slots %{{.*}} :
  %0 = scan.selective_scan_step %u, %u, %A, %B, %B state %h slots %slots
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x32x16xf32>, tensor<?xi64>) -> tensor<?x?x32xf32>
  // CHECK: scan.selective_scan_step {{.*}} skip %{{.*}} gate %{{.*}} delta_bias %{{.*}} state %{{.*}} slots %{{.*}} {delta_softplus}
  %1 = scan.selective_scan_step %u, %u, %A, %B, %B skip %D gate %u delta_bias %D state %h slots %slots {delta_softplus}
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<32xf32>, tensor<?x?x32xf32>, tensor<32xf32>, tensor<?x32x16xf32>, tensor<?xi64>) -> tensor<?x?x32xf32>
  // CHECK: scan.linear_recurrence_step %{{.*}}, %{{.*}} state %{{.*}} slots %{{.*}} :
  %2 = scan.linear_recurrence_step %u, %u state %r slots %slots
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x32xf32>, tensor<?xi64>) -> tensor<?x?x32xf32>
  return %0, %1, %2 : tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>
}

// CHECK-LABEL: func.func @conv_and_ring
func.func @conv_and_ring(%x: tensor<?x?x8xf32>, %w: tensor<8x4xf32>,
                         %b: tensor<8xf32>, %s: tensor<?x3x8xf32>,
                         %cache: tensor<?x?x8xf32>, %slots: tensor<?xi64>,
                         %pos: tensor<?xi64>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  // CHECK: graph.conv1d_step %{{.*}}, %{{.*}}, %{{.*}} state %{{.*}} slots %{{.*}} positions %{{.*}} :
  %0 = graph.conv1d_step %x, %w, %b state %s slots %slots positions %pos
      : (tensor<?x?x8xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<?x3x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?x8xf32>
  // CHECK: graph.conv1d_step %{{.*}}, %{{.*}} state
  %1 = graph.conv1d_step %x, %w state %s slots %slots positions %pos
      : (tensor<?x?x8xf32>, tensor<8x4xf32>, tensor<?x3x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?x8xf32>
  // CHECK: graph.ring_store %{{.*}} into %{{.*}} slots %{{.*}} positions %{{.*}} : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?xi64>, tensor<?xi64>
  graph.ring_store %x into %cache slots %slots positions %pos
      : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?xi64>, tensor<?xi64>
  return %0, %1 : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}
