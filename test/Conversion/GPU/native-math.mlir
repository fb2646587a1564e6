// RUN: kiln-opt %s --kiln-gpu-native-math | FileCheck %s

// libdevice calls that PTX computes in one instruction become LLVM
// intrinsics and their declarations go; the others (f64 sin) stay.

// CHECK-LABEL: gpu.module @kernels
// CHECK-NOT: llvm.func @__nv_sqrtf
// CHECK-NOT: llvm.func @__nv_floor(
// CHECK-NOT: llvm.func @__nv_fmaxf
// CHECK: llvm.func @__nv_sin(f64) -> f64
// CHECK-LABEL: llvm.func @kernel
// CHECK: llvm.intr.sqrt(%{{.*}}) : (f32) -> f32
// CHECK: llvm.intr.floor(%{{.*}}) : (f64) -> f64
// CHECK: llvm.intr.maxnum(%{{.*}}, %{{.*}}) : (f32, f32) -> f32
// CHECK: llvm.call @__nv_sin(%{{.*}}) : (f64) -> f64
gpu.module @kernels {
  llvm.func @__nv_sqrtf(f32) -> f32
  llvm.func @__nv_floor(f64) -> f64
  llvm.func @__nv_fmaxf(f32, f32) -> f32
  llvm.func @__nv_sin(f64) -> f64
  llvm.func @kernel(%x: f32, %y: f64, %out: !llvm.ptr, %wide: !llvm.ptr) {
    %s = llvm.call @__nv_sqrtf(%x) : (f32) -> f32
    %f = llvm.call @__nv_floor(%y) : (f64) -> f64
    %m = llvm.call @__nv_fmaxf(%s, %x) : (f32, f32) -> f32
    %w = llvm.call @__nv_sin(%f) : (f64) -> f64
    llvm.store %m, %out : f32, !llvm.ptr
    llvm.store %w, %wide : f64, !llvm.ptr
    llvm.return
  }
}
