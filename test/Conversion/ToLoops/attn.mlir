// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops --reconcile-unrealized-casts | FileCheck %s --implicit-check-not=attn.
// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=16 --reconcile-unrealized-casts | FileCheck %s --check-prefix=WIDE

// Flash attention in vector code (vector width 8, the pass default: 6×2
// register tiles of vector<8xf32>, 96-row query blocks, 256-key blocks).
// Keys are packed into zero-padded f32 panels [B, Hkv, S'/16, D, 16] and
// values into [B, Hkv, Dv'/16, S, 16]. Threads take (batch, head, query
// block) items from an atomic counter (last query block first); each item
// copies its scaled queries, finds every row's visible interval, and walks
// the union of the intervals, aligned down to a panel, in key blocks: scores
// by a 6×2 outer-product tile over d, a vector online softmax per row (no
// mask when every row sees the whole block, else a lane mask from the
// row's interval; scores in base 2, weights by an exp2 polynomial), then
// the weighted values by a second 6×2 tile over keys. The normalized rows
// are stored straight into the out-parameter.
// CHECK-LABEL: func.func @causal
// CHECK-SAME: %[[OUT:[^:]*]]: memref<2x?x4x16xf32>) {
// CHECK: %[[T:.*]] = memref.dim %arg0, %c1
// CHECK: %[[S:.*]] = memref.dim %arg1, %c1
// CHECK: %[[KT:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<2x4x?x16x16xf32>
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}}, %[[KT]]
// CHECK: %[[VP:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<2x4x1x?x16xf32>
// CHECK: scf.parallel
// CHECK: vector.store %{{.*}}, %[[VP]]
// CHECK: %[[COUNTER:.*]] = memref.alloca() : memref<1xi64>
// CHECK: scf.parallel (%{{[a-z0-9_]+}}) =
// CHECK: %[[QS:.*]] = memref.alloca() : memref<96x16xf32>
// CHECK: %[[P:.*]] = memref.alloca() : memref<96x256xf32>
// CHECK: %[[O:.*]] = memref.alloca() : memref<96x16xf32>
// CHECK: scf.while
// CHECK: memref.atomic_rmw addi %{{.*}}, %[[COUNTER]]
// CHECK: } do {
// CHECK-NEXT: ^bb0(%[[G:.*]]: index):
// CHECK: %[[QB:.*]] = arith.remui %[[G]]
// CHECK: %[[BLOCK:.*]] = arith.subi %{{.*}}, %[[QB]]
// CHECK: %[[T0:.*]] = arith.muli %[[BLOCK]], %c96
// CHECK: arith.mulf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: %[[B:.*]]:4 = scf.for %[[R:.*]] = {{.*}} iter_args
// CHECK: %[[ROW:.*]] = arith.addi %[[T0]], %[[R]]
// CHECK: %[[NEXT:.*]] = arith.addi %[[ROW]], %c1
// CHECK: arith.minsi %[[NEXT]], %[[S]]
// CHECK: %[[FIRST:.*]] = arith.divui %[[B]]#0, %c16
// CHECK: %[[ALIGNED:.*]] = arith.muli %[[FIRST]], %c16
// CHECK: scf.for %[[K0:.*]] = %[[ALIGNED]] to %[[B]]#1 step %c256
// A register tile computes only the key tiles that one of its rows sees:
// the largest of its rows' interval ends bounds them (the causal diagonal
// of a 96-row query block costs a tile's rows, not the block's); a row that
// sees no key counts as seeing the whole block.
// CHECK: %[[LO0:.*]] = memref.load %[[LOS:.*]][%{{.*}}] : memref<96xindex>
// CHECK: %[[HI0:.*]] = memref.load %[[HIS:.*]][%{{.*}}] : memref<96xindex>
// CHECK: %[[SOME0:.*]] = arith.cmpi slt, %[[LO0]], %[[HI0]] : index
// CHECK: %[[END0:.*]] = arith.select %[[SOME0]], %[[HI0]], %{{.*}} : index
// CHECK: memref.load %[[LOS]]
// CHECK: %[[HI1:.*]] = memref.load %[[HIS]][%{{.*}}] : memref<96xindex>
// CHECK: %[[SOME1:.*]] = arith.cmpi slt, %{{.*}}, %[[HI1]] : index
// CHECK: %[[END1:.*]] = arith.select %[[SOME1]], %[[HI1]], %{{.*}} : index
// CHECK: arith.maxsi %[[END0]], %[[END1]]
// CHECK: %[[SEEN:.*]] = arith.cmpi ult, %{{.*}}, %{{.*}} : index
// CHECK: scf.if %[[SEEN]] {
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: vector.load %[[KT]]
// CHECK: vector.load %[[KT]]
// CHECK: vector.broadcast
// CHECK: arith.mulf %{{.*}} fastmath<contract> : vector<8xf32>
// CHECK: arith.addf %{{.*}} fastmath<contract> : vector<8xf32>
// CHECK: vector.store %{{.*}}, %[[P]]
// CHECK: arith.cmpi sge, %[[K0]], %[[B]]#2
// CHECK: scf.if
// CHECK-NOT: vector<8xi32>
// CHECK: arith.cmpf ogt, {{.*}} : vector<8xf32>
// CHECK: vector.reduction <maxnumf>
// The correction of the earlier blocks: the weights' polynomial on one
// lane, not a libm call.
// CHECK-NOT: math.exp2
// CHECK: math.floor %{{.*}} : vector<1xf32>
// CHECK: vector.extract %{{.*}}[0] : f32 from vector<1xf32>
// CHECK: math.floor %{{.*}} : vector<8xf32>
// CHECK: arith.fptosi %{{.*}} : vector<8xf32> to vector<8xi32>
// CHECK: arith.bitcast %{{.*}} : vector<8xi32> to vector<8xf32>
// CHECK: } else {
// CHECK: arith.cmpi sge, %{{.*}} : vector<8xi32>
// CHECK: arith.cmpi slt, %{{.*}} : vector<8xi32>
// CHECK: math.floor %{{.*}} : vector<8xf32>
// CHECK: arith.select %{{.*}} : vector<8xi1>, vector<8xf32>
// The weighted values of a tile stop at the same bound.
// CHECK: memref.load %[[HIS]]
// CHECK: %[[PAST:.*]] = arith.maxsi %{{.*}}, %[[K0]] : index
// CHECK: %[[SEEN_KEYS:.*]] = arith.subi %[[PAST]], %[[K0]] : index
// CHECK: %[[LIMIT:.*]] = arith.minsi %[[SEEN_KEYS]], %{{.*}} : index
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %[[LIMIT]] step %c1{{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: vector.load %[[VP]]
// CHECK: memref.load %[[P]]
// CHECK: vector.store %{{.*}}, %[[O]]
// CHECK: arith.divf
// CHECK: vector.maskedstore %[[OUT]][
// CHECK-NOT: memref.copy
// CHECK: return
func.func @causal(%q: tensor<2x?x4x16xf32>, %k: tensor<2x?x4x16xf32>,
                  %v: tensor<2x?x4x16xf32>) -> tensor<2x?x4x16xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64}
      : (tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>)
      -> tensor<2x?x4x16xf32>
  return %0 : tensor<2x?x4x16xf32>
}

