// RUN: kiln-opt %s --kiln-gpu-merge-kernel-modules | FileCheck %s
// RUN: kiln-opt %s --kiln-gpu-merge-kernel-modules=module-name=model | FileCheck %s --check-prefix=NAMED

// Three outlined modules become one: the two identical kernels (the same
// layer twice) share the first one's name, the global both modules copied
// is kept once, and every launch points into the merged module.

// CHECK: gpu.module @kiln_kernels {
// CHECK-DAG: memref.global "private" constant @table
// CHECK-DAG: gpu.func @first_kernel(
// CHECK-DAG: gpu.func @other_kernel(
// CHECK-NOT: gpu.func
// CHECK: }
// CHECK-NOT: gpu.module
// CHECK-LABEL: func.func @main
// CHECK: gpu.launch_func @kiln_kernels::@first_kernel
// CHECK: gpu.launch_func @kiln_kernels::@first_kernel
// CHECK: gpu.launch_func @kiln_kernels::@other_kernel
// NAMED: gpu.launch_func @model::@first_kernel
module attributes {gpu.container_module} {
  gpu.module @first_kernel {
    memref.global "private" constant @table : memref<2xf32> = dense<1.0>
    gpu.func @main_kernel(%out: memref<2xf32>) kernel {
      %c0 = arith.constant 0 : index
      %t = memref.get_global @table : memref<2xf32>
      %v = memref.load %t[%c0] : memref<2xf32>
      memref.store %v, %out[%c0] : memref<2xf32>
      gpu.return
    }
  }
  gpu.module @second_kernel {
    memref.global "private" constant @table : memref<2xf32> = dense<1.0>
    gpu.func @main_kernel(%out: memref<2xf32>) kernel {
      %c0 = arith.constant 0 : index
      %t = memref.get_global @table : memref<2xf32>
      %v = memref.load %t[%c0] : memref<2xf32>
      memref.store %v, %out[%c0] : memref<2xf32>
      gpu.return
    }
  }
  gpu.module @other_kernel {
    gpu.func @main_kernel(%out: memref<2xf32>) kernel {
      %c1 = arith.constant 1 : index
      %zero = arith.constant 0.0 : f32
      memref.store %zero, %out[%c1] : memref<2xf32>
      gpu.return
    }
  }
  func.func @main(%out: memref<2xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @first_kernel::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%out : memref<2xf32>)
    gpu.launch_func @second_kernel::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%out : memref<2xf32>)
    gpu.launch_func @other_kernel::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%out : memref<2xf32>)
    return
  }
}
