// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 chunked-scans=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --implicit-check-not=scan.

// The selective scan in chunks of 64 steps, one channel per iteration: (1)
// per (batch, chunk, channel) the chunk from zero, keeping Σ Δ and the last
// state of each of the N = 2 states; (2) per (batch, state, channel) the
// state entering each chunk, written over the chunk's last state, and the
// final state; (3) per (batch, chunk, channel) the chunk again from there,
// storing y. y and the final state are written straight into the
// out-parameters; only Σ Δ and the carries get buffers of their own.
// CHECK-LABEL: func.func @selective_scan_state
// CHECK-SAME: %[[U:[^:]*]]: memref<?x?x8xf32>, %[[DELTA:[^:]*]]: memref<?x?x8xf32>, %[[A:[^:]*]]: memref<8x2xf32>
// CHECK-SAME: %[[Y:[^:]*]]: memref<?x?x8xf32>, %[[FINAL:[^:]*]]: memref<?x8x2xf32>)
// CHECK: %[[T:.*]] = memref.dim %[[U]], %c1
// CHECK: %[[CHUNKS:.*]] = arith.ceildivui %[[T]], %c64
// CHECK: %[[SUMS:.*]] = memref.alloc({{.*}}) {{.*}} : memref<?x?x8xf32>
// CHECK: %[[CARRIES:.*]] = memref.alloc({{.*}}) {{.*}} : memref<?x?x2x8xf32>
// CHECK: scf.parallel (%[[B:.*]], %[[C:.*]], %[[D:.*]]) = (%c0, %c0, %c0) to (%{{.*}}, %[[CHUNKS]], %c8)
// CHECK: %[[T0:.*]] = arith.muli %[[C]], %c64
// CHECK: vector.load %[[A]][%[[D]], %c0] : memref<8x2xf32>, vector<1xf32>
// CHECK: %[[LAST:.*]]:3 = scf.for %[[STEP:.*]] = %[[T0]] to %{{.*}} step %c1 iter_args({{.*}}) -> (vector<1xf32>, vector<1xf32>, vector<1xf32>)
// CHECK: vector.load %[[DELTA]][%[[B]], %[[STEP]], %[[D]]] : memref<?x?x8xf32>, vector<1xf32>
// CHECK: vector.store %[[LAST]]#2, %[[SUMS]][%[[B]], %[[C]], %[[D]]]
// CHECK: vector.store %[[LAST]]#0, %[[CARRIES]][%[[B]], %[[C]], %c0, %[[D]]]
// CHECK: vector.store %[[LAST]]#1, %[[CARRIES]][%[[B]], %[[C]], %c1, %[[D]]]
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[B2:.*]], %[[N:.*]], %[[D2:.*]]) = (%c0, %c0, %c0) to (%{{.*}}, %c2, %c8)
// CHECK: %[[H:.*]] = scf.for %[[C2:.*]] = %c0 to %[[CHUNKS]] step %c1 iter_args(%[[IN:.*]] = %{{.*}}) -> (vector<1xf32>)
// CHECK: %[[END:.*]] = vector.load %[[CARRIES]][%[[B2]], %[[C2]], %[[N]], %[[D2]]]
// CHECK: vector.store %[[IN]], %[[CARRIES]][%[[B2]], %[[C2]], %[[N]], %[[D2]]]
// CHECK: vector.load %[[SUMS]][%[[B2]], %[[C2]], %[[D2]]]
// CHECK: vector.store %[[H]], %[[FINAL]][%[[B2]], %[[D2]], %[[N]]]
// CHECK: scf.parallel (%[[B3:.*]], %[[C3:.*]], %[[D3:.*]]) = (%c0, %c0, %c0) to (%{{.*}}, %[[CHUNKS]], %c8)
// CHECK: vector.load %[[CARRIES]][%[[B3]], %[[C3]], %c0, %[[D3]]]
// CHECK: vector.load %[[CARRIES]][%[[B3]], %[[C3]], %c1, %[[D3]]]
// CHECK: scf.for %[[STEP3:.*]] = %{{.*}} to %{{.*}} step %c1 iter_args({{.*}}) -> (vector<1xf32>, vector<1xf32>)
// CHECK: vector.store %{{.*}}, %[[Y]][%[[B3]], %[[STEP3]], %[[D3]]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @selective_scan_state(%u: tensor<?x?x8xf32>, %delta: tensor<?x?x8xf32>,
                                %a: tensor<8x2xf32>, %bm: tensor<?x?x2xf32>,
                                %cm: tensor<?x?x2xf32>, %d: tensor<8xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x8x2xf32>) {
  %y, %last = scan.selective_scan %u, %delta, %a, %bm, %cm D %d {delta_softplus}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8x2xf32>,
         tensor<?x?x2xf32>, tensor<?x?x2xf32>, tensor<8xf32>)
      -> (tensor<?x?x8xf32>, tensor<?x8x2xf32>)
  return %y, %last : tensor<?x?x8xf32>, tensor<?x8x2xf32>
}

