// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 row-attention=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --implicit-check-not=attn.

// The GPU form of attention (row-attention=true): one parallel iteration
// per (batch, head, query row), the row fastest. The scaled query and the
// output accumulators are vectors carried by the key loop (registers), so
// nothing is packed and no scratch is allocated. The loop runs over the
// row's visible keys [lo, hi) in blocks of 4: 4 dot products (vector FMAs
// and a horizontal sum) make a score vector, masked to [lo, hi), whose
// weights come from an online softmax in base 2 (scale · log2 e folded into
// the query); lanes past hi read key hi - 1. The output rows are stored
// straight into the out-parameter.
// CHECK-LABEL: func.func @causal
// CHECK-SAME: %[[OUT:[^:]*]]: memref<2x?x4x16xf32>) {
// CHECK: %[[T:.*]] = memref.dim %arg0, %c1
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[B:.*]], %[[H:.*]], %[[ROW:.*]]) = (%c0, %c0, %c0) to (%c2, %c4, %[[T]])
// CHECK: %[[S:.*]] = memref.dim %arg1, %c1
// CHECK: %[[NEXT:.*]] = arith.addi %[[ROW]], %c1
// CHECK: %[[HI:.*]] = arith.minsi %[[NEXT]], %[[S]]
// CHECK: %[[Q:.*]] = vector.load %arg0[%[[B]], %[[ROW]], %[[H]], %c0] : memref<2x?x4x16xf32>, vector<4xf32>
// CHECK: arith.mulf %[[Q]], %[[SCALE:.*]] : vector<4xf32>
// CHECK: %[[LAST:.*]] = arith.subi %[[HI]], %c1
// CHECK: scf.for %[[K0:.*]] = %c0 to %[[HI]] step %c4 iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, f32)
// CHECK: %[[K:.*]] = arith.minsi %[[K0]], %[[LAST]]
// CHECK: %[[KEYS:.*]] = arith.addi %{{.*}}, %[[LANES:.*]] : vector<4xi32>
// CHECK: arith.cmpi sge, %[[KEYS]]
// CHECK: arith.cmpi slt, %[[KEYS]]
// CHECK: vector.load %arg1[%[[B]], %[[K]], %[[H]], %c0]
// CHECK: vector.reduction <add>
// CHECK: %[[SCORES:.*]] = vector.from_elements
// CHECK: %[[MASKED:.*]] = arith.select %{{.*}}, %[[SCORES]], %{{.*}} : vector<4xi1>, vector<4xf32>
// CHECK: vector.reduction <maxnumf>, %[[MASKED]]
// CHECK: math.floor %{{.*}} : vector<4xf32>
// CHECK: math.floor %{{.*}} : vector<1xf32>
// CHECK: vector.load %arg2[%[[B]], %[[K]], %[[H]], %c0]
// CHECK: scf.yield
// CHECK: arith.divf
// CHECK: vector.store %{{.*}}, %[[OUT]][%[[B]], %[[ROW]], %[[H]], %c0]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @causal(%q: tensor<2x?x4x16xf32>, %k: tensor<2x?x4x16xf32>,
                  %v: tensor<2x?x4x16xf32>) -> tensor<2x?x4x16xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64}
      : (tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>)
      -> tensor<2x?x4x16xf32>
  return %0 : tensor<2x?x4x16xf32>
}

// No mask: every row walks all 32 keys (the batch of 1 folds away).
// CHECK-LABEL: func.func @no_mask
// CHECK: scf.parallel (%[[H:.*]], %[[ROW:.*]]) = (%c0, %c0) to (%c2, %c8)
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c4
// CHECK: arith.minsi %{{.*}}, %c31
func.func @no_mask(%q: tensor<1x8x2x16xf32>, %k: tensor<1x32x2x16xf32>,
                   %v: tensor<1x32x2x16xf32>) -> tensor<1x8x2x16xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<1x8x2x16xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>)
      -> tensor<1x8x2x16xf32>
  return %0 : tensor<1x8x2x16xf32>
}

