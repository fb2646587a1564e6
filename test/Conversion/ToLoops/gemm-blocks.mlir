// RUN: kiln-opt %s --split-input-file --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 gpu-gemm=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --implicit-check-not=graph.

// With gpu-gemm (the GPU's shared stages) a GEMM is a block loop: one
// iteration per 64-row × 8-panel (64-column) tile of C, whose body
// allocates the tiles of A (k-major, each k row padded by one float) and B
// (padded by one panel when read from panels) in workgroup memory and the
// accumulators of its 128 threads (4 rows × 8 columns each) in private
// memory. The threads' work is in phases, each an scf.parallel over the
// threads: zero the accumulators; per K step of 32, load both tiles, every
// element zero past M, N or K, then accumulate from them in registers; then
// the epilogue of each of a thread's rows inside C.

// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.*]]: memref<?x?x64xf32>, %[[W:.*]]: memref<40x64xf32>, %[[BIAS:.*]]: memref<40xf32>, %[[OUT:.*]]: memref<?x?x40xf32>)
// CHECK: %[[PANELS:.*]] = memref.alloc() {{.*}} : memref<5x64x8xf32>
// CHECK: %[[XM:.*]] = memref.collapse_shape %[[X]]
// CHECK: %[[ROWS:.*]] = memref.dim %[[XM]], %c0
// 5 panels are one column block: only row blocks remain.
// CHECK: %[[ROW_BLOCKS:.*]] = arith.ceildivui %[[ROWS]], %c64
// CHECK: scf.parallel (%[[RB:.*]]) = (%c0) to (%[[ROW_BLOCKS]]) step (%c1) {
// CHECK:   %[[M0:.*]] = arith.muli %[[RB]], %c64
// CHECK:   %[[A_TILE:.*]] = memref.alloca() : memref<32x65xf32, #gpu.address_space<workgroup>>
// CHECK:   %[[B_TILE:.*]] = memref.alloca() : memref<32x72xf32, #gpu.address_space<workgroup>>
// CHECK:   %[[ACC:.*]] = memref.alloca() : memref<128x4x8xf32, #gpu.address_space<private>>
// CHECK:   scf.parallel (%[[T0:.*]]) = (%c0) to (%c128) step (%c1) {
// CHECK:     %[[SLICE0:.*]] = memref.subview %[[ACC]][%[[T0]], 0, 0] [1, 4, 8] [1, 1, 1]
// CHECK-COUNT-32: memref.store %{{.*}}, %[[SLICE0]]
// CHECK:   scf.for %[[K0:.*]] = %c0 to %c64 step %c32 {
// Each thread loads 16 elements of each tile, element i · 128 + thread.
// CHECK:     scf.parallel (%[[T1:.*]]) = (%c0) to (%c128) step (%c1) {
// CHECK:       scf.for %{{.*}} = %c0 to %c16 step %c1 {
// CHECK:         %[[ROW:.*]] = arith.addi %[[M0]], %{{.*}}
// CHECK:         %[[KK:.*]] = arith.addi %[[K0]], %{{.*}}
// CHECK:         %[[IN_ROWS:.*]] = arith.cmpi ult, %[[ROW]], %[[ROWS]]
// CHECK:         %[[IN_DEPTH:.*]] = arith.cmpi ult, %[[KK]], %c64
// CHECK:         %[[INSIDE:.*]] = arith.andi %[[IN_ROWS]], %[[IN_DEPTH]]
// CHECK:         %[[A:.*]] = memref.load %[[XM]]
// CHECK:         %[[A_OR_ZERO:.*]] = arith.select %[[INSIDE]], %[[A]], %cst
// CHECK:         memref.store %[[A_OR_ZERO]], %[[A_TILE]]
// CHECK:       scf.for %{{.*}} = %c0 to %c16 step %c1 {
// CHECK:         arith.cmpi ult, %{{.*}}, %c5
// CHECK:         memref.load %[[PANELS]]
// CHECK:         memref.store %{{.*}}, %[[B_TILE]]
// CHECK:     scf.parallel (%[[T2:.*]]) = (%c0) to (%c128) step (%c1) {
// CHECK:       %[[GROUP:.*]] = arith.divui %[[T2]], %c8
// CHECK:       %[[PANEL:.*]] = arith.remui %[[T2]], %c8
// CHECK:       %[[SLICE2:.*]] = memref.subview %[[ACC]][%[[T2]], 0, 0]
// CHECK-COUNT-32: memref.load %[[SLICE2]]
// CHECK:       %[[SUMS:.*]]:8 = scf.for %{{.*}} = %c0 to %c32 step %c1 iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {
// CHECK-COUNT-8: memref.load %[[B_TILE]]
// CHECK:         memref.load %[[A_TILE]]
// CHECK:         vector.broadcast
// CHECK:         arith.mulf {{.*}} fastmath<contract> : vector<4xf32>
// CHECK:       memref.store %{{.*}}, %[[SLICE2]]
// The epilogue: bias, then a (masked) store of each of the thread's rows.
// CHECK:   scf.parallel (%[[T3:.*]]) = (%c0) to (%c128) step (%c1) {
// CHECK:     %[[SLICE3:.*]] = memref.subview %[[ACC]][%[[T3]], 0, 0]
// CHECK:     scf.if
// CHECK:       memref.load %[[SLICE3]]
// CHECK:       vector.maskedload %[[BIAS]]
// CHECK:       arith.addf
// CHECK-COUNT-3: scf.if
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @linear(%x: tensor<?x?x64xf32>, %w: tensor<40x64xf32>, %b: tensor<40xf32>) -> tensor<?x?x40xf32> {
  %0 = graph.linear %x, %w, %b : (tensor<?x?x64xf32>, tensor<40x64xf32>, tensor<40xf32>) -> tensor<?x?x40xf32>
  return %0 : tensor<?x?x40xf32>
}

