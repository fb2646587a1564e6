// RUN: kiln-opt %s --split-input-file --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 gpu-gemm=true gpu-mma=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --check-prefixes=CHECK,EXACT --implicit-check-not=graph.
// RUN: kiln-opt %s --split-input-file --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 gpu-gemm=true gpu-mma=true gpu-tf32=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --check-prefixes=CHECK,TF32 --implicit-check-not=graph.

// RUN: kiln-opt %s --split-input-file --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=8 gpu-gemm=true gpu-mma=true gpu-tf32=true" | FileCheck %s --check-prefix=WIDE

// With 8-lane vectors a block's 8 panels are 128 columns, which the warps'
// tiles do not cover: the SIMT form stays.
// WIDE-NOT: warp.mma

// With gpu-mma the GPU's GEMM blocks (gemm-blocks.mlir) multiply on tensor
// cores where B is f16 or bf16, and with gpu-tf32 where it is f32: the
// tiles keep the input type, A as [64 rows][32 k + 16 bytes], B transposed
// as [64 columns][32 k + 16 bytes]; each of the 4 warps owns 32 × 32 of the
// 64 × 64 block, 2 × 4 warp.mma tiles of 16 × 8 per instruction depth
// (16 for 16-bit types, 8 for TF32), its lanes' accumulator fragments in
// private memory ([128 threads][8 tiles][4]). The fragments then go to a
// C tile in workgroup memory, [64][64 + 4] f32, from which the SIMT form's
// epilogue runs, 4 rows × one panel per thread.

