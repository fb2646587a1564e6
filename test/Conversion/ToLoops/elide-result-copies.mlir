// RUN: kiln-opt %s --split-input-file --kiln-elide-result-copies | FileCheck %s

// The buffer of the op that computes a result becomes the out-parameter:
// the loop writes %out and the copy is gone.

// CHECK-LABEL: func.func @in_place
// CHECK-SAME: (%[[X:.*]]: memref<?x8xf32>, %[[OUT:.*]]: memref<?x8xf32>)
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK-NOT: memref.copy
func.func @in_place(%x: memref<?x8xf32>, %out: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %rows = memref.dim %x, %c0 : memref<?x8xf32>
  %y = memref.alloc(%rows) : memref<?x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%rows, %c8) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<?x8xf32>
    memref.store %v, %y[%i, %j] : memref<?x8xf32>
    scf.reduce
  }
  memref.copy %y, %out : memref<?x8xf32> to memref<?x8xf32>
  return
}

// -----

// A buffer with static sizes becomes a cast of the dynamic out-parameter.

// CHECK-LABEL: func.func @static_buffer
// CHECK-SAME: (%[[OUT:.*]]: memref<?x8xf32>)
// CHECK: %[[CAST:.*]] = memref.cast %[[OUT]] : memref<?x8xf32> to memref<2x8xf32>
// CHECK: memref.store %{{.*}}, %[[CAST]]
// CHECK-NOT: memref.copy
func.func @static_buffer(%out: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<2x8xf32>
  memref.store %zero, %y[%c0, %c0] : memref<2x8xf32>
  memref.copy %y, %out : memref<2x8xf32> to memref<?x8xf32>
  return
}

// -----

// One buffer returned twice: the last out-parameter takes its place (the
// buffer is still read after the first copy), the first is copied from it.

// CHECK-LABEL: func.func @returned_twice
// CHECK-SAME: (%[[A:.*]]: memref<4xf32>, %[[B:.*]]: memref<4xf32>)
// CHECK: memref.store %{{.*}}, %[[B]]
// CHECK: memref.copy %[[B]], %[[A]]
func.func @returned_twice(%a: memref<4xf32>, %b: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<4xf32>
  memref.store %zero, %y[%c0] : memref<4xf32>
  memref.copy %y, %a : memref<4xf32> to memref<4xf32>
  memref.copy %y, %b : memref<4xf32> to memref<4xf32>
  return
}

// -----

// Copies that stay: from an input (no buffer of the body), from a view of
// a buffer, and from a buffer used after the copy.

// CHECK-LABEL: func.func @kept
// CHECK: memref.copy %arg0, %arg1
// CHECK: %[[FLAT:.*]] = memref.alloc() : memref<8xf32>
// CHECK: %[[VIEW:.*]] = memref.expand_shape %[[FLAT]]
// CHECK: memref.copy %[[VIEW]], %arg2
// CHECK: %[[LATE:.*]] = memref.alloc() : memref<4xf32>
// CHECK: memref.copy %[[LATE]], %arg3
// CHECK: memref.store %{{.*}}, %[[LATE]]
func.func @kept(%x: memref<4xf32>, %out0: memref<4xf32>,
                %out1: memref<2x4xf32>, %out2: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  memref.copy %x, %out0 : memref<4xf32> to memref<4xf32>
  %flat = memref.alloc() : memref<8xf32>
  memref.store %zero, %flat[%c0] : memref<8xf32>
  %view = memref.expand_shape %flat [[0, 1]] output_shape [2, 4]
      : memref<8xf32> into memref<2x4xf32>
  memref.copy %view, %out1 : memref<2x4xf32> to memref<2x4xf32>
  %late = memref.alloc() : memref<4xf32>
  memref.copy %late, %out2 : memref<4xf32> to memref<4xf32>
  memref.store %zero, %late[%c0] : memref<4xf32>
  return
}

// -----

// An out-parameter that something else reads keeps its copy.

// CHECK-LABEL: func.func @out_read
// CHECK: memref.alloc
// CHECK: memref.copy
func.func @out_read(%out: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<4xf32>
  memref.store %zero, %y[%c0] : memref<4xf32>
  memref.copy %y, %out : memref<4xf32> to memref<4xf32>
  %v = memref.load %out[%c0] : memref<4xf32>
  return %v : f32
}
