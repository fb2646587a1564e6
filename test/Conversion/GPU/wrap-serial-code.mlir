// RUN: kiln-opt %s --split-input-file --kiln-gpu-wrap-serial-code | FileCheck %s

// A copy between device buffers becomes a parallel loop over its elements.

// CHECK-LABEL: func.func @copy
// CHECK-SAME: (%[[FROM:.*]]: memref<?x8xf32>, %[[TO:.*]]: memref<?x8xf32>)
// CHECK: %[[ROWS:.*]] = memref.dim %[[FROM]], %c0
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) = (%c0, %c0) to (%[[ROWS]], %c8)
// CHECK:   %[[V:.*]] = memref.load %[[FROM]][%[[I]], %[[J]]]
// CHECK:   memref.store %[[V]], %[[TO]][%[[I]], %[[J]]]
// CHECK-NOT: memref.copy
func.func @copy(%from: memref<?x8xf32>, %to: memref<?x8xf32>) {
  memref.copy %from, %to : memref<?x8xf32> to memref<?x8xf32>
  return
}

// -----

// A serial loop nest on device memory, with the host code between it and
// the next store, becomes one one-iteration parallel loop: the free waits
// until after it, the independent allocation comes before it, and the
// store of the loop's result joins it. Host code on the host stack and
// reads of a constant global stay on the host; parallel loops are left to
// the next pass.

// CHECK-LABEL: func.func @serial
// CHECK: %[[SHAPE:.*]] = memref.alloca
// CHECK: memref.store %{{.*}}, %[[SHAPE]]
// CHECK: memref.get_global @table
// CHECK: %[[FIRST:.*]] = memref.load %{{.*}}[%c0] : memref<2xi32>
// CHECK: %[[OUT:.*]] = gpu.alloc
// CHECK: scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%c1{{.*}}) step (%c1{{.*}})
// CHECK:   %[[MAX:.*]] = scf.for
// CHECK:   memref.store %[[MAX]], %[[OUT]][]
// CHECK:   scf.reduce
// CHECK: gpu.dealloc %arg0
// CHECK: scf.parallel
// CHECK: return
memref.global "private" constant @table : memref<2xi32> = dense<[0, 1]>
func.func @serial(%in: memref<?xi64>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %low = arith.constant -9 : i64
  %shape = memref.alloca() : memref<1xindex>
  memref.store %n, %shape[%c0] : memref<1xindex>
  %table = memref.get_global @table : memref<2xi32>
  %first = memref.load %table[%c0] : memref<2xi32>
  %max = scf.for %i = %c0 to %n step %c1 iter_args(%m = %low) -> (i64) {
    %v = memref.load %in[%i] : memref<?xi64>
    %next = arith.maxsi %m, %v : i64
    scf.yield %next : i64
  }
  gpu.dealloc %in : memref<?xi64>
  %out = gpu.alloc () : memref<i64>
  memref.store %max, %out[] : memref<i64>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %out[] : memref<i64>
    scf.reduce
  }
  return
}

// -----

// A host branch (kiln_pack's choice of the buffer to fill) stays on the
// host: its parallel loop stays a loop of its own, the serial code and the
// copy in it are handled as in the function's block.

// CHECK-LABEL: func.func @host_branch
// CHECK-SAME: (%[[IN:.*]]: memref<8xf32>, %[[OUT:.*]]: memref<8xf32>, %[[WHICH:.*]]: i64)
// CHECK: %[[ALL:.*]] = arith.cmpi slt, %[[WHICH]]
// CHECK: scf.if %[[ALL]] {
// CHECK: scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%c1{{.*}}) step (%c1{{.*}})
// CHECK-NEXT:   memref.store %{{.*}}, %[[OUT]][%c0{{.*}}]
// CHECK: scf.parallel (%[[I:.*]]) = (%c0{{.*}}) to (%c8{{.*}})
// CHECK-NEXT:   memref.load %[[IN]][%[[I]]]
// CHECK: scf.parallel (%[[J:.*]]) = (%c0{{.*}}) to (%c8{{.*}})
// CHECK-NEXT:   %[[V:.*]] = memref.load %[[OUT]][%[[J]]]
// CHECK-NEXT:   memref.store %[[V]], %[[IN]][%[[J]]]
// CHECK-NOT: memref.copy
func.func @host_branch(%in: memref<8xf32>, %out: memref<8xf32>, %which: i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0 : i64
  %one = arith.constant 1.0 : f32
  %all = arith.cmpi slt, %which, %zero : i64
  scf.if %all {
    memref.store %one, %out[%c0] : memref<8xf32>
    scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
      %v = memref.load %in[%i] : memref<8xf32>
      memref.store %v, %out[%i] : memref<8xf32>
      scf.reduce
    }
    memref.copy %out, %in : memref<8xf32> to memref<8xf32>
  }
  return
}

// -----

// A branch on a value read from device memory runs on the device, with the
// parallel loop in it.

// CHECK-LABEL: func.func @device_branch
// CHECK: scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%c1{{.*}}) step (%c1{{.*}})
// CHECK-NEXT:   %[[FLAG:.*]] = memref.load
// CHECK-NEXT:   scf.if %[[FLAG]] {
// CHECK-NEXT:     scf.parallel
func.func @device_branch(%flag: memref<i1>, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %one = arith.constant 1.0 : f32
  %set = memref.load %flag[] : memref<i1>
  scf.if %set {
    scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
      memref.store %one, %out[%i] : memref<8xf32>
      scf.reduce
    }
  }
  return
}
