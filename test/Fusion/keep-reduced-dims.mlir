// RUN: kiln-opt %s -split-input-file --kiln-keep-reduced-dims | FileCheck %s

// jnp.mean(x, -1, keepdims=True) as StableHLO exports it: a mean that drops
// the axis, reshaped back with x's own dynamic dims. It becomes the mean
// with keepdims; so does a max over two axes reshaped to [B, 1, 1].

// CHECK-LABEL: func.func @restored
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x16xf32>)
// CHECK-NEXT: %[[M:.*]] = graph.reduce_mean %[[X]] {axes = array<i64: 2>, keepdims} : tensor<?x?x16xf32> -> tensor<?x?x1xf32>
// CHECK-NEXT: %[[Y:.*]] = graph.reduce_max %[[X]] {axes = array<i64: 1, 2>, keepdims} : tensor<?x?x16xf32> -> tensor<?x1x1xf32>
// CHECK-NEXT: return %[[M]], %[[Y]]
func.func @restored(%x: tensor<?x?x16xf32>) -> (tensor<?x?x1xf32>, tensor<?x1x1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %x, %c0 : tensor<?x?x16xf32>
  %t = tensor.dim %x, %c1 : tensor<?x?x16xf32>
  %m = graph.reduce_mean %x {axes = array<i64: 2>} : tensor<?x?x16xf32> -> tensor<?x?xf32>
  %mk = graph.reshape %m sizes(%b, %t) : tensor<?x?xf32> -> tensor<?x?x1xf32>
  %y = graph.reduce_max %x {axes = array<i64: 1, 2>} : tensor<?x?x16xf32> -> tensor<?xf32>
  %yk = graph.reshape %y sizes(%b) : tensor<?xf32> -> tensor<?x1x1xf32>
  return %mk, %yk : tensor<?x?x1xf32>, tensor<?x1x1xf32>
}

// -----

// Left alone: a reshape that puts the unit axis elsewhere ([B, 1, T]), one
// whose dynamic dims are not shown to be x's (a run-time size of another
// input), and a reduction that has another user.

// CHECK-LABEL: func.func @not_restored
// CHECK-COUNT-3: graph.reshape
// CHECK-NOT: keepdims
func.func @not_restored(%x: tensor<?x?x16xf32>, %other: tensor<?x?xf32>) -> (tensor<?x1x?xf32>, tensor<?x?x1xf32>, tensor<?x?x1xf32>, tensor<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %x, %c0 : tensor<?x?x16xf32>
  %t = tensor.dim %x, %c1 : tensor<?x?x16xf32>
  %o = tensor.dim %other, %c1 : tensor<?x?xf32>
  %m = graph.reduce_mean %x {axes = array<i64: 2>} : tensor<?x?x16xf32> -> tensor<?x?xf32>
  %moved = graph.reshape %m sizes(%b, %t) : tensor<?x?xf32> -> tensor<?x1x?xf32>
  %s = graph.reduce_sum %x {axes = array<i64: 2>} : tensor<?x?x16xf32> -> tensor<?x?xf32>
  %foreign = graph.reshape %s sizes(%b, %o) : tensor<?x?xf32> -> tensor<?x?x1xf32>
  %n = graph.reduce_max %x {axes = array<i64: 2>} : tensor<?x?x16xf32> -> tensor<?x?xf32>
  %shared = graph.reshape %n sizes(%b, %t) : tensor<?x?xf32> -> tensor<?x?x1xf32>
  return %moved, %foreign, %shared, %n : tensor<?x1x?xf32>, tensor<?x?x1xf32>, tensor<?x?x1xf32>, tensor<?x?xf32>
}
