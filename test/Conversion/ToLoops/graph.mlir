// RUN: kiln-opt %s --kiln-convert-to-loops --reconcile-unrealized-casts | FileCheck %s --implicit-check-not=graph.

// Graph ops that compute along a dimension: projections, norms, softmax,
// gathers, RoPE, the causal convolution and reductions.

// linear: [B, T, 64] collapses to rows x 64 and runs a row-parallel GEMM
// against weight[out, in] on blocks of 4 rows that share each weight load,
// then on the remaining rows one at a time; the bias is added in the
// epilogue.
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.*]]: memref<?x?x64xf32>, %[[W:.*]]: memref<32x64xf32>, %[[B:.*]]: memref<32xf32>, %[[OUT:.*]]: memref<?x?x32xf32>)
// CHECK: %[[D0:.*]] = memref.dim %[[X]], %c0
// CHECK: %[[D1:.*]] = memref.dim %[[X]], %c1
// CHECK: %[[Y:.*]] = memref.alloc(%[[D0]], %[[D1]]) {alignment = 64 : i64} : memref<?x?x32xf32>
// CHECK: %[[XM:.*]] = memref.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : memref<?x?x64xf32> into memref<?x64xf32>
// CHECK: %[[YM:.*]] = memref.collapse_shape %[[Y]] {{\[}}[0, 1], [2]] : memref<?x?x32xf32> into memref<?x32xf32>
// CHECK: %[[ROWS:.*]] = memref.dim %[[XM]], %c0
// CHECK: %[[BLOCKS:.*]] = arith.divui %[[ROWS]], %c4
// CHECK: scf.parallel (%[[MB:.*]]) = ({{.*}}) to (%[[BLOCKS]])
// CHECK: scf.for %[[N:.*]] =
// CHECK: %[[M0:.*]] = arith.muli %[[MB]], %c4
// CHECK: %[[ACC:.*]]:4 = scf.for %[[K:.*]] = {{.*}} iter_args
// CHECK: memref.load %[[W]][%[[N]], %[[K]]]
// CHECK: memref.load %[[XM]][
// CHECK: arith.mulf {{.*}} fastmath<reassoc,contract>
// CHECK: arith.addf {{.*}} fastmath<reassoc,contract>
// CHECK: scf.yield
// CHECK: %[[BIAS:.*]] = memref.load %[[B]][%[[N]]]
// CHECK: %[[SUM:.*]] = arith.addf %[[ACC]]#0, %[[BIAS]]
// CHECK: memref.store %[[SUM]], %[[YM]][%[[M0]], %[[N]]]
// CHECK: %[[DONE:.*]] = arith.muli %[[BLOCKS]], %c4
// CHECK: %[[REST:.*]] = arith.subi %[[ROWS]], %[[DONE]]
// CHECK: scf.parallel ({{.*}}) = ({{.*}}) to (%[[REST]])
// CHECK: scf.for {{.*}} iter_args
// CHECK: memref.copy %[[Y]], %[[OUT]]
func.func @linear(%x: tensor<?x?x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %0 = graph.linear %x, %w, %b : (tensor<?x?x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// A vector input is expanded to one row; no bias, no epilogue add. Its row
// is a remainder row (the 4-row block loop runs zero times).
// CHECK-LABEL: func.func @linear_vector
// CHECK: memref.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [1, 64] : memref<64xf32> into memref<1x64xf32>
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: %[[ACC:.*]] = scf.for
// CHECK: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: memref.store %[[ACC]]
func.func @linear_vector(%x: tensor<64xf32>, %w: tensor<32x64xf32>) -> tensor<32xf32> {
  %0 = graph.linear %x, %w : (tensor<64xf32>, tensor<32x64xf32>) -> tensor<32xf32>
  return %0 : tensor<32xf32>
}

// matmul: the dynamic batch size comes from lhs, the dynamic N from rhs;
// rhs's batch broadcasts from the right.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: memref<?x4x8x16xf32>, %[[B:.*]]: memref<4x16x?xf32>,
// CHECK: %[[BATCH:.*]] = memref.dim %[[A]], %c0
// CHECK: %[[N:.*]] = memref.dim %[[B]], %c2
// CHECK: memref.alloc(%[[BATCH]], %[[N]]) {alignment = 64 : i64} : memref<?x4x8x?xf32>
// CHECK: scf.parallel (%[[I0:.*]], %[[I1:.*]], %[[I2:.*]]) = {{.*}} to (%[[BATCH]], %{{.*}}, %c8)
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %[[N]]
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %c16 {{.*}} iter_args
// CHECK: memref.load %[[A]][%[[I0]], %[[I1]], %[[I2]], %[[K]]]
// CHECK: memref.load %[[B]][%[[I1]], %[[K]], %[[J]]]
func.func @matmul(%a: tensor<?x4x8x16xf32>, %b: tensor<4x16x?xf32>) -> tensor<?x4x8x?xf32> {
  %0 = graph.matmul %a, %b : tensor<?x4x8x16xf32>, tensor<4x16x?xf32> -> tensor<?x4x8x?xf32>
  return %0 : tensor<?x4x8x?xf32>
}

// layer_norm: per row a mean pass, a variance pass, then the scaled store.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.*]]: memref<?x?x64xf32>, %[[W:.*]]: memref<64xf32>, %[[B:.*]]: memref<64xf32>,
// CHECK: %[[XM:.*]] = memref.collapse_shape %[[X]]
// CHECK: %[[ROWS:.*]] = memref.dim %[[XM]], %c0
// CHECK: scf.parallel (%[[R:.*]]) = ({{.*}}) to (%[[ROWS]])
// CHECK: %[[SUM:.*]] = scf.for
// CHECK: %[[MEAN:.*]] = arith.divf %[[SUM]]
// CHECK: %[[SQ:.*]] = scf.for
// CHECK: arith.subf %{{.*}}, %[[MEAN]]
// CHECK: %[[VAR:.*]] = arith.divf %[[SQ]]
// CHECK: arith.addf %[[VAR]], %{{.*}} : f32
// CHECK: math.sqrt
// CHECK: scf.for %[[C:.*]] =
// CHECK: memref.load %[[W]][%[[C]]]
// CHECK: memref.load %[[B]][%[[C]]]
// CHECK: memref.store
func.func @layer_norm(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %0 = graph.layer_norm %x, %w, %b {eps = 1.0e-5 : f64} : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// rms_norm: no mean pass.
// CHECK-LABEL: func.func @rms_norm
// CHECK: scf.parallel
// CHECK: %[[SQ:.*]] = scf.for
// CHECK: arith.mulf
// CHECK: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: arith.divf %[[SQ]]
// CHECK: math.sqrt
// CHECK: scf.for
func.func @rms_norm(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %0 = graph.rms_norm %x, %w {eps = 1.0e-6 : f64} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// softmax along a middle axis: the other axes run in parallel; max, then
// exp and sum, then the scaling by 1 / sum.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.*]]: memref<?x4x?xf32>,
// CHECK: %[[D0:.*]] = memref.dim %[[X]], %c0
// CHECK: %[[D2:.*]] = memref.dim %[[X]], %c2
// CHECK: %[[Y:.*]] = memref.alloc(%[[D0]], %[[D2]])
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) = ({{.*}}) to (%[[D0]], %[[D2]])
// CHECK: %[[MAX:.*]] = scf.for %[[A:.*]] = %{{.*}} to %c4 {{.*}} iter_args
// CHECK: memref.load %[[X]][%[[I]], %[[A]], %[[J]]]
// CHECK: arith.maximumf
// CHECK: %[[SUM:.*]] = scf.for
// CHECK: arith.subf %{{.*}}, %[[MAX]]
// CHECK: math.exp
// CHECK: %[[INV:.*]] = arith.divf %{{.*}}, %[[SUM]]
// CHECK: scf.for
// CHECK: arith.mulf %{{.*}}, %[[INV]]
func.func @softmax(%x: tensor<?x4x?xf32>) -> tensor<?x4x?xf32> {
  %0 = graph.softmax %x {axis = 1 : i64} : tensor<?x4x?xf32>
  return %0 : tensor<?x4x?xf32>
}

// embedding: each id is clamped into [0, V) and its row copied.
// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[IDS:.*]]: memref<?x?xi32>, %[[TABLE:.*]]: memref<256x64xf32>,
// CHECK: memref.alloc(%{{.*}}, %{{.*}}) {alignment = 64 : i64} : memref<?x?x64xf32>
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK: %[[ID:.*]] = memref.load %[[IDS]][%[[I]], %[[J]]]
// CHECK: %[[IDX:.*]] = arith.index_cast %[[ID]] : i32 to index
// CHECK: %[[LO:.*]] = arith.minsi %[[IDX]]
// CHECK: %[[ROW:.*]] = arith.maxsi %[[LO]]
// CHECK: scf.for %[[F:.*]] = %{{.*}} to %c64
// CHECK: memref.load %[[TABLE]][%[[ROW]], %[[F]]]
func.func @embedding(%ids: tensor<?x?xi32>, %table: tensor<256x64xf32>) -> tensor<?x?x64xf32> {
  %0 = graph.embedding %ids, %table : (tensor<?x?xi32>, tensor<256x64xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// rope with positions, rotate-half: pair (i, i + 4) for rotary_dim 8, angles
// in f64, and features 8..15 copied through.
// CHECK-LABEL: func.func @rope
// CHECK-SAME: (%[[X:.*]]: memref<?x?x4x16xf32>, %[[POS:.*]]: memref<?x?xi32>,
// CHECK: scf.parallel (%[[B:.*]], %[[T:.*]], %[[H:.*]]) =
// CHECK: %[[P:.*]] = memref.load %[[POS]][%[[B]], %[[T]]]
// CHECK: arith.sitofp %[[P]] : i32 to f64
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %c4
// CHECK: math.exp %{{.*}} : f64
// CHECK: math.cos %{{.*}} : f64
// CHECK: math.sin %{{.*}} : f64
// CHECK: %[[SECOND:.*]] = arith.addi %[[I]], %c4
// CHECK: memref.load %[[X]][%[[B]], %[[T]], %[[H]], %[[I]]]
// CHECK: memref.load %[[X]][%[[B]], %[[T]], %[[H]], %[[SECOND]]]
// CHECK: arith.subf
// CHECK: arith.addf
// CHECK: scf.for %{{.*}} = %c8 to %c16
func.func @rope(%x: tensor<?x?x4x16xf32>, %pos: tensor<?x?xi32>) -> tensor<?x?x4x16xf32> {
  %0 = graph.rope %x positions %pos {rotary_dim = 8 : i64, theta = 10000.0 : f64} : (tensor<?x?x4x16xf32>, tensor<?x?xi32>) -> tensor<?x?x4x16xf32>
  return %0 : tensor<?x?x4x16xf32>
}

// Interleaved without positions: the position is t, pair (2i, 2i + 1).
// CHECK-LABEL: func.func @rope_interleaved
// CHECK: scf.parallel (%{{.*}}, %[[T:.*]], %{{.*}}) =
// CHECK: %[[P:.*]] = arith.index_cast %[[T]] : index to i64
// CHECK: arith.sitofp %[[P]] : i64 to f64
// CHECK: scf.for %[[I:.*]] =
// CHECK: %[[FIRST:.*]] = arith.muli %[[I]], %c2
// CHECK: arith.addi %[[FIRST]], %c1
func.func @rope_interleaved(%x: tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32> {
  %0 = graph.rope %x {interleaved, rotary_dim = 16 : i64, theta = 10000.0 : f64} : (tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  return %0 : tensor<?x?x4x16xf32>
}

// conv1d with K = 2: the bias starts the sum, and each tap reads
// x[t - K + 1 + k], zero before t = 0.
// CHECK-LABEL: func.func @conv1d
// CHECK-SAME: (%[[X:.*]]: memref<?x?x32xf32>, %[[W:.*]]: memref<32x2xf32>, %[[B:.*]]: memref<32xf32>,
// CHECK: scf.parallel (%[[N:.*]], %[[T:.*]]) =
// CHECK: scf.for %[[C:.*]] = %{{.*}} to %c32
// CHECK: %[[BIAS:.*]] = memref.load %[[B]][%[[C]]]
// CHECK: %[[S0:.*]] = arith.subi %[[T]], %c1
// CHECK: %[[VALID0:.*]] = arith.cmpi sge, %[[S0]]
// CHECK: %[[T0:.*]] = arith.maxsi %[[S0]]
// CHECK: memref.load %[[X]][%[[N]], %[[T0]], %[[C]]]
// CHECK: memref.load %[[W]][%[[C]], %c0
// CHECK: arith.select %[[VALID0]]
// CHECK: arith.addf %[[BIAS]]
// CHECK: arith.subi %[[T]], %c0
// CHECK: memref.load %[[W]][%[[C]], %c1
// CHECK: arith.select
// CHECK: arith.addf
// CHECK: memref.store
func.func @conv1d(%x: tensor<?x?x32xf32>, %w: tensor<32x2xf32>, %b: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %0 = graph.conv1d %x, %w, %b : (tensor<?x?x32xf32>, tensor<32x2xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// reduce_mean with keepdims: the kept axis has size 1 in the parallel loop.
// CHECK-LABEL: func.func @reduce_mean
// CHECK-SAME: (%[[X:.*]]: memref<?x8x16xf32>,
// CHECK: %[[D0:.*]] = memref.dim %[[X]], %c0
// CHECK: memref.alloc(%[[D0]]) {alignment = 64 : i64} : memref<?x1x16xf32>
// CHECK: scf.parallel (%[[I:.*]], %{{.*}}, %[[K:.*]]) = ({{.*}}) to (%[[D0]], %c1{{.*}}, %c16)
// CHECK: %[[SUM:.*]] = scf.for %[[J:.*]] = %{{.*}} to %c8 {{.*}} iter_args
// CHECK: memref.load %[[X]][%[[I]], %[[J]], %[[K]]]
// CHECK: arith.addf
// CHECK: arith.uitofp
// CHECK: arith.divf %[[SUM]]
func.func @reduce_mean(%x: tensor<?x8x16xf32>) -> tensor<?x1x16xf32> {
  %0 = graph.reduce_mean %x {axes = array<i64: 1>, keepdims} : tensor<?x8x16xf32> -> tensor<?x1x16xf32>
  return %0 : tensor<?x1x16xf32>
}

// reduce_sum over two axes nests two reduction loops.
// CHECK-LABEL: func.func @reduce_sum
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK: scf.for %[[J:.*]] = {{.*}} iter_args
// CHECK: scf.for %[[K:.*]] = {{.*}} iter_args
// CHECK: memref.load %{{.*}}[%[[I]], %[[J]], %[[K]]]
// CHECK: arith.addf
// CHECK-NOT: arith.divf
func.func @reduce_sum(%x: tensor<?x8x16xf32>) -> tensor<?xf32> {
  %0 = graph.reduce_sum %x {axes = array<i64: 1, 2>} : tensor<?x8x16xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// reduce_max of integers starts from the smallest value.
// CHECK-LABEL: func.func @reduce_max
// CHECK: scf.parallel
// CHECK: %[[MIN:.*]] = arith.constant -2147483648 : i32
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[MIN]])
// CHECK: arith.maxsi %{{.*}}, %{{.*}} : i32
func.func @reduce_max(%x: tensor<?x8xi32>) -> tensor<?xi32> {
  %0 = graph.reduce_max %x {axes = array<i64: 1>} : tensor<?x8xi32> -> tensor<?xi32>
  return %0 : tensor<?xi32>
}

// A float reduce_max starts from -inf.
// CHECK-LABEL: func.func @reduce_max_float
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: arith.maximumf
func.func @reduce_max_float(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %0 = graph.reduce_max %x {axes = array<i64: 1>} : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
