// RUN: kiln-opt %s --kiln-lower-math | FileCheck %s

// f32 math, scalar or vector, becomes polynomial arith code and LLVM
// intrinsics, so no libm call is left for convert-math-to-libm: none per
// element in a loop, none per lane of a vector. f64 math stays for libm.

// CHECK-LABEL: func.func @vector_exp
// CHECK-NOT: math.
// CHECK: llvm.intr.floor({{.*}}) : (vector<16xf32>) -> vector<16xf32>
// CHECK: llvm.intr.fma
// CHECK-NOT: math.
// CHECK: return
func.func @vector_exp(%x: vector<16xf32>) -> vector<16xf32> {
  %0 = math.exp %x : vector<16xf32>
  return %0 : vector<16xf32>
}

// tanh and erf expand too, including the exp that tanh's expansion uses.
// CHECK-LABEL: func.func @vector_tanh_erf
// CHECK-NOT: math.
// CHECK: arith.divf {{.*}} : vector<8xf32>
// CHECK-NOT: math.
// CHECK: return
func.func @vector_tanh_erf(%x: vector<8xf32>) -> (vector<8xf32>, vector<8xf32>) {
  %0 = math.tanh %x : vector<8xf32>
  %1 = math.erf %x : vector<8xf32>
  return %0, %1 : vector<8xf32>, vector<8xf32>
}

// Scalar f32 math expands the same way, for LLVM's loop vectorizer.
// CHECK-LABEL: func.func @scalar_f32
// CHECK-NOT: math.
// CHECK: llvm.intr.floor({{.*}}) : (f32) -> f32
// CHECK-NOT: math.
// CHECK: return
func.func @scalar_f32(%x: f32) -> (f32, f32) {
  %0 = math.exp %x : f32
  %1 = math.log1p %x : f32
  return %0, %1 : f32, f32
}

// CHECK-LABEL: func.func @scalar_f64
// CHECK: math.sin %{{.*}} : f64
// CHECK: math.cos %{{.*}} : f64
func.func @scalar_f64(%x: f64) -> (f64, f64) {
  %0 = math.sin %x : f64
  %1 = math.cos %x : f64
  return %0, %1 : f64, f64
}

// erf is one rational function on the clamped input: no per-interval
// coefficient selects, ten FMAs for P and Q, one division, the result
// clamped to [-1, 1].
// CHECK-LABEL: func.func @vector_erf
// CHECK-COUNT-2: arith.select
// CHECK-COUNT-10: llvm.intr.fma
// CHECK: arith.divf
// CHECK-COUNT-2: arith.select
// CHECK-NOT: arith.select
// CHECK: return
func.func @vector_erf(%x: vector<16xf32>) -> vector<16xf32> {
  %0 = math.erf %x : vector<16xf32>
  return %0 : vector<16xf32>
}

// f32 sin and cos reduce in f64: x is widened, k pi/2 taken off in three
// FMAs, the polynomials evaluated on r in f64, the quadrant selected, the
// result clamped to [-1, 1] and rounded back to f32.
// CHECK-LABEL: func.func @vector_sin_cos
// CHECK-NOT: math.
// CHECK: arith.extf %{{.*}} : vector<16xf32> to vector<16xf64>
// CHECK: llvm.intr.floor({{.*}}) : (vector<16xf64>) -> vector<16xf64>
// CHECK-COUNT-3: llvm.intr.fma
// CHECK: arith.truncf %{{.*}} : vector<16xf64> to vector<16xf32>
// CHECK-NOT: math.
// CHECK: return
func.func @vector_sin_cos(%x: vector<16xf32>) -> (vector<16xf32>, vector<16xf32>) {
  %0 = math.sin %x : vector<16xf32>
  %1 = math.cos %x : vector<16xf32>
  return %0, %1 : vector<16xf32>, vector<16xf32>
}
