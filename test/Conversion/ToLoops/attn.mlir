// RUN: kiln-opt %s --kiln-convert-to-loops --reconcile-unrealized-casts | FileCheck %s --implicit-check-not=attn.

// Every query row walks only its visible keys [lo, hi) in blocks of 64 with
// an online softmax: scratch for the query row, the accumulator and the
// block's scores, a running max and a running sum.
// CHECK-LABEL: func.func @causal
// CHECK: %[[S:.*]] = memref.dim %arg1, %c1{{(_[0-9]+)?}} :
// CHECK: memref.alloc
// CHECK: scf.parallel (%{{.*}}, %{{.*}}, %[[T:.*]]) =
// CHECK: %[[NEXT:.*]] = arith.addi %[[T]], %c1{{(_[0-9]+)?}} :
// CHECK: %[[HI:.*]] = arith.minsi %[[NEXT]], %[[S]]
// CHECK: memref.alloca() : memref<16xf32>
// CHECK: memref.alloca() : memref<16xf32>
// CHECK: memref.alloca() : memref<64xf32>
// CHECK: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %[[HI]] step %c64 iter_args
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: math.exp
// CHECK: arith.divf
func.func @causal(%q: tensor<2x?x4x16xf32>, %k: tensor<2x?x4x16xf32>,
                  %v: tensor<2x?x4x16xf32>) -> tensor<2x?x4x16xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64}
      : (tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>)
      -> tensor<2x?x4x16xf32>
  return %0 : tensor<2x?x4x16xf32>
}

// No mask: every row sees [0, S).
// CHECK-LABEL: func.func @no_mask
// CHECK: scf.parallel
// CHECK-NOT: arith.addi
// CHECK: %[[HI:.*]] = arith.minsi %c32{{(_[0-9]+)?}}, %c32
// CHECK: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %[[HI]] step %c64 iter_args
func.func @no_mask(%q: tensor<1x8x2x16xf32>, %k: tensor<1x32x2x16xf32>,
                   %v: tensor<1x32x2x16xf32>) -> tensor<1x8x2x16xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<1x8x2x16xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>)
      -> tensor<1x8x2x16xf32>
  return %0 : tensor<1x8x2x16xf32>
}

// Sliding window: lo = max(t + 1 - window, 0).
// CHECK-LABEL: func.func @sliding_window
// CHECK: scf.parallel (%{{.*}}, %{{.*}}, %[[T:.*]]) =
// CHECK: %[[NEXT:.*]] = arith.addi %[[T]], %c1{{(_[0-9]+)?}} :
// CHECK: %[[FROM:.*]] = arith.subi %[[NEXT]], %c4{{(_[0-9]+)?}} :
// CHECK: %[[LO:.*]] = arith.maxsi %[[FROM]], %c0
// CHECK: %[[HI:.*]] = arith.minsi %[[NEXT]]
// CHECK: scf.for %{{.*}} = %[[LO]] to %[[HI]] step %c64
func.func @sliding_window(%q: tensor<1x?x2x8xf32>, %k: tensor<1x?x2x8xf32>,
                          %v: tensor<1x?x2x8xf32>) -> tensor<1x?x2x8xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask sliding_window>, window = 4,
                                  scale = 0.35 : f64}
      : (tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>)
      -> tensor<1x?x2x8xf32>
  return %0 : tensor<1x?x2x8xf32>
}

