// RUN: kiln-opt %s --split-input-file --kiln-bufferize-boundaries --kiln-bufferize-ops | FileCheck %s

// An intermediate gets a new buffer, sized by its op's shape rule, which
// its reader reads; the returned result is computed in its out-parameter,
// whose materialization at the return is gone.

// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:.*]]: memref<?x8xf32>, %[[OUT:.*]]: memref<?x8xf32>)
// CHECK: %[[XT:.*]] = bufferization.to_tensor %[[X]]
// CHECK: %[[ROWS:.*]] = tensor.dim %[[XT]], %c0
// CHECK: %[[BUF:.*]] = memref.alloc(%[[ROWS]]) {alignment = 64 : i64} : memref<?x8xf32>
// CHECK: %[[Y:.*]] = graph.neg %[[XT]]
// CHECK: bufferization.materialize_in_destination %[[Y]] in writable %[[BUF]]
// CHECK: %[[YT:.*]] = bufferization.to_tensor %[[BUF]]
// CHECK-NOT: memref.alloc
// CHECK: %[[Z:.*]] = graph.exp %[[YT]]
// CHECK-NEXT: bufferization.materialize_in_destination %[[Z]] in writable %[[OUT]]
// CHECK-NEXT: return
func.func @chain(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = graph.neg %x : tensor<?x8xf32>
  %z = graph.exp %y : tensor<?x8xf32>
  return %z : tensor<?x8xf32>
}

// -----

// A static result in a dynamic out-parameter: through a cast.

// CHECK-LABEL: func.func @static_result
// CHECK-SAME: (%[[X:.*]]: memref<2x8xf32>, %[[OUT:.*]]: memref<?x8xf32>)
// CHECK: %[[CAST:.*]] = memref.cast %[[OUT]] : memref<?x8xf32> to memref<2x8xf32>
// CHECK: %[[Y:.*]] = graph.exp
// CHECK-NEXT: bufferization.materialize_in_destination %[[Y]] in writable %[[CAST]]
// CHECK-NEXT: return
func.func @static_result(%x: memref<2x8xf32>, %out: memref<?x8xf32>) {
  %xt = bufferization.to_tensor %x : memref<2x8xf32>
  %y = graph.exp %xt : tensor<2x8xf32>
  bufferization.materialize_in_destination %y in writable %out : (tensor<2x8xf32>, memref<?x8xf32>) -> ()
  return
}

// -----

// One value returned twice: the last out-parameter is its buffer (the
// value is still read after the first materialization), the first is
// copied from it. A returned argument and a reshape, a view of its
// input's buffer, get no buffer of their own: they are copied.

// CHECK-LABEL: func.func @copies
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[A:.*]]: memref<4xf32>, %[[B:.*]]: memref<4xf32>, %[[C:.*]]: memref<4xf32>, %[[D:.*]]: memref<2x2xf32>)
// CHECK: %[[XT:.*]] = bufferization.to_tensor %[[X]]
// CHECK: %[[Y:.*]] = graph.exp %[[XT]]
// CHECK-NEXT: bufferization.materialize_in_destination %[[Y]] in writable %[[B]]
// CHECK-NEXT: %[[YT:.*]] = bufferization.to_tensor %[[B]]
// CHECK: %[[R:.*]] = graph.reshape %[[YT]]
// CHECK-NEXT: bufferization.materialize_in_destination %[[YT]] in writable %[[A]]
// CHECK-NEXT: bufferization.materialize_in_destination %[[XT]] in writable %[[C]]
// CHECK-NEXT: bufferization.materialize_in_destination %[[R]] in writable %[[D]]
// CHECK-NEXT: return
func.func @copies(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x2xf32>) {
  %y = graph.exp %x : tensor<4xf32>
  %r = graph.reshape %y : tensor<4xf32> -> tensor<2x2xf32>
  return %y, %y, %x, %r : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x2xf32>
}

// -----