// No mask: every row sees [0, S).
// CHECK-LABEL: func.func @no_mask
// CHECK: scf.while
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %{{.*}} step %c1{{.*}} iter_args
// CHECK: arith.addi
// CHECK-NOT: arith.addi
// CHECK: %[[HI:.*]] = arith.minsi %c32{{(_[0-9]+)?}}, %c32
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}}#1 step %c256
func.func @no_mask(%q: tensor<1x8x2x16xf32>, %k: tensor<1x32x2x16xf32>,
                   %v: tensor<1x32x2x16xf32>) -> tensor<1x8x2x16xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.25 : f64}
      : (tensor<1x8x2x16xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>)
      -> tensor<1x8x2x16xf32>
  return %0 : tensor<1x8x2x16xf32>
}

// Sliding window: lo = max(t + 1 - window, 0) per row; the key blocks start
// at the smallest lo.
// CHECK-LABEL: func.func @sliding_window
// CHECK: scf.parallel (%{{[a-z0-9_]+}}) =
// CHECK: scf.while
// CHECK: memref.atomic_rmw addi
// CHECK: } do {
// CHECK-NEXT: ^bb0(%[[G:.*]]: index):
// CHECK: %[[QB:.*]] = arith.remui %[[G]]
// CHECK: %[[BLOCK:.*]] = arith.subi %{{.*}}, %[[QB]]
// CHECK: %[[T0:.*]] = arith.muli %[[BLOCK]], %c96
// CHECK: %[[B:.*]]:4 = scf.for %[[R:.*]] = {{.*}} iter_args
// CHECK: %[[T:.*]] = arith.addi %[[T0]], %[[R]]
// CHECK: %[[NEXT:.*]] = arith.addi %[[T]], %c1{{(_[0-9]+)?}} :
// CHECK: %[[FROM:.*]] = arith.subi %[[NEXT]], %c4{{(_[0-9]+)?}} :
// CHECK: %[[LO:.*]] = arith.maxsi %[[FROM]], %c0
// CHECK: %[[HI:.*]] = arith.minsi %[[NEXT]]
// CHECK: arith.minsi %{{.*}}, %[[LO]]
// CHECK: arith.maxsi %{{.*}}, %[[HI]]
// CHECK: arith.divui %[[B]]#0, %c16
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[B]]#1 step %c256
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
// CHECK: scf.parallel (%{{[a-z0-9_]+}}) =
// CHECK: scf.while
// CHECK: memref.atomic_rmw addi
// CHECK: } do {
// CHECK-NEXT: ^bb0(%[[G:.*]]: index):
// CHECK: %[[QB:.*]] = arith.remui %[[G]]
// CHECK: %[[BLOCK:.*]] = arith.subi %{{.*}}, %[[QB]]
// CHECK: %[[T0:.*]] = arith.muli %[[BLOCK]], %c96
// CHECK: scf.for %[[R:.*]] = {{.*}} iter_args
// CHECK: %[[T:.*]] = arith.addi %[[T0]], %[[R]]
// CHECK: %[[Q:.*]] = arith.divui %[[T]], %c3
// CHECK: %[[LO:.*]] = arith.muli %[[Q]], %c3
// CHECK: %[[END:.*]] = arith.addi %[[LO]], %c3
// CHECK: %[[HI:.*]] = arith.minsi %[[END]], %[[S]]
// CHECK: step %c256
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
// CHECK: scf.parallel (%{{[a-z0-9_]+}}) =
// CHECK: scf.while
// CHECK: memref.atomic_rmw addi
// CHECK: } do {
// CHECK-NEXT: ^bb0(%[[G:.*]]: index):
// CHECK: %[[QB:.*]] = arith.remui %[[G]]
// CHECK: %[[BLOCK:.*]] = arith.subi %{{.*}}, %[[QB]]
// CHECK: %[[T0:.*]] = arith.muli %[[BLOCK]], %c96
// CHECK: scf.for %[[R:.*]] = {{.*}} iter_args
// CHECK: %[[T:.*]] = arith.addi %[[T0]], %[[R]]
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
// h / (H / Hkv), computed at run time, and indexes the packed keys and
// values. Dv = 32 is two value chunks.
// CHECK-LABEL: func.func @gqa
// CHECK-DAG: %[[H:.*]] = memref.dim %arg0, %c2{{(_[0-9]+)?}} :
// CHECK-DAG: %[[HKV:.*]] = memref.dim %arg1, %c2{{(_[0-9]+)?}} :
// CHECK: %[[GROUP:.*]] = arith.divui %[[H]], %[[HKV]]
// CHECK: %[[KT:.*]] = memref.alloc(%[[HKV]], %{{.*}}) {alignment = 64 : i64} : memref<1x?x?x16x16xf32>
// CHECK: memref.load %arg1[
// CHECK: %[[VP:.*]] = memref.alloc(%{{.*}}, %{{.*}}) {alignment = 64 : i64} : memref<1x?x2x?x16xf32>
// CHECK: scf.while
// CHECK: %[[REST:.*]] = arith.divui %[[G:.*]], %{{.*}}
// CHECK: %[[B:.*]] = arith.divui %[[REST]], %[[H]]
// CHECK: %[[HEAD:.*]] = arith.remui %[[REST]], %[[H]]
// CHECK: %[[KVH:.*]] = arith.divui %[[HEAD]], %[[GROUP]]
// CHECK: vector.load %[[KT]][%[[B]], %[[KVH]], %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK: vector.load %[[VP]][%[[B]], %[[KVH]], %{{.*}}, %{{.*}}, %{{.*}}]
func.func @gqa(%q: tensor<1x?x?x16xf32>, %k: tensor<1x?x?x16xf32>,
               %v: tensor<1x?x?x32xf32>) -> tensor<1x?x?x32xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64}
      : (tensor<1x?x?x16xf32>, tensor<1x?x?x16xf32>, tensor<1x?x?x32xf32>)
      -> tensor<1x?x?x32xf32>
  return %0 : tensor<1x?x?x32xf32>
}

