// RUN: kiln-opt %s --kiln-bufferize-boundaries | FileCheck %s

// Tensor arguments become memrefs the body reads through to_tensor; tensor
// results become trailing out-parameters written by
// materialize_in_destination. The body stays on tensors; other types pass.

// CHECK-LABEL: func.func @model
// CHECK-SAME: (%[[X:.*]]: memref<?x8xf32>, %[[N:.*]]: index, %[[OUT0:.*]]: memref<?x8xf32>, %[[OUT1:.*]]: memref<8xf32>) -> index
// CHECK: %[[XT:.*]] = bufferization.to_tensor %[[X]] : memref<?x8xf32>
// CHECK: %[[Y:.*]] = graph.neg %[[XT]]
// CHECK: %[[S:.*]] = graph.reduce_sum %[[Y]]
// CHECK: bufferization.materialize_in_destination %[[Y]] in writable %[[OUT0]] : (tensor<?x8xf32>, memref<?x8xf32>) -> ()
// CHECK: bufferization.materialize_in_destination %[[S]] in writable %[[OUT1]]
// CHECK: return %[[N]] : index
func.func @model(%x: tensor<?x8xf32>, %n: index) -> (tensor<?x8xf32>, index, tensor<8xf32>) {
  %y = graph.neg %x : tensor<?x8xf32>
  %s = graph.reduce_sum %y {axes = array<i64: 0>} : tensor<?x8xf32> -> tensor<8xf32>
  return %y, %n, %s : tensor<?x8xf32>, index, tensor<8xf32>
}

// A function already on buffers, and a declaration, are left as they are.
// CHECK-LABEL: func.func @buffers(%{{.*}}: memref<4xf32>)
// CHECK-NEXT: return
func.func @buffers(%x: memref<4xf32>) {
  return
}
// CHECK: func.func private @external(tensor<4xf32>) -> tensor<4xf32>
func.func private @external(tensor<4xf32>) -> tensor<4xf32>