// A result still read after its out-parameter's materialization gets a
// buffer of its own.

// CHECK-LABEL: func.func @read_after_return
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32>)
// CHECK: %[[BUF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK: %[[Y:.*]] = graph.exp
// CHECK-NEXT: bufferization.materialize_in_destination %[[Y]] in writable %[[BUF]]
// CHECK-NEXT: %[[YT:.*]] = bufferization.to_tensor %[[BUF]]
// CHECK-NEXT: bufferization.materialize_in_destination %[[YT]] in writable %[[OUT]]
// CHECK: graph.neg %[[YT]]
func.func @read_after_return(%x: memref<4xf32>, %out: memref<4xf32>) {
  %xt = bufferization.to_tensor %x : memref<4xf32>
  %y = graph.exp %xt : tensor<4xf32>
  bufferization.materialize_in_destination %y in writable %out : (tensor<4xf32>, memref<4xf32>) -> ()
  %n = graph.neg %y : tensor<4xf32>
  return
}

// -----

// Each result of a split gets its own buffer.

// CHECK-LABEL: func.func @split
// CHECK-SAME: (%[[X:.*]]: memref<?x12xf32>, %[[OUT:.*]]: memref<?x4xf32>)
// CHECK: %[[XT:.*]] = bufferization.to_tensor %[[X]]
// CHECK: tensor.dim %[[XT]], %c0
// CHECK: %[[BUF:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x8xf32>
// CHECK: %[[PARTS:.*]]:2 = graph.split
// CHECK-NEXT: bufferization.materialize_in_destination %[[PARTS]]#0 in writable %[[OUT]]
// CHECK-NEXT: bufferization.materialize_in_destination %[[PARTS]]#1 in writable %[[BUF]]
// CHECK-NEXT: %[[BT:.*]] = bufferization.to_tensor %[[BUF]]
// CHECK: graph.exp %[[BT]]
func.func @split(%x: tensor<?x12xf32>) -> tensor<?x4xf32> {
  %a, %b = graph.split %x {axis = 1 : i64} : tensor<?x12xf32> -> tensor<?x4xf32>, tensor<?x8xf32>
  %e = graph.exp %b : tensor<?x8xf32>
  return %a : tensor<?x4xf32>
}

// -----

// A constant that is no splat is read from a read-only global; a splat
// keeps its op, which fills a buffer.

// CHECK: memref.global "private" constant @[[TABLE:.*]] : memref<3xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> {alignment = 64 : i64}
// CHECK-LABEL: func.func @constants
// CHECK: %[[GLOBAL:.*]] = memref.get_global @[[TABLE]] : memref<3xf32>
// CHECK: %[[TABLET:.*]] = bufferization.to_tensor %[[GLOBAL]]
// CHECK: %[[FILL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3xf32>
// CHECK: %[[SPLAT:.*]] = graph.constant dense<2.000000e+00>
// CHECK-NEXT: bufferization.materialize_in_destination %[[SPLAT]] in writable %[[FILL]]
// CHECK: graph.mul %{{.*}}, %[[TABLET]]
// CHECK-NOT: graph.constant dense<[
func.func @constants(%x: tensor<3xf32>) -> tensor<3xf32> {
  %c = graph.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %s = graph.constant dense<2.0> : tensor<3xf32>
  %y = graph.mul %x, %c : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %z = graph.mul %y, %s : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %z : tensor<3xf32>
}

// -----

// The ops inside a fused op's body are lowered with it: only the fused op
// gets a buffer.

