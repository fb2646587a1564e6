// RUN: kiln-opt %s --split-input-file --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 row-attention=true flash-attention=true gpu-mma=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --implicit-check-not=attn.
// RUN: kiln-opt %s --split-input-file --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 row-attention=true flash-attention=true gpu-mma=true gpu-tf32=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --check-prefix=TF32
// RUN: kiln-opt %s --split-input-file --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 row-attention=true flash-attention=true gpu-mma=true" --reconcile-unrealized-casts --canonicalize --cse | kiln-opt --split-input-file --pass-pipeline='builtin.module(func.func(kiln-gpu-map-parallel-loops))' | FileCheck %s --check-prefix=BARRIERS

// The GPU's flash-attention form on tensor cores (flash-attention=true
// gpu-mma=true, AttnFlashMMA.cpp) for f16 and bf16 inputs: a thread block
// of 128 threads per 64 query rows (16 per warp). At the block's top, in
// workgroup memory and the input type: the query tile [64][D + 8], the key
// tile [keys][D + 8], the value tile TRANSPOSED [Dv][keys + 8] (warp.mma's
// B operand, k contiguous), the weights as high and low parts
// [64][keys + 8] each; in f32 the scores [64][keys + 4] and the rows'
// (max, sum, factor) [3][64]; the rows' intervals [2][64] i32; in private
// memory each lane's output fragments [128][Dv / 8][4].
// CHECK-LABEL: func.func @causal_f16_d64
// CHECK: %[[TILES:.*]] = arith.ceildivui %{{.*}}, %c64
// CHECK: scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%c0, %c0, %c0) to (%c2, %c4, %[[TILES]])
// CHECK: %[[Q:.*]] = memref.alloca() : memref<64x72xf16, #gpu.address_space<workgroup>>
// CHECK: %[[K:.*]] = memref.alloca() : memref<32x72xf16, #gpu.address_space<workgroup>>
// CHECK: %[[VT:.*]] = memref.alloca() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK: %[[P:.*]] = memref.alloca() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK: %[[PLOW:.*]] = memref.alloca() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK: %[[S:.*]] = memref.alloca() : memref<64x36xf32, #gpu.address_space<workgroup>>
// CHECK: %[[STATS:.*]] = memref.alloca() : memref<3x64xf32, #gpu.address_space<workgroup>>
// CHECK: %[[ROWKEYS:.*]] = memref.alloca() : memref<2x64xi32, #gpu.address_space<workgroup>>
// CHECK: %[[ACC:.*]] = memref.alloca() : memref<128x8x4xf32, #gpu.address_space<private>>
// The prologue: the unscaled query tile (its scale goes to the f32 scores),
// zero fragments, the rows' intervals and statistics.
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c128)
// CHECK: memref.load %arg0
// CHECK-NOT: arith.mulf
// CHECK: memref.store %{{.*}}, %[[Q]]
// CHECK: memref.subview %[[ACC]]
// CHECK: memref.store %{{.*}}, %[[ROWKEYS]]
// CHECK: memref.store %{{.*}}, %[[STATS]]
// CHECK: scf.reduce
// Per tile of 32 keys, four phases: the loads (the value tile stored
// transposed, [column][key]), ...
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c32 {
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c128)
// CHECK: %[[KEY:.*]] = memref.load %arg1
// CHECK: memref.store %{{.*}}, %[[K]][%[[J:.*]], %[[D:.*]]] :
// CHECK: %[[VALUE:.*]] = memref.load %arg2
// CHECK: %[[SEL:.*]] = arith.select %{{.*}}, %[[VALUE]]
// CHECK: memref.store %[[SEL]], %[[VT]][%[[C:.*]], %[[J2:.*]]] :
// CHECK: scf.reduce
// ... S = Q·K^T, a warp.mma per 16 × 8 tile and 16 head dims, stored to the
// score tile ...
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c128)
// CHECK: %[[S0:.*]] = warp.mma %[[Q]][%[[ROW:.*]], %c0], %[[K]][%c0, %c0], %{{.*}}, lane %[[LANE:.*]] :
// CHECK: %[[S1:.*]] = warp.mma %[[Q]][%[[ROW]], %c16], %[[K]][%c0, %c16], %[[S0]], lane %[[LANE]]
// CHECK: %[[S2:.*]] = warp.mma %[[Q]][%[[ROW]], %c32], %[[K]][%c0, %c32], %[[S1]], lane %[[LANE]]
// CHECK: %[[S3:.*]] = warp.mma %[[Q]][%[[ROW]], %c48], %[[K]][%c0, %c48], %[[S2]], lane %[[LANE]]
// CHECK: vector.extract %[[S3]][0]
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: warp.mma %[[Q]][%[[ROW]], %c0], %[[K]][%c8, %c0]
// CHECK: warp.mma %[[Q]][%[[ROW]], %c48], %[[K]][%c24, %c48]
// CHECK: scf.reduce
// ... the weights of row r by thread r < 64: the row's max, then exp2 of
// the shifted scores split into high and low 16-bit parts ...
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c128)
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK: memref.load %[[S]]
// CHECK: vector.reduction <maxnumf>
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK: %[[HIGH:.*]] = arith.truncf %[[W:.*]] : vector<4xf32> to vector<4xf16>
// CHECK: %[[WIDE:.*]] = arith.extf %[[HIGH]]
// CHECK: %[[REST:.*]] = arith.subf %[[W]], %[[WIDE]]
// CHECK: arith.truncf %[[REST]] : vector<4xf32> to vector<4xf16>
// CHECK: memref.store %{{.*}}, %[[P]]
// CHECK: memref.store %{{.*}}, %[[PLOW]]
// CHECK: memref.store %{{.*}}, %[[STATS]][%c1,
// CHECK: memref.store %{{.*}}, %[[STATS]][%c2,
// CHECK: scf.reduce
// ... and O = O · factor + P·V on the lanes' fragments: each fragment
// scaled by its rows' factors (elements 0, 1: row g; 2, 3: row g + 8),
// then the low and high weights times the transposed value tile.
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c128)
// CHECK: %[[FRAGS:.*]] = memref.subview %[[ACC]]
// CHECK: %[[UPPER:.*]] = memref.load %[[STATS]][%c2,
// CHECK: %[[LOWER:.*]] = memref.load %[[STATS]][%c2,
// CHECK: %[[FACTORS:.*]] = vector.from_elements %[[UPPER]], %[[UPPER]], %[[LOWER]], %[[LOWER]]
// CHECK: memref.load %[[FRAGS]][%c0, %c0]
// CHECK: %[[SCALED:.*]] = arith.mulf %{{.*}}, %[[FACTORS]]
// CHECK: %[[O0:.*]] = warp.mma %[[PLOW]][%[[VROW:.*]], %c0], %[[VT]][%c0, %c0], %[[SCALED]], lane
// CHECK: %[[O1:.*]] = warp.mma %[[P]][%[[VROW]], %c0], %[[VT]][%c0, %c0], %[[O0]], lane
// CHECK: %[[O2:.*]] = warp.mma %[[PLOW]][%[[VROW]], %c16], %[[VT]][%c0, %c16], %[[O1]], lane
// CHECK: %[[O3:.*]] = warp.mma %[[P]][%[[VROW]], %c16], %[[VT]][%c0, %c16], %[[O2]], lane
// CHECK: vector.extract %[[O3]][0]
// CHECK: memref.store %{{.*}}, %[[FRAGS]][%c0, %c0]
// CHECK: warp.mma %[[P]][%[[VROW]], %c16], %[[VT]][%c56, %c16]
// CHECK: scf.reduce
// CHECK: }
// The epilogue: acc / sum (0 where the sum is 0) for rows inside T.
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c128)
// CHECK: memref.load %[[STATS]][%c1,
// CHECK: arith.divf
// CHECK: memref.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<2x?x4x64xf16>

