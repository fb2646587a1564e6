// RUN: kiln-opt %s --kiln-emit-model-abi="entry=model pack=prepare" | FileCheck %s

// The pass options `entry` and `pack` name the lowered model and packing
// functions; the entry point calls the model with one descriptor per
// signature tensor (here one static [4]); kiln_compiled_pack calls the
// packing function with the parameters' (here none) and -1, all buffers,
// and kiln_compiled_pack_one with the buffer it is given.

// CHECK-LABEL: llvm.func internal @model(
// CHECK-LABEL: llvm.func @kiln_compiled_entry
// CHECK-DAG: %[[ZERO:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-DAG: %[[FOUR:.*]] = llvm.mlir.constant(4 : i64) : i64
// CHECK-DAG: %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-DAG: %[[X:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.call @model(%[[X]], %[[X]], %[[ZERO]], %[[FOUR]], %[[ONE]])
// CHECK-NEXT: llvm.return
// CHECK-LABEL: llvm.func @kiln_compiled_pack(
// CHECK: %[[ALL:.*]] = llvm.mlir.constant(-1 : i64) : i64
// CHECK: llvm.call @prepare(%[[ALL]])
// CHECK-NEXT: llvm.return
// CHECK-LABEL: llvm.func @kiln_compiled_pack_one(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %[[WHICH:.*]]: i64)
// CHECK: llvm.call @prepare(%[[WHICH]])
// CHECK-NEXT: llvm.return
module attributes {kiln.signature = "{\22dims\22:[],\22inputs\22:[{\22shape\22:[4]}],\22params\22:[],\22outputs\22:[]}", kiln.source = "{}"} {
  llvm.func @model(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: i64, %arg3: i64, %arg4: i64) {
    llvm.return
  }
  llvm.func @prepare(%which: i64) {
    llvm.return
  }
}
