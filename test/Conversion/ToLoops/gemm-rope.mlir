// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=16 --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --implicit-check-not=graph.

// A linear with a rope epilogue. Every row's angles are computed first, in
// parallel over the rows (batch row · T + token, the position read at
// [row / T, row % T]). With head_dim 64, two AVX-512 panels, the panel
// blocks are rounded up to whole heads, and each parallel block rotates its
// heads in place right after its tiles, while they are in cache.

// CHECK-LABEL: func.func @whole_heads
// CHECK-SAME: %[[POS:[^:]*]]: memref<?x?xi64>
// CHECK: %[[ROWS:.*]] = arith.muli %[[B:.*]], %[[T:.*]] : index
// CHECK: %[[COS:.*]] = memref.alloc(%[[ROWS]]) {{.*}} : memref<?x32xf32>
// CHECK: %[[SIN:.*]] = memref.alloc(%[[ROWS]]) {{.*}} : memref<?x32xf32>
// CHECK: scf.parallel (%[[R:.*]]) = (%c0) to (%[[ROWS]])
// CHECK: %[[BATCH:.*]] = arith.divui %[[R]], %[[T]]
// CHECK: %[[TOKEN:.*]] = arith.remui %[[R]], %[[T]]
// CHECK: memref.load %[[POS]][%[[BATCH]], %[[TOKEN]]]
// CHECK: math.cos {{.*}} : f64
// CHECK: memref.store {{.*}}, %[[COS]][%[[R]], {{.*}}]
// CHECK: %[[ROUNDED:.*]] = arith.ceildivui %{{.*}}, %c2
// CHECK: %[[PER:.*]] = arith.muli %[[ROUNDED]], %c2
// CHECK: scf.parallel
// CHECK: %[[P0:.*]] = arith.muli %{{.*}}, %[[PER]]
// CHECK: vector.store
// CHECK: %[[H0:.*]] = arith.divui %[[P0]], %c2
// CHECK: %[[HEND:.*]] = arith.divui %{{.*}}, %c2
// CHECK: scf.for %[[ROW:.*]] = %{{.*}} to %{{.*}} step %c1 {
// CHECK: scf.for %[[H:.*]] = %[[H0]] to %[[HEND]] step %c1 {
// CHECK: %[[BASE:.*]] = arith.muli %[[H]], %c64
// CHECK: scf.for %[[I:.*]] = %c0 to %c32 step %c1 {
// CHECK: memref.load %[[COS]][%[[ROW]], %[[I]]]
// CHECK: memref.load %[[SIN]][%[[ROW]], %[[I]]]
// CHECK: %[[PARTNER:.*]] = arith.addi %[[I]], %c32
// CHECK: arith.subf
// CHECK: memref.store
// CHECK: arith.addf
// CHECK: memref.store
// CHECK: scf.reduce
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @whole_heads(%x: tensor<?x?x32xf32>, %w: tensor<128x32xf32>, %pos: tensor<?x?xi64>) -> tensor<?x?x128xf32> {
  %0 = graph.linear %x, %w rope_positions %pos {rope_head_dim = 64 : i64, rope_rotary_dim = 64 : i64, rope_theta = 10000.0 : f64} : (tensor<?x?x32xf32>, tensor<128x32xf32>, tensor<?x?xi64>) -> tensor<?x?x128xf32>
  return %0 : tensor<?x?x128xf32>
}

// head_dim 16 is half a panel: every row is rotated after the GEMM, in
// parallel over the rows; interleaved pairs (2i, 2i + 1), 4 of them for
// rotary_dim 8, the position each row's token index.

// CHECK-LABEL: func.func @after_gemm
// CHECK: scf.parallel (%[[R:.*]]) =
// CHECK: %[[TOKEN:.*]] = arith.remui %[[R]]
// CHECK: arith.index_cast %[[TOKEN]] : index to i64
// CHECK: scf.parallel
// CHECK: vector.store
// CHECK: scf.parallel (%[[ROW:.*]]) = (%c0) to
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1 {
// CHECK: scf.for %[[I:.*]] = %c0 to %c4 step %c1 {
// CHECK: %[[FIRST:.*]] = arith.muli %[[I]], %c2
// CHECK: arith.addi %[[FIRST]], %c1
func.func @after_gemm(%x: tensor<?x?x32xf32>, %w: tensor<48x32xf32>) -> tensor<?x?x48xf32> {
  %0 = graph.linear %x, %w {rope_head_dim = 16 : i64, rope_rotary_dim = 8 : i64, rope_theta = 10000.0 : f64, rope_interleaved} : (tensor<?x?x32xf32>, tensor<48x32xf32>) -> tensor<?x?x48xf32>
  return %0 : tensor<?x?x48xf32>
}
