// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 row-attention=true flash-attention=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --implicit-check-not=attn.
// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 row-attention=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --check-prefix=ROWS --implicit-check-not=attn.

// The GPU's flash-attention form (flash-attention=true): an scf.parallel over
// (batch, head, query tile) whose iteration is a thread block (ThreadBlock.h),
// the tiles taken last first (causal: the longest first). At the block's
// top: the key and value tiles [keys, pitch], the partial scores
// [128, keys + 1] and the rows' visible keys [2, rows] (i32) in workgroup
// memory; each thread's query slice, accumulators and (max, sum) in private
// memory. Phases (scf.parallel over the 128 threads): the prologue, then per
// key tile the loads and the weights (one thread per row at D = 16), then
// the epilogue. The key loop runs from the first row's lo to the last row's
// hi (causal: 0 to min(last + 1, S)); nothing past them is loaded. The
// epilogue stores straight into the out-parameter.
// CHECK-LABEL: func.func @causal
// CHECK-SAME: %[[OUT:[^:]*]]: memref<2x?x4x16xf32>) {
// CHECK: %[[T:.*]] = memref.dim %arg0, %c1
// CHECK-NOT: memref.alloc
// CHECK: %[[TILES:.*]] = arith.ceildivui %[[T]], %c128
// CHECK: scf.parallel (%[[B:.*]], %[[H:.*]], %[[I:.*]]) = (%c0, %c0, %c0) to (%c2, %c4, %[[TILES]])
// CHECK: %[[INSIDE:.*]] = arith.cmpi slt, %[[I]], %[[TILES]]
// CHECK: %[[LAST_TILE:.*]] = arith.subi %[[TILES]], %c1
// CHECK: %[[REVERSED:.*]] = arith.subi %[[LAST_TILE]], %[[I]]
// CHECK: %[[TILE:.*]] = arith.select %[[INSIDE]], %[[REVERSED]], %[[I]]
// CHECK: %[[T0:.*]] = arith.muli %[[TILE]], %c128
// CHECK: %[[S:.*]] = memref.dim %arg1, %c1
// CHECK: %[[KT:.*]] = memref.alloca() : memref<32x16xf32, #gpu.address_space<workgroup>>
// CHECK: %[[VT:.*]] = memref.alloca() : memref<32x16xf32, #gpu.address_space<workgroup>>
// CHECK: %[[SCORES:.*]] = memref.alloca() : memref<128x33xf32, #gpu.address_space<workgroup>>
// CHECK: %[[ROWKEYS:.*]] = memref.alloca() : memref<2x128xi32, #gpu.address_space<workgroup>>
// CHECK: %[[QP:.*]] = memref.alloca() : memref<128x16xf32, #gpu.address_space<private>>
// CHECK: %[[ACC:.*]] = memref.alloca() : memref<128x16xf32, #gpu.address_space<private>>
// CHECK: %[[STATS:.*]] = memref.alloca() : memref<128x2xf32, #gpu.address_space<private>>
// Prologue: the scaled query (scale · log2 e) into the thread's private
// slice, zero accumulators, max -inf, and the row's [lo, hi) (stored by a
// row's first part; here the only one).
// CHECK: scf.parallel (%[[TH:.*]]) = (%c0) to (%c128)
// CHECK: %[[ROW:.*]] = arith.addi %[[T0]], %[[TH]]
// CHECK: memref.load %arg0[%[[B]], %{{.*}}, %[[H]], %c0]
// CHECK: arith.mulf %{{.*}}, %cst
// CHECK: memref.subview %[[QP]][%[[TH]], 0] [1, 16] [1, 1]
// CHECK: memref.subview %[[STATS]][%[[TH]], 0] [1, 2] [1, 1]
// CHECK: memref.store %cst{{.*}}, %{{.*}}[%c0] : memref<2xf32, strided<[1], offset: ?>, #gpu.address_space<private>>
// CHECK: memref.store %{{.*}}, %[[ROWKEYS]][%c0, %[[TH]]]
// CHECK: memref.store %{{.*}}, %[[ROWKEYS]][%c1, %[[TH]]]
// CHECK: scf.reduce
// The key loop: [0, min(last row + 1, S)), none for a block past the rows.
// CHECK: %[[END:.*]] = arith.addi %[[T0]], %c128
// CHECK: %[[ROWS_END:.*]] = arith.minsi %[[END]], %[[T]]
// CHECK: %[[LAST:.*]] = arith.subi %[[ROWS_END]], %c1
// CHECK: %[[LAST0:.*]] = arith.maxsi %[[LAST]], %c0
// CHECK: %[[AFTER:.*]] = arith.addi %[[LAST0]], %c1
// CHECK: %[[HI:.*]] = arith.minsi %[[AFTER]], %[[S]]
// CHECK: %[[SEES:.*]] = arith.cmpi slt, %[[T0]], %[[T]]
// CHECK: %[[KEND:.*]] = arith.select %[[SEES]], %[[HI]], %c0
// CHECK: scf.for %[[K0:.*]] = %c0 to %[[KEND]] step %c32 {
// CHECK: %[[K1:.*]] = arith.minsi %{{.*}}, %[[KEND]]
// Phase: the tiles, element i · 128 + thread, zero past k1.
// CHECK: scf.parallel (%[[TL:.*]]) = (%c0) to (%c128)
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1
// CHECK: memref.load %arg1[%[[B]], %{{.*}}, %[[H]], %{{.*}}]
// CHECK: memref.store %{{.*}}, %[[KT]][%{{.*}}, %{{.*}}]
// CHECK: memref.load %arg2[%[[B]], %{{.*}}, %[[H]], %{{.*}}]
// CHECK: memref.store %{{.*}}, %[[VT]][%{{.*}}, %{{.*}}]
// CHECK: scf.reduce
// Phase: the row's scores (its own, at one thread per row), their maximum
// and the weights, over chunks of 4 keys.
// CHECK: scf.parallel (%[[TW:.*]]) = (%c0) to (%c128)
// CHECK: scf.if
// CHECK: memref.load %[[KT]]
// CHECK: memref.store %{{.*}}, %[[SCORES]][%[[TW]], %{{.*}}]
// CHECK: memref.load %[[ROWKEYS]][%c0, %[[TW]]]
// CHECK: memref.load %[[ROWKEYS]][%c1, %[[TW]]]
// CHECK: scf.for {{.*}} iter_args(%{{.*}}) -> (f32)
// CHECK: vector.reduction <maxnumf>
// CHECK: math.floor %{{.*}} : vector<1xf32>
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK: math.floor %{{.*}} : vector<4xf32>
// CHECK: memref.load %[[VT]]
// CHECK: scf.reduce
// CHECK: }
// Epilogue: acc / sum, once per row.
// CHECK: scf.parallel (%[[TE:.*]]) = (%c0) to (%c128)
// CHECK: arith.divf
// CHECK: memref.store %{{.*}}, %[[OUT]][%[[B]], %{{.*}}, %[[H]], %c0]
// CHECK-NOT: memref.copy
// CHECK: return
// ROWS-LABEL: func.func @causal
// ROWS-NOT: address_space<workgroup>
// ROWS: scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%c0, %c0, %c0) to (%c2, %c4, %{{.*}})
func.func @causal(%q: tensor<2x?x4x16xf32>, %k: tensor<2x?x4x16xf32>,
                  %v: tensor<2x?x4x16xf32>) -> tensor<2x?x4x16xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64}
      : (tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>)
      -> tensor<2x?x4x16xf32>
  return %0 : tensor<2x?x4x16xf32>
}