// Block diagonal: lo = floor(t / block) * block, hi = min(lo + block, S).
// CHECK-LABEL: func.func @block_diagonal
// CHECK: %[[S:.*]] = memref.dim %arg1, %c1{{(_[0-9]+)?}} :
// CHECK: scf.parallel (%{{.*}}, %{{.*}}, %[[T:.*]]) =
// CHECK: %[[Q:.*]] = arith.divui %[[T]], %c3
// CHECK: %[[LO:.*]] = arith.muli %[[Q]], %c3
// CHECK: %[[END:.*]] = arith.addi %[[LO]], %c3
// CHECK: %[[HI:.*]] = arith.minsi %[[END]], %[[S]]
// CHECK: scf.for %{{.*}} = %[[LO]] to %{{.*}} step %c64
func.func @block_diagonal(%q: tensor<1x?x2x8xf32>, %k: tensor<1x?x2x8xf32>,
                          %v: tensor<1x?x2x8xf32>) -> tensor<1x?x2x8xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask block_diagonal>, block = 3,
                                  scale = 0.35 : f64}
      : (tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>)
      -> tensor<1x?x2x8xf32>
  return %0 : tensor<1x?x2x8xf32>
}

// Causal block diagonal also caps hi at t + 1.
// CHECK-LABEL: func.func @block_diagonal_causal
// CHECK: scf.parallel (%{{.*}}, %{{.*}}, %[[T:.*]]) =
// CHECK: arith.divui %[[T]], %c3
// CHECK: %[[END:.*]] = arith.minsi
// CHECK: %[[NEXT:.*]] = arith.addi %[[T]], %c1{{(_[0-9]+)?}} :
// CHECK: arith.minsi %[[END]], %[[NEXT]]
func.func @block_diagonal_causal(%q: tensor<1x?x2x8xf32>, %k: tensor<1x?x2x8xf32>,
                                 %v: tensor<1x?x2x8xf32>) -> tensor<1x?x2x8xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask block_diagonal>, block = 3,
                                  causal, scale = 0.35 : f64}
      : (tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>)
      -> tensor<1x?x2x8xf32>
  return %0 : tensor<1x?x2x8xf32>
}

// Grouped-query attention with dynamic head counts: the kv head is
// h / (H / Hkv), computed at run time. Keys are first copied to f32
// [B, Hkv, D, S] so that a block's scores are contiguous rows.
// CHECK-LABEL: func.func @gqa
// CHECK-DAG: %[[H:.*]] = memref.dim %arg0, %c2{{(_[0-9]+)?}} :
// CHECK-DAG: %[[HKV:.*]] = memref.dim %arg1, %c2{{(_[0-9]+)?}} :
// CHECK: %[[GROUP:.*]] = arith.divui %[[H]], %[[HKV]]
// CHECK: %[[KT:.*]] = memref.alloc(%[[HKV]], %{{.*}}) {alignment = 64 : i64} : memref<1x?x16x?xf32>
// CHECK: scf.parallel
// CHECK: memref.load %arg1[
// CHECK: scf.parallel (%[[B:.*]], %[[HEAD:.*]], %[[T:.*]]) =
// CHECK: %[[KVH:.*]] = arith.divui %[[HEAD]], %[[GROUP]]
// CHECK: memref.load %[[KT]][%[[B]], %[[KVH]], %{{.*}}, %{{.*}}]
// CHECK: memref.load %arg2[%[[B]], %{{.*}}, %[[KVH]], %{{.*}}]
func.func @gqa(%q: tensor<1x?x?x16xf32>, %k: tensor<1x?x?x16xf32>,
               %v: tensor<1x?x?x32xf32>) -> tensor<1x?x?x32xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64}
      : (tensor<1x?x?x16xf32>, tensor<1x?x?x16xf32>, tensor<1x?x?x32xf32>)
      -> tensor<1x?x?x32xf32>
  return %0 : tensor<1x?x?x32xf32>
}

