// RUN: kiln-opt %s --resolve-ranked-shaped-type-result-dims --cse | FileCheck %s

// An MLP's result [..., out] is reified from its shape rule: the input's
// leading dims and the rows of w_out.

// CHECK-LABEL: func.func @mlp
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>, %[[WI:.*]]: tensor<256x64xf32>, %[[WO:.*]]: tensor<?x256xf32>)
func.func @mlp(%x: tensor<?x?x64xf32>, %w_in: tensor<256x64xf32>,
               %w_out: tensor<?x256xf32>) -> (index, index, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %y = ffn.mlp %x, %w_in, %w_out {activation = #graph<activation gelu>}
      : (tensor<?x?x64xf32>, tensor<256x64xf32>, tensor<?x256xf32>) -> tensor<?x?x?xf32>
  // CHECK-DAG: %[[B:.*]] = tensor.dim %[[X]], %c0
  // CHECK-DAG: %[[T:.*]] = tensor.dim %[[X]], %c1
  // CHECK-DAG: %[[N:.*]] = tensor.dim %[[WO]], %c0
  %0 = tensor.dim %y, %c0 : tensor<?x?x?xf32>
  %1 = tensor.dim %y, %c1 : tensor<?x?x?xf32>
  %2 = tensor.dim %y, %c2 : tensor<?x?x?xf32>
  // CHECK: return %[[B]], %[[T]], %[[N]]
  return %0, %1, %2 : index, index, index
}