// Between the phases kiln-gpu-map-parallel-loops puts barriers: after the
// prologue, and after each of the four phases of a key tile.
// BARRIERS-LABEL: func.func @causal_f16_d64
// BARRIERS: gpu.launch
// BARRIERS: gpu.barrier
// BARRIERS: scf.for
// BARRIERS: memref.load %arg2
// BARRIERS: gpu.barrier
// BARRIERS: warp.mma
// BARRIERS: gpu.barrier
// BARRIERS: arith.truncf
// BARRIERS: gpu.barrier
// BARRIERS: warp.mma
// BARRIERS: gpu.barrier
func.func @causal_f16_d64(%q: tensor<2x?x4x64xf16>, %k: tensor<2x?x4x64xf16>,
                          %v: tensor<2x?x4x64xf16>) -> tensor<2x?x4x64xf16> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.125 : f64}
      : (tensor<2x?x4x64xf16>, tensor<2x?x4x64xf16>, tensor<2x?x4x64xf16>)
      -> tensor<2x?x4x64xf16>
  return %0 : tensor<2x?x4x64xf16>
}

// -----

// D = 128: 16-key tiles, so that the tiles stay under 48 KiB (37 KiB with
// the weights' two tiles); 16 output fragments per lane. D = 40 is padded
// to 48 columns of the query and key tiles (zeros), and Dv = 40 covered by
// 5 fragments.
// CHECK-LABEL: func.func @bf16_d128
// CHECK: memref.alloca() : memref<64x136xbf16, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<16x136xbf16, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<128x24xbf16, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<64x24xbf16, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<64x24xbf16, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<64x20xf32, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<128x16x4xf32, #gpu.address_space<private>>
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16 {
// CHECK: warp.mma
func.func @bf16_d128(%q: tensor<1x?x2x128xbf16>, %k: tensor<1x?x2x128xbf16>,
                     %v: tensor<1x?x2x128xbf16>) -> tensor<1x?x2x128xbf16> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.088 : f64}
      : (tensor<1x?x2x128xbf16>, tensor<1x?x2x128xbf16>, tensor<1x?x2x128xbf16>)
      -> tensor<1x?x2x128xbf16>
  return %0 : tensor<1x?x2x128xbf16>
}

