// RUN: kiln-opt %s --kiln-pack-weights=vector-width=16 --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=16 --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s

// A glu whose gate and up are row ranges of one gate_up parameter
// (kiln-raise-ffn, Phi-3's gate_up_proj), given [out, in] (`wgu`) or
// [in, out] and transposed (`wt`): each buffer is packed at bind time from
// views of the parameter's rows, so the signature names the parameter once
// per source and the slices are never computed on a call. A slice of a
// weight that something else also reads is computed as before.

// CHECK: kiln.signature = "{{.*}}\22packed\22:[{\22dtype\22:\22f32\22,\22params\22:[\22wgu\22,\22wgu\22],\22shape\22:[3,64,32]},{\22dtype\22:\22f32\22,\22params\22:[\22wd\22],\22shape\22:[2,40,32]},{\22dtype\22:\22f32\22,\22params\22:[\22wt\22,\22wt\22],\22shape\22:[3,64,32]}],\22packed_only\22:[\22wgu\22,\22wd\22]
// CHECK-LABEL: func.func @kiln_main
// CHECK-SAME: (%[[X:.*]]: memref<?x64xf32>, %[[WGU:.*]]: memref<80x64xf32>, %[[WD:.*]]: memref<64x40xf32>, %[[WT:.*]]: memref<64x80xf32>,
// The slices of wgu are never read on a call; the slice of wt that is also
// an output is copied.
// CHECK-NOT: memref.load %[[WGU]]
// CHECK:     memref.load %[[WT]]
// CHECK-NOT: memref.load %[[WGU]]
// CHECK: return

// CHECK-LABEL: func.func private @kiln_pack
// CHECK-SAME: (%[[WGU2:.*]]: memref<80x64xf32>, %[[WD2:.*]]: memref<64x40xf32>, %[[WT2:.*]]: memref<64x80xf32>,
// CHECK-DAG: memref.subview %[[WGU2]][40, 0] [40, 64] [1, 1]
// CHECK-DAG: memref.subview %[[WGU2]][0, 0] [40, 64] [1, 1]
// CHECK-DAG: memref.subview %[[WT2]][0, 40] [64, 40] [1, 1]
// CHECK-DAG: memref.subview %[[WT2]][0, 0] [64, 40] [1, 1]
module attributes {
  kiln.signature = "{\22abi\22:2,\22dims\22:[\22n\22],\22inputs\22:[{\22dtype\22:\22f32\22,\22name\22:\22x\22,\22shape\22:[\22n\22,64]}],\22name\22:\22m\22,\22outputs\22:[],\22params\22:[{\22dtype\22:\22f32\22,\22name\22:\22wgu\22,\22shape\22:[80,64]},{\22dtype\22:\22f32\22,\22name\22:\22wd\22,\22shape\22:[64,40]},{\22dtype\22:\22f32\22,\22name\22:\22wt\22,\22shape\22:[64,80]}]}",
  kiln.source = "{}"
} {
  func.func @kiln_main(%x: tensor<?x64xf32>, %wgu: tensor<80x64xf32>, %wd: tensor<64x40xf32>,
                       %wt: tensor<64x80xf32>)
      -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<64x40xf32>) {
    %wg = graph.slice %wgu {axis = 0 : i64, start = 40 : i64, end = 80 : i64} : tensor<80x64xf32> -> tensor<40x64xf32>
    %wu = graph.slice %wgu {axis = 0 : i64, start = 0 : i64, end = 40 : i64} : tensor<80x64xf32> -> tensor<40x64xf32>
    %0 = ffn.glu %x, %wg, %wu, %wd {activation = #graph<activation silu>}
        : (tensor<?x64xf32>, tensor<40x64xf32>, tensor<40x64xf32>, tensor<64x40xf32>) -> tensor<?x64xf32>
    %g = graph.slice %wt {axis = 1 : i64, start = 0 : i64, end = 40 : i64} : tensor<64x80xf32> -> tensor<64x40xf32>
    %u = graph.slice %wt {axis = 1 : i64, start = 40 : i64, end = 80 : i64} : tensor<64x80xf32> -> tensor<64x40xf32>
    %gt = graph.transpose %g {perm = array<i64: 1, 0>} : tensor<64x40xf32> -> tensor<40x64xf32>
    %ut = graph.transpose %u {perm = array<i64: 1, 0>} : tensor<64x40xf32> -> tensor<40x64xf32>
    %1 = ffn.glu %x, %gt, %ut, %wd {activation = #graph<activation gelu>}
        : (tensor<?x64xf32>, tensor<40x64xf32>, tensor<40x64xf32>, tensor<64x40xf32>) -> tensor<?x64xf32>
    return %0, %1, %g : tensor<?x64xf32>, tensor<?x64xf32>, tensor<64x40xf32>
  }
}