// D = 64: two threads per row (64-row tiles, slices of 32), and a phase of
// partial scores between the loads and the weights, which add both parts'
// partials. GQA: kv head h / 4. Sliding window 100: the key loop starts at
// the first row's max(t0 - 99, 0).
// CHECK-LABEL: func.func @gqa_window
// CHECK: %[[T:.*]] = memref.dim %arg0, %c1
// CHECK: %[[TILES:.*]] = arith.ceildivui %[[T]], %c64
// CHECK: scf.parallel (%[[H:.*]], %[[I:.*]]) = (%c0, %c0) to (%c8, %[[TILES]])
// CHECK: %[[T0:.*]] = arith.muli %{{.*}}, %c64
// CHECK: %[[KVH:.*]] = arith.divui %[[H]], %c4
// CHECK: memref.alloca() : memref<32x64xf32, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<32x64xf32, #gpu.address_space<workgroup>>
// CHECK: %[[SCORES:.*]] = memref.alloca() : memref<128x33xf32, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<2x64xi32, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<128x32xf32, #gpu.address_space<private>>
// CHECK: memref.alloca() : memref<128x32xf32, #gpu.address_space<private>>
// CHECK: scf.parallel (%[[TH:.*]]) = (%c0) to (%c128)
// CHECK: %[[PART:.*]] = arith.divui %[[TH]], %c64
// CHECK: arith.remui %[[TH]], %c64
// CHECK: arith.muli %[[PART]], %c32
// CHECK: scf.reduce
// CHECK: %[[FROM:.*]] = arith.addi %[[T0]], %c-99
// CHECK: %[[KSTART:.*]] = arith.maxsi %[[FROM]], %c0
// CHECK: %[[KEND:.*]] = arith.select %{{.*}}, %{{.*}}, %[[KSTART]]
// CHECK: scf.for %{{.*}} = %[[KSTART]] to %[[KEND]] step %c32 {
// CHECK: scf.parallel
// CHECK: memref.load %arg1[%c0, %{{.*}}, %[[KVH]], %{{.*}}]
// CHECK: scf.reduce
// CHECK: scf.parallel (%[[TS:.*]]) = (%c0) to (%c128)
// CHECK: memref.store %{{.*}}, %[[SCORES]][%[[TS]], %{{.*}}]
// CHECK: scf.reduce
// CHECK: scf.parallel (%[[TW:.*]]) = (%c0) to (%c128)
// CHECK: %[[R:.*]] = arith.remui %[[TW]], %c64
// CHECK: %[[R2:.*]] = arith.addi %[[R]], %c64
// CHECK: memref.load %[[SCORES]][%[[R]], %{{.*}}]
// CHECK: memref.load %[[SCORES]][%[[R2]], %{{.*}}]
// CHECK: arith.addf
func.func @gqa_window(%q: tensor<1x?x8x64xf32>, %k: tensor<1x?x2x64xf32>,
                      %v: tensor<1x?x2x64xf32>) -> tensor<1x?x8x64xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask sliding_window>, window = 100 : i64, scale = 0.125 : f64}
      : (tensor<1x?x8x64xf32>, tensor<1x?x2x64xf32>, tensor<1x?x2x64xf32>)
      -> tensor<1x?x8x64xf32>
  return %0 : tensor<1x?x8x64xf32>
}

