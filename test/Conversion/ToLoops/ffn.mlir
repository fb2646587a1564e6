// RUN: kiln-opt %s --kiln-convert-to-loops --reconcile-unrealized-casts | FileCheck %s --implicit-check-not=ffn.

// ffn.mlp and ffn.glu become GEMM loop nests over the rows of the collapsed
// input, with an f32 hidden buffer [rows, hidden] written once: the bias and
// activation (and for GLU the gate product) run in the GEMM epilogues.

// CHECK-LABEL: func.func @mlp
// CHECK-SAME: (%[[X:.*]]: memref<?x?x64xf32>, %[[WIN:.*]]: memref<256x64xf32>, %[[BIN:.*]]: memref<256xf32>, %[[WOUT:.*]]: memref<32x256xf32>, %[[BOUT:.*]]: memref<32xf32>, %[[OUT:.*]]: memref<?x?x32xf32>)
// CHECK: %[[XM:.*]] = memref.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : memref<?x?x64xf32> into memref<?x64xf32>
// CHECK: %[[D0:.*]] = memref.dim %[[X]], %c0
// CHECK: %[[D1:.*]] = memref.dim %[[X]], %c1
// CHECK: %[[Y:.*]] = memref.alloc(%[[D0]], %[[D1]]) {alignment = 64 : i64} : memref<?x?x32xf32>
// CHECK: %[[ROWS:.*]] = memref.dim %[[XM]], %c0
// CHECK: %[[H:.*]] = memref.alloc(%[[ROWS]]) {alignment = 64 : i64} : memref<?x256xf32>
// First GEMM: x · w_inᵀ + b_in, then gelu, into the hidden buffer.
// CHECK: scf.parallel (%[[MB:.*]]) =
// CHECK: scf.for %[[N:.*]] =
// CHECK: %[[M:.*]] = arith.muli %[[MB]], %c4
// CHECK: %[[ACC:.*]]:4 = scf.for {{.*}} iter_args
// CHECK: memref.load %[[WIN]]
// CHECK: memref.load %[[XM]]
// CHECK: %[[BIAS:.*]] = memref.load %[[BIN]][%[[N]]]
// CHECK: %[[PRE:.*]] = arith.addf %[[ACC]]#0, %[[BIAS]]
// CHECK: arith.mulf %[[PRE]]
// CHECK: math.erf
// CHECK: memref.store %{{.*}}, %[[H]][%[[M]], %[[N]]]
// Second GEMM: hidden · w_outᵀ + b_out into the result.
// CHECK: %[[YM:.*]] = memref.collapse_shape %[[Y]] {{\[}}[0, 1], [2]] : memref<?x?x32xf32> into memref<?x32xf32>
// CHECK: scf.parallel (%[[MB2:.*]]) =
// CHECK: scf.for %[[N2:.*]] =
// CHECK: %[[M2:.*]] = arith.muli %[[MB2]], %c4
// CHECK: %[[ACC2:.*]]:4 = scf.for {{.*}} iter_args
// CHECK: memref.load %[[WOUT]]
// CHECK: memref.load %[[H]]
// CHECK: %[[BIAS2:.*]] = memref.load %[[BOUT]][%[[N2]]]
// CHECK: %[[SUM:.*]] = arith.addf %[[ACC2]]#0, %[[BIAS2]]
// CHECK: memref.store %[[SUM]], %[[YM]][%[[M2]], %[[N2]]]
// CHECK: memref.copy %[[Y]], %[[OUT]]
// CHECK-NEXT: return
func.func @mlp(%x: tensor<?x?x64xf32>, %w_in: tensor<256x64xf32>, %b_in: tensor<256xf32>,
               %w_out: tensor<32x256xf32>, %b_out: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %0 = ffn.mlp %x, %w_in bias %b_in, %w_out bias %b_out {activation = #ffn<activation gelu>}
      : (tensor<?x?x64xf32>, tensor<256x64xf32>, tensor<256xf32>, tensor<32x256xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// Without biases the epilogues apply only the activation: relu2 = relu(x)².
// CHECK-LABEL: func.func @mlp_relu2
// CHECK: %[[ACC:.*]]:4 = scf.for
// CHECK: scf.yield
// CHECK-NEXT: }
// CHECK-NOT: memref.load
// CHECK: %[[POS:.*]] = arith.cmpf ogt, %[[ACC]]#0
// CHECK-NEXT: %[[R:.*]] = arith.select %[[POS]], %[[ACC]]#0
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[R]], %[[R]]
// CHECK-NEXT: memref.store %[[SQ]]
// CHECK: %[[ACC2:.*]]:4 = scf.for
// CHECK: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: memref.store %[[ACC2]]#0
func.func @mlp_relu2(%x: tensor<4x16xf32>, %w_in: tensor<32x16xf32>,
                     %w_out: tensor<16x32xf32>) -> tensor<4x16xf32> {
  %0 = ffn.mlp %x, %w_in, %w_out {activation = #ffn<activation relu2>}
      : (tensor<4x16xf32>, tensor<32x16xf32>, tensor<16x32xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @mlp_gelu_tanh_silu
// CHECK: math.tanh
// CHECK-NOT: math.erf
// CHECK: arith.negf
// CHECK: math.exp
func.func @mlp_gelu_tanh_silu(%x: tensor<4x16xf32>, %w_in: tensor<32x16xf32>,
                              %w_out: tensor<16x32xf32>) -> tensor<4x16xf32> {
  %0 = ffn.mlp %x, %w_in, %w_out {activation = #ffn<activation gelu_tanh>}
      : (tensor<4x16xf32>, tensor<32x16xf32>, tensor<16x32xf32>) -> tensor<4x16xf32>
  %1 = ffn.mlp %0, %w_in, %w_out {activation = #ffn<activation silu>}
      : (tensor<4x16xf32>, tensor<32x16xf32>, tensor<16x32xf32>) -> tensor<4x16xf32>
  return %1 : tensor<4x16xf32>
}

// SwiGLU: silu(x · w_gateᵀ) into the hidden buffer, then the up projection
// multiplied into it in place, then the down projection.
// CHECK-LABEL: func.func @glu
// CHECK-SAME: (%[[X:.*]]: memref<?x?x64xf32>, %[[WG:.*]]: memref<128x64xf32>, %[[WU:.*]]: memref<128x64xf32>, %[[WD:.*]]: memref<64x128xf32>, %[[OUT:.*]]: memref<?x?x64xf32>)
// CHECK: %[[Y:.*]] = memref.alloc(%{{.*}}, %{{.*}}) {alignment = 64 : i64} : memref<?x?x64xf32>
// CHECK: %[[H:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x128xf32>
// Each GEMM is a parallel loop over 4-row blocks, then one over the
// remaining rows.
// CHECK: scf.parallel
// CHECK: %[[G:.*]]:4 = scf.for
// CHECK: memref.load %[[WG]]
// CHECK: arith.negf %[[G]]#0
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: %[[SILU:.*]] = arith.mulf %[[G]]#0
// CHECK: memref.store %[[SILU]], %[[H]][%[[M:.*]], %[[N:.*]]]
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: %[[U:.*]]:4 = scf.for
// CHECK: memref.load %[[WU]]
// CHECK: %[[GATE:.*]] = memref.load %[[H]][%[[M2:.*]], %[[N2:.*]]]
// CHECK: %[[PROD:.*]] = arith.mulf %[[U]]#0, %[[GATE]]
// CHECK: memref.store %[[PROD]], %[[H]][%[[M2]], %[[N2]]]
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: %[[D:.*]]:4 = scf.for
// CHECK: memref.load %[[WD]]
// CHECK: memref.load %[[H]]
// CHECK: memref.store %[[D]]#0
// CHECK: memref.copy %[[Y]], %[[OUT]]
func.func @glu(%x: tensor<?x?x64xf32>, %w_gate: tensor<128x64xf32>,
               %w_up: tensor<128x64xf32>, %w_down: tensor<64x128xf32>) -> tensor<?x?x64xf32> {
  %0 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #ffn<activation silu>}
      : (tensor<?x?x64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// GeGLU and ReGLU differ only in the gate's activation.
// CHECK-LABEL: func.func @glu_gelu_relu
// CHECK: math.erf
// CHECK: arith.cmpf ogt
// CHECK: arith.select
func.func @glu_gelu_relu(%x: tensor<4x16xf16>, %w_gate: tensor<32x16xf16>,
                         %w_up: tensor<32x16xf16>, %w_down: tensor<16x32xf16>) -> tensor<4x16xf16> {
  %0 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #ffn<activation gelu>}
      : (tensor<4x16xf16>, tensor<32x16xf16>, tensor<32x16xf16>, tensor<16x32xf16>) -> tensor<4x16xf16>
  %1 = ffn.glu %0, %w_gate, %w_up, %w_down {activation = #ffn<activation relu>}
      : (tensor<4x16xf16>, tensor<32x16xf16>, tensor<32x16xf16>, tensor<16x32xf16>) -> tensor<4x16xf16>
  return %1 : tensor<4x16xf16>
}
