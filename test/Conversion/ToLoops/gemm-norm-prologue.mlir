// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-convert-to-loops=vector-width=16 --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --implicit-check-not=graph.
// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-convert-to-loops="vector-width=16 block-scratch=false" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --check-prefix=ALLROWS --implicit-check-not=graph.

// A linear with a layer_norm prologue. On CPU threads every row's mean and
// rstd are computed first (one parallel loop, [rows, 2]); then each
// parallel block of up to 192 rows normalizes its rows into scratch of its
// own with them, the tiles read the scratch from row 0, and the epilogue
// stores at the block's rows of the result.
// CHECK-LABEL: func.func @linear_layer_norm
// CHECK: %[[STATS:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x2xf32>
// CHECK: scf.parallel
// CHECK: arith.divf
// CHECK: arith.divf
// CHECK: math.sqrt
// CHECK: memref.store %{{.*}}, %[[STATS]]
// CHECK: scf.parallel
// CHECK: %[[ROWS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<192x24xf32>
// CHECK: memref.load %[[STATS]]
// CHECK-NOT: arith.divf
// CHECK: memref.store %{{.*}}, %[[ROWS]]
// CHECK: memref.load %[[ROWS]]
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

// Without block scratch (the GPU: a parallel iteration is one thread) all
// rows are normalized into one buffer by a parallel loop of their own, and
// the GEMM reads it.
// ALLROWS-LABEL: func.func @linear_layer_norm
// ALLROWS: %[[ALL:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x24xf32>
// ALLROWS: scf.parallel
// ALLROWS: memref.store %{{.*}}, %[[ALL]]
// ALLROWS: scf.parallel
// ALLROWS-NOT: memref.alloc() {{.*}} memref<192x24xf32>
// ALLROWS: memref.load %[[ALL]]
