// RUN: kiln-opt %s --kiln-free-buffers-early | FileCheck %s

// Each buffer is freed after the last top-level op that uses it or a view
// of it, not at the end of the function; a buffer never used is freed at
// once.

// CHECK-LABEL: func.func @plan
// CHECK: %[[A:.*]] = memref.alloc
// CHECK-NEXT: %[[UNUSED:.*]] = memref.alloc
// CHECK-NEXT: memref.dealloc %[[UNUSED]]
// CHECK-NEXT: scf.for
// CHECK: %[[B:.*]] = memref.alloc
// CHECK-NEXT: %[[VIEW:.*]] = memref.collapse_shape %[[A]]
// CHECK-NEXT: scf.for
// CHECK: memref.dealloc %[[A]]
// CHECK-NEXT: memref.copy %[[B]], %{{.*}}
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK-NEXT: return
func.func @plan(%x: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<4x8xf32>
  %unused = memref.alloc() : memref<16xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %x[%i, %c0] : memref<4x8xf32>
    memref.store %v, %a[%i, %c0] : memref<4x8xf32>
  }
  %b = memref.alloc() : memref<4x8xf32>
  %flat = memref.collapse_shape %a [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %flat[%i] : memref<32xf32>
    memref.store %v, %b[%i, %c0] : memref<4x8xf32>
  }
  memref.copy %b, %out : memref<4x8xf32> to memref<4x8xf32>
  memref.dealloc %a : memref<4x8xf32>
  memref.dealloc %unused : memref<16xf32>
  memref.dealloc %b : memref<4x8xf32>
  return
}
