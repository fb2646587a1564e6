// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=8 --reconcile-unrealized-casts | FileCheck %s --implicit-check-not=scan.

// Selective scan, N = 16: Aᵀ·log2(e) made once; per (batch, block of 8
// channels) chunks of 64 steps: a first loop stores Δ, then four passes of 4
// state vectors carried as iter_args, the partial readout kept between them;
// the last stores y, straight into the out-parameter. D = 8 is one full
// block: no masks.
// CHECK-LABEL: func.func @selective_scan
// CHECK-SAME: %[[Y:[^:]*]]: memref<2x?x8xf32>)
// CHECK: %[[AT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16x8xf32>
// CHECK: memref.store %{{.*}}, %[[AT]][%{{.*}}, %{{.*}}] : memref<16x8xf32>
// CHECK: scf.parallel (%[[B:.*]], %[[BLK:.*]]) =
// CHECK: %[[D0:.*]] = arith.muli %[[BLK]], %c8
// CHECK: %[[H:.*]] = memref.alloca() : memref<16x8xf32>
// CHECK: %[[DT:.*]] = memref.alloca() : memref<64x8xf32>
// CHECK: %[[SUM:.*]] = memref.alloca() : memref<64x8xf32>
// CHECK: scf.for %[[T0:.*]] = %{{.*}} to %{{.*}} step %c64
// CHECK: scf.for %[[T:.*]] = %[[T0]] to
// CHECK: vector.load %arg1[%[[B]], %[[T]], %[[D0]]] : memref<2x?x8xf32>, vector<8xf32>
// CHECK: vector.store %{{.*}}, %[[DT]]
// CHECK: scf.for %[[T:.*]] = %[[T0]] to %{{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: vector.load %[[DT]]
// CHECK: vector.load %[[AT]][%{{.*}}, %[[D0]]] : memref<16x8xf32>, vector<8xf32>
// CHECK: arith.shli
// CHECK: memref.load %arg3[%[[B]], %[[T]], %{{.*}}] : memref<2x?x16xf32>
// CHECK: vector.broadcast
// CHECK: vector.store %{{.*}}, %[[SUM]]
// CHECK: vector.store %{{.*}}, %[[H]]
// CHECK-COUNT-2: vector.load %[[SUM]]
// CHECK: scf.for %[[T:.*]] = %[[T0]] to %{{.*}} iter_args
// CHECK: vector.load %[[DT]]
// CHECK: vector.load %[[SUM]]
// CHECK: vector.store %{{.*}}, %[[Y]][%[[B]], %[[T]], %[[D0]]] : memref<2x?x8xf32>, vector<8xf32>
// CHECK-NOT: vector.maskedstore
// CHECK-NOT: memref.copy
// CHECK: return
func.func @selective_scan(%u: tensor<2x?x8xf32>, %delta: tensor<2x?x8xf32>,
                          %a: tensor<8x16xf32>, %bm: tensor<2x?x16xf32>,
                          %cm: tensor<2x?x16xf32>) -> tensor<2x?x8xf32> {
  %y = scan.selective_scan %u, %delta, %a, %bm, %cm
      : (tensor<2x?x8xf32>, tensor<2x?x8xf32>, tensor<8x16xf32>,
         tensor<2x?x16xf32>, tensor<2x?x16xf32>) -> tensor<2x?x8xf32>
  return %y : tensor<2x?x8xf32>
}

