// RUN: kiln-opt %s --kiln-lower-vector-math | FileCheck %s --implicit-check-not=math.

// Math on vectors becomes polynomial arith code and LLVM intrinsics, so no
// libm call is left for convert-math-to-libm to unroll per lane.

// CHECK-LABEL: func.func @vector_exp
// CHECK: llvm.intr.floor({{.*}}) : (vector<16xf32>) -> vector<16xf32>
// CHECK: llvm.intr.fma
// CHECK: return
func.func @vector_exp(%x: vector<16xf32>) -> vector<16xf32> {
  %0 = math.exp %x : vector<16xf32>
  return %0 : vector<16xf32>
}

// tanh and erf expand too, including the exp that tanh's expansion uses.
// CHECK-LABEL: func.func @vector_tanh_erf
// CHECK: arith.divf {{.*}} : vector<8xf32>
// CHECK: return
func.func @vector_tanh_erf(%x: vector<8xf32>) -> (vector<8xf32>, vector<8xf32>) {
  %0 = math.tanh %x : vector<8xf32>
  %1 = math.erf %x : vector<8xf32>
  return %0, %1 : vector<8xf32>, vector<8xf32>
}

// Scalar math is left for libm (and LLVM's libmvec vectorization).
// CHECK-LABEL: func.func @scalar_exp
// CHECK: math.exp %{{.*}} : f32
func.func @scalar_exp(%x: f32) -> f32 {
  %0 = math.exp %x : f32
  return %0 : f32
}
