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

// -----

// RoPE's rotate_half written out (HF LLaMA): the slices, the negation, the
// concat and the products with the tables form one group, which reads x
// through the slices; x used three times is one argument.

// CHECK-LABEL: func.func @rotate_half
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x2x8xf32>, %[[C:.*]]: tensor<?x1x8xf32>, %[[S:.*]]: tensor<?x1x8xf32>)
// CHECK-NEXT: %[[G:.*]] = graph.fused_elementwise %[[X]], %[[S]], %[[C]] : (tensor<?x?x2x8xf32>, tensor<?x1x8xf32>, tensor<?x1x8xf32>) -> tensor<?x?x2x8xf32> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<?x?x2x8xf32>, %[[AS:.*]]: tensor<?x1x8xf32>, %[[AC:.*]]: tensor<?x1x8xf32>):
// CHECK-DAG:    %[[LO:.*]] = graph.slice %[[A]] {axis = 3 : i64, end = 4 : i64, start = 0 : i64}
// CHECK-DAG:    %[[HI:.*]] = graph.slice %[[A]] {axis = 3 : i64, end = 8 : i64, start = 4 : i64}
// CHECK:        %[[N:.*]] = graph.neg %[[HI]]
// CHECK:        %[[R:.*]] = graph.concat %[[N]], %[[LO]] {axis = 3 : i64}
// CHECK:        graph.mul %[[R]], %[[AS]]
// CHECK:        graph.mul %[[A]], %[[AC]]
// CHECK:        graph.add
// CHECK-NEXT:   graph.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[G]]
func.func @rotate_half(%x: tensor<?x?x2x8xf32>, %cos: tensor<?x1x8xf32>, %sin: tensor<?x1x8xf32>) -> tensor<?x?x2x8xf32> {
  %lo = graph.slice %x {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %hi = graph.slice %x {axis = 3 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x2x4xf32>
  %neg = graph.neg %hi : tensor<?x?x2x4xf32>
  %rot = graph.concat %neg, %lo {axis = 3 : i64} : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x8xf32>
  %xc = graph.mul %x, %cos : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %xs = graph.mul %rot, %sin : tensor<?x?x2x8xf32>, tensor<?x1x8xf32> -> tensor<?x?x2x8xf32>
  %y = graph.add %xc, %xs : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  return %y : tensor<?x?x2x8xf32>
}

// -----

// A transpose that keeps the last axis last joins the group that computes
// its input; a value the consumer reads twice (x * x) joins it too.

// CHECK-LABEL: func.func @transpose_and_square
// CHECK-NEXT: graph.fused_elementwise
// CHECK:        graph.gelu
// CHECK-NEXT:   graph.transpose
// CHECK-NEXT:   graph.mul
// CHECK-NEXT:   graph.yield
func.func @transpose_and_square(%x: tensor<?x4x?x8xf32>) -> tensor<?x?x4x8xf32> {
  %g = graph.gelu %x : tensor<?x4x?x8xf32>
  %t = graph.transpose %g {perm = array<i64: 0, 2, 1, 3>} : tensor<?x4x?x8xf32> -> tensor<?x?x4x8xf32>
  %y = graph.mul %t, %t : tensor<?x?x4x8xf32>, tensor<?x?x4x8xf32> -> tensor<?x?x4x8xf32>
  return %y : tensor<?x?x4x8xf32>
}

// -----

// Not grouped: data movement with no elementwise op (a copy either way),
// a transpose that moves the last axis, a slice of a dynamic axis, and a
// slice whose result has another user.

// CHECK-LABEL: func.func @data_movement_refused
// CHECK-NOT: graph.fused_elementwise
func.func @data_movement_refused(%x: tensor<?x8xf32>, %y: tensor<?x4xf32>) -> (tensor<?x8xf32>, tensor<8x?xf32>, tensor<2x8xf32>, tensor<?x4xf32>, tensor<?x8xf32>, tensor<?x4xf32>) {
  %a = graph.slice %x {axis = 1 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>
  %b = graph.concat %a, %y {axis = 1 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  %e = graph.exp %x : tensor<?x8xf32>
  %t = graph.transpose %e {perm = array<i64: 1, 0>} : tensor<?x8xf32> -> tensor<8x?xf32>
  %s = graph.slice %e {axis = 0 : i64, start = 0 : i64, end = 2 : i64} : tensor<?x8xf32> -> tensor<2x8xf32>
  %hi = graph.slice %x {axis = 1 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>
  %n = graph.neg %hi : tensor<?x4xf32>
  return %b, %t, %s, %n, %e, %hi : tensor<?x8xf32>, tensor<8x?xf32>, tensor<2x8xf32>, tensor<?x4xf32>, tensor<?x8xf32>, tensor<?x4xf32>
}
