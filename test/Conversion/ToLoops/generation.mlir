// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops --reconcile-unrealized-casts --canonicalize --cse \
// RUN:   | FileCheck %s --implicit-check-not=attn. --implicit-check-not=scan. --implicit-check-not=graph.

// The stateful ops of the prefill and decode entries become kernels that
// read and update their state arguments in place, at row slots[b] (clamped
// into the state) and ring entry position mod R. The step kernels are
// vector code (the default vector width here is 8 lanes).

// CHECK-LABEL: func.func @decode_attention
// CHECK-SAME: %[[K:[a-z0-9]+]]: memref<?x1x2x16xf32>, %{{.*}}: memref<?x1x2x16xf32>, %[[KC:[a-z0-9]+]]: memref<?x?x2x16xf32>, %[[VC:[a-z0-9]+]]: memref<?x?x2x16xf32>
// CHECK-SAME: %[[OUT:[a-z0-9]+]]: memref<?x1x4x16xf32>)
// The new key and value go to ring entry p mod R of row slots[b] first, as
// two vectors of the head dim each.
// CHECK: %[[R:.*]] = memref.dim %[[KC]], %c1
// CHECK: scf.parallel
// CHECK: arith.minsi
// CHECK: %[[ENTRY:.*]] = arith.remui %{{.*}}, %[[R]]
// CHECK: vector.store %{{.*}}, %[[KC]][%{{.*}}, %[[ENTRY]], %{{.*}}, %c0] : memref<?x?x2x16xf32>, vector<8xf32>
// CHECK: vector.store %{{.*}}, %[[KC]][%{{.*}}, %[[ENTRY]], %{{.*}}, %c8]
// CHECK: vector.store %{{.*}}, %[[VC]][%{{.*}}, %[[ENTRY]], %{{.*}}, %c0]
// Then each (sequence, head) attends over the visible entries (p mod R + 1
// for a block-diagonal ring) in blocks of 8: a dot product per entry, the
// block's weights from one vector exp2 against the running maximum, and
// the value rows scaled into two accumulator vectors, which are normalized
// and stored straight into the out-parameter (no copy).
// CHECK: scf.parallel
// CHECK: %[[VISIBLE:.*]] = arith.addi %{{.*}}, %c1
// CHECK: scf.for %[[E0:.*]] = %c0 to %[[VISIBLE]] step %c8 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, f32)
// CHECK: scf.for
// CHECK: vector.load %[[KC]]
// CHECK: vector.reduction <add>
// CHECK: vector.create_mask
// CHECK: vector.reduction <maxnumf>
// CHECK: math.floor %{{.*}} : vector<8xf32>
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>)
// CHECK: vector.load %[[VC]]
// CHECK: arith.divf %{{.*}} : vector<8xf32>
// CHECK: vector.store %{{.*}}, %[[OUT]][%{{.*}}, %c0, %{{.*}}, %c0] : memref<?x1x4x16xf32>, vector<8xf32>
// CHECK: vector.store %{{.*}}, %[[OUT]][%{{.*}}, %c0, %{{.*}}, %c8] : memref<?x1x4x16xf32>, vector<8xf32>
// CHECK-NOT: memref.copy
// CHECK: return
func.func @decode_attention(%q: tensor<?x1x4x16xf32>, %k: tensor<?x1x2x16xf32>,
                            %v: tensor<?x1x2x16xf32>, %kc: tensor<?x?x2x16xf32>,
                            %vc: tensor<?x?x2x16xf32>, %slots: tensor<?xi64>,
                            %pos: tensor<?xi64>) -> tensor<?x1x4x16xf32> {
  %0 = attn.decode_attention %q, %k, %v cache %kc, %vc slots %slots positions %pos
      {mask = #attn<mask block_diagonal>, scale = 0.25 : f64}
      : (tensor<?x1x4x16xf32>, tensor<?x1x2x16xf32>, tensor<?x1x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x1x4x16xf32>
  return %0 : tensor<?x1x4x16xf32>
}

// A causal cache sees min(p + 1, R) entries; the power normalizer squares
// the scores, without exp or maximum.
// CHECK-LABEL: func.func @decode_attention_power
// CHECK: arith.minsi
// CHECK: scf.for
// CHECK-NOT: math.floor
// CHECK-NOT: maxnumf
// CHECK: return
func.func @decode_attention_power(%q: tensor<?x1x2x8xf32>, %kc: tensor<?x?x2x8xf32>,
                                  %slots: tensor<?xi64>, %pos: tensor<?xi64>)
    -> tensor<?x1x2x8xf32> {
  %0 = attn.decode_attention %q, %q, %q cache %kc, %kc slots %slots positions %pos
      {mask = #attn<mask causal>, normalizer = #attn<normalizer power>, power = 2 : i64, scale = 0.25 : f64}
      : (tensor<?x1x2x8xf32>, tensor<?x1x2x8xf32>, tensor<?x1x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x1x2x8xf32>
  return %0 : tensor<?x1x2x8xf32>
}

// GQA (4 query heads on 2 K/V heads: head h reads K/V head h / 2) with a
// head dim of 12: a whole vector and one masked to its first 4 lanes.
// CHECK-LABEL: func.func @decode_attention_gqa_masked
// CHECK-SAME: %[[KC:[a-z0-9]+]]: memref<?x?x2x12xf32>
// CHECK: %[[MASK:.*]] = vector.constant_mask [4] : vector<8xi1>
// CHECK: vector.maskedstore %[[KC]][%{{.*}}, %{{.*}}, %{{.*}}, %c8], %[[MASK]]
// CHECK: scf.parallel (%{{.*}}, %[[HEAD:[a-z0-9]+]]) = (%c0, %c0) to (%{{.*}}, %c4)
// CHECK: %[[KVHEAD:.*]] = arith.divui %[[HEAD]], %c2
// CHECK: vector.load %[[KC]][%{{.*}}, %{{.*}}, %[[KVHEAD]], %c0]
// CHECK: vector.maskedload %[[KC]][%{{.*}}, %{{.*}}, %[[KVHEAD]], %c8], %[[MASK]]
// CHECK: vector.maskedstore %{{.*}}[%{{.*}}, %{{.*}}, %[[HEAD]], %c8], %[[MASK]]
func.func @decode_attention_gqa_masked(%q: tensor<?x1x4x12xf32>, %k: tensor<?x1x2x12xf32>,
                                       %kc: tensor<?x?x2x12xf32>, %slots: tensor<?xi64>,
                                       %pos: tensor<?xi64>) -> tensor<?x1x4x12xf32> {
  %0 = attn.decode_attention %q, %k, %k cache %kc, %kc slots %slots positions %pos
      {mask = #attn<mask sliding_window>, scale = 0.25 : f64}
      : (tensor<?x1x4x12xf32>, tensor<?x1x2x12xf32>, tensor<?x1x2x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x1x4x12xf32>
  return %0 : tensor<?x1x4x12xf32>
}

// CHECK-LABEL: func.func @linear_attention_step
// CHECK-SAME: %[[S:[a-z0-9]+]]: memref<?x2x8x8xf32>, %[[Z:[a-z0-9]+]]: memref<?x2x8xf32>
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}}, %[[Z]]
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: arith.divf
func.func @linear_attention_step(%q: tensor<?x?x2x8xf32>, %s: tensor<?x2x8x8xf32>,
                                 %z: tensor<?x2x8xf32>, %slots: tensor<?xi64>)
    -> tensor<?x?x2x8xf32> {
  %0 = attn.linear_attention_step %q, %q, %q state %s, %z slots %slots
      {feature_map = #attn<feature_map elu1>, normalize = #attn<normalize denominator>}
      : (tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x2x8x8xf32>, tensor<?x2x8xf32>, tensor<?xi64>) -> tensor<?x?x2x8xf32>
  return %0 : tensor<?x?x2x8xf32>
}

// Per (sequence, block of 8 channels): Δ = softplus(delta) and Δ·u as
// vectors, then per channel its 16 states as two vectors: the decays from
// exp2, the state updated in place and the readout summed; then the skip
// and the silu gate for the block.
// CHECK-LABEL: func.func @selective_scan_step
// CHECK-SAME: %[[H:[a-z0-9]+]]: memref<?x32x16xf32>
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%{{.*}}, %c4)
// CHECK: math.absf %{{.*}} : vector<8xf32>
// CHECK: scf.for
// CHECK: vector.load %[[H]][%{{.*}}, %{{.*}}, %c0]
// CHECK: vector.store %{{.*}}, %[[H]][%{{.*}}, %{{.*}}, %c0]
// CHECK: vector.load %[[H]][%{{.*}}, %{{.*}}, %c8]
// CHECK: vector.store %{{.*}}, %[[H]][%{{.*}}, %{{.*}}, %c8]
// CHECK: vector.reduction <add>
// CHECK: arith.divf %{{.*}} : vector<8xf32>
func.func @selective_scan_step(%u: tensor<?x?x32xf32>, %A: tensor<32x16xf32>,
                               %B: tensor<?x?x16xf32>, %D: tensor<32xf32>,
                               %h: tensor<?x32x16xf32>, %slots: tensor<?xi64>)
    -> tensor<?x?x32xf32> {
  %0 = scan.selective_scan_step %u, %u, %A, %B, %B skip %D gate %u state %h slots %slots {delta_softplus}
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<32xf32>, tensor<?x?x32xf32>, tensor<?x32x16xf32>, tensor<?xi64>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// Five states: one vector masked to its first 5 lanes; 12 channels: a
// whole block and a masked one.
// CHECK-LABEL: func.func @selective_scan_step_masked
// CHECK-SAME: %[[H:[a-z0-9]+]]: memref<?x12x5xf32>
// CHECK: %[[STATES:.*]] = vector.constant_mask [5] : vector<8xi1>
// CHECK: %[[CHANNELS:.*]] = vector.create_mask
// CHECK: scf.if
// CHECK: vector.maskedload %[[H]][%{{.*}}, %{{.*}}, %c0], %[[STATES]]
// CHECK: vector.maskedstore %[[H]][%{{.*}}, %{{.*}}, %c0], %[[STATES]]
// CHECK: } else {
// CHECK: vector.maskedload %{{.*}}, %[[CHANNELS]]
// CHECK: vector.maskedstore %[[H]][%{{.*}}, %{{.*}}, %c0], %[[STATES]]
// CHECK: vector.maskedstore %{{.*}}, %[[CHANNELS]]
func.func @selective_scan_step_masked(%u: tensor<?x?x12xf32>, %A: tensor<12x5xf32>,
                                      %B: tensor<?x?x5xf32>, %h: tensor<?x12x5xf32>,
                                      %slots: tensor<?xi64>) -> tensor<?x?x12xf32> {
  %0 = scan.selective_scan_step %u, %u, %A, %B, %B state %h slots %slots
      : (tensor<?x?x12xf32>, tensor<?x?x12xf32>, tensor<12x5xf32>, tensor<?x?x5xf32>, tensor<?x?x5xf32>, tensor<?x12x5xf32>, tensor<?xi64>) -> tensor<?x?x12xf32>
  return %0 : tensor<?x?x12xf32>
}

// The state of a block of 8 channels is loaded once, carried through the
// steps and stored back.
// CHECK-LABEL: func.func @linear_recurrence_step
// CHECK-SAME: %[[H:[a-z0-9]+]]: memref<?x32xf32>
// CHECK: scf.parallel
// CHECK: %[[H0:.*]] = vector.load %[[H]]
// CHECK: %[[LAST:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[H0]]) -> (vector<8xf32>)
// CHECK: vector.store %[[LAST]], %[[H]]
func.func @linear_recurrence_step(%a: tensor<?x?x32xf32>, %h: tensor<?x32xf32>,
                                  %slots: tensor<?xi64>) -> tensor<?x?x32xf32> {
  %0 = scan.linear_recurrence_step %a, %a state %h slots %slots
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x32xf32>, tensor<?xi64>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// The taps of a block of channels are gathered from the [C, K] weight once;
// the taps before this call's tokens read the ring of K-1 = 3 inputs; the
// last inputs then replace their entries.
// CHECK-LABEL: func.func @conv1d_step
// CHECK-SAME: %[[RING:[a-z0-9]+]]: memref<?x3x8xf32>
// CHECK-COUNT-4: vector.gather
// CHECK: scf.for
// CHECK: vector.load %[[RING]]
// CHECK: arith.select
// CHECK: vector.store %{{.*}}, %[[RING]]
func.func @conv1d_step(%x: tensor<?x?x8xf32>, %w: tensor<8x4xf32>, %b: tensor<8xf32>,
                       %s: tensor<?x3x8xf32>, %slots: tensor<?xi64>,
                       %pos: tensor<?xi64>) -> tensor<?x?x8xf32> {
  %0 = graph.conv1d_step %x, %w, %b state %s slots %slots positions %pos
      : (tensor<?x?x8xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<?x3x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?x8xf32>
  return %0 : tensor<?x?x8xf32>
}

// Only the last min(T, R) tokens are stored.
// CHECK-LABEL: func.func @ring_store
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<?x?x8xf16>, %[[RING:[a-z0-9]+]]: memref<?x5x8xf32>
// CHECK: %[[KEPT:.*]] = arith.minsi %{{.*}}, %c5
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%{{.*}}, %[[KEPT]])
// CHECK: arith.remui %{{.*}}, %c5
// CHECK: arith.extf
// CHECK: memref.store %{{.*}}, %[[RING]]
func.func @ring_store(%x: tensor<?x?x8xf16>, %s: tensor<?x5x8xf32>,
                      %slots: tensor<?xi64>, %pos: tensor<?xi64>) {
  graph.ring_store %x into %s slots %slots positions %pos
      : tensor<?x?x8xf16>, tensor<?x5x8xf32>, tensor<?xi64>, tensor<?xi64>
  return
}
