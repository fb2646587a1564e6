// RUN: kiln-opt %s --resolve-ranked-shaped-type-result-dims --cse | FileCheck %s

// A selective scan's results, y [B, T, D] and the final state [B, D, N],
// are reified from its shape rule.

// CHECK-LABEL: func.func @selective_scan
// CHECK-SAME: (%[[U:.*]]: tensor<?x?x32xf32>, %[[DT:.*]]: tensor<?x?x32xf32>, %[[A:.*]]: tensor<32x?xf32>
func.func @selective_scan(%u: tensor<?x?x32xf32>, %delta: tensor<?x?x32xf32>,
                          %A: tensor<32x?xf32>, %B: tensor<?x?x?xf32>,
                          %C: tensor<?x?x?xf32>, %z: tensor<?x?x32xf32>)
    -> (index, index, index, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %y, %h = scan.selective_scan %u, %delta, %A, %B, %C z %z {delta_softplus}
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x32xf32>) -> (tensor<?x?x32xf32>, tensor<?x32x?xf32>)
  // CHECK-DAG: %[[B:.*]] = tensor.dim %[[U]], %c0
  // CHECK-DAG: %[[T:.*]] = tensor.dim %[[U]], %c1
  // CHECK-DAG: %[[N:.*]] = tensor.dim %[[A]], %c1
  %0 = tensor.dim %y, %c0 : tensor<?x?x32xf32>
  %1 = tensor.dim %y, %c1 : tensor<?x?x32xf32>
  %2 = tensor.dim %h, %c0 : tensor<?x32x?xf32>
  %3 = tensor.dim %h, %c2 : tensor<?x32x?xf32>
  // CHECK: return %[[B]], %[[T]], %[[B]], %[[N]]
  return %0, %1, %2, %3 : index, index, index, index
}
