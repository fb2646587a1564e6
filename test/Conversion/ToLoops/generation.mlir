// RUN: kiln-opt %s --kiln-convert-to-loops --reconcile-unrealized-casts --canonicalize --cse \
// RUN:   | FileCheck %s --implicit-check-not=attn. --implicit-check-not=scan. --implicit-check-not=graph.

// The stateful ops of the prefill and decode entries become loop nests that
// read and update their state arguments in place, at row slots[b] (clamped
// into the state) and ring entry position mod R.

// CHECK-LABEL: func.func @decode_attention
// CHECK-SAME: %[[K:[a-z0-9]+]]: memref<?x1x2x16xf32>, %{{.*}}: memref<?x1x2x16xf32>, %[[KC:[a-z0-9]+]]: memref<?x?x2x16xf32>, %[[VC:[a-z0-9]+]]: memref<?x?x2x16xf32>
// The new key and value go to ring entry p mod R of row slots[b] first.
// CHECK: %[[R:.*]] = memref.dim %[[KC]], %c1
// CHECK: scf.parallel
// CHECK: arith.minsi
// CHECK: %[[ENTRY:.*]] = arith.remui %{{.*}}, %[[R]]
// CHECK: memref.store %{{.*}}, %[[KC]][%{{.*}}, %[[ENTRY]],
// CHECK: memref.store %{{.*}}, %[[VC]][%{{.*}}, %[[ENTRY]],
// Then each (sequence, head) attends over the visible entries: p mod R + 1
// for a block-diagonal ring, with an online softmax.
// CHECK: scf.parallel
// CHECK: %[[VISIBLE:.*]] = arith.addi %{{.*}}, %c1
// CHECK: scf.for %{{.*}} = %c0 to %[[VISIBLE]]
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: memref.copy
func.func @decode_attention(%q: tensor<?x1x4x16xf32>, %k: tensor<?x1x2x16xf32>,
                            %v: tensor<?x1x2x16xf32>, %kc: tensor<?x?x2x16xf32>,
                            %vc: tensor<?x?x2x16xf32>, %slots: tensor<?xi64>,
                            %pos: tensor<?xi64>) -> tensor<?x1x4x16xf32> {
  %0 = attn.decode_attention %q, %k, %v cache %kc, %vc slots %slots positions %pos
      {mask = #attn<mask block_diagonal>, scale = 0.25 : f64}
      : (tensor<?x1x4x16xf32>, tensor<?x1x2x16xf32>, tensor<?x1x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x1x4x16xf32>
  return %0 : tensor<?x1x4x16xf32>
}

// A causal cache sees min(p + 1, R) entries; the power normalizer squares.
// CHECK-LABEL: func.func @decode_attention_power
// CHECK: arith.minsi
// CHECK: scf.for
// CHECK-NOT: math.exp
// CHECK: return
func.func @decode_attention_power(%q: tensor<?x1x2x8xf32>, %kc: tensor<?x?x2x8xf32>,
                                  %slots: tensor<?xi64>, %pos: tensor<?xi64>)
    -> tensor<?x1x2x8xf32> {
  %0 = attn.decode_attention %q, %q, %q cache %kc, %kc slots %slots positions %pos
      {mask = #attn<mask causal>, normalizer = #attn<normalizer power>, power = 2 : i64, scale = 0.25 : f64}
      : (tensor<?x1x2x8xf32>, tensor<?x1x2x8xf32>, tensor<?x1x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x1x2x8xf32>
  return %0 : tensor<?x1x2x8xf32>
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

// CHECK-LABEL: func.func @selective_scan_step
// CHECK-SAME: %[[H:[a-z0-9]+]]: memref<?x32x16xf32>
// CHECK: scf.parallel
// CHECK: math.exp
// CHECK: memref.load %[[H]]
// CHECK: memref.store %{{.*}}, %[[H]]
func.func @selective_scan_step(%u: tensor<?x?x32xf32>, %A: tensor<32x16xf32>,
                               %B: tensor<?x?x16xf32>, %D: tensor<32xf32>,
                               %h: tensor<?x32x16xf32>, %slots: tensor<?xi64>)
    -> tensor<?x?x32xf32> {
  %0 = scan.selective_scan_step %u, %u, %A, %B, %B skip %D gate %u state %h slots %slots {delta_softplus}
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<32xf32>, tensor<?x?x32xf32>, tensor<?x32x16xf32>, tensor<?xi64>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// CHECK-LABEL: func.func @linear_recurrence_step
// CHECK-SAME: %[[H:[a-z0-9]+]]: memref<?x32xf32>
// CHECK: scf.parallel
// CHECK: memref.load %[[H]]
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %[[H]]
func.func @linear_recurrence_step(%a: tensor<?x?x32xf32>, %h: tensor<?x32xf32>,
                                  %slots: tensor<?xi64>) -> tensor<?x?x32xf32> {
  %0 = scan.linear_recurrence_step %a, %a state %h slots %slots
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x32xf32>, tensor<?xi64>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// The taps before this call's tokens read the ring of K-1 = 3 inputs; the
// last inputs then replace their entries.
// CHECK-LABEL: func.func @conv1d_step
// CHECK-SAME: %[[RING:[a-z0-9]+]]: memref<?x3x8xf32>
// CHECK: scf.parallel
// CHECK: memref.load %[[RING]]
// CHECK: arith.select
// CHECK: memref.store %{{.*}}, %[[RING]]
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
