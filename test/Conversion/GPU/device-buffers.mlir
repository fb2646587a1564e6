// RUN: kiln-opt %s --kiln-gpu-device-buffers | FileCheck %s

// Heap buffers become device buffers; a stack array that a loop uses (a work
// counter) becomes one too, freed before the return; a stack array that only
// the host reads (a reshape's shape) and per-thread scratch inside a loop
// stay where they are.

// CHECK-LABEL: func.func @buffers
// CHECK: %[[COUNTER:.*]] = gpu.alloc () : memref<1xi64>
// CHECK: %[[SHAPE:.*]] = memref.alloca() : memref<2xindex>
// CHECK: %[[BUF:.*]] = gpu.alloc (%{{.*}}) : memref<?xf32>
// CHECK: memref.reshape %[[BUF]](%[[SHAPE]])
// CHECK: scf.parallel
// CHECK:   memref.alloca() : memref<4xf32>
// CHECK:   memref.atomic_rmw addi %{{.*}}, %[[COUNTER]]
// CHECK: gpu.dealloc %[[BUF]] : memref<?xf32>
// CHECK-NEXT: gpu.dealloc %[[COUNTER]] : memref<1xi64>
// CHECK-NEXT: return
func.func @buffers(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %one = arith.constant 1 : i64
  %counter = memref.alloca() : memref<1xi64>
  %shape = memref.alloca() : memref<2xindex>
  memref.store %c2, %shape[%c0] : memref<2xindex>
  %half = memref.load %shape[%c0] : memref<2xindex>
  memref.store %half, %shape[%c1] : memref<2xindex>
  %buffer = memref.alloc(%n) : memref<?xf32>
  %view = memref.reshape %buffer(%shape) : (memref<?xf32>, memref<2xindex>) -> memref<?x?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %scratch = memref.alloca() : memref<4xf32>
    %old = memref.atomic_rmw addi %one, %counter[%c0] : (i64, memref<1xi64>) -> i64
    scf.reduce
  }
  memref.dealloc %buffer : memref<?xf32>
  return
}