// -----

// matmul's batch joins the block loop; its right operand is read row-major
// into an unpadded B tile. f16 is widened as the tiles are loaded and
// rounded as C is stored. K = 16 is one step, so the K loop folds away.

// CHECK-LABEL: func.func @matmul_f16
// CHECK: %[[N:.*]] = memref.dim %{{.*}}, %c2 : memref<4x16x?xf16>
// CHECK: %[[PANELS:.*]] = arith.ceildivui %[[N]], %c8
// CHECK: %[[COL_BLOCKS:.*]] = arith.ceildivui %[[PANELS]], %c8
// CHECK: scf.parallel ({{.*}}) = (%c0, %c0, %c0) to (%{{.*}}, %c4, %[[COL_BLOCKS]])
// CHECK:   memref.alloca() : memref<32x65xf32, #gpu.address_space<workgroup>>
// CHECK:   %[[B_TILE:.*]] = memref.alloca() : memref<32x64xf32, #gpu.address_space<workgroup>>
// CHECK:   memref.alloca() : memref<128x4x8xf32, #gpu.address_space<private>>
// CHECK-NOT: scf.for %{{.*}} step %c32
// CHECK:   arith.extf %{{.*}} : f16 to f32
// CHECK:   arith.extf %{{.*}} : f16 to f32
// CHECK:   memref.store %{{.*}}, %[[B_TILE]]
// CHECK:   arith.truncf %{{.*}} : vector<4xf32> to vector<4xf16>
func.func @matmul_f16(%a: tensor<?x4x8x16xf16>, %b: tensor<4x16x?xf16>) -> tensor<?x4x8x?xf16> {
  %0 = graph.matmul %a, %b : tensor<?x4x8x16xf16>, tensor<4x16x?xf16> -> tensor<?x4x8x?xf16>
  return %0 : tensor<?x4x8x?xf16>
}

// -----

// A static GEMM that fits one block gets a second, empty row block: the
// canonicalizer would otherwise inline a one-iteration block loop, and its
// workgroup buffers and phases with it.

// CHECK-LABEL: func.func @one_block
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c2) step (%c1) {
// CHECK:   memref.alloca() : memref<32x65xf32, #gpu.address_space<workgroup>>
func.func @one_block(%x: tensor<7x20xf32>, %w: tensor<9x20xf32>) -> tensor<7x9xf32> {
  %0 = graph.linear %x, %w : (tensor<7x20xf32>, tensor<9x20xf32>) -> tensor<7x9xf32>
  return %0 : tensor<7x9xf32>
}

// -----

// GLU: a panel holds 4 gate and the same 4 up columns, so one thread has
// both for its 4 hidden columns and gates them in its epilogue.

// CHECK-LABEL: func.func @glu
// CHECK: memref.alloca() : memref<32x72xf32, #gpu.address_space<workgroup>>
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c128) step (%c1) {
// CHECK:   scf.if
// CHECK:     arith.negf
// CHECK:     math.exp
// CHECK:     arith.mulf
func.func @glu(%x: tensor<?x16xf32>, %wg: tensor<12x16xf32>, %wu: tensor<12x16xf32>, %wd: tensor<16x12xf32>) -> tensor<?x16xf32> {
  %0 = ffn.glu %x, %wg, %wu, %wd {activation = #graph<activation silu>} : (tensor<?x16xf32>, tensor<12x16xf32>, tensor<12x16xf32>, tensor<16x12xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// A norm prologue on the GPU: the rows are normalized first, a thread block
// per row whose threads read it together (the norms' phases, with the
// statistics in workgroup memory), then the GEMM's blocks read them.
// CHECK-LABEL: func.func @linear_layer_norm
// CHECK: %[[NORMALIZED:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x24xf32>
// CHECK: scf.parallel
// CHECK: memref.alloca() : memref<128xf32, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<2xf32, #gpu.address_space<workgroup>>
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c128)
// CHECK: memref.store %{{.*}}, %[[NORMALIZED]]
// CHECK: scf.parallel
// CHECK: memref.alloca() : memref<32x65xf32, #gpu.address_space<workgroup>>
// CHECK: memref.load %[[NORMALIZED]]
func.func @linear_layer_norm(%x: tensor<?x24xf32>, %w: tensor<40x24xf32>,
                             %g: tensor<24xf32>, %b: tensor<24xf32>)
    -> tensor<?x40xf32> {
  %0 = graph.linear %x, %w norm_weight %g norm_bias %b
      {norm = #graph<norm layer_norm>, norm_eps = 1.0e-5 : f64}
      : (tensor<?x24xf32>, tensor<40x24xf32>, tensor<24xf32>, tensor<24xf32>)
      -> tensor<?x40xf32>
  return %0 : tensor<?x40xf32>
}