// -----

// CHECK-LABEL: func.func @f16_d40
// CHECK: memref.alloca() : memref<64x56xf16, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<32x56xf16, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<40x40xf16, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<128x5x4xf32, #gpu.address_space<private>>
// CHECK: warp.mma
func.func @f16_d40(%q: tensor<1x?x2x40xf16>, %k: tensor<1x?x2x40xf16>,
                   %v: tensor<1x?x2x40xf16>) -> tensor<1x?x2x40xf16> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.15 : f64}
      : (tensor<1x?x2x40xf16>, tensor<1x?x2x40xf16>, tensor<1x?x2x40xf16>)
      -> tensor<1x?x2x40xf16>
  return %0 : tensor<1x?x2x40xf16>
}

// -----

// Past D = 128, and for f32 inputs without gpu-tf32, the SIMT flash form
// (attn-blocks.mlir) stays: f32 tiles, no warp.mma.
// CHECK-LABEL: func.func @bf16_d160
// CHECK-NOT: warp.mma
// CHECK: memref.alloca() : memref<16x192xf32, #gpu.address_space<workgroup>>
// CHECK-NOT: warp.mma
// CHECK: return
func.func @bf16_d160(%q: tensor<1x?x2x160xbf16>, %k: tensor<1x?x2x160xbf16>,
                     %v: tensor<1x?x2x160xbf16>) -> tensor<1x?x2x160xbf16> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.08 : f64}
      : (tensor<1x?x2x160xbf16>, tensor<1x?x2x160xbf16>, tensor<1x?x2x160xbf16>)
      -> tensor<1x?x2x160xbf16>
  return %0 : tensor<1x?x2x160xbf16>
}

// -----

// With gpu-tf32 f32 attention takes the tensor-core form too where its f32
// tiles fit in 48 KiB: D = 64 with 16-key tiles (38,400 bytes), the tiles
// padded by 4 floats, one weight tile (the values are rounded to TF32 as
// coarsely as the weights would be), TF32 warp.mma of K = 8. D = 128 does
// not fit and keeps the SIMT form.
// TF32-LABEL: func.func @f32_d64
// TF32: %[[Q:.*]] = memref.alloca() : memref<64x68xf32, #gpu.address_space<workgroup>>
// TF32: %[[K:.*]] = memref.alloca() : memref<16x68xf32, #gpu.address_space<workgroup>>
// TF32: %[[VT:.*]] = memref.alloca() : memref<64x20xf32, #gpu.address_space<workgroup>>
// TF32: %[[P:.*]] = memref.alloca() : memref<64x20xf32, #gpu.address_space<workgroup>>
// TF32: %[[S:.*]] = memref.alloca() : memref<64x20xf32, #gpu.address_space<workgroup>>
// TF32-NOT: memref.alloca() : memref<64x20xf32
// TF32: memref.alloca() : memref<3x64xf32, #gpu.address_space<workgroup>>
// TF32: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16 {
// TF32: warp.mma %[[Q]][%[[ROW:.*]], %c0], %[[K]][%c0, %c0]
// TF32: warp.mma %[[Q]][%[[ROW]], %c8], %[[K]][%c0, %c8]
// TF32: warp.mma %[[Q]][%[[ROW]], %c56], %[[K]][%c8, %c56]
// TF32-NOT: arith.truncf
// TF32: memref.store %{{.*}}, %[[P]]
// TF32: warp.mma %[[P]][%[[PROW:.*]], %c0], %[[VT]][%c0, %c0]
// TF32: warp.mma %[[P]][%[[PROW]], %c8], %[[VT]][%c0, %c8]
// TF32-NOT: warp.mma %[[P]][%[[PROW]], %c16]
// TF32: warp.mma %[[P]][%[[PROW]], %c8], %[[VT]][%c56, %c8]
// TF32-LABEL: func.func @f32_d128
// TF32-NOT: warp.mma
// TF32: return
// CHECK-LABEL: func.func @f32_d64
// CHECK-NOT: warp.mma
// CHECK: memref.alloca() : memref<32x64xf32, #gpu.address_space<workgroup>>
// CHECK-NOT: warp.mma
// CHECK: return
func.func @f32_d64(%q: tensor<1x?x2x64xf32>, %k: tensor<1x?x2x64xf32>,
                   %v: tensor<1x?x2x64xf32>) -> tensor<1x?x2x64xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.125 : f64}
      : (tensor<1x?x2x64xf32>, tensor<1x?x2x64xf32>, tensor<1x?x2x64xf32>)
      -> tensor<1x?x2x64xf32>
  return %0 : tensor<1x?x2x64xf32>
}

