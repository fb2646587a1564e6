// RUN: kiln-opt %s --kiln-gpu-approximate-math | FileCheck %s --implicit-check-not=math.exp --implicit-check-not=math.tanh

// f32 functions become polynomials; what they leave on vectors is split
// into lanes, and fma becomes LLVM's intrinsic (convert-gpu-to-nvvm has no
// pattern for it). f64 functions stay for libdevice.

// CHECK-LABEL: gpu.func @kernel
// CHECK-NOT: math.fma
// CHECK: llvm.intr.fma({{.*}}) : (f32, f32, f32) -> f32
// CHECK: math.sqrt %{{.*}} : f32
// CHECK: math.sin %{{.*}} : f64
// CHECK-NOT: math.{{.*}} vector
gpu.module @kernels {
  gpu.func @kernel(%x: vector<4xf32>, %y: f32, %z: f64, %out: memref<4xf32>,
                   %scalars: memref<2xf32>, %wide: memref<1xf64>) kernel {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %e = math.exp %x : vector<4xf32>
    %t = math.tanh %y : f32
    %s = math.sqrt %y : f32
    %w = math.sin %z : f64
    vector.store %e, %out[%c0] : memref<4xf32>, vector<4xf32>
    memref.store %t, %scalars[%c0] : memref<2xf32>
    memref.store %s, %scalars[%c1] : memref<2xf32>
    memref.store %w, %wide[%c0] : memref<1xf64>
    gpu.return
  }
}