// Sliding window: [max(t + 1 - window, 0), min(t + 1, S)). The loop starts
// at the lo of the warp's first row (the row at linear index
// (h · T + t) rounded down to 32), so that a warp loads each key once; the
// row's own lo masks the lanes before it.
// CHECK-LABEL: func.func @sliding_window
// CHECK: %[[T:.*]] = memref.dim %arg0, %c1
// CHECK: scf.parallel (%[[H:.*]], %[[ROW:.*]]) = (%c0, %c0) to (%c2, %[[T]])
// CHECK: %[[S:.*]] = memref.dim %arg1, %c1
// CHECK: %[[NEXT:.*]] = arith.addi %[[ROW]], %c1
// CHECK: %[[FROM:.*]] = arith.addi %[[ROW]], %c-3
// CHECK: %[[LO:.*]] = arith.maxsi %[[FROM]], %c0
// CHECK: %[[HI:.*]] = arith.minsi %[[NEXT]], %[[S]]
// CHECK: %[[HEAD_ROWS:.*]] = arith.muli %[[H]], %[[T]]
// CHECK: %[[LINEAR:.*]] = arith.addi %[[HEAD_ROWS]], %[[ROW]]
// CHECK: %[[LANE:.*]] = arith.remui %[[LINEAR]], %c32
// CHECK: %[[BACK:.*]] = arith.minsi %[[LANE]], %[[ROW]]
// CHECK: %[[FIRST:.*]] = arith.subi %[[ROW]], %[[BACK]]
// CHECK: %[[FIRST_FROM:.*]] = arith.addi %[[FIRST]], %c-3
// CHECK: %[[FIRST_LO:.*]] = arith.maxsi %[[FIRST_FROM]], %c0
// CHECK: %[[SEES:.*]] = arith.cmpi slt, %[[FIRST_LO]], %{{.*}}
// CHECK: %[[EARLIER:.*]] = arith.minsi %[[FIRST_LO]], %[[LO]]
// CHECK: %[[START:.*]] = arith.select %[[SEES]], %[[EARLIER]], %[[LO]]
// CHECK: scf.for %{{.*}} = %[[START]] to %[[HI]] step %c4
// CHECK: %[[LO_I32:.*]] = arith.index_cast %[[LO]] : index to i32
// CHECK: %[[LO_V:.*]] = vector.broadcast %[[LO_I32]] : i32 to vector<4xi32>
// CHECK: arith.cmpi sge, %{{.*}}, %[[LO_V]] : vector<4xi32>
func.func @sliding_window(%q: tensor<1x?x2x8xf32>, %k: tensor<1x?x2x8xf32>,
                          %v: tensor<1x?x2x8xf32>) -> tensor<1x?x2x8xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask sliding_window>, window = 4,
                                  scale = 0.35 : f64}
      : (tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>)
      -> tensor<1x?x2x8xf32>
  return %0 : tensor<1x?x2x8xf32>
}

// Block diagonal: lo = floor(t / block) · block, hi = min(lo + block, S),
// the warp's first row's block start as the loop's start.
// CHECK-LABEL: func.func @block_diagonal
// CHECK: scf.parallel (%{{.*}}, %[[ROW:.*]]) =
// CHECK: %[[BLOCK:.*]] = arith.divui %[[ROW]], %c3
// CHECK: %[[LO:.*]] = arith.muli %[[BLOCK]], %c3
// CHECK: %[[END:.*]] = arith.addi %[[LO]], %c3
// CHECK: %[[HI:.*]] = arith.minsi %[[END]], %{{.*}}
// CHECK: arith.remui %{{.*}}, %c32
// CHECK: %[[FIRST:.*]] = arith.subi %[[ROW]], %{{.*}}
// CHECK: %[[FIRST_BLOCK:.*]] = arith.divui %[[FIRST]], %c3
// CHECK: %[[FIRST_LO:.*]] = arith.muli %[[FIRST_BLOCK]], %c3
// CHECK: %[[EARLIER:.*]] = arith.minsi %[[FIRST_LO]], %[[LO]]
// CHECK: %[[START:.*]] = arith.select %{{.*}}, %[[EARLIER]], %[[LO]]
// CHECK: scf.for %{{.*}} = %[[START]] to %{{.*}} step %c4
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
// CHECK: scf.parallel (%{{.*}}, %[[ROW:.*]]) =
// CHECK: %[[BLOCK:.*]] = arith.divui %[[ROW]], %c3
// CHECK: %[[LO:.*]] = arith.muli %[[BLOCK]], %c3
// CHECK: %[[NEXT:.*]] = arith.addi %[[ROW]], %c1
// CHECK: %[[CAUSAL:.*]] = arith.minsi %{{.*}}, %[[NEXT]]
// CHECK: %[[HI:.*]] = arith.minsi %[[CAUSAL]], %{{.*}}
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[HI]] step %c4
func.func @block_diagonal_causal(%q: tensor<1x?x2x8xf32>, %k: tensor<1x?x2x8xf32>,
                                 %v: tensor<1x?x2x8xf32>) -> tensor<1x?x2x8xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask block_diagonal>, block = 3,
                                  causal, scale = 0.35 : f64}
      : (tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>)
      -> tensor<1x?x2x8xf32>
  return %0 : tensor<1x?x2x8xf32>
}