// Packed sequences: the rows' intervals need the offsets, which block code
// may not read, so the key loop walks the mask's superset (causal: [0,
// min(last + 1, S))), a phase of thread 0 stores the union of the rows'
// intervals in workgroup memory, and each phase of a key tile runs only when
// the tile meets it: a tile no row sees is neither loaded nor computed.
// CHECK-LABEL: func.func @packed
// CHECK: %[[RANGE:.*]] = memref.alloca() : memref<2xi32, #gpu.address_space<workgroup>>
// CHECK: scf.parallel
// CHECK: memref.load %arg3
// CHECK: scf.reduce
// CHECK: scf.parallel (%[[TH:.*]]) = (%c0) to (%c128)
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[TH]], %c0
// CHECK: scf.if %[[FIRST]]
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %[[RANGE]][%c0]
// CHECK: memref.store %{{.*}}, %[[RANGE]][%c1]
// CHECK: scf.reduce
// CHECK: scf.for %[[K0:.*]] = %c0 to %{{.*}} step %c32 {
// CHECK: scf.parallel
// CHECK: %[[LO:.*]] = memref.load %[[RANGE]][%c0]
// CHECK: %[[HI:.*]] = memref.load %[[RANGE]][%c1]
// CHECK: %[[BEFORE_HI:.*]] = arith.cmpi slt, %[[K0]], %{{.*}}
// CHECK: %[[AFTER_LO:.*]] = arith.cmpi slt, %{{.*}}, %{{.*}}
// CHECK: %[[LIVE:.*]] = arith.andi %[[BEFORE_HI]], %[[AFTER_LO]]
// CHECK: scf.if %[[LIVE]]
// CHECK: memref.load %arg1
func.func @packed(%q: tensor<1x?x2x8xf32>, %k: tensor<1x?x2x8xf32>,
                  %v: tensor<1x?x2x8xf32>, %o: tensor<3xi32>) -> tensor<1x?x2x8xf32> {
  %0 = attn.attention %q, %k, %v seq_offsets %o {mask = #attn<mask causal>, scale = 0.25 : f64}
      : (tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<3xi32>)
      -> tensor<1x?x2x8xf32>
  return %0 : tensor<1x?x2x8xf32>
}

// The power normalizer: x^p weights, masked to 0, no running maximum.
// CHECK-LABEL: func.func @power
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c32 {
// CHECK-NOT: vector.reduction <maxnumf>
// CHECK: arith.mulf %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<4xi1>, vector<4xf32>
// CHECK: memref.load
func.func @power(%q: tensor<1x?x2x24xf32>, %k: tensor<1x?x2x24xf32>,
                 %v: tensor<1x?x2x24xf32>) -> tensor<1x?x2x24xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.2 : f64, normalizer = #attn<normalizer power>, power = 2 : i64}
      : (tensor<1x?x2x24xf32>, tensor<1x?x2x24xf32>, tensor<1x?x2x24xf32>)
      -> tensor<1x?x2x24xf32>
  return %0 : tensor<1x?x2x24xf32>
}

// Head dims over 256 take neither GPU form (as before the flash form: the
// row form has the same limit) but the CPU's blocks of rows: no workgroup
// memory.
// CHECK-LABEL: func.func @wide
// CHECK-NOT: #gpu.address_space
// CHECK: scf.parallel
// CHECK-NOT: #gpu.address_space
func.func @wide(%q: tensor<1x?x2x320xf32>, %k: tensor<1x?x2x320xf32>,
                %v: tensor<1x?x2x320xf32>) -> tensor<1x?x2x320xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask none>, scale = 0.05 : f64}
      : (tensor<1x?x2x320xf32>, tensor<1x?x2x320xf32>, tensor<1x?x2x320xf32>)
      -> tensor<1x?x2x320xf32>
  return %0 : tensor<1x?x2x320xf32>
}