// CHECK-LABEL: func.func @fused
// CHECK-SAME: %[[OUT:[^:]*]]: memref<?x20xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[F:.*]] = graph.fused_elementwise
// CHECK-NOT: bufferization
// CHECK: graph.yield
// CHECK-NEXT: }
// CHECK-NEXT: bufferization.materialize_in_destination %[[F]] in writable %[[OUT]]
func.func @fused(%x: tensor<?x20xf32>, %b: tensor<20xf32>) -> tensor<?x20xf32> {
  %0 = graph.fused_elementwise %x, %b : (tensor<?x20xf32>, tensor<20xf32>) -> tensor<?x20xf32> {
  ^bb0(%a: tensor<?x20xf32>, %c: tensor<20xf32>):
    %s = graph.add %a, %c : tensor<?x20xf32>, tensor<20xf32> -> tensor<?x20xf32>
    %e = graph.exp %s : tensor<?x20xf32>
    graph.yield %e : tensor<?x20xf32>
  }
  return %0 : tensor<?x20xf32>
}

// -----

// An elementwise op writes over an operand of its type that dies there:
// exp over neg's buffer, and the fused group over exp's. An argument, an
// operand read later, a broadcast operand and a group that moves data get
// new buffers.

// CHECK-LABEL: func.func @in_place
// CHECK-SAME: (%[[X:.*]]: memref<?x8xf32>, %[[B:.*]]: memref<8xf32>, %[[OUT0:.*]]: memref<?x8xf32>, %[[OUT1:.*]]: memref<?x8xf32>)
// CHECK: %[[BUF:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x8xf32>
// CHECK: %[[Y:.*]] = graph.neg
// CHECK-NEXT: bufferization.materialize_in_destination %[[Y]] in writable %[[BUF]]
// CHECK-NEXT: %[[YT:.*]] = bufferization.to_tensor %[[BUF]]
// CHECK-NOT: memref.alloc
// CHECK: %[[Z:.*]] = graph.exp %[[YT]]
// CHECK-NEXT: bufferization.materialize_in_destination %[[Z]] in writable %[[BUF]]
// CHECK-NEXT: %[[ZT:.*]] = bufferization.to_tensor %[[BUF]]
// CHECK-NOT: memref.alloc
// CHECK: %[[G:.*]] = graph.fused_elementwise %[[ZT]], %{{.*}}
// CHECK: bufferization.materialize_in_destination %[[G]] in writable %[[BUF]]
// CHECK-NEXT: %[[GT:.*]] = bufferization.to_tensor %[[BUF]]
// A broadcast operand is read at other indices; g is read after.
// CHECK: %[[BUF2:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x8xf32>
// CHECK: %[[S:.*]] = graph.add %{{.*}}, %[[GT]]
// CHECK-NEXT: bufferization.materialize_in_destination %[[S]] in writable %[[BUF2]]
// CHECK: graph.mul %{{.*}}, %[[GT]]
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in writable %[[OUT0]]
// A group that moves data reads other indices than it writes.
// CHECK: %[[BUF3:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x8xf32>
// CHECK: %[[R:.*]] = graph.fused_elementwise
// CHECK: bufferization.materialize_in_destination %[[R]] in writable %[[BUF3]]
func.func @in_place(%x: tensor<?x8xf32>, %b: tensor<8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %y = graph.neg %x : tensor<?x8xf32>
  %z = graph.exp %y : tensor<?x8xf32>
  %g = graph.fused_elementwise %z, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>, %c: tensor<8xf32>):
    %s = graph.add %a, %c : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
    %t = graph.tanh %s : tensor<?x8xf32>
    graph.yield %t : tensor<?x8xf32>
  }
  %s = graph.add %b, %g : tensor<8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %m = graph.mul %s, %g : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %r = graph.fused_elementwise %s : (tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>):
    %lo = graph.slice %a {axis = 1 : i64, start = 0 : i64, end = 4 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>
    %hi = graph.slice %a {axis = 1 : i64, start = 4 : i64, end = 8 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>
    %n = graph.neg %hi : tensor<?x4xf32>
    %c = graph.concat %n, %lo {axis = 1 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
    graph.yield %c : tensor<?x8xf32>
  }
  %e = graph.exp %r : tensor<?x8xf32>
  return %m, %e : tensor<?x8xf32>, tensor<?x8xf32>
}