// The linear recurrence backwards from h0: per chunk Π a and the last state
// (in time order backwards), then per (batch, channel) the carries from h0
// through the chunks from the last, then each chunk again.
// CHECK-LABEL: func.func @linear_recurrence_reverse_h0
// CHECK-SAME: %[[A:[^:]*]]: memref<2x?x5xf32>, %[[BV:[^:]*]]: memref<2x?x5xf32>, %[[H0:[^:]*]]: memref<2x5xf32>, %[[OUT:[^:]*]]: memref<2x?x5xf32>)
// CHECK: %[[CHUNKS:.*]] = arith.ceildivui %{{.*}}, %c64
// CHECK: %[[PRODUCTS:.*]] = memref.alloc
// CHECK: %[[CARRIES:.*]] = memref.alloc
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[B:.*]], %[[C:.*]], %[[D:.*]]) = (%c0, %c0, %c0) to (%c2, %[[CHUNKS]], %c5)
// CHECK: %[[LAST:.*]]:2 = scf.for
// CHECK: vector.store %[[LAST]]#0, %[[CARRIES]][%[[B]], %[[C]], %[[D]]]
// CHECK: vector.store %[[LAST]]#1, %[[PRODUCTS]][%[[B]], %[[C]], %[[D]]]
// CHECK: scf.parallel (%[[B2:.*]], %[[D2:.*]]) = (%c0, %c0) to (%c2, %c5)
// CHECK: %[[INIT:.*]] = vector.load %[[H0]][%[[B2]], %[[D2]]]
// CHECK: scf.for %[[I:.*]] = %c0 to %[[CHUNKS]] step %c1 iter_args(%{{.*}} = %[[INIT]])
// CHECK: %[[C2:.*]] = arith.subi
// CHECK: vector.load %[[CARRIES]][%[[B2]], %[[C2]], %[[D2]]]
// CHECK: scf.parallel (%[[B3:.*]], %[[C3:.*]], %[[D3:.*]]) = (%c0, %c0, %c0) to (%c2, %[[CHUNKS]], %c5)
// CHECK: %[[FROM:.*]] = vector.load %[[CARRIES]][%[[B3]], %[[C3]], %[[D3]]]
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[FROM]])
// CHECK: vector.store %{{.*}}, %[[OUT]][%[[B3]], %{{.*}}, %[[D3]]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @linear_recurrence_reverse_h0(%a: tensor<2x?x5xf32>, %b: tensor<2x?x5xf32>,
                                        %h0: tensor<2x5xf32>) -> tensor<2x?x5xf32> {
  %h = scan.linear_recurrence %a, %b init %h0 {reverse}
      : (tensor<2x?x5xf32>, tensor<2x?x5xf32>, tensor<2x5xf32>) -> tensor<2x?x5xf32>
  return %h : tensor<2x?x5xf32>
}

// Not chunked: packed sequences restart inside a chunk, and more than 16
// states do not fit a thread's registers; both keep the blocks of 4
// channels, one parallel loop over the 2 blocks of the one batch (after the
// zeroing of the output, for packed sequences).
// CHECK-LABEL: func.func @packed_sequences
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c2) step (%c1)
// CHECK-NOT: scf.parallel
// CHECK-LABEL: func.func @many_states
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c2) step (%c1)
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @packed_sequences(%a: tensor<1x?x8xf32>, %o: tensor<?xi32>) -> tensor<1x?x8xf32> {
  %0 = scan.linear_recurrence %a, %a seq_offsets %o
      : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<?xi32>) -> tensor<1x?x8xf32>
  return %0 : tensor<1x?x8xf32>
}
func.func @many_states(%u: tensor<1x?x8xf32>, %a: tensor<8x20xf32>,
                       %bm: tensor<1x?x20xf32>) -> tensor<1x?x8xf32> {
  %y = scan.selective_scan %u, %u, %a, %bm, %bm
      : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<8x20xf32>,
         tensor<1x?x20xf32>, tensor<1x?x20xf32>) -> tensor<1x?x8xf32>
  return %y : tensor<1x?x8xf32>
}