// Grouped-query attention with dynamic head counts: the kv head
// h / (H / Hkv) indexes the keys and values; Dv = 32 is 8 accumulator
// vectors, D = 16 is 4 query vectors.
// CHECK-LABEL: func.func @gqa
// CHECK: %[[HEADS:.*]] = memref.dim %arg0, %c2
// CHECK: %[[KV_HEADS:.*]] = memref.dim %arg1, %c2
// CHECK: %[[GROUP:.*]] = arith.divui %[[HEADS]], %[[KV_HEADS]]
// CHECK: scf.parallel (%[[H:.*]], %[[ROW:.*]]) = (%c0, %c0) to (%[[HEADS]], %{{.*}})
// CHECK: %[[KV:.*]] = arith.divui %[[H]], %[[GROUP]]
// CHECK: scf.for {{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, f32)
// CHECK: vector.load %arg1[%c0, %{{.*}}, %[[KV]], %c0] : memref<1x?x?x16xf32>
// CHECK: vector.load %arg2[%c0, %{{.*}}, %[[KV]], %c28] : memref<1x?x?x32xf32>
// CHECK: vector.store %{{.*}}, %{{.*}}[%c0, %[[ROW]], %[[H]], %c28] : memref<1x?x?x32xf32>
func.func @gqa(%q: tensor<1x?x?x16xf32>, %k: tensor<1x?x?x16xf32>,
               %v: tensor<1x?x?x32xf32>) -> tensor<1x?x?x32xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64}
      : (tensor<1x?x?x16xf32>, tensor<1x?x?x16xf32>, tensor<1x?x?x32xf32>)
      -> tensor<1x?x?x32xf32>
  return %0 : tensor<1x?x?x32xf32>
}

// An additive bias [H, T, S] broadcast over the batch: one scalar per key
// lane, added in base 2 (· log2 e); f16 storage is widened to f32 and the
// output rounded back. D = 6: the last vector of the query, keys, values
// and output is masked to 2 lanes.
// CHECK-LABEL: func.func @bias_f16
// CHECK: scf.parallel (%[[H:.*]], %[[ROW:.*]]) =
// CHECK: vector.load %arg0[%c0, %[[ROW]], %[[H]], %c0] : memref<1x?x2x6xf16>, vector<4xf16>
// CHECK: arith.extf %{{.*}} : vector<4xf16> to vector<4xf32>
// CHECK: vector.maskedload %arg0[%c0, %[[ROW]], %[[H]], %c4]
// CHECK: scf.for
// CHECK: %[[K:.*]] = arith.minsi
// CHECK: vector.maskedload %arg1[%c0, %[[K]], %[[H]], %c4]
// CHECK: %[[BIAS:.*]] = memref.load %arg3[%[[H]], %[[ROW]], %[[K]]] : memref<2x?x?xf16>
// CHECK: arith.extf %[[BIAS]] : f16 to f32
// CHECK: %[[SCORES:.*]] = vector.from_elements
// CHECK: %[[BIASES:.*]] = vector.from_elements
// CHECK: %[[FLOORED:.*]] = arith.maximumf %[[BIASES]]
// CHECK: %[[CLAMPED:.*]] = arith.minimumf %[[FLOORED]]
// CHECK: %[[MAGNITUDE:.*]] = math.absf %[[BIASES]]
// CHECK: %[[INFINITE:.*]] = arith.cmpf oeq, %[[MAGNITUDE]]
// CHECK: %[[KEPT:.*]] = arith.select %[[INFINITE]], %[[BIASES]], %[[CLAMPED]]
// CHECK: %[[IN_BASE2:.*]] = arith.mulf %[[KEPT]], %[[LOG2E:.*]] fastmath<contract> : vector<4xf32>
// CHECK: arith.addf %[[IN_BASE2]], %[[SCORES]] fastmath<contract> : vector<4xf32>
// CHECK: arith.truncf %{{.*}} : vector<4xf32> to vector<4xf16>
// CHECK: vector.maskedstore
func.func @bias_f16(%q: tensor<1x?x2x6xf16>, %k: tensor<1x?x2x6xf16>,
                    %v: tensor<1x?x2x6xf16>, %bias: tensor<2x?x?xf16>)
    -> tensor<1x?x2x6xf16> {
  %0 = attn.attention %q, %k, %v bias %bias {mask = #attn<mask none>,
                                             scale = 0.35 : f64}
      : (tensor<1x?x2x6xf16>, tensor<1x?x2x6xf16>, tensor<1x?x2x6xf16>,
         tensor<2x?x?xf16>) -> tensor<1x?x2x6xf16>
  return %0 : tensor<1x?x2x6xf16>
}

