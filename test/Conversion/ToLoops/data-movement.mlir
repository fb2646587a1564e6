// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops --reconcile-unrealized-casts | FileCheck %s --implicit-check-not=graph. --implicit-check-not=tensor.

// reshape is a view of the contiguous buffer; transpose, slice, concat and
// split are copy loops; tensor.dim becomes memref.dim.

// The shape operand of memref.reshape holds the dynamic sizes in order,
// then the static ones.
// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:.*]]: memref<?x?x64xf32>, %[[B:.*]]: index, %[[T:.*]]: index, %[[OUT:.*]]: memref<?x?x4x16xf32>)
// CHECK: %[[SHAPE:.*]] = memref.alloca() : memref<4xindex>
// CHECK: memref.store %[[B]], %[[SHAPE]][%c0]
// CHECK: memref.store %[[T]], %[[SHAPE]][%c1]
// CHECK: memref.store %c4, %[[SHAPE]][%c2]
// CHECK: memref.store %c16, %[[SHAPE]][%c3]
// CHECK: %[[VIEW:.*]] = memref.reshape %[[X]](%[[SHAPE]]) : (memref<?x?x64xf32>, memref<4xindex>) -> memref<?x?x4x16xf32>
// CHECK-NOT: memref.alloc(
// CHECK: memref.copy %[[VIEW]], %[[OUT]]
func.func @reshape(%x: tensor<?x?x64xf32>, %b: index, %t: index) -> tensor<?x?x4x16xf32> {
  %0 = graph.reshape %x sizes(%b, %t) : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
  return %0 : tensor<?x?x4x16xf32>
}

// CHECK-LABEL: func.func @reshape_static
// CHECK: %[[SHAPE:.*]] = memref.alloca() : memref<2xindex>
// CHECK: memref.reshape %{{.*}}(%[[SHAPE]]) : (memref<2x3x4xi32>, memref<2xindex>) -> memref<6x4xi32>
func.func @reshape_static(%x: tensor<2x3x4xi32>) -> tensor<6x4xi32> {
  %0 = graph.reshape %x : tensor<2x3x4xi32> -> tensor<6x4xi32>
  return %0 : tensor<6x4xi32>
}

// transpose: the result has the permuted sizes and reads x[perm^-1(ivs)].
// It is returned, so the loops write the out-parameter directly: no
// buffer, no copy.
// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:.*]]: memref<?x?x4x16xf32>, %[[OUT:.*]]: memref<?x4x?x16xf32>)
// CHECK: %[[D0:.*]] = memref.dim %[[X]], %c0
// CHECK: %[[D1:.*]] = memref.dim %[[X]], %c1
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[I0:.*]], %[[I1:.*]], %[[I2:.*]]) = ({{.*}}) to (%[[D0]], %c4, %[[D1]])
// CHECK: scf.for %[[I3:.*]] = %{{.*}} to %c16
// CHECK: %[[V:.*]] = memref.load %[[X]][%[[I0]], %[[I2]], %[[I1]], %[[I3]]]
// CHECK: memref.store %[[V]], %[[OUT]][%[[I0]], %[[I1]], %[[I2]], %[[I3]]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @transpose(%x: tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32> {
  %0 = graph.transpose %x {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  return %0 : tensor<?x4x?x16xf32>
}

// slice reads at an offset of `start` along the axis, into the
// out-parameter.
// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%[[X:.*]]: memref<?x192xf32>, %[[OUT:.*]]: memref<?x64xf32>)
// CHECK: %[[D0:.*]] = memref.dim %[[X]], %c0
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %c64
// CHECK: %[[SHIFTED:.*]] = arith.addi %[[J]], %c64
// CHECK: %[[V:.*]] = memref.load %[[X]][%[[I]], %[[SHIFTED]]]
// CHECK: memref.store %[[V]], %[[OUT]][%[[I]], %[[J]]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @slice(%x: tensor<?x192xf32>) -> tensor<?x64xf32> {
  %0 = graph.slice %x {axis = 1 : i64, start = 64 : i64, end = 128 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// concat writes each input at its running offset, 0 then 16, straight into
// the out-parameter.
// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.*]]: memref<?x16xf32>, %[[B:.*]]: memref<?x48xf32>, %[[OUT:.*]]: memref<?x64xf32>)
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %c16
// CHECK: %[[AT:.*]] = arith.addi %[[J]], %c0
// CHECK: %[[V:.*]] = memref.load %[[A]]
// CHECK: memref.store %[[V]], %[[OUT]][%{{.*}}, %[[AT]]]
// CHECK: scf.parallel
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %c48
// CHECK: %[[AT2:.*]] = arith.addi %[[K]], %c16
// CHECK: %[[W:.*]] = memref.load %[[B]]
// CHECK: memref.store %[[W]], %[[OUT]][%{{.*}}, %[[AT2]]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @concat(%a: tensor<?x16xf32>, %b: tensor<?x48xf32>) -> tensor<?x64xf32> {
  %0 = graph.concat %a, %b {axis = 1 : i64} : (tensor<?x16xf32>, tensor<?x48xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// split writes each part, read at its offset, straight into its own
// out-parameter: no buffers, no copies.
// CHECK-LABEL: func.func @split
// CHECK-SAME: (%[[X:.*]]: memref<?x192xf32>, %[[OUT0:.*]]: memref<?x64xf32>, %[[OUT1:.*]]: memref<?x128xf32>)
// CHECK-NOT: memref.alloc
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %c64
// CHECK: %[[AT0:.*]] = arith.addi %[[J]], %c0
// CHECK: memref.load %[[X]][%{{.*}}, %[[AT0]]]
// CHECK: memref.store %{{.*}}, %[[OUT0]][%{{.*}}, %[[J]]]
// CHECK-NOT: memref.alloc
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %c128
// CHECK: %[[AT:.*]] = arith.addi %[[K]], %c64
// CHECK: memref.load %[[X]][%{{.*}}, %[[AT]]]
// CHECK: memref.store %{{.*}}, %[[OUT1]][%{{.*}}, %[[K]]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @split(%x: tensor<?x192xf32>) -> (tensor<?x64xf32>, tensor<?x128xf32>) {
  %0:2 = graph.split %x {axis = 1 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>, tensor<?x128xf32>
  return %0#0, %0#1 : tensor<?x64xf32>, tensor<?x128xf32>
}

// tensor.dim becomes memref.dim; a non-tensor result stays a result.
// CHECK-LABEL: func.func @dim
// CHECK-SAME: (%[[X:.*]]: memref<?x8xf32>) -> index
// CHECK: %[[D:.*]] = memref.dim %[[X]], %c0
// CHECK: return %[[D]] : index
func.func @dim(%x: tensor<?x8xf32>) -> index {
  %c0 = arith.constant 0 : index
  %0 = tensor.dim %x, %c0 : tensor<?x8xf32>
  return %0 : index
}
