// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops --reconcile-unrealized-casts | FileCheck %s --implicit-check-not=graph.

// The generation glue ops: comparisons and where as broadcasting loops,
// constants as globals (splats as a fill), index ops with wrapped and
// clamped indices, argmax/top_k/cumsum as one sequential pass per row.

// Globals come first in the module.
// CHECK: memref.global "private" constant @[[GLOBAL:kiln_constant[_0-9]*]] : memref<2xf32> = dense<[1.000000e+00, 2.000000e+00]> {alignment = 64 : i64}

// CHECK-LABEL: func.func @compare_where
// CHECK: scf.parallel
// CHECK: arith.cmpf ogt
// CHECK: memref.store %{{.*}} : memref<?x8xi1>
// CHECK: scf.parallel
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
func.func @compare_where(%x: tensor<?x8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = graph.greater %x, %b : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xi1>
  %1 = graph.where %0, %x, %b : (tensor<?x8xi1>, tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// The splat fills its out-parameter directly; the global is copied into its
// own.
// CHECK-LABEL: func.func @constants
// CHECK-SAME: (%[[OUT0:[^:]*]]: memref<2xf32>, %[[SPLAT:[^:]*]]: memref<4x4xi64>)
// CHECK: %[[G:.*]] = memref.get_global @[[GLOBAL]] : memref<2xf32>
// CHECK-NOT: memref.alloc
// CHECK: scf.for
// CHECK: memref.store %c7_i64, %[[SPLAT]]
// CHECK: memref.copy %[[G]], %[[OUT0]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @constants() -> (tensor<2xf32>, tensor<4x4xi64>) {
  %0 = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %1 = graph.constant dense<7> : tensor<4x4xi64>
  return %0, %1 : tensor<2xf32>, tensor<4x4xi64>
}

// A negative index wraps once, then clamps into [0, size).
// CHECK-LABEL: func.func @gather
// CHECK: %[[ID:.*]] = memref.load %{{.*}} : memref<?xi32>
// CHECK: %[[POS:.*]] = arith.index_cast %[[ID]] : i32 to index
// CHECK: arith.cmpi slt, %[[POS]]
// CHECK: arith.minsi
// CHECK: arith.maxsi
func.func @gather(%x: tensor<?x8xf32>, %i: tensor<?xi32>) -> tensor<?x?xf32> {
  %0 = graph.gather %x, %i {axis = 1 : i64} : (tensor<?x8xf32>, tensor<?xi32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @argmax
// CHECK: scf.parallel
// CHECK: scf.for {{.*}} iter_args
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf uno
func.func @argmax(%x: tensor<?x8xf32>) -> tensor<?xi64> {
  %0 = graph.argmax %x {axis = 1 : i64} : tensor<?x8xf32> -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// CHECK-LABEL: func.func @top_k
// CHECK: scf.parallel
// CHECK: scf.for
// CHECK: scf.if
// CHECK: scf.for
// CHECK: scf.if
func.func @top_k(%x: tensor<?x8xf32>) -> tensor<?x2xf32> {
  %0 = graph.top_k %x {axis = 1 : i64, k = 2 : i64} : tensor<?x8xf32> -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// Float sums run in f64.
// CHECK-LABEL: func.func @cumsum
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f64)
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @cumsum(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = graph.cumsum %x {axis = 1 : i64, reverse} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// The last position of a dynamic axis: dim - 1, clamped.
// CHECK-LABEL: func.func @slice_last
// CHECK: %[[T:.*]] = memref.dim %{{.*}}, %c1
// CHECK: arith.addi %[[T]], %c-1
func.func @slice_last(%x: tensor<?x?x8xf32>) -> tensor<?x1x8xf32> {
  %0 = graph.slice %x {axis = 1 : i64, start = -1 : i64} : tensor<?x?x8xf32> -> tensor<?x1x8xf32>
  return %0 : tensor<?x1x8xf32>
}
