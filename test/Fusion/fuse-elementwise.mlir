// RUN: kiln-opt %s -split-input-file --kiln-fuse-elementwise | FileCheck %s

// A chain of elementwise ops (with a broadcast operand read inside) becomes
// one graph.fused_elementwise; an input used twice is one argument.

// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK-NEXT: %[[G:.*]] = graph.fused_elementwise %[[X]], %[[B]] : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> {
// CHECK-NEXT: ^bb0(%[[A0:.*]]: tensor<?x8xf32>, %[[A1:.*]]: tensor<8xf32>):
// CHECK-NEXT:   %[[S:.*]] = graph.add %[[A0]], %[[A1]]
// CHECK-NEXT:   %[[E:.*]] = graph.exp %[[S]]
// CHECK-NEXT:   %[[M:.*]] = graph.mul %[[E]], %[[A0]]
// CHECK-NEXT:   graph.yield %[[M]] : tensor<?x8xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[G]]
func.func @chain(%x: tensor<?x8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = graph.add %x, %b : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %1 = graph.exp %0 : tensor<?x8xf32>
  %2 = graph.mul %1, %x : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %2 : tensor<?x8xf32>
}

// -----

// Not grouped: a producer with a second user, and a producer the consumer
// broadcasts (grouped, it would be recomputed per row).

// CHECK-LABEL: func.func @refused
// CHECK-NOT: graph.fused_elementwise
func.func @refused(%x: tensor<?x8xf32>, %b: tensor<8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %0 = graph.exp %x : tensor<?x8xf32>
  %1 = graph.neg %0 : tensor<?x8xf32>
  %2 = graph.sigmoid %b : tensor<8xf32>
  %3 = graph.add %0, %2 : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  return %1, %3 : tensor<?x8xf32>, tensor<?x8xf32>
}