// An additive bias [H, T, S] broadcast over the batch, loaded as masked
// vectors of the block's keys; f16 storage computes in f32. Each row first
// narrows its keys to those the bias shows (> -1e4), scanning bias vectors
// from the front, then from the back.
// CHECK-LABEL: func.func @bias_f16
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: scf.while
// CHECK: %[[H:.*]] = arith.remui %{{.*}}, %c2
// CHECK: %[[HIDDEN:.*]] = arith.constant dense<-1.000000e+04> : vector<8xf32>
// CHECK-COUNT-2: vector.maskedload %arg3[%[[H]], {{.*}} : memref<2x?x?xf16>, vector<8xi1>, vector<8xf16> into vector<8xf16>
// CHECK-NEXT: arith.extf
// CHECK-NEXT: arith.cmpf ugt, %{{.*}}, %[[HIDDEN]] : vector<8xf32>
// CHECK-NEXT: arith.andi
// CHECK-NEXT: vector.reduction <or>
// CHECK: %[[BIAS:.*]] = vector.maskedload %arg3[%[[H]], %{{.*}}, %{{.*}}], %{{.*}}, %{{.*}} : memref<2x?x?xf16>, vector<8xi1>, vector<8xf16> into vector<8xf16>
// CHECK: %[[BIAS32:.*]] = arith.extf %[[BIAS]] : vector<8xf16> to vector<8xf32>
// CHECK: %[[FLOORED:.*]] = arith.maximumf %[[BIAS32]]
// CHECK: %[[CLAMPED:.*]] = arith.minimumf %[[FLOORED]]
// CHECK: %[[KEPT:.*]] = arith.select %{{.*}}, %[[BIAS32]], %[[CLAMPED]] : vector<8xi1>, vector<8xf32>
// CHECK: arith.mulf %[[KEPT]], %{{.*}} fastmath<contract> : vector<8xf32>
// CHECK: arith.truncf %{{.*}} : vector<8xf32> to vector<8xf16>
func.func @bias_f16(%q: tensor<1x?x2x8xf16>, %k: tensor<1x?x2x8xf16>,
                    %v: tensor<1x?x2x8xf16>, %bias: tensor<2x?x?xf16>)
    -> tensor<1x?x2x8xf16> {
  %0 = attn.attention %q, %k, %v bias %bias {mask = #attn<mask none>,
                                             scale = 0.35 : f64}
      : (tensor<1x?x2x8xf16>, tensor<1x?x2x8xf16>, tensor<1x?x2x8xf16>,
         tensor<2x?x?xf16>) -> tensor<1x?x2x8xf16>
  return %0 : tensor<1x?x2x8xf16>
}

