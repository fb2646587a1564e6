// RUN: kiln-opt %s --kiln-outline-kernels | FileCheck %s

// Two identical loop nests (the same kernel on different buffers, as in two
// layers) share one noinline function; a different one gets its own. The
// constants they read are cloned in, the buffers and sizes passed.

// CHECK-LABEL: func.func private @kiln_kernel(
// CHECK-SAME: %[[N:.*]]: index, %[[IN:.*]]: memref<?xf32>, %[[OUT:.*]]: memref<?xf32>)
// CHECK-SAME: llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]
// CHECK-DAG: arith.constant 0 : index
// CHECK-DAG: arith.constant 2.000000e+00 : f32
// CHECK: scf.parallel
// CHECK: arith.mulf
// CHECK-LABEL: func.func private @kiln_kernel_0(
// CHECK: arith.addf
// CHECK-LABEL: func.func @kiln_main
// CHECK-SAME: (%[[A:.*]]: memref<?xf32>, %[[B:.*]]: memref<?xf32>, %[[C:.*]]: memref<?xf32>)
// CHECK: %[[DIM:.*]] = memref.dim %[[A]]
// CHECK-NEXT: call @kiln_kernel(%[[DIM]], %[[A]], %[[B]])
// CHECK-NEXT: call @kiln_kernel(%[[DIM]], %[[B]], %[[C]])
// CHECK-NEXT: call @kiln_kernel_0(%[[DIM]], %[[C]], %[[A]])
// CHECK-NEXT: return
func.func @kiln_main(%a: memref<?xf32>, %b: memref<?xf32>, %c: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  %n = memref.dim %a, %c0 : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %x = memref.load %a[%i] : memref<?xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %b[%i] : memref<?xf32>
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %x = memref.load %b[%i] : memref<?xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %c[%i] : memref<?xf32>
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %x = memref.load %c[%i] : memref<?xf32>
    %y = arith.addf %x, %two : f32
    memref.store %y, %a[%i] : memref<?xf32>
  }
  return
}
