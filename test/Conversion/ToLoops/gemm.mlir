// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=16 --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --implicit-check-not=graph.
// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=8 --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --check-prefix=AVX2

// linear and matmul run the register-tiled GEMM: with 16-lane vectors a
// tile is 12 rows × 2 vectors (32 columns), its 24 accumulators carried
// through the K loop as iter_args; per k step one row of B (2 vectors) and
// one broadcast A element per tile row. Without a signature (no bound
// parameters) the weight is packed into [panels, K, 32] on every call.

// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.*]]: memref<?x?x64xf32>, %[[W:.*]]: memref<40x64xf32>, %[[B:.*]]: memref<40xf32>, %[[OUT:.*]]: memref<?x?x40xf32>)
// The GEMM writes the out-parameter (collapsed to [rows, 40]) directly.
// CHECK-NOT: memref.alloc{{.*}} : memref<?x?x40xf32>
// CHECK: %[[YM:.*]] = memref.collapse_shape %[[OUT]]
// Packing: 40 columns make 2 panels of 32, zero past column 39.
// CHECK: %[[PANELS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x64x32xf32>
// CHECK: scf.parallel
// CHECK: arith.cmpi ult, %{{.*}}, %c40
// CHECK: memref.load %[[W]]
// CHECK: memref.store %{{.*}}, %[[PANELS]]
// CHECK: %[[XM:.*]] = memref.collapse_shape %[[X]]
// Threads over blocks of panels × blocks of at most 192 rows: the rows
// split evenly into whole tiles of 12, the panels evenly into blocks of at
// most 8, split finer until there are 32 blocks (here 2, one panel each).
// CHECK: %[[ROWS:.*]] = memref.dim %[[XM]], %c0
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui %[[ROWS]], %c192
// CHECK: %[[SOME:.*]] = arith.maxsi %[[BLOCKS]], %c1
// CHECK: %[[SHARE:.*]] = arith.ceildivui %[[ROWS]], %[[SOME]]
// CHECK: %[[TILES:.*]] = arith.ceildivui %[[SHARE]], %c12
// CHECK: %[[ROWBLOCK:.*]] = arith.muli %[[TILES]], %c12
// CHECK: %[[WANTED:.*]] = arith.ceildivui %c32, %[[SOME]]
// CHECK: %[[CAPPED:.*]] = arith.minsi %[[WANTED]], %c2
// CHECK: %[[ATLEAST:.*]] = arith.maxsi %[[CAPPED]], %c1
// CHECK: %[[NONZERO:.*]] = arith.maxsi %[[ATLEAST]], %c1
// CHECK: %[[EVEN:.*]] = arith.ceildivui %c2, %[[NONZERO]]
// CHECK: %[[PER:.*]] = arith.maxsi %[[EVEN]], %c1
// CHECK: %[[PBLOCKS:.*]] = arith.ceildivui %c2, %[[PER]]
// CHECK: scf.parallel (%[[PB:.*]], %{{.*}}) = (%c0, %c0) to (%[[PBLOCKS]], %[[BLOCKS]])
// CHECK: arith.muli %{{.*}}, %[[ROWBLOCK]]
// CHECK: %[[P0:.*]] = arith.muli %[[PB]], %[[PER]]
// CHECK: %[[TILE:.*]] = memref.alloca() : memref<12x32xf32>
// CHECK: scf.for %[[P:.*]] = %[[P0]] to
// The first full 12-row tile is peeled: it sweeps the panel from memory, so
// its panel loads are marked for kiln-prefetch-panels.
// CHECK: %[[FULL:.*]] = arith.addi %[[M0:.*]], %{{.*}} : index
// CHECK: %[[ANY:.*]] = arith.cmpi ult, %[[M0]], %[[FULL]]
// CHECK: scf.if %[[ANY]] {
// A full tile's K loop is unrolled by 4 (K = 64 leaves no rest).
// CHECK: scf.for %[[K0:.*]] = %c0 to %c64 step %c4 iter_args({{.*}}) -> (vector<16xf32>,
// CHECK: vector.load %[[PANELS]][%[[P]], %[[K0]], %c0] {kiln.panel_row}
// CHECK: vector.load %[[PANELS]][%[[P]], %[[K0]], %c16] {kiln.panel_row}
// CHECK: %[[K0NEXT:.*]] = arith.addi %[[K0]], %c1
// CHECK: vector.load %[[PANELS]][%[[P]], %[[K0NEXT]], %c0] {kiln.panel_row}
// The later full tiles find the panel in L2: unmarked.
// CHECK: %[[SECOND:.*]] = arith.addi %[[M0]], %c12
// CHECK: scf.for %[[M:.*]] = %[[SECOND]] to %[[FULL]] step %c12
// CHECK: %[[ACC:.*]]:24 = scf.for %[[K:.*]] = %c0 to %c64 step %c4 iter_args({{.*}}) -> (vector<16xf32>,
// CHECK: %[[B0:.*]] = vector.load %[[PANELS]][%[[P]], %[[K]], %c0] : memref<2x64x32xf32>, vector<16xf32>
// CHECK: %[[B1:.*]] = vector.load %[[PANELS]][%[[P]], %[[K]], %c16] : memref<2x64x32xf32>, vector<16xf32>
// CHECK: %[[A0:.*]] = memref.load %[[XM]][%[[M]], %[[K]]]
// CHECK: %[[A0V:.*]] = vector.broadcast %[[A0]] : f32 to vector<16xf32>
// CHECK: %[[PROD:.*]] = arith.mulf %[[A0V]], %[[B0]] fastmath<contract>
// CHECK: arith.addf %[[PROD]], %{{.*}} fastmath<contract>
// The accumulators go through a 12 x 32 scratch tile, so that the epilogue
// is one loop over the tile's rows. It adds the bias and stores a vector
// whole where it fits, with the lanes past column 39 masked off where not.
// CHECK: vector.store %[[ACC]]#0, %[[TILE]][%c0, %c0] : memref<12x32xf32>, vector<16xf32>
// CHECK: vector.store %[[ACC]]#23, %[[TILE]][%c11, %c16]
// CHECK: scf.for %[[R:.*]] = %c0 to %c12 step %c1 {
// CHECK: %[[ROW0:.*]] = vector.load %[[TILE]][%[[R]], %c0]
// CHECK: %[[ROW:.*]] = arith.addi %[[M]], %[[R]]
// CHECK: %[[COL:.*]] = arith.muli %[[P]], %c32
// CHECK: %[[LEFT:.*]] = arith.subi %c40, %[[COL]]
// CHECK: %[[MASK:.*]] = vector.create_mask %[[LEFT]] : vector<16xi1>
// CHECK: %[[BIAS:.*]] = vector.maskedload %[[B]][%[[COL]]], %[[MASK]]
// CHECK: %[[SUM:.*]] = arith.addf %[[ROW0]], %[[BIAS]]
// CHECK: %[[FITS:.*]] = arith.cmpi sge, %[[LEFT]], %c16
// CHECK: scf.if %[[FITS]] {
// CHECK-NEXT: vector.store %[[SUM]], %[[YM]][%[[ROW]], %[[COL]]]
// CHECK-NEXT: } else {
// CHECK-NEXT: vector.maskedstore %[[YM]][%[[ROW]], %[[COL]]], %[[MASK]], %[[SUM]]
// The rows past the last full tile: tiles of 8, 4, 2 and 1 rows, marked
// (with fewer rows than a tile they are the panel's only sweep).
// CHECK: scf.if
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-NEXT: vector.load %[[PANELS]]{{.*}} {kiln.panel_row}
// CHECK: scf.if
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-NEXT: vector.load %[[PANELS]]{{.*}} {kiln.panel_row}
// CHECK: scf.if
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: scf.if
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
// No copy: the result is already in the out-parameter.
// CHECK-NOT: memref.copy
// CHECK: return

