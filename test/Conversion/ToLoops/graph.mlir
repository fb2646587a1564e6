// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops --reconcile-unrealized-casts | FileCheck %s --implicit-check-not=graph.

// Graph ops that compute along a dimension: norms, softmax,
// gathers, RoPE, the causal convolution and reductions.

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
// exp and sum, then the scaling by 1 / sum, all in the out-parameter.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.*]]: memref<?x4x?xf32>, %[[Y:.*]]: memref<?x4x?xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[D0:.*]] = memref.dim %[[X]], %c0
// CHECK: %[[D2:.*]] = memref.dim %[[X]], %c2
// CHECK-NOT: memref.alloc
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
// CHECK: memref.store %{{.*}}, %[[Y]][%[[I]], %{{.*}}, %[[J]]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @softmax(%x: tensor<?x4x?xf32>) -> tensor<?x4x?xf32> {
  %0 = graph.softmax %x {axis = 1 : i64} : tensor<?x4x?xf32>
  return %0 : tensor<?x4x?xf32>
}

// embedding: each id is clamped into [0, V) and its row copied into the
// out-parameter.
// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[IDS:.*]]: memref<?x?xi32>, %[[TABLE:.*]]: memref<256x64xf32>,
// CHECK-SAME: %[[OUT:.*]]: memref<?x?x64xf32>)
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK: %[[ID:.*]] = memref.load %[[IDS]][%[[I]], %[[J]]]
// CHECK: %[[IDX:.*]] = arith.index_cast %[[ID]] : i32 to index
// CHECK: %[[LO:.*]] = arith.minsi %[[IDX]]
// CHECK: %[[ROW:.*]] = arith.maxsi %[[LO]]
// CHECK: scf.for %[[F:.*]] = %{{.*}} to %c64
// CHECK: memref.load %[[TABLE]][%[[ROW]], %[[F]]]
// CHECK: memref.store %{{.*}}, %[[OUT]][%[[I]], %[[J]], %[[F]]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @embedding(%ids: tensor<?x?xi32>, %table: tensor<256x64xf32>) -> tensor<?x?x64xf32> {
  %0 = graph.embedding %ids, %table : (tensor<?x?xi32>, tensor<256x64xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// rope with positions, rotate-half: pair (i, i + 4) for rotary_dim 8. One
// parallel iteration per (batch, token) computes its angles once into
// scratch (in f32 as PyTorch does: theta^(2i/r) rounded, its inverse times
// the position; cos and sin in f64), and every head reads them; features
// 8..15 are copied through.
// CHECK-LABEL: func.func @rope
// CHECK-SAME: (%[[X:.*]]: memref<?x?x4x16xf32>, %[[POS:.*]]: memref<?x?xi32>,
// CHECK: scf.parallel (%[[B:.*]], %[[T:.*]]) =
// CHECK: %[[P:.*]] = memref.load %[[POS]][%[[B]], %[[T]]]
// CHECK: %[[COS:.*]] = memref.alloca() : memref<1x4xf32>
// CHECK: %[[SIN:.*]] = memref.alloca() : memref<1x4xf32>
// CHECK: %[[PF:.*]] = arith.sitofp %[[P]] : i32 to f32
// CHECK: scf.for %{{.*}} = %{{.*}} to %c4
// CHECK: %[[POWER:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK: %[[INV:.*]] = arith.divf %{{.*}}, %[[POWER]] : f32
// CHECK: %[[ANGLE:.*]] = arith.mulf %[[PF]], %[[INV]] : f32
// CHECK: arith.extf %[[ANGLE]] : f32 to f64
// CHECK: math.cos %{{.*}} : f64
// CHECK: math.sin %{{.*}} : f64
// CHECK: scf.for %[[H:.*]] = %{{.*}} to %c4
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %c4
// CHECK: memref.load %[[COS]][%{{.*}}, %[[I]]]
// CHECK: memref.load %[[SIN]][%{{.*}}, %[[I]]]
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
// CHECK: scf.parallel (%{{.*}}, %[[T:.*]]) =
// CHECK: %[[P:.*]] = arith.index_cast %[[T]] : index to i64
// CHECK: arith.sitofp %[[P]] : i64 to f32
// CHECK: math.sin
// CHECK: scf.for
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
// CHECK-SAME: (%[[X:.*]]: memref<?x8x16xf32>, %[[Y:.*]]: memref<?x1x16xf32>)
// The result's dim 0, reified from the rule, is the input's (CSE later
// merges it with the input's sizes); the mean is stored straight into the
// out-parameter.
// CHECK-NOT: memref.alloc
// CHECK: memref.dim %[[X]], %c0
// CHECK: %[[D0:.*]] = memref.dim %[[X]], %{{c0.*}}
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[I:.*]], %{{.*}}, %[[K:.*]]) = ({{.*}}) to (%[[D0]], %c1{{.*}}, %c16{{.*}})
// CHECK: %[[SUM:.*]] = scf.for %[[J:.*]] = %{{.*}} to %c8 {{.*}} iter_args
// CHECK: memref.load %[[X]][%[[I]], %[[J]], %[[K]]]
// CHECK: arith.addf
// CHECK: arith.uitofp
// CHECK: arith.divf %[[SUM]]
// CHECK: memref.store %{{.*}}, %[[Y]][%[[I]], %{{.*}}, %[[K]]]
// CHECK-NOT: memref.copy
// CHECK: return
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
