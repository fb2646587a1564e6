// RUN: kiln-opt %s -split-input-file --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=8 | FileCheck %s

// The GEMM's loop over (panel block, row block) pairs is marked for guided
// chunks (kiln-parallel-to-openmp), so a thread slowed down by another
// process takes fewer blocks; the packing loop before it is not.

// CHECK-LABEL: func.func @kiln_main
// CHECK: scf.parallel (%{{[^,]*}}) =
// CHECK-NOT: kiln.guided_schedule
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) =
// CHECK: } {kiln.guided_schedule}
func.func @kiln_main(%x: tensor<?x64xf32>, %w: tensor<40x64xf32>) -> tensor<?x40xf32> {
  %y = graph.linear %x, %w : (tensor<?x64xf32>, tensor<40x64xf32>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

// -----

// In the decode entry the GEMMs are a few rows each and many: their loops
// keep the static schedule, whose dispatch costs less.

// CHECK-LABEL: func.func @kiln_decode
// CHECK-NOT: kiln.guided_schedule
func.func @kiln_decode(%x: tensor<?x64xf32>, %w: tensor<40x64xf32>) -> tensor<?x40xf32> {
  %y = graph.linear %x, %w : (tensor<?x64xf32>, tensor<40x64xf32>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}