// CHECK-LABEL: func.func @linear_f16
// CHECK-SAME: (%[[X:.*]]: memref<?x?x64xf16>, %[[W:.*]]: memref<40x64xf16>, %{{.*}}: memref<40xf16>, %{{.*}}: memref<?x?x40xf16>)
// CHECK: %[[PANELS:.*]] = memref.alloc() {{.*}} : memref<5x64x8xf32>
// CHECK: %[[XM:.*]] = memref.collapse_shape %[[X]]
// CHECK: %[[ROWS:.*]] = memref.dim %[[XM]], %c0
// CHECK: scf.parallel (%[[RB:.*]]) = (%c0) to (%{{.*}}) step (%c1) {
// CHECK:   %[[M0:.*]] = arith.muli %[[RB]], %c64
// CHECK:   %[[A_TILE:.*]] = memref.alloca() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK:   %[[B_TILE:.*]] = memref.alloca() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK:   %[[C_TILE:.*]] = memref.alloca() : memref<64x68xf32, #gpu.address_space<workgroup>>
// CHECK:   %[[ACC:.*]] = memref.alloca() : memref<128x8x4xf32, #gpu.address_space<private>>
// Zero the fragments.
// CHECK:   scf.parallel (%[[T0:.*]]) = (%c0) to (%c128) step (%c1) {
// CHECK:     %[[SLICE0:.*]] = memref.subview %[[ACC]][%[[T0]], 0, 0] [1, 8, 4] [1, 1, 1]
// CHECK-COUNT-32: memref.store %{{.*}}, %[[SLICE0]]
// CHECK:   scf.for %[[K0:.*]] = %c0 to %c64 step %c32 {
// Load phase: element i · 128 + thread of each tile, A row-major with k
// contiguous, B from the panels (f32) rounded back to f16 and transposed.
// CHECK:     scf.parallel (%[[T1:.*]]) = (%c0) to (%c128) step (%c1) {
// CHECK:       scf.for %{{.*}} = %c0 to %c16 step %c1 {
// CHECK:         %[[R:.*]] = arith.divui %{{.*}}, %c32
// CHECK:         %[[K:.*]] = arith.remui %{{.*}}, %c32
// CHECK:         %[[AV:.*]] = memref.load %[[XM]]
// CHECK:         %[[AZ:.*]] = arith.select %{{.*}}, %[[AV]], %{{.*}} : f16
// CHECK:         memref.store %[[AZ]], %[[A_TILE]][%[[R]], %[[K]]]
// CHECK:       scf.for %{{.*}} = %c0 to %c16 step %c1 {
// CHECK:         %[[BV:.*]] = memref.load %[[PANELS]]
// CHECK:         %[[BH:.*]] = arith.truncf %[[BV]] : f32 to f16
// CHECK:         %[[BZ:.*]] = arith.select %{{.*}}, %[[BH]], %{{.*}} : f16
// CHECK:         memref.store %[[BZ]], %[[B_TILE]][%{{.*}}, %{{.*}}]
// Multiply phase: warp w = thread / 32 owns rows 32·(w / 2) and columns
// 32·(w % 2); 2 k steps × 2 × 4 tiles.
// CHECK:     scf.parallel (%[[T2:.*]]) = (%c0) to (%c128) step (%c1) {
// CHECK:       %[[WARP:.*]] = arith.divui %[[T2]], %c32
// CHECK:       %[[WR:.*]] = arith.divui %[[WARP]], %c2
// CHECK:       %[[ROW:.*]] = arith.muli %[[WR]], %c32
// CHECK:       %[[WC:.*]] = arith.remui %[[WARP]], %c2
// CHECK:       %[[COL:.*]] = arith.muli %[[WC]], %c32
// CHECK:       %[[LANE:.*]] = arith.remui %[[T2]], %c32
// CHECK:       %[[F0:.*]] = warp.mma %[[A_TILE]][%[[ROW]], %c0], %[[B_TILE]][%[[COL]], %c0], %{{.*}}, lane %[[LANE]] : memref<64x40xf16, #gpu.address_space<workgroup>>, memref<64x40xf16, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK:       %[[COL8:.*]] = arith.addi %[[COL]], %c8
// CHECK:       warp.mma %[[A_TILE]][%[[ROW]], %c0], %[[B_TILE]][%[[COL8]], %c0]
// CHECK-COUNT-6: warp.mma
// CHECK:       warp.mma %[[A_TILE]][%[[ROW]], %c16], %[[B_TILE]][%[[COL]], %c16], %[[F0]], lane %[[LANE]]
// CHECK-COUNT-7: warp.mma
// CHECK-NOT:   warp.mma
// CHECK-COUNT-32: memref.store
// Fragments into the C tile: lane l holds rows g, g + 8 and columns 2t,
// 2t + 1 of each of its tiles (g = l / 4, t = l % 4).
// CHECK:   scf.parallel (%[[T3:.*]]) = (%c0) to (%c128) step (%c1) {
// CHECK:     %[[LANE3:.*]] = arith.remui %[[T3]], %c32
// CHECK:     %[[G:.*]] = arith.divui %[[LANE3]], %c4
// CHECK:     %[[T:.*]] = arith.remui %[[LANE3]], %c4
// CHECK-COUNT-32: memref.store %{{.*}}, %[[C_TILE]]
// Epilogue: each thread 4 rows × one panel of the C tile, rows and panels
// past the end skipped, bias added, rounded to f16 on store.
// CHECK:   scf.parallel (%[[T4:.*]]) = (%c0) to (%c128) step (%c1) {
// CHECK:     %[[GROUP:.*]] = arith.divui %[[T4]], %c8
// CHECK:     %[[PANEL:.*]] = arith.remui %[[T4]], %c8
// CHECK:     scf.if
// CHECK:       memref.load %[[C_TILE]]
// CHECK:       arith.truncf %{{.*}} : vector<4xf32> to vector<4xf16>
func.func @linear_f16(%x: tensor<?x?x64xf16>, %w: tensor<40x64xf16>, %b: tensor<40xf16>) -> tensor<?x?x40xf16> {
  %0 = graph.linear %x, %w, %b : (tensor<?x?x64xf16>, tensor<40x64xf16>, tensor<40xf16>) -> tensor<?x?x40xf16>
  return %0 : tensor<?x?x40xf16>
}

// -----

