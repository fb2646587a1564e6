// RUN: kiln-opt %s --resolve-ranked-shaped-type-result-dims --cse | FileCheck %s

// attention's result [B, T, H, Dv] is reified from its shape rule: B, T, H
// from the query, Dv from the value (GQA: the value has fewer heads).

// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:.*]]: tensor<?x?x?x16xf32>, %[[K:.*]]: tensor<?x?x2x16xf32>, %[[V:.*]]: tensor<?x?x2x?xf32>)
func.func @attention(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x2x16xf32>,
                     %v: tensor<?x?x2x?xf32>) -> (index, index, index, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %o = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64}
      : (tensor<?x?x?x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x?xf32>) -> tensor<?x?x?x?xf32>
  // CHECK-DAG: %[[B:.*]] = tensor.dim %[[Q]], %c0
  // CHECK-DAG: %[[T:.*]] = tensor.dim %[[Q]], %c1
  // CHECK-DAG: %[[H:.*]] = tensor.dim %[[Q]], %c2
  // CHECK-DAG: %[[D:.*]] = tensor.dim %[[V]], %c3
  %0 = tensor.dim %o, %c0 : tensor<?x?x?x?xf32>
  %1 = tensor.dim %o, %c1 : tensor<?x?x?x?xf32>
  %2 = tensor.dim %o, %c2 : tensor<?x?x?x?xf32>
  %3 = tensor.dim %o, %c3 : tensor<?x?x?x?xf32>
  // CHECK: return %[[B]], %[[T]], %[[H]], %[[D]]
  return %0, %1, %2, %3 : index, index, index, index
}
