// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=16 --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --implicit-check-not=ffn.

// ffn.mlp and ffn.glu run the register-tiled GEMM of gemm.mlir over the
// rows of the collapsed input, with an f32 hidden buffer [rows, hidden]
// written once: the bias and activation (and for GLU the gate product) are
// applied to the accumulators in the epilogue, one loop over a tile's rows
// reading them back from the tile scratch.

// CHECK-LABEL: func.func @mlp
// CHECK-SAME: (%[[X:.*]]: memref<?x?x64xf32>, %[[WIN:.*]]: memref<256x64xf32>, %[[BIN:.*]]: memref<256xf32>, %[[WOUT:.*]]: memref<32x256xf32>, %[[BOUT:.*]]: memref<32xf32>, %[[OUT:.*]]: memref<?x?x32xf32>)
// The result is the out-parameter itself: no buffer of its own.
// CHECK-NOT: memref.alloc{{.*}} : memref<?x?x32xf32>
// CHECK: %[[H:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x256xf32>
// First GEMM: x · w_inᵀ + b_in, then gelu on the registers, into hidden.
// CHECK: %[[PIN:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x64x32xf32>
// CHECK: memref.load %[[WIN]]
// CHECK: scf.parallel
// CHECK: %[[TILE:.*]] = memref.alloca() : memref<12x32xf32>
// CHECK: %[[ACC:.*]]:16 = scf.for {{.*}} iter_args
// CHECK: vector.load %[[PIN]]
// CHECK: vector.store %[[ACC]]#0, %[[TILE]]
// CHECK: scf.for
// CHECK: %[[ROW:.*]] = vector.load %[[TILE]]
// CHECK: %[[BIAS:.*]] = vector.maskedload %[[BIN]]
// CHECK: %[[PRE:.*]] = arith.addf %[[ROW]], %[[BIAS]] : vector<16xf32>
// CHECK: arith.mulf %[[PRE]]
// CHECK: math.erf %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %[[H]]
// Second GEMM: hidden · w_outᵀ + b_out straight into the out-parameter
// (collapsed to [rows, 32]), with no copy after. Its one panel covers
// N = 32 exactly, so canonicalization drops the masks.
// CHECK: %[[YM:.*]] = memref.collapse_shape %[[OUT]]
// CHECK: %[[POUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x256x32xf32>
// CHECK: memref.load %[[WOUT]]
// CHECK: scf.parallel
// CHECK: %[[ACC2:.*]]:16 = scf.for {{.*}} iter_args
// CHECK: vector.load %[[POUT]]
// CHECK: memref.load %[[H]]
// CHECK: scf.for
// CHECK: %[[ROW2:.*]] = vector.load
// CHECK: %[[BIAS2:.*]] = vector.load %[[BOUT]]
// CHECK: %[[SUM:.*]] = arith.addf %[[ROW2]], %[[BIAS2]]
// CHECK: vector.store %[[SUM]], %[[YM]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @mlp(%x: tensor<?x?x64xf32>, %w_in: tensor<256x64xf32>, %b_in: tensor<256xf32>,
               %w_out: tensor<32x256xf32>, %b_out: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %0 = ffn.mlp %x, %w_in bias %b_in, %w_out bias %b_out {activation = #graph<activation gelu>}
      : (tensor<?x?x64xf32>, tensor<256x64xf32>, tensor<256xf32>, tensor<32x256xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// Without biases the epilogues apply only the activation: relu2 = relu(x)²
// on the accumulators themselves.
// CHECK-LABEL: func.func @mlp_relu2
// CHECK: %[[ACC:.*]]:8 = scf.for
// CHECK: scf.for
// CHECK-NEXT: %[[ROW:.*]] = vector.load
// CHECK-NEXT: vector.load
// CHECK-NEXT: %[[POS:.*]] = arith.cmpf ugt, %[[ROW]]
// CHECK-NEXT: %[[R:.*]] = arith.select %[[POS]], %[[ROW]]
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[R]], %[[R]] : vector<16xf32>
// CHECK: vector.{{(masked)?}}store {{.*}}%[[SQ]]
func.func @mlp_relu2(%x: tensor<4x16xf32>, %w_in: tensor<32x16xf32>,
                     %w_out: tensor<16x32xf32>) -> tensor<4x16xf32> {
  %0 = ffn.mlp %x, %w_in, %w_out {activation = #graph<activation relu2>}
      : (tensor<4x16xf32>, tensor<32x16xf32>, tensor<16x32xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @mlp_gelu_tanh_silu
// CHECK: math.tanh %{{.*}} : vector<16xf32>
// CHECK-NOT: math.erf
// CHECK: arith.negf
// CHECK: math.exp %{{.*}} : vector<16xf32>
func.func @mlp_gelu_tanh_silu(%x: tensor<4x16xf32>, %w_in: tensor<32x16xf32>,
                              %w_out: tensor<16x32xf32>) -> tensor<4x16xf32> {
  %0 = ffn.mlp %x, %w_in, %w_out {activation = #graph<activation gelu_tanh>}
      : (tensor<4x16xf32>, tensor<32x16xf32>, tensor<16x32xf32>) -> tensor<4x16xf32>
  %1 = ffn.mlp %0, %w_in, %w_out {activation = #graph<activation silu>}
      : (tensor<4x16xf32>, tensor<32x16xf32>, tensor<16x32xf32>) -> tensor<4x16xf32>
  return %1 : tensor<4x16xf32>
}

// SwiGLU: the gate and up weights are packed together, each panel holding
// 16 gate columns then the same 16 up columns, so one GEMM yields both and
// silu(gate) · up is formed in registers; then the down projection,
// straight into the out-parameter.
// CHECK-LABEL: func.func @glu
// CHECK-SAME: (%[[X:.*]]: memref<?x?x64xf32>, %[[WG:.*]]: memref<128x64xf32>, %[[WU:.*]]: memref<128x64xf32>, %[[WD:.*]]: memref<64x128xf32>, %[[OUT:.*]]: memref<?x?x64xf32>)
// CHECK-NOT: memref.alloc{{.*}} : memref<?x?x64xf32>
// CHECK: %[[H:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x128xf32>
// CHECK: %[[PGU:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x64x32xf32>
// CHECK: memref.load %[[WG]]
// CHECK: memref.store %{{.*}}, %[[PGU]]
// CHECK: memref.load %[[WU]]
// CHECK: memref.store %{{.*}}, %[[PGU]]
// CHECK: %[[G:.*]]:16 = scf.for
// CHECK: vector.load %[[PGU]]
// CHECK: scf.for
// CHECK: %[[GATE:.*]] = vector.load
// CHECK: %[[UP:.*]] = vector.load
// CHECK: arith.negf %[[GATE]]
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: %[[SILU:.*]] = arith.mulf %[[GATE]]
// CHECK: %[[GATED:.*]] = arith.mulf %[[SILU]], %[[UP]]
// CHECK: vector.maskedstore %[[H]][{{.*}}], %{{.*}}, %[[GATED]]
// CHECK: %[[YM:.*]] = memref.collapse_shape %[[OUT]]
// CHECK: %[[PD:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x128x32xf32>
// CHECK: memref.load %[[WD]]
// CHECK: %[[D:.*]]:16 = scf.for
// CHECK: vector.load %[[PD]]
// CHECK: memref.load %[[H]]
// CHECK: vector.store %[[D]]#0
// CHECK: vector.maskedstore %[[YM]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @glu(%x: tensor<?x?x64xf32>, %w_gate: tensor<128x64xf32>,
               %w_up: tensor<128x64xf32>, %w_down: tensor<64x128xf32>) -> tensor<?x?x64xf32> {
  %0 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #graph<activation silu>}
      : (tensor<?x?x64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// GeGLU and ReGLU differ only in the gate's activation.
// CHECK-LABEL: func.func @glu_gelu_relu
// CHECK: math.erf
// CHECK: arith.cmpf ugt
// CHECK: arith.select
func.func @glu_gelu_relu(%x: tensor<4x16xf16>, %w_gate: tensor<32x16xf16>,
                         %w_up: tensor<32x16xf16>, %w_down: tensor<16x32xf16>) -> tensor<4x16xf16> {
  %0 = ffn.glu %x, %w_gate, %w_up, %w_down {activation = #graph<activation gelu>}
      : (tensor<4x16xf16>, tensor<32x16xf16>, tensor<32x16xf16>, tensor<16x32xf16>) -> tensor<4x16xf16>
  %1 = ffn.glu %0, %w_gate, %w_up, %w_down {activation = #graph<activation relu>}
      : (tensor<4x16xf16>, tensor<32x16xf16>, tensor<32x16xf16>, tensor<16x32xf16>) -> tensor<4x16xf16>
  return %1 : tensor<4x16xf16>
}
