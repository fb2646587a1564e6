// RUN: kiln-opt %s --split-input-file --kiln-gpu-map-parallel-loops --canonicalize --cse | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-gpu-map-parallel-loops=block-size=64 | FileCheck %s --check-prefix=B64

// A dynamic 2-D loop: one thread per iteration in blocks of 128, the
// launch skipped when there is no iteration, threads past the end idle,
// and the indices recovered row-major from the global thread id.

// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[OUT:.*]]: memref<?x?xf32>, %[[M:.*]]: index, %[[N:.*]]: index)
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[ROWS:.*]] = arith.maxsi %[[M]]
// CHECK-DAG: %[[COLS:.*]] = arith.maxsi %[[N]]
// CHECK: %[[TOTAL:.*]] = arith.muli %[[ROWS]], %[[COLS]]
// CHECK: %[[GRID:.*]] = arith.ceildivui %[[TOTAL]], %[[C128]]
// CHECK: %[[ANY:.*]] = arith.cmpi sgt, %[[TOTAL]]
// CHECK: scf.if %[[ANY]] {
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GRID]], %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C128]],
// CHECK:   %[[BASE:.*]] = arith.muli %[[BX]], %[[C128]]
// CHECK:   %[[ID:.*]] = arith.addi %[[BASE]], %[[TX]]
// CHECK:   %[[IN:.*]] = arith.cmpi ult, %[[ID]], %[[TOTAL]]
// CHECK:   scf.if %[[IN]] {
// CHECK:     %[[J:.*]] = arith.remui %[[ID]], %[[COLS]]
// CHECK:     %[[I:.*]] = arith.divui %[[ID]], %[[COLS]]
// CHECK:     memref.store %{{.*}}, %[[OUT]][%[[I]], %[[J]]]
// CHECK:   gpu.terminator
// CHECK-NOT: scf.parallel
// B64-LABEL: func.func @dynamic
// B64: arith.constant 64 : index
func.func @dynamic(%out: memref<?x?xf32>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%m, %n) step (%c1, %c1) {
    memref.store %zero, %out[%i, %j] : memref<?x?xf32>
    scf.reduce
  }
  return
}

// -----

// A loop of one iteration (serial code) is a single thread; a loop whose
// trip count the block size divides needs no bounds check; a loop with no
// iteration disappears. Constants and globals the body reads are cloned
// into the launch; nested parallel loops stay sequential inside it.

memref.global "private" constant @table : memref<4xf32> = dense<1.0>

// CHECK-LABEL: func.func @static
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %[[C1]], {{.*}}) threads({{.*}}) in (%{{.*}} = %[[C1]],
// CHECK-NOT: scf.if
// CHECK:   memref.get_global @table
// CHECK:   scf.parallel
// CHECK:   gpu.terminator
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %[[C2]], {{.*}}) threads({{.*}}) in (%{{.*}} = %[[C128]],
// CHECK-NOT: scf.if
// CHECK:   memref.get_global @table
// CHECK:   memref.store
// CHECK:   gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK: return
func.func @static(%out: memref<256xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %table = memref.get_global @table : memref<4xf32>
  scf.parallel (%i) = (%c0) to (%c1) step (%c1) {
    scf.parallel (%k) = (%c0) to (%c4) step (%c1) {
      %v = memref.load %table[%k] : memref<4xf32>
      memref.store %v, %out[%k] : memref<256xf32>
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c256) step (%c1) {
    %v = memref.load %table[%c0] : memref<4xf32>
    memref.store %v, %out[%i] : memref<256xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c4) to (%c0) step (%c1) {
    %v = memref.load %table[%c0] : memref<4xf32>
    memref.store %v, %out[%i] : memref<256xf32>
    scf.reduce
  }
  return
}

// -----

// A parallel loop in a host branch (kiln_pack's choice of the buffer to
// fill) becomes a launch inside the branch.

// CHECK-LABEL: func.func @host_branch
// CHECK: scf.if %{{.*}} {
// CHECK-NEXT: gpu.launch
// CHECK: memref.store
// CHECK-NOT: scf.parallel
func.func @host_branch(%out: memref<8xf32>, %which: i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0 : i64
  %one = arith.constant 1.0 : f32
  %all = arith.cmpi slt, %which, %zero : i64
  scf.if %all {
    scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
      memref.store %one, %out[%i] : memref<8xf32>
      scf.reduce
    }
  }
  return
}
