// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 block-rows=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --implicit-check-not=graph.

// softmax over the last axis with a thread block per row: per-thread maxima
// of the columns thread, thread + 128, ... into workgroup memory; thread 0
// takes their maximum; the same for the sums of exp(x - max) (1 / sum);
// then every thread writes exp(x - max) / sum for its columns, straight into
// the out-parameter.
// CHECK-LABEL: func.func @softmax_rows
// CHECK-SAME: (%[[X:.*]]: memref<?x300xf32>, %[[Y:.*]]: memref<?x300xf32>)
// CHECK-NOT: memref.alloc(
// CHECK: %[[ROWS:.*]] = memref.dim %[[X]], %c0
// CHECK-NOT: memref.alloc(
// CHECK: scf.parallel (%[[ROW:.*]]) = (%c0) to (%[[ROWS]])
// CHECK: %[[PARTIALS:.*]] = memref.alloca() : memref<128xf32, #gpu.address_space<workgroup>>
// CHECK: %[[STATS:.*]] = memref.alloca() : memref<2xf32, #gpu.address_space<workgroup>>
// CHECK: scf.parallel (%[[T:.*]]) = (%c0) to (%c128)
// CHECK: scf.for %[[C:.*]] = %[[T]] to %c300 step %c128
// CHECK: memref.load %[[X]][%[[ROW]], %[[C]]]
// CHECK: arith.maximumf
// CHECK: memref.store %{{.*}}, %[[PARTIALS]][%[[T]]]
// CHECK: scf.parallel (%[[T2:.*]]) = (%c0) to (%c128)
// CHECK: arith.cmpi eq, %[[T2]], %c0
// CHECK: scf.for %{{.*}} = %c0 to %c128
// CHECK: arith.maximumf
// CHECK: memref.store %{{.*}}, %[[STATS]][%c0]
// CHECK: scf.parallel
// CHECK: memref.load %[[STATS]][%c0]
// CHECK: math.exp
// CHECK: memref.store %{{.*}}, %[[PARTIALS]]
// CHECK: scf.parallel
// CHECK: arith.divf
// CHECK: memref.store %{{.*}}, %[[STATS]][%c1]
// CHECK: scf.parallel (%[[T5:.*]]) = (%c0) to (%c128)
// CHECK: scf.for %[[C5:.*]] = %[[T5]] to %c300 step %c128
// CHECK: math.exp
// CHECK: memref.load %[[STATS]][%c1]
// CHECK: memref.store %{{.*}}, %[[Y]][%[[ROW]], %[[C5]]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @softmax_rows(%x: tensor<?x300xf32>) -> tensor<?x300xf32> {
  %y = graph.softmax %x {axis = 1 : i64} : tensor<?x300xf32>
  return %y : tensor<?x300xf32>
}

// Over a middle axis, neighbouring iterations of the row-per-iteration form
// already read neighbouring elements: it stays, with no workgroup memory.
// CHECK-LABEL: func.func @softmax_middle
// CHECK-NOT: workgroup
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c2, %c7)
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @softmax_middle(%x: tensor<2x5x7xf32>) -> tensor<2x5x7xf32> {
  %y = graph.softmax %x {axis = 1 : i64} : tensor<2x5x7xf32>
  return %y : tensor<2x5x7xf32>
}
