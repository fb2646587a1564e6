// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 block-rows=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --implicit-check-not=graph.

// layer_norm with a thread block per row: per-thread sums of the columns
// thread, thread + 128, ... into workgroup memory; thread 0 adds them (the
// mean); the same for the squared deviations (1 / sqrt(var + eps)); then
// every thread normalizes its columns.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: %[[X:[^:]*]]: memref<?x?x768xf32>
// CHECK: %[[XM:.*]] = memref.collapse_shape %[[X]]
// CHECK: %[[YM:.*]] = memref.collapse_shape
// CHECK: %[[ROWS:.*]] = memref.dim %[[XM]], %c0
// CHECK: scf.parallel (%[[ROW:.*]]) = (%c0) to (%[[ROWS]])
// CHECK: %[[PARTIALS:.*]] = memref.alloca() : memref<128xf32, #gpu.address_space<workgroup>>
// CHECK: %[[STATS:.*]] = memref.alloca() : memref<2xf32, #gpu.address_space<workgroup>>
// CHECK: scf.parallel (%[[T:.*]]) = (%c0) to (%c128)
// CHECK: scf.for %[[C:.*]] = %[[T]] to %c768 step %c128
// CHECK: memref.load %[[XM]][%[[ROW]], %[[C]]]
// CHECK: memref.store %{{.*}}, %[[PARTIALS]][%[[T]]]
// CHECK: scf.parallel (%[[T2:.*]]) = (%c0) to (%c128)
// CHECK: arith.cmpi eq, %[[T2]], %c0
// CHECK: scf.for %{{.*}} = %c0 to %c128
// CHECK: memref.load %[[PARTIALS]]
// CHECK: memref.store %{{.*}}, %[[STATS]][%c0]
// CHECK: scf.parallel
// CHECK: memref.load %[[STATS]][%c0]
// CHECK: memref.store %{{.*}}, %[[PARTIALS]]
// CHECK: scf.parallel
// CHECK: math.sqrt
// CHECK: memref.store %{{.*}}, %[[STATS]][%c1]
// CHECK: scf.parallel (%[[T5:.*]]) = (%c0) to (%c128)
// CHECK: scf.for %[[C5:.*]] = %[[T5]] to %c768 step %c128
// CHECK: memref.store %{{.*}}, %[[YM]][%[[ROW]], %[[C5]]]
func.func @layer_norm(%x: tensor<?x?x768xf32>, %w: tensor<768xf32>,
                      %b: tensor<768xf32>) -> tensor<?x?x768xf32> {
  %y = graph.layer_norm %x, %w, %b {eps = 1.0e-05 : f64}
      : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>)
      -> tensor<?x?x768xf32>
  return %y : tensor<?x?x768xf32>
}

// rms_norm has no mean: thread 0 stores 0 in its place, and the phases sum
// squares. One static row gets a second, empty block (a loop of one
// iteration would be inlined with its workgroup buffers).
// CHECK-LABEL: func.func @rms_norm_one_row
// CHECK: scf.parallel (%[[ROW:.*]]) = (%c0) to (%c2)
// CHECK: memref.alloca() : memref<128xf32, #gpu.address_space<workgroup>>
// CHECK: scf.parallel (%[[T:.*]]) = (%c0) to (%c128)
// CHECK: arith.cmpi eq, %[[T]], %c0
// CHECK: memref.store %{{.*}}, %{{.*}}[%c0] : memref<2xf32, #gpu.address_space<workgroup>>
// CHECK: arith.cmpi ult, %[[ROW]], %c1
// CHECK-COUNT-2: scf.parallel (%{{.*}}) = (%c0) to (%c128)
func.func @rms_norm_one_row(%x: tensor<1x1x64xf32>, %w: tensor<64xf32>)
    -> tensor<1x1x64xf32> {
  %y = graph.rms_norm %x, %w {eps = 1.0e-06 : f64}
      : (tensor<1x1x64xf32>, tensor<64xf32>) -> tensor<1x1x64xf32>
  return %y : tensor<1x1x64xf32>
}
