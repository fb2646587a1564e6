// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// Every attn op round-trips, with every mask, normalizer, feature map and
// normalize value, the optional bias and seq_offsets present and absent,
// grouped-query heads, and static and dynamic dims.

// CHECK-LABEL: func.func @masks
func.func @masks(%q: tensor<?x?x4x16xf32>, %k: tensor<?x?x4x16xf32>,
                 %v: tensor<?x?x4x16xf32>) -> (tensor<?x?x4x16xf32>,
    tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>,
    tensor<?x?x4x16xf32>) {
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask none>, scale = 2.500000e-01 : f64} : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask causal>, scale = 2.500000e-01 : f64}
  %1 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64}
      : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask sliding_window>, scale = 2.500000e-01 : f64, window = 8 : i64}
  %2 = attn.attention %q, %k, %v {mask = #attn<mask sliding_window>, window = 8, scale = 0.25 : f64}
      : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {block = 32 : i64, mask = #attn<mask block_diagonal>, scale = 2.500000e-01 : f64}
  %3 = attn.attention %q, %k, %v {mask = #attn<mask block_diagonal>, block = 32, scale = 0.25 : f64}
      : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {block = 32 : i64, causal, mask = #attn<mask block_diagonal>, scale = 2.500000e-01 : f64}
  %4 = attn.attention %q, %k, %v {mask = #attn<mask block_diagonal>, block = 32, causal, scale = 0.25 : f64}
      : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  return %0, %1, %2, %3, %4 : tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>,
      tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>
}

// The default softmax normalizer is elided when printed.
// CHECK-LABEL: func.func @normalizers
func.func @normalizers(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>,
                       %v: tensor<2x8x4x16xf32>)
    -> (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) {
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask causal>, scale = 1.250000e-01 : f64} :
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, normalizer = #attn<normalizer softmax>, scale = 0.125 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask causal>, normalizer = #attn<normalizer power>, power = 4 : i64, scale = 1.250000e-01 : f64}
  %1 = attn.attention %q, %k, %v {mask = #attn<mask causal>, normalizer = #attn<normalizer power>, power = 4, scale = 0.125 : f64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0, %1 : tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>
}

// A soft cap (Gemma 2's logit soft-capping).
// CHECK-LABEL: func.func @softcap
func.func @softcap(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>,
                   %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask sliding_window>, scale = 1.250000e-01 : f64, softcap = 5.000000e+01 : f64, window = 4096 : i64} :
  %0 = attn.attention %q, %k, %v {mask = #attn<mask sliding_window>, scale = 0.125 : f64, softcap = 50.0 : f64, window = 4096 : i64}
      : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %0 : tensor<2x8x4x16xf32>
}

// Grouped-query heads (8 query heads read 2 key/value heads), a value head
// size different from the key's, the optional bias and seq_offsets.
// CHECK-LABEL: func.func @optional_operands
func.func @optional_operands(%q: tensor<1x?x8x16xf16>, %k: tensor<1x?x2x16xf16>,
                             %v: tensor<1x?x2x32xf16>, %bias: tensor<1x8x?x?xf16>,
                             %row_bias: tensor<?xf16>, %offsets: tensor<3xi32>,
                             %offsets64: tensor<?xi64>)
    -> (tensor<1x?x8x32xf16>, tensor<1x?x8x32xf16>, tensor<1x?x8x32xf16>,
        tensor<1x?x8x32xf16>) {
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn<mask none>, scale = 2.500000e-01 : f64} : (tensor<1x?x8x16xf16>, tensor<1x?x2x16xf16>, tensor<1x?x2x32xf16>) -> tensor<1x?x8x32xf16>
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<1x?x8x16xf16>, tensor<1x?x2x16xf16>, tensor<1x?x2x32xf16>) -> tensor<1x?x8x32xf16>
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} {mask = #attn<mask causal>, scale = 2.500000e-01 : f64} : (tensor<1x?x8x16xf16>, tensor<1x?x2x16xf16>, tensor<1x?x2x32xf16>, tensor<1x8x?x?xf16>) -> tensor<1x?x8x32xf16>
  %1 = attn.attention %q, %k, %v bias %bias {mask = #attn<mask causal>, scale = 0.25 : f64}
      : (tensor<1x?x8x16xf16>, tensor<1x?x2x16xf16>, tensor<1x?x2x32xf16>, tensor<1x8x?x?xf16>) -> tensor<1x?x8x32xf16>
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} seq_offsets %{{.*}} {mask = #attn<mask causal>, scale = 2.500000e-01 : f64} : (tensor<1x?x8x16xf16>, tensor<1x?x2x16xf16>, tensor<1x?x2x32xf16>, tensor<3xi32>) -> tensor<1x?x8x32xf16>
  %2 = attn.attention %q, %k, %v seq_offsets %offsets {mask = #attn<mask causal>, scale = 0.25 : f64}
      : (tensor<1x?x8x16xf16>, tensor<1x?x2x16xf16>, tensor<1x?x2x32xf16>, tensor<3xi32>) -> tensor<1x?x8x32xf16>
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} seq_offsets %{{.*}} {mask = #attn<mask none>, scale = -1.000000e+00 : f64} : (tensor<1x?x8x16xf16>, tensor<1x?x2x16xf16>, tensor<1x?x2x32xf16>, tensor<?xf16>, tensor<?xi64>) -> tensor<1x?x8x32xf16>
  %3 = attn.attention %q, %k, %v bias %row_bias seq_offsets %offsets64 {mask = #attn<mask none>, scale = -1.0 : f64}
      : (tensor<1x?x8x16xf16>, tensor<1x?x2x16xf16>, tensor<1x?x2x32xf16>, tensor<?xf16>, tensor<?xi64>) -> tensor<1x?x8x32xf16>
  return %0, %1, %2, %3 : tensor<1x?x8x32xf16>, tensor<1x?x8x32xf16>,
      tensor<1x?x8x32xf16>, tensor<1x?x8x32xf16>
}

// Cross attention: the key sequence has its own length.
// CHECK-LABEL: func.func @cross
func.func @cross(%q: tensor<2x5x4x8xbf16>, %k: tensor<2x7x4x8xbf16>,
                 %v: tensor<2x7x4x8xbf16>) -> tensor<2x5x4x8xbf16> {
  // CHECK: attn.attention {{.*}} : (tensor<2x5x4x8xbf16>, tensor<2x7x4x8xbf16>, tensor<2x7x4x8xbf16>) -> tensor<2x5x4x8xbf16>
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.35 : f64}
      : (tensor<2x5x4x8xbf16>, tensor<2x7x4x8xbf16>, tensor<2x7x4x8xbf16>) -> tensor<2x5x4x8xbf16>
  return %0 : tensor<2x5x4x8xbf16>
}

// CHECK-LABEL: func.func @linear_attention
func.func @linear_attention(%q: tensor<?x?x4x16xf32>, %k: tensor<?x?x4x16xf32>,
                            %v: tensor<?x?x4x32xf32>)
    -> (tensor<?x?x4x32xf32>, tensor<?x?x4x32xf32>, tensor<?x?x4x32xf32>) {
  // CHECK: attn.linear_attention %{{.*}}, %{{.*}}, %{{.*}} {causal, feature_map = #attn<feature_map elu1>, normalize = #attn<normalize denominator>} : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x32xf32>) -> tensor<?x?x4x32xf32>
  %0 = attn.linear_attention %q, %k, %v {causal, feature_map = #attn<feature_map elu1>, normalize = #attn<normalize denominator>}
      : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x32xf32>) -> tensor<?x?x4x32xf32>
  // CHECK: attn.linear_attention %{{.*}}, %{{.*}}, %{{.*}} {feature_map = #attn<feature_map relu>, normalize = #attn<normalize none>}
  %1 = attn.linear_attention %q, %k, %v {feature_map = #attn<feature_map relu>, normalize = #attn<normalize none>}
      : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x32xf32>) -> tensor<?x?x4x32xf32>
  // CHECK: attn.linear_attention %{{.*}}, %{{.*}}, %{{.*}} {causal, feature_map = #attn<feature_map identity>, normalize = #attn<normalize none>}
  %2 = attn.linear_attention %q, %k, %v {causal, feature_map = #attn<feature_map identity>, normalize = #attn<normalize none>}
      : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x32xf32>) -> tensor<?x?x4x32xf32>
  return %0, %1, %2 : tensor<?x?x4x32xf32>, tensor<?x?x4x32xf32>, tensor<?x?x4x32xf32>
}

// CHECK-LABEL: func.func @linear_attention_packed
func.func @linear_attention_packed(%q: tensor<1x?x4x16xf32>, %o: tensor<?xi64>) -> tensor<1x?x4x16xf32> {
  // CHECK: attn.linear_attention %{{.*}}, %{{.*}}, %{{.*}} seq_offsets %{{.*}} {causal
  %0 = attn.linear_attention %q, %q, %q seq_offsets %o {causal, feature_map = #attn<feature_map elu1>, normalize = #attn<normalize denominator>}
      : (tensor<1x?x4x16xf32>, tensor<1x?x4x16xf32>, tensor<1x?x4x16xf32>, tensor<?xi64>) -> tensor<1x?x4x16xf32>
  return %0 : tensor<1x?x4x16xf32>
}