// Every optional operand: softplus on delta (max(x, 0) + log1p(exp(-|x|))
// through the 2^x polynomial) and silu(z) computed in the first loop of a
// chunk; D skip and the gate applied in the last pass; the final state
// [B, D, N] written lane by lane from the state buffer. y and the final
// state go straight into the out-parameters.
// CHECK-LABEL: func.func @selective_scan_full
// CHECK-SAME: %[[Y:[^:]*]]: memref<?x?x8xf32>, %[[FINAL:[^:]*]]: memref<?x8x16xf32>)
// CHECK-NOT: memref.alloc({{[^)]+}})
// CHECK: scf.parallel (%[[B:.*]], %[[BLK:.*]]) =
// CHECK: %[[H:.*]] = memref.alloca() : memref<16x8xf32>
// CHECK: memref.alloca() : memref<64x8xf32>
// CHECK: memref.alloca() : memref<64x8xf32>
// CHECK: %[[GATE:.*]] = memref.alloca() : memref<64x8xf32>
// CHECK: %[[BIAS:.*]] = vector.load %arg7[%{{.*}}] : memref<8xf32>, vector<8xf32>
// CHECK: %[[SKIP:.*]] = vector.load %arg5[%{{.*}}] : memref<8xf32>, vector<8xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: arith.addf %{{.*}}, %[[BIAS]]
// CHECK: math.absf
// CHECK: arith.divf
// CHECK: vector.load %arg6
// CHECK: arith.divf
// CHECK: vector.store %{{.*}}, %[[GATE]]
// CHECK: scf.for
// CHECK: arith.mulf %[[SKIP]]
// CHECK: vector.load %[[GATE]]
// CHECK: vector.store %{{.*}}, %[[Y]][%[[B]], %{{.*}}] : memref<?x?x8xf32>, vector<8xf32>
// CHECK: scf.for %[[L:.*]] =
// CHECK: scf.for %[[N:.*]] =
// CHECK: %[[LAST:.*]] = memref.load %[[H]][%[[N]], %[[L]]]
// CHECK: memref.store %[[LAST]], %[[FINAL]][%[[B]], %{{.*}}, %[[N]]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @selective_scan_full(%u: tensor<?x?x8xf32>, %delta: tensor<?x?x8xf32>,
                               %a: tensor<8x16xf32>, %bm: tensor<?x?x16xf32>,
                               %cm: tensor<?x?x16xf32>, %d: tensor<8xf32>,
                               %z: tensor<?x?x8xf32>, %db: tensor<8xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x8x16xf32>) {
  %y, %last = scan.selective_scan %u, %delta, %a, %bm, %cm D %d z %z
      delta_bias %db {delta_softplus}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8x16xf32>,
         tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<8xf32>,
         tensor<?x?x8xf32>, tensor<8xf32>)
      -> (tensor<?x?x8xf32>, tensor<?x8x16xf32>)
  return %y, %last : tensor<?x?x8xf32>, tensor<?x8x16xf32>
}

// D = 37, N = 3: four full blocks and a masked one (scf.if on the block),
// a single pass of 3 state vectors: a Δ buffer, no readout buffer.
// CHECK-LABEL: func.func @selective_scan_remainder
// CHECK: scf.parallel
// CHECK: memref.alloca() : memref<64x8xf32>
// CHECK-NOT: memref.alloca() : memref<64x8xf32>
// CHECK: %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<8xi1>
// CHECK: scf.if
// CHECK: iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: vector.store
// CHECK: } else {
// CHECK: vector.maskedload %arg0[%{{.*}}], %[[MASK]]
// CHECK: vector.maskedstore %{{.*}}, %[[MASK]]
func.func @selective_scan_remainder(%u: tensor<1x?x37xf32>,
                                    %delta: tensor<1x?x37xf32>,
                                    %a: tensor<37x3xf32>,
                                    %bm: tensor<1x?x3xf32>,
                                    %cm: tensor<1x?x3xf32>)
    -> tensor<1x?x37xf32> {
  %y = scan.selective_scan %u, %delta, %a, %bm, %cm
      : (tensor<1x?x37xf32>, tensor<1x?x37xf32>, tensor<37x3xf32>,
         tensor<1x?x3xf32>, tensor<1x?x3xf32>) -> tensor<1x?x37xf32>
  return %y : tensor<1x?x37xf32>
}

// bf16 storage, dynamic state size, D = 4 < 8 (masked block only): the
// states loop over a dynamic scratch buffer of vectors every step.
// CHECK-LABEL: func.func @selective_scan_dynamic_state
// CHECK: %[[N:.*]] = memref.dim %arg2, %c1{{(_[0-9]+)?}} :
// CHECK: scf.parallel
// CHECK: %[[H:.*]] = memref.alloca(%[[N]]) {alignment = 16 : i64} : memref<?x8xf32>
// CHECK: %[[MASK:.*]] = vector.create_mask
// CHECK-NOT: scf.if
// CHECK: vector.maskedload %arg1{{.*}}, %[[MASK]], %{{.*}} : memref<1x?x4xbf16>, vector<8xi1>, vector<8xbf16> into vector<8xbf16>
// CHECK: arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK: scf.for %[[I:.*]] = {{.*}} to %[[N]] {{.*}} iter_args
// CHECK: vector.load %[[H]][%[[I]], %{{.*}}]
// CHECK: vector.store %{{.*}}, %[[H]][%[[I]], %{{.*}}]
// CHECK: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// CHECK: vector.maskedstore
func.func @selective_scan_dynamic_state(%u: tensor<1x?x4xbf16>,
                                        %delta: tensor<1x?x4xbf16>,
                                        %a: tensor<4x?xbf16>,
                                        %bm: tensor<1x?x?xbf16>,
                                        %cm: tensor<1x?x?xbf16>)
    -> tensor<1x?x4xbf16> {
  %y = scan.selective_scan %u, %delta, %a, %bm, %cm
      : (tensor<1x?x4xbf16>, tensor<1x?x4xbf16>, tensor<4x?xbf16>,
         tensor<1x?x?xbf16>, tensor<1x?x?xbf16>) -> tensor<1x?x4xbf16>
  return %y : tensor<1x?x4xbf16>
}

