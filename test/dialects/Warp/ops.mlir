// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// warp.mma round-trips for each element type it accepts: f16 and bf16
// (m16n8k16), f32 (TF32, m16n8k8), in any memory space and shape.

#wg = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @f16
// CHECK: %[[D:.*]] = warp.mma %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}}, lane %{{.*}} : memref<64x40xf16, #gpu.address_space<workgroup>>, memref<64x40xf16, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: return %[[D]]
func.func @f16(%a: memref<64x40xf16, #wg>, %b: memref<64x40xf16, #wg>,
               %acc: vector<4xf32>, %r: index, %c: index, %k: index,
               %lane: index) -> vector<4xf32> {
  %d = warp.mma %a[%r, %k], %b[%c, %k], %acc, lane %lane
      : memref<64x40xf16, #wg>, memref<64x40xf16, #wg>, vector<4xf32>
  return %d : vector<4xf32>
}

// CHECK-LABEL: func.func @bf16
// CHECK: warp.mma {{.*}} : memref<16x16xbf16>, memref<8x16xbf16>, vector<4xf32>
func.func @bf16(%a: memref<16x16xbf16>, %b: memref<8x16xbf16>,
                %acc: vector<4xf32>, %lane: index) -> vector<4xf32> {
  %c0 = arith.constant 0 : index
  %d = warp.mma %a[%c0, %c0], %b[%c0, %c0], %acc, lane %lane
      : memref<16x16xbf16>, memref<8x16xbf16>, vector<4xf32>
  return %d : vector<4xf32>
}

// CHECK-LABEL: func.func @tf32
// CHECK: warp.mma {{.*}} : memref<?x?xf32>, memref<8x8xf32>, vector<4xf32>
func.func @tf32(%a: memref<?x?xf32>, %b: memref<8x8xf32>,
                %acc: vector<4xf32>, %lane: index) -> vector<4xf32> {
  %c0 = arith.constant 0 : index
  %d = warp.mma %a[%c0, %c0], %b[%c0, %c0], %acc, lane %lane
      : memref<?x?xf32>, memref<8x8xf32>, vector<4xf32>
  return %d : vector<4xf32>
}
