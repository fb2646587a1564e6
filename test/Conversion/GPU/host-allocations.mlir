// RUN: kiln-opt %s --kiln-gpu-host-allocations | FileCheck %s --implicit-check-not=gpu.alloc --implicit-check-not=gpu.dealloc

// The host's device buffers go through the memref lowering again.

// CHECK-LABEL: func.func @buffers
// CHECK: %[[A:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: %[[B:.*]] = memref.alloc() : memref<1xi64>
// CHECK: memref.dealloc %[[B]]
// CHECK: memref.dealloc %[[A]]
func.func @buffers(%n: index) {
  %a = gpu.alloc (%n) : memref<?x8xf32>
  %b = gpu.alloc () : memref<1xi64>
  gpu.dealloc %b : memref<1xi64>
  gpu.dealloc %a : memref<?x8xf32>
  return
}
