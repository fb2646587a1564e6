// RUN: kiln-opt %s --kiln-parallel-to-openmp | FileCheck %s

// Parallel loops become OpenMP worksharing loops; the one marked
// kiln.guided_schedule (a GEMM's blocks) takes schedule(guided), the other
// keeps the default static schedule.
// CHECK-LABEL: func.func @loops
// CHECK: omp.wsloop schedule(guided) {
// CHECK: memref.store %{{.*}}, %arg1
// CHECK: omp.wsloop {
// CHECK: memref.store %{{.*}}, %arg2
// CHECK-NOT: kiln.guided_schedule
func.func @loops(%n: index, %a: memref<?x?xf32>, %b: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %n) step (%c1, %c1) {
    memref.store %zero, %a[%i, %j] : memref<?x?xf32>
    scf.reduce
  } {kiln.guided_schedule}
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %b[%i] : memref<?xf32>
    scf.reduce
  }
  return
}
