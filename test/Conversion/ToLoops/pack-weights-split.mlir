// RUN: kiln-opt %s --kiln-pack-weights=vector-width=16 --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=16 --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s

// A glu whose gate and up are the two parts of a split of one gate_up
// parameter (Phi-3's gate_up_proj written with the composite ops): the
// gate and up panels are packed at bind time from views of the
// parameter's rows, as from slices, and the split is never computed on a
// call. A split of a weight whose part something else also reads is
// computed as before.

// CHECK: kiln.signature = "{{.*}}\22packed\22:[{\22dtype\22:\22f32\22,\22params\22:[\22wgu\22,\22wgu\22],\22shape\22:[3,64,32]},{\22dtype\22:\22f32\22,\22params\22:[\22wd\22],\22shape\22:[2,40,32]},{\22dtype\22:\22f32\22,\22params\22:[\22wo\22],\22shape\22:[1,64,32]}],\22packed_only\22:[\22wgu\22,\22wd\22]
// CHECK-LABEL: func.func @kiln_main
// CHECK-SAME: (%[[X:.*]]: memref<?x64xf32>, %[[WGU:.*]]: memref<80x64xf32>, %[[WD:.*]]: memref<64x40xf32>, %[[WO:.*]]: memref<48x64xf32>,
// The split of wgu is never read on a call; the split of wo, whose second
// part is an output, is copied.
// CHECK-NOT: memref.load %[[WGU]]
// CHECK:     memref.load %[[WO]]
// CHECK-NOT: memref.load %[[WGU]]
// CHECK: return

// CHECK-LABEL: func.func private @kiln_pack
// CHECK-SAME: (%[[WGU2:.*]]: memref<80x64xf32>, %[[WD2:.*]]: memref<64x40xf32>, %[[WO2:.*]]: memref<48x64xf32>,
// CHECK-DAG: memref.subview %[[WGU2]][0, 0] [40, 64] [1, 1]
// CHECK-DAG: memref.subview %[[WGU2]][40, 0] [40, 64] [1, 1]
// CHECK-DAG: memref.subview %[[WO2]][0, 0] [32, 64] [1, 1]
module attributes {
  kiln.signature = "{\22abi\22:2,\22dims\22:[\22n\22],\22inputs\22:[{\22dtype\22:\22f32\22,\22name\22:\22x\22,\22shape\22:[\22n\22,64]}],\22name\22:\22m\22,\22outputs\22:[],\22params\22:[{\22dtype\22:\22f32\22,\22name\22:\22wgu\22,\22shape\22:[80,64]},{\22dtype\22:\22f32\22,\22name\22:\22wd\22,\22shape\22:[64,40]},{\22dtype\22:\22f32\22,\22name\22:\22wo\22,\22shape\22:[48,64]}]}",
  kiln.source = "{}"
} {
  func.func @kiln_main(%x: tensor<?x64xf32>, %wgu: tensor<80x64xf32>, %wd: tensor<64x40xf32>,
                       %wo: tensor<48x64xf32>)
      -> (tensor<?x64xf32>, tensor<?x32xf32>, tensor<16x64xf32>) {
    %wg, %wu = graph.split %wgu {axis = 0 : i64} : tensor<80x64xf32> -> tensor<40x64xf32>, tensor<40x64xf32>
    %0 = ffn.glu %x, %wg, %wu, %wd {activation = #graph<activation silu>}
        : (tensor<?x64xf32>, tensor<40x64xf32>, tensor<40x64xf32>, tensor<64x40xf32>) -> tensor<?x64xf32>
    %a, %b = graph.split %wo {axis = 0 : i64} : tensor<48x64xf32> -> tensor<32x64xf32>, tensor<16x64xf32>
    %1 = graph.linear %x, %a : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    return %0, %1, %b : tensor<?x64xf32>, tensor<?x32xf32>, tensor<16x64xf32>
  }
}
