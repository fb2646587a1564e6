// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=8 --reconcile-unrealized-casts | FileCheck %s --implicit-check-not=attn.

// Causal linear attention, D = 4, Dv = 6: per (batch, head) the state
// [D, Dv padded to 8] and φ(q), φ(k), the key sum (D padded to 8) in
// scratch. Row t with a key adds φ(k[t]) to the key sum, then one sweep over
// the rows of S both adds φ(k[t])_i·v[t] and reads φ(q[t])_i·S[i]; the
// denominator is a vector dot product, zero giving a zero row.
// CHECK-LABEL: func.func @linear_causal
// CHECK: scf.parallel (%[[B:.*]], %[[H:.*]]) =
// CHECK: %[[S:.*]] = memref.alloca() : memref<4x8xf32>
// CHECK: %[[PQ:.*]] = memref.alloca() : memref<8xf32>
// CHECK: %[[PK:.*]] = memref.alloca() : memref<8xf32>
// CHECK: %[[Z:.*]] = memref.alloca() : memref<8xf32>
// CHECK: scf.for %[[T:.*]] =
// CHECK: scf.if
// CHECK: vector.maskedload %arg1[%[[B]], %[[T]], %[[H]], %{{.*}}]
// CHECK: math.exp %{{.*}} : vector<8xf32>
// CHECK: vector.store %{{.*}}, %[[PK]]
// CHECK: vector.store %{{.*}}, %[[Z]]
// CHECK: vector.store %{{.*}}, %[[PQ]]
// CHECK: vector.reduction <add>
// CHECK: %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<8xi1>
// CHECK: %[[V:.*]] = vector.maskedload %arg2[%[[B]], %[[T]], %[[H]], %{{.*}}], %[[MASK]]
// CHECK: scf.for %[[I:.*]] = {{.*}} iter_args
// CHECK: vector.load %[[S]][%[[I]], %{{.*}}] : memref<4x8xf32>, vector<8xf32>
// CHECK: vector.store %{{.*}}, %[[S]][%[[I]], %{{.*}}]
// CHECK: arith.divf %{{.*}} : vector<8xf32>
// CHECK: vector.maskedstore %{{.*}}[%[[B]], %[[T]], %[[H]], %{{.*}}], %[[MASK]]
// CHECK: } else {
// CHECK-NOT: vector.store %{{.*}}, %[[S]][
// CHECK: vector.maskedstore
func.func @linear_causal(%q: tensor<2x?x3x4xf32>, %k: tensor<2x?x3x4xf32>,
                         %v: tensor<2x?x3x6xf32>) -> tensor<2x?x3x6xf32> {
  %0 = attn.linear_attention %q, %k, %v {causal,
                                         feature_map = #attn<feature_map elu1>,
                                         normalize = #attn<normalize denominator>}
      : (tensor<2x?x3x4xf32>, tensor<2x?x3x4xf32>, tensor<2x?x3x6xf32>)
      -> tensor<2x?x3x6xf32>
  return %0 : tensor<2x?x3x6xf32>
}

// Non-causal, D = Dv = 20: all keys first (S updated a block of three
// vectors at a time), then every row reads S; no normalization, no key sum.
// CHECK-LABEL: func.func @linear_full
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) =
// CHECK: %[[S:.*]] = memref.alloca() : memref<20x24xf32>
// CHECK-NOT: scf.if
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %{{.*}} to %c24{{(_[0-9]+)?}} step %c24
// CHECK-COUNT-3: vector.maskedload %arg2
// CHECK: scf.for
// CHECK-COUNT-3: vector.store %{{.*}}, %[[S]][
// CHECK: scf.for
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-NOT: vector.store %{{.*}}, %[[S]][
// CHECK-NOT: arith.divf
// CHECK-COUNT-3: vector.maskedstore
// CHECK: return
func.func @linear_full(%q: tensor<2x?x3x20xf32>, %k: tensor<2x?x3x20xf32>,
                       %v: tensor<2x?x3x20xf32>) -> tensor<2x?x3x20xf32> {
  %0 = attn.linear_attention %q, %k, %v {feature_map = #attn<feature_map relu>,
                                         normalize = #attn<normalize none>}
      : (tensor<2x?x3x20xf32>, tensor<2x?x3x20xf32>, tensor<2x?x3x20xf32>)
      -> tensor<2x?x3x20xf32>
  return %0 : tensor<2x?x3x20xf32>
}
