// RUN: kiln-opt %s --kiln-pack-weights=vector-width=16 --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=16 --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s
// RUN: kiln-opt %s --kiln-pack-weights=vector-width=16 | kiln-opt --kiln-pack-weights=vector-width=16 | FileCheck %s --check-prefix=TWICE
// RUN: kiln-opt %s --kiln-pack-weights=vector-width=16 | FileCheck %s --check-prefix=PLAN

// GEMM weights that are parameters are packed once, at bind time: the model
// function takes their panels after the parameters, the signature lists
// them under "packed", and @kiln_pack fills them from the parameters. A
// parameter used by two GEMMs is packed once; GLU's gate and up weights
// share one buffer; a weight that is a graph input is packed per call.
// "packed_only" lists the parameters read through their panels alone: not
// wg and wu, which a multiplication also reads.

// The plan is in the IR: each GEMM op names, per packed weight operand, the
// argument holding its panels (the tensors stay until
// kiln-bufferize-boundaries).
// PLAN-LABEL: func.func @kiln_main
// PLAN-SAME: %{{.*}}: tensor<64x40xf32>, %{{.*}}: memref<2x64x32xf32>, %{{.*}}: memref<3x64x32xf32>, %{{.*}}: memref<2x40x32xf32>) ->
// PLAN: graph.linear {{.*}} {kiln.packed_panels = array<i64: 1, 6>}
// PLAN: graph.linear {{.*}} {kiln.packed_panels = array<i64: 1, 6>}
// PLAN: ffn.glu {{.*}} kiln.packed_panels = array<i64: 1, 7, 3, 8>}
// The weight that is a graph input is not packed at bind time.
// PLAN-NOT: kiln.packed_panels
// PLAN: func.func private @kiln_pack

// Run again on its own output, the pass plans nothing more.
// TWICE-COUNT-1: func.func private @kiln_pack
// TWICE-NOT: func.func private @kiln_pack

// CHECK: kiln.signature = "{{.*}}\22packed\22:[{\22dtype\22:\22f32\22,\22params\22:[\22w\22],\22shape\22:[2,64,32]},{\22dtype\22:\22f32\22,\22params\22:[\22wg\22,\22wu\22],\22shape\22:[3,64,32]},{\22dtype\22:\22f32\22,\22params\22:[\22wd\22],\22shape\22:[2,40,32]}],\22packed_only\22:[\22w\22,\22wd\22]
// CHECK-LABEL: func.func @kiln_main
// CHECK-SAME: (%[[X:.*]]: memref<?x64xf32>, %[[XW:.*]]: memref<40x64xf32>, %[[W:.*]]: memref<40x64xf32>, %[[WG:.*]]: memref<40x64xf32>, %[[WU:.*]]: memref<40x64xf32>, %[[WD:.*]]: memref<64x40xf32>,
// CHECK-SAME: %[[PW:.*]]: memref<2x64x32xf32>, %[[PGU:.*]]: memref<3x64x32xf32>, %[[PD:.*]]: memref<2x40x32xf32>,
// CHECK-SAME: %{{.*}}: memref<?x40xf32>, %{{.*}}: memref<?x40xf32>, %{{.*}}: memref<?x64xf32>, %{{.*}}: memref<?x40xf32>, %{{.*}}: memref<40x64xf32>)
// The two linears on `w` read the same bind-time panels.
// CHECK: vector.load %[[PW]]
// CHECK: vector.load %[[PW]]
// GLU reads its two packed buffers.
// CHECK: vector.load %[[PGU]]
// CHECK: vector.load %[[PD]]
// The weight that is an input is packed on this call.
// CHECK: %[[PX:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x64x32xf32>
// CHECK: memref.load %[[XW]]
// CHECK: vector.load %[[PX]]
// CHECK: return

