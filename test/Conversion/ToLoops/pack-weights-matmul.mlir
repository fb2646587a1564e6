// RUN: kiln-opt %s --kiln-pack-weights=vector-width=16 | FileCheck %s --check-prefix=PLAN
// RUN: kiln-opt %s --kiln-pack-weights=vector-width=16 --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=16 --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s

// A matmul whose right operand is one [K, N] parameter for every batch (x ·
// W with W [in, out], as GPT-2's Conv1D and Flax's Dense hold it) has it
// packed at bind time, read from [k, n]: the same panels a linear's [N, K]
// weight makes. A linear whose weight is that parameter transposed (as
// kiln-raise-linear writes x · W) reads the same panels, and the transpose
// is never computed. A batched right operand is read in place, not packed.

// PLAN: \22packed\22:[{\22dtype\22:\22f32\22,\22params\22:[\22w\22],\22shape\22:[2,64,32]}],\22packed_only\22:[\22w\22]
// PLAN-LABEL: func.func @kiln_main
// PLAN: graph.matmul {{.*}} {kiln.packed_panels = array<i64: 1, 3>} : tensor<?x64xf32>, tensor<64x40xf32>
// PLAN: graph.linear {{.*}} {kiln.packed_panels = array<i64: 1, 3>} : (tensor<?x64xf32>, tensor<40x64xf32>)
// PLAN-NOT: kiln.packed_panels
// PLAN: func.func private @kiln_pack

// CHECK-LABEL: func.func @kiln_main
// CHECK-SAME: (%[[X:.*]]: memref<?x64xf32>, %[[W:.*]]: memref<64x40xf32>, %[[WB:.*]]: memref<2x64x40xf32>, %[[P:.*]]: memref<2x64x32xf32>,
// CHECK-NOT: memref.load %[[W]]
// CHECK: vector.load %[[P]]
// CHECK-NOT: memref.load %[[W]]
// CHECK: memref.subview %[[WB]]
// CHECK-NOT: memref.load %[[W]]
// CHECK: vector.load %[[P]]
// CHECK-NOT: memref.load %[[W]]
// CHECK-LABEL: func.func private @kiln_pack
// CHECK-SAME: (%[[W2:.*]]: memref<64x40xf32>, %{{.*}}: memref<2x64x40xf32>, %[[P2:.*]]: memref<2x64x32xf32>, %{{.*}}: i64)
// CHECK: scf.parallel (%[[PANEL:.*]]) =
// CHECK: scf.for %[[K:.*]] = %c0 to %c64
// CHECK: scf.for %[[J:.*]] = %c0 to %c32
// CHECK: memref.load %[[W2]][%[[K]], %{{.*}}] : memref<64x40xf32>
// CHECK: memref.store %{{.*}}, %[[P2]][%[[PANEL]], %[[K]], %[[J]]]
module attributes {
  kiln.signature = "{\22abi\22:2,\22dims\22:[\22n\22],\22inputs\22:[{\22dtype\22:\22f32\22,\22name\22:\22x\22,\22shape\22:[\22n\22,64]}],\22name\22:\22m\22,\22outputs\22:[],\22params\22:[{\22dtype\22:\22f32\22,\22name\22:\22w\22,\22shape\22:[64,40]},{\22dtype\22:\22f32\22,\22name\22:\22wb\22,\22shape\22:[2,64,40]}]}",
  kiln.source = "{}"
} {
  func.func @kiln_main(%x: tensor<?x64xf32>, %w: tensor<64x40xf32>, %wb: tensor<2x64x40xf32>)
      -> (tensor<?x40xf32>, tensor<2x?x40xf32>, tensor<?x40xf32>) {
    %0 = graph.matmul %x, %w : tensor<?x64xf32>, tensor<64x40xf32> -> tensor<?x40xf32>
    %1 = graph.matmul %x, %wb : tensor<?x64xf32>, tensor<2x64x40xf32> -> tensor<2x?x40xf32>
    %wt = graph.transpose %w {perm = array<i64: 1, 0>} : tensor<64x40xf32> -> tensor<40x64xf32>
    %2 = graph.linear %x, %wt : (tensor<?x64xf32>, tensor<40x64xf32>) -> tensor<?x40xf32>
    return %0, %1, %2 : tensor<?x40xf32>, tensor<2x?x40xf32>, tensor<?x40xf32>
  }
}