// With 8-lane vectors (AVX2, 16 registers) the tile is 6 rows × 2 vectors.
// AVX2-LABEL: func.func @linear
// AVX2: memref.alloc() {alignment = 64 : i64} : memref<3x64x16xf32>
// AVX2: scf.for {{.*}} step %c6
// AVX2: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
func.func @linear(%x: tensor<?x?x64xf32>, %w: tensor<40x64xf32>, %b: tensor<40xf32>) -> tensor<?x?x40xf32> {
  %0 = graph.linear %x, %w, %b : (tensor<?x?x64xf32>, tensor<40x64xf32>, tensor<40xf32>) -> tensor<?x?x40xf32>
  return %0 : tensor<?x?x40xf32>
}

// A vector input is one row; f16 weights are widened while packing, and a
// panel that N fills exactly needs no mask once canonicalized.
// CHECK-LABEL: func.func @linear_vector_f16
// CHECK: memref.load %{{.*}} : memref<32x64xf16>
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: memref.store %{{.*}} : memref<1x64x32xf32>
// CHECK: memref.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [1, 64] : memref<64xf16> into memref<1x64xf16>
// CHECK: arith.truncf %{{.*}} : vector<16xf32> to vector<16xf16>
// CHECK: vector.store
func.func @linear_vector_f16(%x: tensor<64xf16>, %w: tensor<32x64xf16>) -> tensor<32xf16> {
  %0 = graph.linear %x, %w : (tensor<64xf16>, tensor<32x64xf16>) -> tensor<32xf16>
  return %0 : tensor<32xf16>
}

