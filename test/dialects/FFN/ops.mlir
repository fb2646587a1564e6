// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// Every ffn op round-trips, with every activation, the optional biases
// present and absent, and static and dynamic dims.

// CHECK-LABEL: func.func @mlp
func.func @mlp(%x: tensor<?x?x64xf32>, %w_in: tensor<256x64xf32>, %b_in: tensor<256xf32>,
               %w_out: tensor<32x256xf32>, %b_out: tensor<32xf32>)
    -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>,
        tensor<?x?x32xf32>, tensor<?x?x32xf32>) {
  // CHECK: ffn.mlp %{{.*}}, %{{.*}} bias %{{.*}}, %{{.*}} bias %{{.*}} {activation = #graph<activation relu>} : (tensor<?x?x64xf32>, tensor<256x64xf32>, tensor<256xf32>, tensor<32x256xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %0 = ffn.mlp %x, %w_in bias %b_in, %w_out bias %b_out {activation = #graph<activation relu>}
      : (tensor<?x?x64xf32>, tensor<256x64xf32>, tensor<256xf32>, tensor<32x256xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  // CHECK: ffn.mlp %{{.*}}, %{{.*}}, %{{.*}} {activation = #graph<activation gelu>} : (tensor<?x?x64xf32>, tensor<256x64xf32>, tensor<32x256xf32>) -> tensor<?x?x32xf32>
  %1 = ffn.mlp %x, %w_in, %w_out {activation = #graph<activation gelu>}
      : (tensor<?x?x64xf32>, tensor<256x64xf32>, tensor<32x256xf32>) -> tensor<?x?x32xf32>
  // CHECK: ffn.mlp %{{.*}}, %{{.*}} bias %{{.*}}, %{{.*}} {activation = #graph<activation gelu_tanh>} : (tensor<?x?x64xf32>, tensor<256x64xf32>, tensor<256xf32>, tensor<32x256xf32>) -> tensor<?x?x32xf32>
  %2 = ffn.mlp %x, %w_in bias %b_in, %w_out {activation = #graph<activation gelu_tanh>}
      : (tensor<?x?x64xf32>, tensor<256x64xf32>, tensor<256xf32>, tensor<32x256xf32>) -> tensor<?x?x32xf32>
  // CHECK: ffn.mlp %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} {activation = #graph<activation silu>} : (tensor<?x?x64xf32>, tensor<256x64xf32>, tensor<32x256xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %3 = ffn.mlp %x, %w_in, %w_out bias %b_out {activation = #graph<activation silu>}
      : (tensor<?x?x64xf32>, tensor<256x64xf32>, tensor<32x256xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  // CHECK: ffn.mlp %{{.*}}, %{{.*}}, %{{.*}} {activation = #graph<activation relu2>}
  %4 = ffn.mlp %x, %w_in, %w_out {activation = #graph<activation relu2>}
      : (tensor<?x?x64xf32>, tensor<256x64xf32>, tensor<32x256xf32>) -> tensor<?x?x32xf32>
  return %0, %1, %2, %3, %4 : tensor<?x?x32xf32>, tensor<?x?x32xf32>,
      tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>
}

// CHECK-LABEL: func.func @mlp_static
func.func @mlp_static(%x: tensor<8xbf16>, %w_in: tensor<16x8xbf16>,
                      %w_out: tensor<8x16xbf16>) -> tensor<8xbf16> {
  // CHECK: ffn.mlp %{{.*}}, %{{.*}}, %{{.*}} {activation = #graph<activation relu>} : (tensor<8xbf16>, tensor<16x8xbf16>, tensor<8x16xbf16>) -> tensor<8xbf16>
  %0 = ffn.mlp %x, %w_in, %w_out {activation = #graph<activation relu>}
      : (tensor<8xbf16>, tensor<16x8xbf16>, tensor<8x16xbf16>) -> tensor<8xbf16>
  return %0 : tensor<8xbf16>
}

// CHECK-LABEL: func.func @glu
func.func @glu(%x: tensor<?x?x64xf16>, %w_gate: tensor<128x64xf16>,
               %w_up: tensor<128x64xf16>, %w_down: tensor<64x128xf16>)
    -> (tensor<?x?x64xf16>, tensor<?x?x64xf16>, tensor<?x?x64xf16>) {
  // CHECK: ffn.glu %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {activation = #graph<activation silu>} : (tensor<?x?x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>) -> tensor<?x?x64xf16>
  %0 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #graph<activation silu>}
      : (tensor<?x?x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>) -> tensor<?x?x64xf16>
  // CHECK: ffn.glu %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {activation = #graph<activation gelu>}
  %1 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #graph<activation gelu>}
      : (tensor<?x?x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>) -> tensor<?x?x64xf16>
  // CHECK: ffn.glu %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {activation = #graph<activation relu>}
  %2 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #graph<activation relu>}
      : (tensor<?x?x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>) -> tensor<?x?x64xf16>
  return %0, %1, %2 : tensor<?x?x64xf16>, tensor<?x?x64xf16>, tensor<?x?x64xf16>
}