// Packed sequences: per row, a search over the offsets finds [start, end)
// of the row's sequence; the mask counts positions from start.
// CHECK-LABEL: func.func @seq_offsets
// CHECK: scf.parallel (%{{[a-z0-9_]+}}) =
// CHECK: scf.while
// CHECK: memref.atomic_rmw addi
// CHECK: } do {
// CHECK-NEXT: ^bb0(%[[G:.*]]: index):
// CHECK: %[[QB:.*]] = arith.remui %[[G]]
// CHECK: %[[BLOCK:.*]] = arith.subi %{{.*}}, %[[QB]]
// CHECK: %[[T0:.*]] = arith.muli %[[BLOCK]], %c96
// CHECK: scf.for %[[R:.*]] = {{.*}} iter_args
// CHECK: %[[T:.*]] = arith.addi %[[T0]], %[[R]]
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

// Power normalizer: weights score^4 by squaring on vectors, no max, no exp,
// no rescaling of the accumulators.
// CHECK-LABEL: func.func @power
// CHECK: scf.parallel
// CHECK-NOT: math.exp
// CHECK: %[[SQ:.*]] = arith.mulf %[[S:.*]], %[[S]] : vector<8xf32>
// CHECK: arith.mulf %[[SQ]], %[[SQ]] : vector<8xf32>
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

