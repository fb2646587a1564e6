// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 chunked-scans=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --implicit-check-not=attn.

// Causal with a denominator, D = 2, Dv = 5, in chunks of 64 tokens: (1) per
// (batch, chunk, head, column j) the chunk's column of S, and per (batch,
// chunk, head, i) its key sum; (2) per (batch, head, i, j) and (batch, head,
// i) the sums of the chunks before each, written in place; (3) per (batch,
// chunk, head, j) the chunk again from them, S's column and the key sum
// carried (2 + 2 values), each token's output stored straight into the
// out-parameter.
// CHECK-LABEL: func.func @causal_denominator
// CHECK-SAME: %[[OUT:[^:]*]]: memref<1x?x3x5xf32>)
// CHECK: %[[CHUNKS:.*]] = arith.ceildivui %{{.*}}, %c64
// CHECK: %[[S:.*]] = memref.alloc(%[[CHUNKS]]) {{.*}} : memref<1x?x3x2x5xf32>
// CHECK: scf.parallel (%[[C:.*]], %[[H:.*]], %[[J:.*]]) = (%c0, %c0, %c0) to (%[[CHUNKS]], %c3, %c5)
// CHECK: %[[COL:.*]]:2 = scf.for %{{.*}} iter_args({{.*}}) -> (f32, f32)
// CHECK: memref.store %[[COL]]#0, %[[S]][%c0, %[[C]], %[[H]], %c0, %[[J]]]
// CHECK: memref.store %[[COL]]#1, %[[S]][%c0, %[[C]], %[[H]], %c1, %[[J]]]
// CHECK: %[[Z:.*]] = memref.alloc(%[[CHUNKS]]) {{.*}} : memref<1x?x3x2xf32>
// CHECK: scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%c0, %c0, %c0) to (%[[CHUNKS]], %c3, %c2)
// CHECK: scf.parallel (%[[H2:.*]], %[[I2:.*]], %[[J2:.*]]) = (%c0, %c0, %c0) to (%c3, %c2, %c5)
// CHECK: scf.for %[[C2:.*]] = %c0 to %[[CHUNKS]] step %c1 iter_args(%[[BEFORE:.*]] = %{{.*}}) -> (f32)
// CHECK: memref.store %[[BEFORE]], %[[S]][%c0, %[[C2]], %[[H2]], %[[I2]], %[[J2]]]
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c3, %c2)
// CHECK: memref.store %{{.*}}, %[[Z]]
// CHECK: scf.parallel (%[[C3:.*]], %[[H3:.*]], %[[J3:.*]]) = (%c0, %c0, %c0) to (%[[CHUNKS]], %c3, %c5)
// CHECK: memref.load %[[S]][%c0, %[[C3]], %[[H3]], %c0, %[[J3]]]
// CHECK: memref.load %[[Z]][%c0, %[[C3]], %[[H3]], %c1]
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %c1 iter_args({{.*}}) -> (f32, f32, f32, f32)
// CHECK: arith.divf
// CHECK: memref.store %{{.*}}, %[[OUT]][%c0, %[[T]], %[[H3]], %[[J3]]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @causal_denominator(%q: tensor<1x?x3x2xf32>, %k: tensor<1x?x3x2xf32>,
                              %v: tensor<1x?x3x5xf32>) -> tensor<1x?x3x5xf32> {
  %o = attn.linear_attention %q, %k, %v {causal,
      feature_map = #attn<feature_map elu1>,
      normalize = #attn<normalize denominator>}
      : (tensor<1x?x3x2xf32>, tensor<1x?x3x2xf32>, tensor<1x?x3x5xf32>)
      -> tensor<1x?x3x5xf32>
  return %o : tensor<1x?x3x5xf32>
}

// Not causal, no denominator: the chunks' sums are totalled per (batch,
// head, i, j), then every (batch, token, head, j) reads its column of the
// total with its query.
// CHECK-LABEL: func.func @full
// CHECK: %[[S:.*]] = memref.alloc({{.*}}) {{.*}} : memref<2x?x3x2x5xf32>
// CHECK: %[[TOTAL:.*]] = memref.alloc() {{.*}} : memref<2x3x2x5xf32>
// CHECK: scf.parallel (%[[B:.*]], %[[H:.*]], %[[I:.*]], %[[J:.*]]) = (%c0, %c0, %c0, %c0) to (%c2, %c3, %c2, %c5)
// CHECK: %[[SUM:.*]] = scf.for
// CHECK: memref.store %[[SUM]], %[[TOTAL]][%[[B]], %[[H]], %[[I]], %[[J]]]
// CHECK: scf.parallel (%[[B2:.*]], %[[T:.*]], %[[H2:.*]], %[[J2:.*]]) = (%c0, %c0, %c0, %c0) to (%c2, %{{.*}}, %c3, %c5)
// CHECK: memref.load %[[TOTAL]][%[[B2]], %[[H2]], %c0, %[[J2]]]
// CHECK-NOT: arith.divf
// CHECK: return
func.func @full(%q: tensor<2x?x3x2xf32>, %k: tensor<2x?x3x2xf32>,
                %v: tensor<2x?x3x5xf32>) -> tensor<2x?x3x5xf32> {
  %o = attn.linear_attention %q, %k, %v {
      feature_map = #attn<feature_map relu>,
      normalize = #attn<normalize none>}
      : (tensor<2x?x3x2xf32>, tensor<2x?x3x2xf32>, tensor<2x?x3x5xf32>)
      -> tensor<2x?x3x5xf32>
  return %o : tensor<2x?x3x5xf32>
}

// Not chunked: packed sequences, and a head dim above 64, keep the state
// form (one parallel iteration per (batch, head), S in scratch).
// CHECK-LABEL: func.func @packed
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c3) step (%c1)
// CHECK: memref.alloca
// CHECK-LABEL: func.func @wide
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c3) step (%c1)
// CHECK: memref.alloca
func.func @packed(%q: tensor<1x?x3x2xf32>, %o: tensor<?xi32>) -> tensor<1x?x3x2xf32> {
  %r = attn.linear_attention %q, %q, %q seq_offsets %o {causal,
      feature_map = #attn<feature_map elu1>,
      normalize = #attn<normalize denominator>}
      : (tensor<1x?x3x2xf32>, tensor<1x?x3x2xf32>, tensor<1x?x3x2xf32>,
         tensor<?xi32>) -> tensor<1x?x3x2xf32>
  return %r : tensor<1x?x3x2xf32>
}
func.func @wide(%q: tensor<1x?x3x80xf32>) -> tensor<1x?x3x80xf32> {
  %r = attn.linear_attention %q, %q, %q {causal,
      feature_map = #attn<feature_map elu1>,
      normalize = #attn<normalize denominator>}
      : (tensor<1x?x3x80xf32>, tensor<1x?x3x80xf32>, tensor<1x?x3x80xf32>)
      -> tensor<1x?x3x80xf32>
  return %r : tensor<1x?x3x80xf32>
}
