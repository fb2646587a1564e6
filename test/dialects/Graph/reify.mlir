// RUN: kiln-opt %s --resolve-ranked-shaped-type-result-dims --cse | FileCheck %s

// Result shapes are reified from each op's shape rule: a dynamic result dim
// is the operand dim the rule copies into it (tensor.dim of that operand),
// a dim the rule fixes is a constant, and reshape's dims are its sizes.

// CHECK-LABEL: func.func @projections
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>, %[[W:.*]]: tensor<?x64xf32>
func.func @projections(%x: tensor<?x?x64xf32>, %w: tensor<?x64xf32>,
                       %g: tensor<64xf32>) -> (index, index, index, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %y = graph.linear %x, %w : (tensor<?x?x64xf32>, tensor<?x64xf32>) -> tensor<?x?x?xf32>
  %n = graph.layer_norm %y, %g {eps = 1.0e-5 : f64} : (tensor<?x?x?xf32>, tensor<64xf32>) -> tensor<?x?x?xf32>
  // The batch and sequence of the input, the features of the weight's rows.
  // CHECK-DAG: %[[B:.*]] = tensor.dim %[[X]], %c0
  // CHECK-DAG: %[[T:.*]] = tensor.dim %[[X]], %c1
  // CHECK-DAG: %[[N:.*]] = tensor.dim %[[W]], %c0
  %b = tensor.dim %n, %c0 : tensor<?x?x?xf32>
  %t = tensor.dim %n, %c1 : tensor<?x?x?xf32>
  %f = tensor.dim %n, %c2 : tensor<?x?x?xf32>
  // layer_norm's own dim 2 is the linear's, which is the weight's dim 0.
  %yf = tensor.dim %y, %c2 : tensor<?x?x?xf32>
  // CHECK: return %[[B]], %[[T]], %[[N]], %[[N]]
  return %b, %t, %f, %yf : index, index, index, index
}

// CHECK-LABEL: func.func @broadcast
// CHECK-SAME: (%[[A:.*]]: tensor<?x1xf32>, %[[B:.*]]: tensor<?xf32>
func.func @broadcast(%a: tensor<?x1xf32>, %b: tensor<?xf32>) -> (index, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %s = graph.add %a, %b : tensor<?x1xf32>, tensor<?xf32> -> tensor<?x?xf32>
  %e = graph.exp %s : tensor<?x?xf32>
  // CHECK-DAG: %[[R:.*]] = tensor.dim %[[A]], %c0
  // CHECK-DAG: %[[C:.*]] = tensor.dim %[[B]], %c0
  %r = tensor.dim %e, %c0 : tensor<?x?xf32>
  %c = tensor.dim %e, %c1 : tensor<?x?xf32>
  // CHECK: return %[[R]], %[[C]]
  return %r, %c : index, index
}

// CHECK-LABEL: func.func @fused
// CHECK-SAME: (%[[A:.*]]: tensor<?x8xf32>, %[[B:.*]]: tensor<8xf32>)
func.func @fused(%a: tensor<?x8xf32>, %b: tensor<8xf32>) -> index {
  %c0 = arith.constant 0 : index
  %f = graph.fused_elementwise %b, %a : (tensor<8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%x: tensor<8xf32>, %y: tensor<?x8xf32>):
    %s = graph.add %x, %y : tensor<8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
    graph.yield %s : tensor<?x8xf32>
  }
  // CHECK: %[[R:.*]] = tensor.dim %[[A]], %c0
  %r = tensor.dim %f, %c0 : tensor<?x8xf32>
  // CHECK: return %[[R]]
  return %r : index
}

// A group with data movement inside: its result's dims follow the body's
// ops (a static slice of the last axis, a transpose), so the dynamic dims
// are the input's, permuted.
// CHECK-LABEL: func.func @fused_data_movement
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>)
func.func @fused_data_movement(%x: tensor<?x?x8xf32>) -> (index, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = graph.fused_elementwise %x : (tensor<?x?x8xf32>) -> tensor<?x?x4xf32> {
  ^bb0(%a: tensor<?x?x8xf32>):
    %s = graph.slice %a {axis = 2 : i64, start = 2 : i64, end = 6 : i64} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
    %e = graph.exp %s : tensor<?x?x4xf32>
    %t = graph.transpose %e {perm = array<i64: 1, 0, 2>} : tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    graph.yield %t : tensor<?x?x4xf32>
  }
  // CHECK-DAG: %[[D1:.*]] = tensor.dim %[[X]], %c1
  // CHECK-DAG: %[[D0:.*]] = tensor.dim %[[X]], %c0
  %r0 = tensor.dim %f, %c0 : tensor<?x?x4xf32>
  %r1 = tensor.dim %f, %c1 : tensor<?x?x4xf32>
  // CHECK: return %[[D1]], %[[D0]]
  return %r0, %r1 : index, index
}

// CHECK-LABEL: func.func @data_movement
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>, %[[I:.*]]: tensor<?x3xi64>, %[[S:.*]]: index
func.func @data_movement(%x: tensor<?x?x64xf32>, %ids: tensor<?x3xi64>,
                         %s: index) -> (index, index, index, index, index, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %r = graph.reshape %x sizes(%s, %s) : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
  %t = graph.transpose %r {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  %g = graph.gather %x, %ids {axis = 2 : i64} : (tensor<?x?x64xf32>, tensor<?x3xi64>) -> tensor<?x?x?x3xf32>
  %m = graph.reduce_sum %x {axes = array<i64: 1, 2>, keepdims} : tensor<?x?x64xf32> -> tensor<?x1x1xf32>
  %a = graph.arange %x {axis = 1 : i64, start = 0.0 : f64} : (tensor<?x?x64xf32>) -> tensor<?xi64>
  // CHECK-DAG: %[[B:.*]] = tensor.dim %[[X]], %c0
  // CHECK-DAG: %[[T:.*]] = tensor.dim %[[X]], %c1
  // CHECK-DAG: %[[G:.*]] = tensor.dim %[[I]], %c0
  %0 = tensor.dim %t, %c0 : tensor<?x4x?x16xf32>
  %1 = tensor.dim %t, %c2 : tensor<?x4x?x16xf32>
  %2 = tensor.dim %g, %c1 : tensor<?x?x?x3xf32>
  %3 = tensor.dim %g, %c2 : tensor<?x?x?x3xf32>
  %4 = tensor.dim %m, %c0 : tensor<?x1x1xf32>
  %5 = tensor.dim %a, %c0 : tensor<?xi64>
  // CHECK: return %[[S]], %[[S]], %[[T]], %[[G]], %[[B]], %[[T]]
  return %0, %1, %2, %3, %4, %5 : index, index, index, index, index, index
}