// With 16 lanes the tile is 4×4 (64 columns, 64-row query blocks). Values
// of 32 columns fill 2 of its 4 vectors, so the value product takes an 8×2
// tile instead (values packed in chunks of 32, output scratch 32 wide)
// while the scores keep the 4×4 tile; 64 columns keep 4×4 for both.
// WIDE-LABEL: func.func @value_dim_32
// WIDE: memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<2x3x?x32x64xf32>
// WIDE: memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<2x3x1x?x32xf32>
// WIDE: memref.alloca() : memref<64x32xf32>
// WIDE: memref.alloca() : memref<64x256xf32>
// WIDE: memref.alloca() : memref<64x32xf32>
// WIDE: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// WIDE-COUNT-4: vector.load %{{.*}} : memref<2x3x?x32x64xf32>, vector<16xf32>
// WIDE: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// WIDE-COUNT-2: vector.load %{{.*}} : memref<2x3x1x?x32xf32>, vector<16xf32>
// WIDE-COUNT-8: vector.broadcast
// WIDE-LABEL: func.func @value_dim_64
// WIDE: memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<2x3x1x?x64xf32>
// WIDE: memref.alloca() : memref<64x64xf32>
func.func @value_dim_32(%q: tensor<2x?x3x32xf32>, %k: tensor<2x?x3x32xf32>,
                        %v: tensor<2x?x3x32xf32>) -> tensor<2x?x3x32xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.125 : f64}
      : (tensor<2x?x3x32xf32>, tensor<2x?x3x32xf32>, tensor<2x?x3x32xf32>)
      -> tensor<2x?x3x32xf32>
  return %0 : tensor<2x?x3x32xf32>
}

func.func @value_dim_64(%q: tensor<2x?x3x32xf32>, %k: tensor<2x?x3x32xf32>,
                        %v: tensor<2x?x3x64xf32>) -> tensor<2x?x3x64xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.125 : f64}
      : (tensor<2x?x3x32xf32>, tensor<2x?x3x32xf32>, tensor<2x?x3x64xf32>)
      -> tensor<2x?x3x64xf32>
  return %0 : tensor<2x?x3x64xf32>
}