// -----

// CHECK-LABEL: func.func @f32_d128
// CHECK-NOT: warp.mma
// CHECK: return
func.func @f32_d128(%q: tensor<1x?x2x128xf32>, %k: tensor<1x?x2x128xf32>,
                    %v: tensor<1x?x2x128xf32>) -> tensor<1x?x2x128xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.088 : f64}
      : (tensor<1x?x2x128xf32>, tensor<1x?x2x128xf32>, tensor<1x?x2x128xf32>)
      -> tensor<1x?x2x128xf32>
  return %0 : tensor<1x?x2x128xf32>
}

// -----

// f16 with the power normalizer keeps the SIMT form: x^p is not shifted by
// a maximum, and its weights could pass f16's 65,504 in the weight tiles.
// bf16 (f32's range) takes the tensor-core form.
// CHECK-LABEL: func.func @power_f16
// CHECK-NOT: warp.mma
// CHECK: return
// CHECK-LABEL: func.func @power_bf16
// CHECK: warp.mma
func.func @power_f16(%q: tensor<1x?x2x32xf16>, %k: tensor<1x?x2x32xf16>,
                     %v: tensor<1x?x2x32xf16>) -> tensor<1x?x2x32xf16> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.2 : f64, normalizer = #attn<normalizer power>, power = 2 : i64}
      : (tensor<1x?x2x32xf16>, tensor<1x?x2x32xf16>, tensor<1x?x2x32xf16>)
      -> tensor<1x?x2x32xf16>
  return %0 : tensor<1x?x2x32xf16>
}
func.func @power_bf16(%q: tensor<1x?x2x32xbf16>, %k: tensor<1x?x2x32xbf16>,
                      %v: tensor<1x?x2x32xbf16>) -> tensor<1x?x2x32xbf16> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.2 : f64, normalizer = #attn<normalizer power>, power = 2 : i64}
      : (tensor<1x?x2x32xbf16>, tensor<1x?x2x32xbf16>, tensor<1x?x2x32xbf16>)
      -> tensor<1x?x2x32xbf16>
  return %0 : tensor<1x?x2x32xbf16>
}

// -----

// Nor does f32 with the power normalizer under gpu-tf32: x^p, normalized by
// the sum of the x^p, magnifies the scores' relative error where they
// nearly cancel, and TF32's is 2^-11 of the products' scale (an f32 test
// of x^2 missed 2e-3 by 4.8e-3).
// TF32-LABEL: func.func @power_f32
// TF32-NOT: warp.mma
// TF32: return
func.func @power_f32(%q: tensor<1x?x2x32xf32>, %k: tensor<1x?x2x32xf32>,
                     %v: tensor<1x?x2x32xf32>) -> tensor<1x?x2x32xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.2 : f64, normalizer = #attn<normalizer power>, power = 2 : i64}
      : (tensor<1x?x2x32xf32>, tensor<1x?x2x32xf32>, tensor<1x?x2x32xf32>)
      -> tensor<1x?x2x32xf32>
  return %0 : tensor<1x?x2x32xf32>
}