// CHECK-LABEL: func.func private @kiln_pack
// CHECK-SAME: (%[[W2:.*]]: memref<40x64xf32>, %[[WG2:.*]]: memref<40x64xf32>, %[[WU2:.*]]: memref<40x64xf32>, %[[WD2:.*]]: memref<64x40xf32>, %[[PW2:.*]]: memref<2x64x32xf32>, %[[PGU2:.*]]: memref<3x64x32xf32>, %[[PD2:.*]]: memref<2x40x32xf32>, %[[WHICH:.*]]: i64)
// Each buffer is filled when `which` selects it, or every one when negative.
// CHECK-DAG: %[[ALL:.*]] = arith.cmpi slt, %[[WHICH]], %c0_i64
// CHECK: %[[IS0:.*]] = arith.cmpi eq, %[[WHICH]], %c0_i64
// CHECK: %[[SEL0:.*]] = arith.ori %[[ALL]], %[[IS0]]
// CHECK: scf.if %[[SEL0]]
// CHECK: memref.load %[[W2]]
// CHECK: memref.store %{{.*}}, %[[PW2]]
// CHECK: %[[IS1:.*]] = arith.cmpi eq, %[[WHICH]], %c1_i64
// CHECK: %[[SEL1:.*]] = arith.ori %[[ALL]], %[[IS1]]
// CHECK: scf.if %[[SEL1]]
// CHECK: memref.load %[[WG2]]
// CHECK: memref.store %{{.*}}, %[[PGU2]]
// CHECK: memref.load %[[WU2]]
// CHECK: memref.store %{{.*}}, %[[PGU2]]
// CHECK: scf.if
// CHECK: memref.load %[[WD2]]
// CHECK: memref.store %{{.*}}, %[[PD2]]
module attributes {
  kiln.signature = "{\22abi\22:2,\22dims\22:[\22n\22],\22inputs\22:[{\22dtype\22:\22f32\22,\22name\22:\22x\22,\22shape\22:[\22n\22,64]},{\22dtype\22:\22f32\22,\22name\22:\22xw\22,\22shape\22:[40,64]}],\22name\22:\22m\22,\22outputs\22:[],\22params\22:[{\22dtype\22:\22f32\22,\22name\22:\22w\22,\22shape\22:[40,64]},{\22dtype\22:\22f32\22,\22name\22:\22wg\22,\22shape\22:[40,64]},{\22dtype\22:\22f32\22,\22name\22:\22wu\22,\22shape\22:[40,64]},{\22dtype\22:\22f32\22,\22name\22:\22wd\22,\22shape\22:[64,40]}]}",
  kiln.source = "{}"
} {
  func.func @kiln_main(%x: tensor<?x64xf32>, %xw: tensor<40x64xf32>, %w: tensor<40x64xf32>,
                       %wg: tensor<40x64xf32>, %wu: tensor<40x64xf32>, %wd: tensor<64x40xf32>)
      -> (tensor<?x40xf32>, tensor<?x40xf32>, tensor<?x64xf32>, tensor<?x40xf32>, tensor<40x64xf32>) {
    %0 = graph.linear %x, %w : (tensor<?x64xf32>, tensor<40x64xf32>) -> tensor<?x40xf32>
    %1 = graph.linear %x, %w : (tensor<?x64xf32>, tensor<40x64xf32>) -> tensor<?x40xf32>
    %2 = ffn.glu %x, %wg, %wu, %wd {activation = #graph<activation silu>}
        : (tensor<?x64xf32>, tensor<40x64xf32>, tensor<40x64xf32>, tensor<64x40xf32>) -> tensor<?x64xf32>
    %3 = graph.linear %x, %xw : (tensor<?x64xf32>, tensor<40x64xf32>) -> tensor<?x40xf32>
    %4 = graph.mul %wg, %wu : tensor<40x64xf32>, tensor<40x64xf32> -> tensor<40x64xf32>
    return %0, %1, %2, %3, %4 : tensor<?x40xf32>, tensor<?x40xf32>, tensor<?x64xf32>, tensor<?x40xf32>, tensor<40x64xf32>
  }
}
