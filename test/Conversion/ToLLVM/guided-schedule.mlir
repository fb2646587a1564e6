// RUN: kiln-opt %s --kiln-guided-schedule | FileCheck %s

// A worksharing loop with no schedule gets schedule(guided); one that names
// its schedule keeps it.
// CHECK-LABEL: func.func @loops
// CHECK: omp.wsloop schedule(guided) {
// CHECK: omp.wsloop schedule(static) {
func.func @loops(%n: index, %buf: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        omp.yield
      }
      omp.terminator
    }
    omp.wsloop schedule(static) {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        omp.yield
      }
      omp.terminator
    }
    omp.terminator
  }
  return
}
