// RUN: kiln-opt %s --kiln-gpu-emulate-mma | FileCheck %s --implicit-check-not=warp.

// Each warp.mma becomes its lane's 4 dot products read straight from the
// tiles: with g = lane / 4 and t = lane % 4, accumulator element i is
// C[g + 8·(i / 2)][2t + i % 2], so rows a_row + g and a_row + g + 8 of A
// against rows b_col + 2t and b_col + 2t + 1 of B (B is stored
// transposed), over K = 16 (f16, bf16) or 8 (f32) in k order.

// CHECK-LABEL: func.func @f16
// CHECK-SAME: (%[[A:.*]]: memref<64x40xf16>, %[[B:.*]]: memref<64x40xf16>, %[[ACC:.*]]: vector<4xf32>, %[[R:.*]]: index, %[[C:.*]]: index, %[[K:.*]]: index, %[[LANE:.*]]: index)
// CHECK-DAG: %[[G:.*]] = arith.divui %[[LANE]], %c4
// CHECK-DAG: %[[T:.*]] = arith.remui %[[LANE]], %c4
// CHECK: %[[ROW0:.*]] = arith.addi %[[R]], %[[G]]
// CHECK: %[[ROW1:.*]] = arith.addi %[[ROW0]], %c8
// CHECK: %[[T2:.*]] = arith.muli %[[T]], %c2
// CHECK: %[[COL0:.*]] = arith.addi %[[C]], %[[T2]]
// CHECK: %[[COL1:.*]] = arith.addi %[[COL0]], %c1
// CHECK: %[[E0:.*]] = vector.extract %[[ACC]][0]
// CHECK: %[[E3:.*]] = vector.extract %[[ACC]][3]
// CHECK: %[[SUMS:.*]]:4 = scf.for %[[KK:.*]] = %c0 to %c16 step %c1 iter_args(%[[S0:.*]] = %[[E0]], %[[S1:.*]] = %{{.*}}, %[[S2:.*]] = %{{.*}}, %[[S3:.*]] = %[[E3]])
// CHECK:   %[[AK:.*]] = arith.addi %[[K]], %[[KK]]
// CHECK:   %[[A0:.*]] = memref.load %[[A]][%[[ROW0]], %[[AK]]]
// CHECK:   %[[A0F:.*]] = arith.extf %[[A0]] : f16 to f32
// CHECK:   %[[A1:.*]] = memref.load %[[A]][%[[ROW1]], %[[AK]]]
// CHECK:   %[[A1F:.*]] = arith.extf %[[A1]] : f16 to f32
// CHECK:   %[[B0:.*]] = memref.load %[[B]][%[[COL0]], %{{.*}}]
// CHECK:   %[[B0F:.*]] = arith.extf %[[B0]] : f16 to f32
// CHECK:   %[[B1:.*]] = memref.load %[[B]][%[[COL1]], %{{.*}}]
// CHECK:   %[[B1F:.*]] = arith.extf %[[B1]] : f16 to f32
// CHECK:   %[[P0:.*]] = arith.mulf %[[A0F]], %[[B0F]]
// CHECK:   %[[N0:.*]] = arith.addf %[[S0]], %[[P0]]
// CHECK:   %[[P1:.*]] = arith.mulf %[[A0F]], %[[B1F]]
// CHECK:   %[[N1:.*]] = arith.addf %[[S1]], %[[P1]]
// CHECK:   %[[P2:.*]] = arith.mulf %[[A1F]], %[[B0F]]
// CHECK:   %[[N2:.*]] = arith.addf %[[S2]], %[[P2]]
// CHECK:   %[[P3:.*]] = arith.mulf %[[A1F]], %[[B1F]]
// CHECK:   %[[N3:.*]] = arith.addf %[[S3]], %[[P3]]
// CHECK:   scf.yield %[[N0]], %[[N1]], %[[N2]], %[[N3]]
// CHECK: %[[V0:.*]] = vector.insert %[[SUMS]]#0, %[[ACC]] [0]
// CHECK: %[[V1:.*]] = vector.insert %[[SUMS]]#1, %[[V0]] [1]
// CHECK: %[[V2:.*]] = vector.insert %[[SUMS]]#2, %[[V1]] [2]
// CHECK: %[[V3:.*]] = vector.insert %[[SUMS]]#3, %[[V2]] [3]
// CHECK: return %[[V3]]
func.func @f16(%a: memref<64x40xf16>, %b: memref<64x40xf16>, %acc: vector<4xf32>, %r: index, %c: index, %k: index, %lane: index) -> vector<4xf32> {
  %d = warp.mma %a[%r, %k], %b[%c, %k], %acc, lane %lane : memref<64x40xf16>, memref<64x40xf16>, vector<4xf32>
  return %d : vector<4xf32>
}

// bf16 is widened the same way.
// CHECK-LABEL: func.func @bf16
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c1
// CHECK-COUNT-4: arith.extf %{{.*}} : bf16 to f32
func.func @bf16(%a: memref<64x40xbf16, #gpu.address_space<workgroup>>, %b: memref<64x40xbf16, #gpu.address_space<workgroup>>, %acc: vector<4xf32>, %i: index) -> vector<4xf32> {
  %d = warp.mma %a[%i, %i], %b[%i, %i], %acc, lane %i : memref<64x40xbf16, #gpu.address_space<workgroup>>, memref<64x40xbf16, #gpu.address_space<workgroup>>, vector<4xf32>
  return %d : vector<4xf32>
}

// f32 tiles: K = 8, and each element is rounded to TF32 first (to nearest,
// ties away from zero: 2^12 added to the bits, the low 13 cleared, except
// for infinities and NaNs).
// CHECK-LABEL: func.func @tf32
// CHECK-DAG: %[[INF:.*]] = arith.constant 2139095040 : i32
// CHECK-DAG: %[[MASK:.*]] = arith.constant -8192 : i32
// CHECK-DAG: %[[HALF:.*]] = arith.constant 4096 : i32
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK:   %[[X:.*]] = memref.load
// CHECK:   %[[BITS:.*]] = arith.bitcast %[[X]] : f32 to i32
// CHECK:   %[[UP:.*]] = arith.addi %[[BITS]], %[[HALF]]
// CHECK:   %[[ROUNDED:.*]] = arith.andi %[[UP]], %[[MASK]]
// CHECK:   %[[EXP:.*]] = arith.andi %[[BITS]], %[[INF]]
// CHECK:   %[[FINITE:.*]] = arith.cmpi ne, %[[EXP]], %[[INF]]
// CHECK:   %[[SEL:.*]] = arith.select %[[FINITE]], %[[ROUNDED]], %[[BITS]]
// CHECK:   arith.bitcast %[[SEL]] : i32 to f32
// CHECK-COUNT-3: arith.cmpi ne
// CHECK-COUNT-4: arith.mulf
// CHECK: scf.yield
func.func @tf32(%a: memref<64x36xf32>, %b: memref<64x36xf32>, %acc: vector<4xf32>, %r: index, %c: index, %k: index, %lane: index) -> vector<4xf32> {
  %d = warp.mma %a[%r, %k], %b[%c, %k], %acc, lane %lane : memref<64x36xf32>, memref<64x36xf32>, vector<4xf32>
  return %d : vector<4xf32>
}
