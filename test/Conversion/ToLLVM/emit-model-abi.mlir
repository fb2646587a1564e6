// RUN: kiln-opt %s --kiln-cpu-pipeline | FileCheck %s --implicit-check-not=graph. --implicit-check-not=func.func --implicit-check-not=memref. --implicit-check-not=scf.
// RUN: kiln-opt %s --kiln-cpu-pipeline=parallel=false | FileCheck %s --check-prefix=SERIAL

// The whole CPU pipeline on a one-op model: the model function is lowered
// to the LLVM dialect and made internal, its kernel outlined into a
// noinline function it calls, and kiln-emit-model-abi adds the five
// exported symbols of docs/abi.md around it. The signature has one
// symbolic dim `n`, an input x [n, 4], a param w [4] and an output y [n, 4].

// CHECK-LABEL: llvm.func internal @kiln_kernel
// CHECK-SAME: passthrough = ["noinline"]
// CHECK: omp.parallel
// CHECK: omp.wsloop
// CHECK: llvm.fmul
// CHECK-LABEL: llvm.func internal @kiln_main
// CHECK-SAME: (%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: i64, %arg3: i64, %arg4: i64, %arg5: i64, %arg6: i64,
// CHECK-SAME: %arg7: !llvm.ptr, %arg8: !llvm.ptr, %arg9: i64, %arg10: i64, %arg11: i64,
// CHECK-SAME: %arg12: !llvm.ptr, %arg13: !llvm.ptr, %arg14: i64, %arg15: i64, %arg16: i64, %arg17: i64, %arg18: i64)
// CHECK: llvm.call @kiln_kernel(

// The strings are NUL-terminated copies of the module attributes.
// CHECK: llvm.mlir.global private constant @kiln_compiled_signature_data("{\22abi\22:1,\22dims\22:[\22n\22],{{.*}}\00")
// CHECK-LABEL: llvm.func @kiln_compiled_signature() -> !llvm.ptr
// CHECK: %[[SIG:.*]] = llvm.mlir.addressof @kiln_compiled_signature_data
// CHECK: llvm.return %[[SIG]]
// CHECK: llvm.mlir.global private constant @kiln_compiled_source_data("{\22kiln\22: 1}\00")
// CHECK-LABEL: llvm.func @kiln_compiled_source() -> !llvm.ptr
// CHECK: %[[SRC:.*]] = llvm.mlir.addressof @kiln_compiled_source_data
// CHECK: llvm.return %[[SRC]]
// CHECK-LABEL: llvm.func @kiln_compiled_abi_version() -> i32
// CHECK: %[[V:.*]] = llvm.mlir.constant(2 : i32) : i32
// CHECK: llvm.return %[[V]]

// The entry reads buffers[0..2] and dims[0] (n), and passes one memref
// descriptor per tensor: x as (ptr, ptr, 0, n, 4, 4, 1), w as (ptr, ptr, 0,
// 4, 1), y as (ptr, ptr, 0, n, 4, 4, 1).
// CHECK-LABEL: llvm.func @kiln_compiled_entry
// CHECK-SAME: (%[[BUFFERS:.*]]: !llvm.ptr, %[[DIMS:.*]]: !llvm.ptr)
// CHECK-DAG: %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-DAG: %[[FOUR:.*]] = llvm.mlir.constant(4 : i64) : i64
// CHECK-DAG: %[[ZERO:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-DAG: %[[X:.*]] = llvm.load %[[BUFFERS]] : !llvm.ptr -> !llvm.ptr
// CHECK-DAG: %[[N:.*]] = llvm.load %[[DIMS]] : !llvm.ptr -> i64
// CHECK-DAG: %[[STRIDE:.*]] = llvm.mul %[[ONE]], %[[FOUR]] : i64
// CHECK-DAG: %[[WSLOT:.*]] = llvm.getelementptr %[[BUFFERS]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-DAG: %[[W:.*]] = llvm.load %[[WSLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK-DAG: %[[YSLOT:.*]] = llvm.getelementptr %[[BUFFERS]][2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-DAG: %[[Y:.*]] = llvm.load %[[YSLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.call @kiln_main(%[[X]], %[[X]], %[[ZERO]], %[[N]], %[[FOUR]], %[[STRIDE]], %[[ONE]], %[[W]], %[[W]], %[[ZERO]], %[[FOUR]], %[[ONE]], %[[Y]], %[[Y]], %[[ZERO]], %[[N]], %[[FOUR]], %[[STRIDE]], %[[ONE]])
// CHECK-NEXT: llvm.return

// No weight feeds a GEMM, so nothing is packed: kiln_compiled_pack passes
// the parameters alone to @kiln_pack.
// CHECK-LABEL: llvm.func @kiln_compiled_pack
// CHECK-SAME: (%[[PBUFFERS:.*]]: !llvm.ptr)
// CHECK: %[[PW:.*]] = llvm.load %[[PBUFFERS]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.call @kiln_pack(%[[PW]], %[[PW]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NEXT: llvm.return

// The module attributes are consumed.
// CHECK-NOT: kiln.signature

// With parallel=false no OpenMP region is emitted.
// SERIAL-NOT: omp.
// SERIAL: llvm.func @kiln_compiled_entry
module attributes {
  kiln.signature = "{\22abi\22:1,\22dims\22:[\22n\22],\22inputs\22:[{\22dtype\22:\22f32\22,\22name\22:\22x\22,\22shape\22:[\22n\22,4]}],\22params\22:[{\22dtype\22:\22f32\22,\22name\22:\22w\22,\22shape\22:[4]}],\22outputs\22:[{\22dtype\22:\22f32\22,\22name\22:\22y\22,\22shape\22:[\22n\22,4]}]}",
  kiln.source = "{\22kiln\22: 1}"
} {
  func.func @kiln_main(%x: tensor<?x4xf32>, %w: tensor<4xf32>) -> tensor<?x4xf32> {
    %0 = graph.mul %x, %w : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    return %0 : tensor<?x4xf32>
  }
}