// An additive bias [H, T, S] broadcast over the batch; f16 storage computes
// in f32.
// CHECK-LABEL: func.func @bias_f16
// CHECK: scf.parallel (%{{.*}}, %[[H:.*]], %[[T:.*]]) =
// CHECK: %[[BIAS:.*]] = memref.load %arg3[%[[H]], %[[T]], %{{.*}}] : memref<2x?x?xf16>
// CHECK: %[[BIAS32:.*]] = arith.extf %[[BIAS]] : f16 to f32
// CHECK: arith.addf %{{.*}}, %[[BIAS32]]
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @bias_f16(%q: tensor<1x?x2x8xf16>, %k: tensor<1x?x2x8xf16>,
                    %v: tensor<1x?x2x8xf16>, %bias: tensor<2x?x?xf16>)
    -> tensor<1x?x2x8xf16> {
  %0 = attn.attention %q, %k, %v bias %bias {mask = #attn<mask none>,
                                             scale = 0.35 : f64}
      : (tensor<1x?x2x8xf16>, tensor<1x?x2x8xf16>, tensor<1x?x2x8xf16>,
         tensor<2x?x?xf16>) -> tensor<1x?x2x8xf16>
  return %0 : tensor<1x?x2x8xf16>
}

// Packed sequences: a search over the offsets finds [start, end) of the
// row's sequence; the mask counts positions from start.
// CHECK-LABEL: func.func @seq_offsets
// CHECK: scf.parallel (%{{.*}}, %{{.*}}, %[[T:.*]]) =
// CHECK: %[[N:.*]] = arith.subi %{{.*}}, %c1
// CHECK: %[[SEQ:.*]]:2 = scf.for %[[I:.*]] = %c0{{(_[0-9]+)?}} to %[[N]] step
// CHECK: %[[FIRST:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK: %[[LAST:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK: %[[GE:.*]] = arith.cmpi sle, %[[FIRST]], %[[T]]
// CHECK: %[[LT:.*]] = arith.cmpi slt, %[[T]], %[[LAST]]
// CHECK: %[[IN:.*]] = arith.andi %[[GE]], %[[LT]]
// CHECK: arith.select %[[IN]], %[[FIRST]]
// CHECK: arith.select %[[IN]], %[[LAST]]
// CHECK: %[[POS:.*]] = arith.subi %[[T]], %[[SEQ]]#0
// CHECK: %[[NEXT:.*]] = arith.addi %[[POS]], %c1
// CHECK: %[[LO:.*]] = arith.addi %[[SEQ]]#0, %c0
// CHECK: %[[LO2:.*]] = arith.maxsi %[[LO]], %c0
// CHECK: %[[HI:.*]] = arith.addi %[[SEQ]]#0, %[[NEXT]]
// CHECK: arith.minsi %[[HI]], %[[SEQ]]#1
func.func @seq_offsets(%q: tensor<1x?x2x8xf32>, %k: tensor<1x?x2x8xf32>,
                       %v: tensor<1x?x2x8xf32>, %offsets: tensor<?xi32>)
    -> tensor<1x?x2x8xf32> {
  %0 = attn.attention %q, %k, %v seq_offsets %offsets {mask = #attn<mask causal>,
                                                       scale = 0.35 : f64}
      : (tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>,
         tensor<?xi32>) -> tensor<1x?x2x8xf32>
  return %0 : tensor<1x?x2x8xf32>
}

// Power normalizer: weights score^4 by squaring, no max, no exp.
// CHECK-LABEL: func.func @power
// CHECK: scf.parallel
// CHECK-NOT: math.exp
// CHECK: %[[SQ:.*]] = arith.mulf %[[S:.*]], %[[S]]
// CHECK: arith.mulf %[[SQ]], %[[SQ]]
// CHECK-NOT: math.exp
// CHECK: arith.cmpf oeq
// CHECK: arith.divf
func.func @power(%q: tensor<1x?x2x8xf32>, %k: tensor<1x?x2x8xf32>,
                 %v: tensor<1x?x2x8xf32>) -> tensor<1x?x2x8xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>,
                                  normalizer = #attn<normalizer power>,
                                  power = 4, scale = 0.35 : f64}
      : (tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>)
      -> tensor<1x?x2x8xf32>
  return %0 : tensor<1x?x2x8xf32>
}
