// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=16 --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --implicit-check-not=graph.

// A linear with a layer_norm prologue: A's rows are normalized once, each
// row's mean and rstd and then the row in one parallel loop over rows, into
// a buffer of A's shape; the GEMM's parallel blocks read it and allocate no
// rows of their own (normalizing per block repeated the work for every
// block of panels).
// CHECK-LABEL: func.func @linear_layer_norm
// CHECK: %[[ALL:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x24xf32>
// CHECK: scf.parallel
// CHECK: arith.divf
// CHECK: math.sqrt
// CHECK: memref.store %{{.*}}, %[[ALL]]
// CHECK: scf.parallel
// CHECK-NOT: memref<?x2xf32>
// CHECK-NOT: memref<192x24xf32>
// CHECK: memref.load %[[ALL]]
// CHECK: vector.store
func.func @linear_layer_norm(%x: tensor<?x24xf32>, %w: tensor<40x24xf32>,
                             %g: tensor<24xf32>, %b: tensor<24xf32>)
    -> tensor<?x40xf32> {
  %0 = graph.linear %x, %w norm_weight %g norm_bias %b
      {norm = #graph<norm layer_norm>, norm_eps = 1.0e-5 : f64}
      : (tensor<?x24xf32>, tensor<40x24xf32>, tensor<24xf32>, tensor<24xf32>)
      -> tensor<?x40xf32>
  return %0 : tensor<?x40xf32>
}
