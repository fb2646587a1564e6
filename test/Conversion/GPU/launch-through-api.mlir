// RUN: kiln-opt %s --split-input-file --kiln-gpu-launch-through-api | FileCheck %s --implicit-check-not=gpu.

// A launch becomes a call through the `launch` entry (index 2) of the
// bound table with the kernel's name, the x sizes and an array of pointers
// to its arguments, the arguments' slots in the entry block; the memref
// allocation functions call `alloc` (0) and `free` (1); the PTX gets a
// getter, the signature names cuda, and the gpu dialect is gone.

// CHECK: module attributes {kiln.signature = "{\22abi\22:2,\22devices\22:[\22cuda\22]}"} {
// CHECK-LABEL: llvm.func internal @_mlir_memref_to_llvm_alloc(%{{.*}}: i64) -> !llvm.ptr
// CHECK: %[[TABLE:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK: %[[SLOT:.*]] = llvm.getelementptr %[[TABLE]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[ALLOC:.*]] = llvm.load %[[SLOT]]
// CHECK: llvm.call %[[ALLOC]](%{{.*}}, %{{.*}}) : !llvm.ptr, (!llvm.ptr, i64) -> !llvm.ptr
// CHECK-LABEL: llvm.func internal @_mlir_memref_to_llvm_free
// CHECK: llvm.getelementptr %{{.*}}[1]
// CHECK-LABEL: llvm.func @host
// CHECK-SAME: (%[[P:.*]]: !llvm.ptr, %[[N:.*]]: i64, %[[GRID:.*]]: i64)
// CHECK: %[[ARGS:.*]] = llvm.alloca %{{.*}} x !llvm.array<2 x ptr>
// CHECK: %[[PSLOT:.*]] = llvm.alloca %{{.*}} x !llvm.ptr
// CHECK: %[[NSLOT:.*]] = llvm.alloca %{{.*}} x i64
// CHECK: llvm.call @_mlir_memref_to_llvm_alloc
// CHECK: llvm.store %[[P]], %[[PSLOT]]
// CHECK: %[[A0:.*]] = llvm.getelementptr %[[ARGS]][0, 0]
// CHECK: llvm.store %[[PSLOT]], %[[A0]]
// CHECK: llvm.store %[[N]], %[[NSLOT]]
// CHECK: %[[A1:.*]] = llvm.getelementptr %[[ARGS]][0, 1]
// CHECK: llvm.store %[[NSLOT]], %[[A1]]
// CHECK: %[[NAME:.*]] = llvm.mlir.addressof @kiln_kernel_name_kiln_main_kernel
// CHECK: llvm.getelementptr %{{.*}}[2]
// CHECK: llvm.call %{{.*}}(%{{.*}}, %[[NAME]], %[[GRID]], %{{.*}}, %[[ARGS]]) : !llvm.ptr, (!llvm.ptr, !llvm.ptr, i64, i64, !llvm.ptr) -> ()
// CHECK: llvm.mlir.global internal @kiln_gpu_api()
// CHECK: llvm.mlir.global internal @kiln_gpu_context()
// CHECK-LABEL: llvm.func @kiln_compiled_gpu_bind(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: llvm.mlir.global private constant @kiln_compiled_gpu_ptx_data("//ptx\00")
// CHECK-LABEL: llvm.func @kiln_compiled_gpu_ptx() -> !llvm.ptr
// CHECK: llvm.mlir.global private constant @kiln_compiled_gpu_arch_data("sm_80\00")
// CHECK-LABEL: llvm.func @kiln_compiled_gpu_cubin(%{{.*}}: !llvm.ptr) -> !llvm.ptr
// CHECK: %[[NONE:.*]] = llvm.mlir.constant(0 : i64)
// CHECK: llvm.store %[[NONE]]
// CHECK: %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK: llvm.return %[[NULL]]
// CHECK: llvm.mlir.global private constant @kiln_kernel_name_kiln_main_kernel("kiln_main_kernel\00")
module attributes {gpu.container_module, kiln.signature = "{\"abi\":2}"} {
  gpu.binary @kiln_kernels [#gpu.object<#nvvm.target<chip = "sm_80">, assembly = "//ptx">]
  llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
  llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
  llvm.func @host(%p: !llvm.ptr, %n: i64, %grid: i64) {
    %one = llvm.mlir.constant(1 : i64) : i64
    %block = llvm.mlir.constant(128 : i64) : i64
    %buffer = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    gpu.launch_func @kiln_kernels::@kiln_main_kernel blocks in (%grid, %one, %one) threads in (%block, %one, %one) : i64 args(%p : !llvm.ptr, %n : i64)
    llvm.call @_mlir_memref_to_llvm_free(%buffer) : (!llvm.ptr) -> ()
    llvm.return
  }
}

// -----

// A cubin beside the PTX is returned with its size.

// CHECK: llvm.mlir.global private constant @kiln_compiled_gpu_cubin_data("\7FELF")
// CHECK-LABEL: llvm.func @kiln_compiled_gpu_cubin(%{{.*}}: !llvm.ptr) -> !llvm.ptr
// CHECK: %[[SIZE:.*]] = llvm.mlir.constant(4 : i64)
// CHECK: llvm.store %[[SIZE]]
// CHECK: %[[DATA:.*]] = llvm.mlir.addressof @kiln_compiled_gpu_cubin_data
// CHECK: llvm.return %[[DATA]]
module attributes {gpu.container_module} {
  gpu.binary @kiln_kernels [#gpu.object<#nvvm.target, assembly = "//ptx">, #gpu.object<#nvvm.target, bin = "\7FELF">]
}