// Packed sequences: a search over the offsets finds the row's sequence
// [start, end), for the row and for the warp's first row; the mask counts
// positions from start.
// CHECK-LABEL: func.func @seq_offsets
// CHECK: scf.parallel (%{{.*}}, %[[ROW:.*]]) =
// CHECK: %[[SEQ:.*]]:2 = scf.for
// CHECK: memref.load %arg3
// CHECK: arith.cmpi sle, %{{.*}}, %[[ROW]]
// CHECK: %[[POS:.*]] = arith.subi %[[ROW]], %[[SEQ]]#0
// CHECK: %[[LO:.*]] = arith.maxsi %[[SEQ]]#0, %c0
// CHECK: arith.minsi %{{.*}}, %[[SEQ]]#1
// CHECK: arith.remui %{{.*}}, %c32
// CHECK: %[[FIRST:.*]] = arith.subi %[[ROW]], %{{.*}}
// CHECK: %[[FIRST_SEQ:.*]]:2 = scf.for
// CHECK: arith.cmpi sle, %{{.*}}, %[[FIRST]]
// CHECK: %[[FIRST_LO:.*]] = arith.maxsi %[[FIRST_SEQ]]#0, %c0
// CHECK: %[[EARLIER:.*]] = arith.minsi %[[FIRST_LO]], %[[LO]]
// CHECK: %[[START:.*]] = arith.select %{{.*}}, %[[EARLIER]], %[[LO]]
// CHECK: scf.for %{{.*}} = %[[START]] to
func.func @seq_offsets(%q: tensor<1x?x2x8xf32>, %k: tensor<1x?x2x8xf32>,
                       %v: tensor<1x?x2x8xf32>, %offsets: tensor<?xi32>)
    -> tensor<1x?x2x8xf32> {
  %0 = attn.attention %q, %k, %v seq_offsets %offsets {mask = #attn<mask causal>,
                                                       scale = 0.35 : f64}
      : (tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>,
         tensor<?xi32>) -> tensor<1x?x2x8xf32>
  return %0 : tensor<1x?x2x8xf32>
}

// Power normalizer: weights score^4 by squaring, masked lanes 0; no
// maximum is carried and nothing is rescaled.
// CHECK-LABEL: func.func @power
// CHECK: scf.for {{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>) {
// CHECK-NOT: vector.reduction <maxnumf>
// CHECK: %[[SCORES:.*]] = vector.from_elements
// CHECK: %[[SQUARE:.*]] = arith.mulf %[[SCORES]], %[[SCORES]]
// CHECK: %[[FOURTH:.*]] = arith.mulf %[[SQUARE]], %[[SQUARE]]
// CHECK: arith.select %{{.*}}, %[[FOURTH]], %{{.*}} : vector<4xi1>, vector<4xf32>
// CHECK-NOT: math.floor
// CHECK: scf.yield
func.func @power(%q: tensor<1x?x2x8xf32>, %k: tensor<1x?x2x8xf32>,
                 %v: tensor<1x?x2x8xf32>) -> tensor<1x?x2x8xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>,
                                  normalizer = #attn<normalizer power>,
                                  power = 4, scale = 0.35 : f64}
      : (tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>)
      -> tensor<1x?x2x8xf32>
  return %0 : tensor<1x?x2x8xf32>
}

// A dynamic head dim cannot live in registers: the block lowering takes
// the op (packed keys, a work counter, per-iteration scratch tiles).
// CHECK-LABEL: func.func @dynamic_head_dim
// CHECK: memref.alloca() : memref<1xi64>
// CHECK: scf.parallel
// CHECK: memref.alloca({{.*}}) {alignment = 16 : i64} : memref<96x?xf32>
// CHECK: memref.atomic_rmw
func.func @dynamic_head_dim(%q: tensor<1x?x2x?xf32>, %k: tensor<1x?x2x?xf32>,
                            %v: tensor<1x?x2x?xf32>) -> tensor<1x?x2x?xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64}
      : (tensor<1x?x2x?xf32>, tensor<1x?x2x?xf32>, tensor<1x?x2x?xf32>)
      -> tensor<1x?x2x?xf32>
  return %0 : tensor<1x?x2x?xf32>
}

// A head dim over 256 would not fit in registers either.
// CHECK-LABEL: func.func @head_dim_over_256
// CHECK: memref.atomic_rmw
func.func @head_dim_over_256(%q: tensor<1x?x1x260xf32>, %k: tensor<1x?x1x260xf32>,
                             %v: tensor<1x?x1x8xf32>) -> tensor<1x?x1x8xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<1x?x1x260xf32>, tensor<1x?x1x260xf32>, tensor<1x?x1x8xf32>)
      -> tensor<1x?x1x8xf32>
  return %0 : tensor<1x?x1x8xf32>
}