// Forward recurrence from zero: a vector of 8 channels carried through the
// time loop, h = a·h + b as one contraction.
// CHECK-LABEL: func.func @linear_recurrence
// CHECK-SAME: %[[OUT:[^:]*]]: memref<2x?x8xf32>)
// CHECK: scf.parallel (%[[B:.*]], %[[BLK:.*]]) =
// CHECK: %[[D0:.*]] = arith.muli %[[BLK]], %c8
// CHECK: scf.for %[[T:.*]] = %c0{{(_[0-9]+)?}} to %{{.*}} step %c1{{(_[0-9]+)?}} iter_args(%[[H:.*]] = %cst) -> (vector<8xf32>)
// CHECK: %[[A:.*]] = vector.load %arg0[%[[B]], %[[T]], %[[D0]]] : memref<2x?x8xf32>, vector<8xf32>
// CHECK: %[[X:.*]] = vector.load %arg1[%[[B]], %[[T]], %[[D0]]]
// CHECK: %[[AH:.*]] = arith.mulf %[[A]], %[[H]] fastmath<contract>
// CHECK: %[[NEXT:.*]] = arith.addf %[[AH]], %[[X]] fastmath<contract>
// CHECK: vector.store %[[NEXT]], %[[OUT]][%[[B]], %[[T]], %[[D0]]]
// CHECK: scf.yield %[[NEXT]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @linear_recurrence(%a: tensor<2x?x8xf32>, %b: tensor<2x?x8xf32>)
    -> tensor<2x?x8xf32> {
  %h = scan.linear_recurrence %a, %b
      : (tensor<2x?x8xf32>, tensor<2x?x8xf32>) -> tensor<2x?x8xf32>
  return %h : tensor<2x?x8xf32>
}

// Reverse, from h0, D = 5 < 8: time index T - 1 - step, initial state the
// masked vector h0[b, 0:5], masked loads and stores into the out-parameter.
// CHECK-LABEL: func.func @linear_recurrence_reverse_h0
// CHECK-SAME: %[[OUT:[^:]*]]: memref<2x?x5xf32>)
// CHECK: %[[T:.*]] = memref.dim %arg0, %c1{{(_[0-9]+)?}} :
// CHECK: scf.parallel (%[[B:.*]], %[[BLK:.*]]) =
// CHECK: %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<8xi1>
// CHECK: %[[INIT:.*]] = vector.maskedload %arg2[%[[B]], %{{.*}}], %[[MASK]]
// CHECK: %[[LAST:.*]] = arith.subi %[[T]], %c1{{(_[0-9]+)?}} :
// CHECK: scf.for %[[STEP:.*]] = %c0{{(_[0-9]+)?}} to %[[T]] step %c1{{(_[0-9]+)?}} iter_args(%{{.*}} = %[[INIT]])
// CHECK: %[[IDX:.*]] = arith.subi %[[LAST]], %[[STEP]]
// CHECK: vector.maskedload %arg0[%[[B]], %[[IDX]], %{{.*}}], %[[MASK]]
// CHECK: vector.maskedstore %[[OUT]][%[[B]], %[[IDX]], %{{.*}}], %[[MASK]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @linear_recurrence_reverse_h0(%a: tensor<2x?x5xf32>,
                                        %b: tensor<2x?x5xf32>,
                                        %h0: tensor<2x5xf32>)
    -> tensor<2x?x5xf32> {
  %h = scan.linear_recurrence %a, %b init %h0 {reverse}
      : (tensor<2x?x5xf32>, tensor<2x?x5xf32>, tensor<2x5xf32>)
      -> tensor<2x?x5xf32>
  return %h : tensor<2x?x5xf32>
}

// A packed batch: the output starts zeroed, and each channel block runs one
// recurrence per sequence over [offsets[i], offsets[i+1]) clamped into T.
// CHECK-LABEL: func.func @recurrence_packed
// CHECK: memref.store %cst{{.*}} : memref<1x?x8xf32>
// CHECK: scf.parallel
// CHECK: scf.for %[[I:.*]] = %c0{{.*}} to
// CHECK: %[[O:.*]] = memref.load %{{.*}}[%[[I]]] : memref<?xi32>
// CHECK: arith.index_cast %[[O]] : i32 to index
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: vector.load %{{.*}} : memref<1x?x8xf32>, vector<8xf32>
func.func @recurrence_packed(%a: tensor<1x?x8xf32>, %o: tensor<?xi32>) -> tensor<1x?x8xf32> {
  %0 = scan.linear_recurrence %a, %a seq_offsets %o : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<?xi32>) -> tensor<1x?x8xf32>
  return %0 : tensor<1x?x8xf32>
}