// matmul reads its right operand row-major in place, with edge masks fixed
// for the whole K loop. The batch dimensions join the parallel loop (before
// the panel and row blocks), each iteration viewing its batch's matrices as
// strided subviews: the dynamic batch size from lhs, the dynamic N from rhs,
// rhs's batch broadcasting from the right. The result is written straight
// into the out-parameter, viewed per batch the same way.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: memref<?x4x8x16xf32>, %[[B:.*]]: memref<4x16x?xf32>, %[[OUT:.*]]: memref<?x4x8x?xf32>)
// CHECK: %[[BATCH:.*]] = memref.dim %[[A]], %c0
// CHECK: %[[N:.*]] = memref.dim %[[B]], %c2
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[I0:.*]], %[[I1:.*]], %{{.*}}) = (%c0, %c0, %c0) to (%[[BATCH]], %c4, %{{.*}})
// CHECK: %[[AV:.*]] = memref.subview %[[A]][%[[I0]], %[[I1]], 0, 0] [1, 1, 8, 16]
// CHECK: %[[BV:.*]] = memref.subview %[[B]][%[[I1]], 0, 0] [1, 16, %[[N]]]
// CHECK: memref.alloca() : memref<12x32xf32>
// CHECK: vector.create_mask
// CHECK: scf.for %[[K:.*]] = %c0 to %c16 {{.*}} iter_args
// CHECK: vector.maskedload %[[BV]][%[[K]], %{{.*}}]
// CHECK: memref.load %[[AV]][%c0, %[[K]]]
// CHECK: %[[NC:.*]] = memref.dim %[[OUT]], %c3
// CHECK: %[[CV:.*]] = memref.subview %[[OUT]][%[[I0]], %[[I1]], 0, 0] [1, 1, 8, %[[NC]]]
// CHECK: vector.maskedstore %[[CV]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @matmul(%a: tensor<?x4x8x16xf32>, %b: tensor<4x16x?xf32>) -> tensor<?x4x8x?xf32> {
  %0 = graph.matmul %a, %b : tensor<?x4x8x16xf32>, tensor<4x16x?xf32> -> tensor<?x4x8x?xf32>
  return %0 : tensor<?x4x8x?xf32>
}

// A matmul whose right operand is one [K, N] matrix for every batch is one
// GEMM over all rows: the right operand packed into panels on this call
// (read at [k, n]; a bound parameter is packed once, see
// pack-weights-matmul.mlir), the left operand and the out-parameter
// collapsed to matrices.
// CHECK-LABEL: func.func @matmul_shared_rhs
// CHECK-SAME: (%[[A:.*]]: memref<?x?x16xf32>, %[[B:.*]]: memref<16x40xf32>, %[[OUT:.*]]: memref<?x?x40xf32>)
// CHECK-NOT: memref.alloc{{.*}} : memref<?x?x40xf32>
// CHECK: %[[P:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x16x32xf32>
// CHECK: scf.for %[[K:.*]] = %c0 to %c16
// CHECK: memref.load %[[B]][%[[K]], %{{.*}}] : memref<16x40xf32>
// CHECK: %[[CM:.*]] = memref.collapse_shape %[[OUT]]
// CHECK: %[[AM:.*]] = memref.collapse_shape %[[A]]
// CHECK: vector.load %[[P]]
// CHECK: memref.load %[[AM]]
// CHECK: vector.store %{{.*}}, %[[CM]]
func.func @matmul_shared_rhs(%a: tensor<?x?x16xf32>, %b: tensor<16x40xf32>) -> tensor<?x?x40xf32> {
  %0 = graph.matmul %a, %b : tensor<?x?x16xf32>, tensor<16x40xf32> -> tensor<?x?x40xf32>
  return %0 : tensor<?x?x40xf32>
}

// The fused epilogue of a linear: the activation on the accumulators, then
// the residual loaded at the tile's place and added before the store.

// CHECK-LABEL: func.func @linear_epilogue
// CHECK: scf.parallel
// CHECK: math.tanh %{{.*}} : vector<16xf32>
// CHECK: %[[R:.*]] = vector.load %{{.*}} : memref<?x40xf32>, vector<16xf32>
// CHECK: %[[S:.*]] = arith.addf %{{.*}}, %[[R]] : vector<16xf32>
// CHECK: vector.store %[[S]]
func.func @linear_epilogue(%x: tensor<?x64xf32>, %w: tensor<40x64xf32>, %r: tensor<?x40xf32>) -> tensor<?x40xf32> {
  %0 = graph.linear %x, %w residual %r {activation = #graph<activation tanh>} : (tensor<?x64xf32>, tensor<40x64xf32>, tensor<?x40xf32>) -> tensor<?x40xf32>
  return %0 : tensor<?x40xf32>
}

// K = 30: the unrolled loop takes k < 28 and a plain loop the rest, with
// the accumulators passed from one to the other.
// CHECK-LABEL: func.func @linear_odd_depth
// CHECK: %[[MAIN:.*]]:24 = scf.for %{{.*}} = %c0 to %c28 step %c4 iter_args
// CHECK: scf.for %{{.*}} = %c28 to %c30 step %c1 iter_args(%{{.*}} = %[[MAIN]]#0,
func.func @linear_odd_depth(%x: tensor<?x30xf32>, %w: tensor<32x30xf32>) -> tensor<?x32xf32> {
  %0 = graph.linear %x, %w : (tensor<?x30xf32>, tensor<32x30xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}