// An MLP's hidden rows are f32: against f16 weights they are staged as a
// high and a low f16 part (A ≈ high + low, 22 significant bits), and each
// tile is multiplied by both.
// CHECK-LABEL: func.func @mlp_f16
// The first projection: f16 rows, one A tile.
// CHECK:   %[[A1:.*]] = memref.alloca() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[B1:.*]] = memref.alloca() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK-NEXT: memref.alloca() : memref<64x68xf32, #gpu.address_space<workgroup>>
// CHECK-COUNT-16: warp.mma
// The second: f32 rows, high and low tiles.
// CHECK:   %[[HIGH:.*]] = memref.alloca() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[LOW:.*]] = memref.alloca() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[B2:.*]] = memref.alloca() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK:         %[[V:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK:         %[[H:.*]] = arith.truncf %[[V]] : f32 to f16
// CHECK:         %[[HW:.*]] = arith.extf %[[H]] : f16 to f32
// CHECK:         %[[REST:.*]] = arith.subf %[[V]], %[[HW]]
// CHECK:         %[[L:.*]] = arith.truncf %[[REST]] : f32 to f16
// CHECK:         memref.store %[[H]], %[[HIGH]]
// CHECK:         memref.store %[[L]], %[[LOW]]
// CHECK:       %[[P:.*]] = warp.mma %[[LOW]][%{{.*}}, %c0], %[[B2]]
// CHECK:       warp.mma %[[HIGH]][%{{.*}}, %c0], %[[B2]][%{{.*}}, %c0], %[[P]]
// CHECK-COUNT-30: warp.mma
// CHECK-NOT:   warp.mma
func.func @mlp_f16(%x: tensor<?x64xf16>, %w_in: tensor<96x64xf16>, %w_out: tensor<64x96xf16>) -> tensor<?x64xf16> {
  %0 = ffn.mlp %x, %w_in, %w_out {activation = #graph<activation relu>}
      : (tensor<?x64xf16>, tensor<96x64xf16>, tensor<64x96xf16>) -> tensor<?x64xf16>
  return %0 : tensor<?x64xf16>
}

// -----

// matmul's row-major bf16 right operand [K, N] is transposed into the B
// tile: element i · 128 + thread is B[k0 + e / 64, col0 + e % 64].
// CHECK-LABEL: func.func @matmul_bf16
// CHECK-SAME: (%[[A:.*]]: memref<?x?x48xbf16>, %[[B:.*]]: memref<?x48x24xbf16>
// CHECK:   memref.alloca() : memref<64x40xbf16, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[B_TILE:.*]] = memref.alloca() : memref<64x40xbf16, #gpu.address_space<workgroup>>
// CHECK:         %[[K:.*]] = arith.divui %{{.*}}, %c64
// CHECK:         %[[C:.*]] = arith.remui %{{.*}}, %c64
// CHECK:         memref.load %{{.*}} : memref<48x24xbf16, strided<[24, 1], offset: ?>>
// CHECK:         memref.store %{{.*}}, %[[B_TILE]][%[[C]], %[[K]]]
// CHECK-COUNT-16: warp.mma {{.*}} : memref<64x40xbf16, #gpu.address_space<workgroup>>, memref<64x40xbf16, #gpu.address_space<workgroup>>, vector<4xf32>
func.func @matmul_bf16(%a: tensor<?x?x48xbf16>, %b: tensor<?x48x24xbf16>) -> tensor<?x?x24xbf16> {
  %0 = graph.matmul %a, %b : tensor<?x?x48xbf16>, tensor<?x48x24xbf16> -> tensor<?x?x24xbf16>
  return %0 : tensor<?x?x24xbf16>
}

// -----

// f32: SIMT FMAs unless gpu-tf32 allows TF32, whose tiles are f32 with
// rows of 32 + 4 floats and 4 k steps of 8.
// CHECK-LABEL: func.func @linear_f32
// EXACT: memref.alloca() : memref<32x65xf32, #gpu.address_space<workgroup>>
// EXACT-NOT: warp.mma
// TF32: %[[A_TILE:.*]] = memref.alloca() : memref<64x36xf32, #gpu.address_space<workgroup>>
// TF32: %[[B_TILE:.*]] = memref.alloca() : memref<64x36xf32, #gpu.address_space<workgroup>>
// TF32: warp.mma %[[A_TILE]][%{{.*}}, %c0], %[[B_TILE]][%{{.*}}, %c0]
// TF32-COUNT-7: warp.mma {{.*}}%c0]
// TF32: warp.mma %[[A_TILE]][%{{.*}}, %c8], %[[B_TILE]][%{{.*}}, %c8]
// TF32-COUNT-23: warp.mma
// TF32-NOT: warp.mma
func.func @linear_f32(%x: tensor<?x70xf32>, %w: tensor<33x70xf32>) -> tensor<?x33xf32> {
  %0 = graph.linear %x, %w : (tensor<?x70xf32>, tensor<33x70xf32>) -> tensor<?x33xf32>
  return %0 : tensor<?x33xf32>
}
