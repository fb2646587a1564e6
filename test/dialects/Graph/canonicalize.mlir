// RUN: kiln-opt %s --canonicalize --split-input-file | FileCheck %s

// Folders and canonicalization patterns of the graph dialect.

// reshape(reshape(x)) becomes one reshape of x.
// CHECK-LABEL: func.func @reshape_chain
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[R:.*]] = graph.reshape %[[X]] : tensor<2x3x4xf32> -> tensor<24xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain(%x: tensor<2x3x4xf32>) -> tensor<24xf32> {
  %0 = graph.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = graph.reshape %0 : tensor<6x4xf32> -> tensor<24xf32>
  return %1 : tensor<24xf32>
}

// -----

// The outer reshape's dynamic sizes are kept.
// CHECK-LABEL: func.func @reshape_chain_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>, %[[B:.*]]: index, %[[T:.*]]: index, %[[N:.*]]: index)
// CHECK-NEXT: %[[R:.*]] = graph.reshape %[[X]] sizes(%[[B]], %[[T]]) : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain_dynamic(%x: tensor<?x?x64xf32>, %b: index, %t: index,
                                 %n: index) -> tensor<?x?x4x16xf32> {
  %0 = graph.reshape %x sizes(%n) : tensor<?x?x64xf32> -> tensor<?x64xf32>
  %1 = graph.reshape %0 sizes(%b, %t) : tensor<?x64xf32> -> tensor<?x?x4x16xf32>
  return %1 : tensor<?x?x4x16xf32>
}

// -----

// A static round trip collapses to x itself.
// CHECK-LABEL: func.func @reshape_round_trip
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @reshape_round_trip(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = graph.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = graph.reshape %0 : tensor<6x4xf32> -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_identity
// CHECK-SAME: (%[[X:.*]]: tensor<6x4xi32>)
// CHECK-NEXT: return %[[X]]
func.func @reshape_identity(%x: tensor<6x4xi32>) -> tensor<6x4xi32> {
  %0 = graph.reshape %x : tensor<6x4xi32> -> tensor<6x4xi32>
  return %0 : tensor<6x4xi32>
}

// -----

// A dynamic reshape to the same type may change the dynamic sizes: it stays.
// CHECK-LABEL: func.func @reshape_dynamic_same_type
// CHECK: graph.reshape %{{.*}} sizes(%{{.*}}, %{{.*}}) : tensor<?x?xf32> -> tensor<?x?xf32>
func.func @reshape_dynamic_same_type(%x: tensor<?x?xf32>, %a: index, %b: index)
    -> tensor<?x?xf32> {
  %0 = graph.reshape %x sizes(%a, %b) : tensor<?x?xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_dynamic_same_type_rank1
// CHECK: graph.reshape %{{.*}} sizes(%{{.*}}) : tensor<?x4xf32> -> tensor<?x4xf32>
func.func @reshape_dynamic_same_type_rank1(%x: tensor<?x4xf32>, %n: index)
    -> tensor<?x4xf32> {
  %0 = graph.reshape %x sizes(%n) : tensor<?x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// transpose(transpose(x)) composes the permutations: result dimension i is
// x's dimension inner[outer[i]].
// CHECK-LABEL: func.func @transpose_compose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[T:.*]] = graph.transpose %[[X]] {perm = array<i64: 1, 2, 0>} : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
// CHECK-NEXT: return %[[T]]
func.func @transpose_compose(%x: tensor<2x3x4xf32>) -> tensor<3x4x2xf32> {
  %0 = graph.transpose %x {perm = array<i64: 1, 0, 2>} : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %1 = graph.transpose %0 {perm = array<i64: 0, 2, 1>} : tensor<3x2x4xf32> -> tensor<3x4x2xf32>
  return %1 : tensor<3x4x2xf32>
}

// -----

// Two transposes that cancel leave x.
// CHECK-LABEL: func.func @transpose_cancel
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x4x16xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_cancel(%x: tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32> {
  %0 = graph.transpose %x {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  %1 = graph.transpose %0 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x4x?x16xf32> -> tensor<?x?x4x16xf32>
  return %1 : tensor<?x?x4x16xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_identity
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_identity(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = graph.transpose %x {perm = array<i64: 0, 1>} : tensor<?x8xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// An identity permutation whose result type is more static than the input
// is not a no-op on types: it must not fold.
// CHECK-LABEL: func.func @transpose_identity_refined
// CHECK: graph.transpose %{{.*}} {perm = array<i64: 0, 1>} : tensor<?x8xf32> -> tensor<2x8xf32>
func.func @transpose_identity_refined(%x: tensor<?x8xf32>) -> tensor<2x8xf32> {
  %0 = graph.transpose %x {perm = array<i64: 0, 1>} : tensor<?x8xf32> -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_not_identity
// CHECK: graph.transpose %{{.*}} {perm = array<i64: 1, 0>}
func.func @transpose_not_identity(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %0 = graph.transpose %x {perm = array<i64: 1, 0>} : tensor<8x8xf32> -> tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

// CHECK-LABEL: func.func @slice_identity
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>)
// CHECK-NEXT: return %[[X]]
func.func @slice_identity(%x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %0 = graph.slice %x {axis = 2 : i64, start = 0 : i64, end = 64 : i64} : tensor<?x?x64xf32> -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

// CHECK-LABEL: func.func @slice_partial
// CHECK: graph.slice %{{.*}} {axis = 2 : i64, end = 64 : i64, start = 1 : i64}
func.func @slice_partial(%x: tensor<?x?x64xf32>) -> tensor<?x?x63xf32> {
  %0 = graph.slice %x {axis = 2 : i64, start = 1 : i64, end = 64 : i64} : tensor<?x?x64xf32> -> tensor<?x?x63xf32>
  return %0 : tensor<?x?x63xf32>
}

// -----

// A full slice that refines the type must not fold either.
// CHECK-LABEL: func.func @slice_identity_refined
// CHECK: graph.slice %{{.*}} : tensor<?x8xf32> -> tensor<2x8xf32>
func.func @slice_identity_refined(%x: tensor<?x8xf32>) -> tensor<2x8xf32> {
  %0 = graph.slice %x {axis = 1 : i64, start = 0 : i64, end = 8 : i64} : tensor<?x8xf32> -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @cast_identity
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xbf16>)
// CHECK-NEXT: return %[[X]]
func.func @cast_identity(%x: tensor<?x8xbf16>) -> tensor<?x8xbf16> {
  %0 = graph.cast %x : tensor<?x8xbf16> -> tensor<?x8xbf16>
  return %0 : tensor<?x8xbf16>
}

// -----

// CHECK-LABEL: func.func @cast_convert
// CHECK: graph.cast %{{.*}} : tensor<?x8xbf16> -> tensor<?x8xf32>
func.func @cast_convert(%x: tensor<?x8xbf16>) -> tensor<?x8xf32> {
  %0 = graph.cast %x : tensor<?x8xbf16> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
