// RUN: kiln-opt %s -split-input-file --kiln-raise-activations | FileCheck %s

// x * sigmoid(x), in either order: silu.

// CHECK-LABEL: func.func @silu
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[Y:.*]]: tensor<?x8xf32>)
// CHECK-NEXT: %[[A:.*]] = graph.silu %[[X]]
// CHECK-NEXT: %[[B:.*]] = graph.silu %[[Y]]
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @silu(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %s = graph.sigmoid %x : tensor<?x8xf32>
  %a = graph.mul %x, %s : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %t = graph.sigmoid %y : tensor<?x8xf32>
  %b = graph.mul %t, %y : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %a, %b : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// GELU as torch.onnx exports nn.GELU: ((erf(x / 1.4142135) + 1) * x) * 0.5.

// CHECK-LABEL: func.func @gelu_onnx
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>)
// CHECK-NEXT: %[[G:.*]] = graph.gelu %[[X]]
// CHECK-NEXT: return %[[G]]
func.func @gelu_onnx(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %sqrt2 = graph.constant dense<1.41421354> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %d = graph.div %x, %sqrt2 : tensor<?x16xf32>, tensor<f32> -> tensor<?x16xf32>
  %e = graph.erf %d : tensor<?x16xf32>
  %s = graph.add %e, %one : tensor<?x16xf32>, tensor<f32> -> tensor<?x16xf32>
  %p = graph.mul %s, %x : tensor<?x16xf32>, tensor<?x16xf32> -> tensor<?x16xf32>
  %g = graph.mul %p, %half : tensor<?x16xf32>, tensor<f32> -> tensor<?x16xf32>
  return %g : tensor<?x16xf32>
}

// -----

// GELU as HF writes it: x * 0.5 * (1 + erf(x * 0.70710678)), with a [1]
// constant.

// CHECK-LABEL: func.func @gelu_hf
// CHECK-NEXT: graph.gelu
// CHECK-NEXT: return
func.func @gelu_hf(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %c = graph.constant dense<0.70710678> : tensor<1xf32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %h = graph.mul %x, %half : tensor<4x16xf32>, tensor<f32> -> tensor<4x16xf32>
  %d = graph.mul %x, %c : tensor<4x16xf32>, tensor<1xf32> -> tensor<4x16xf32>
  %e = graph.erf %d : tensor<4x16xf32>
  %s = graph.add %one, %e : tensor<f32>, tensor<4x16xf32> -> tensor<4x16xf32>
  %g = graph.mul %h, %s : tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
  return %g : tensor<4x16xf32>
}

// -----

// GPT-2's gelu_new: 0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 *
// pow(x, 3)))); and the same with x·x·x and √(2/π) distributed over the sum.

// CHECK-LABEL: func.func @gelu_tanh
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>, %[[Y:.*]]: tensor<?x?x8xf32>)
// CHECK-NEXT: %[[A:.*]] = graph.gelu_tanh %[[X]]
// CHECK-NEXT: %[[B:.*]] = graph.gelu_tanh %[[Y]]
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @gelu_tanh(%x: tensor<?x?x8xf32>, %y: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %half = graph.constant dense<0.5> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %three = graph.constant dense<3.0> : tensor<f32>
  %c = graph.constant dense<0.044715> : tensor<f32>
  %k = graph.constant dense<0.7978845608> : tensor<f32>
  %kc = graph.constant dense<0.0356774081> : tensor<f32>
  %x3 = graph.pow %x, %three : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
  %t1 = graph.mul %c, %x3 : tensor<f32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %t2 = graph.add %x, %t1 : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %t3 = graph.mul %k, %t2 : tensor<f32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %t4 = graph.tanh %t3 : tensor<?x?x8xf32>
  %t5 = graph.add %one, %t4 : tensor<f32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %t6 = graph.mul %half, %x : tensor<f32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %a = graph.mul %t6, %t5 : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>

  %y2 = graph.mul %y, %y : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %y3 = graph.mul %y2, %y : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %u1 = graph.mul %y3, %kc : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
  %u2 = graph.mul %y, %k : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
  %u3 = graph.add %u2, %u1 : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %u4 = graph.tanh %u3 : tensor<?x?x8xf32>
  %u5 = graph.mul %y, %u4 : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %u6 = graph.add %y, %u5 : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %b = graph.mul %u6, %half : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
  return %a, %b : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// The sigmoid written out, 1 / (1 + exp(-x)), with -x as neg, x * -1 or
// 0 - x; y / (1 + exp(-y)) is y * sigmoid(y), which is silu; and ReLU as
// maximum(x, 0), either order.

// CHECK-LABEL: func.func @sigmoid_and_relu
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[Y:.*]]: tensor<?x8xf32>)
// CHECK-DAG: %[[S1:.*]] = graph.sigmoid %[[X]]
// CHECK-DAG: %[[S2:.*]] = graph.sigmoid %[[X]]
// CHECK-DAG: %[[S3:.*]] = graph.sigmoid %[[X]]
// CHECK-DAG: %[[SILU:.*]] = graph.silu %[[Y]]
// CHECK-DAG: %[[R1:.*]] = graph.relu %[[X]]
// CHECK-DAG: %[[R2:.*]] = graph.relu %[[Y]]
// CHECK: return %[[S1]], %[[S2]], %[[S3]], %[[SILU]], %[[R1]], %[[R2]]
func.func @sigmoid_and_relu(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %zero = graph.constant dense<0.0> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %minus = graph.constant dense<-1.0> : tensor<f32>
  %n1 = graph.neg %x : tensor<?x8xf32>
  %e1 = graph.exp %n1 : tensor<?x8xf32>
  %d1 = graph.add %one, %e1 : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %s1 = graph.div %one, %d1 : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %n2 = graph.mul %x, %minus : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %e2 = graph.exp %n2 : tensor<?x8xf32>
  %d2 = graph.add %e2, %one : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %s2 = graph.div %one, %d2 : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %n3 = graph.sub %zero, %x : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %e3 = graph.exp %n3 : tensor<?x8xf32>
  %d3 = graph.add %one, %e3 : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %s3 = graph.div %one, %d3 : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %n4 = graph.neg %y : tensor<?x8xf32>
  %e4 = graph.exp %n4 : tensor<?x8xf32>
  %d4 = graph.add %one, %e4 : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %silu = graph.div %y, %d4 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %r1 = graph.maximum %x, %zero : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %r2 = graph.maximum %zero, %y : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %s1, %s2, %s3, %silu, %r1, %r2 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Not raised: exp(+x) (no negation), 2 + exp(-x), an exp that is also
// returned, and maximum(x, 1).

// CHECK-LABEL: func.func @sigmoid_and_relu_refused
// CHECK-NOT: graph.sigmoid
// CHECK-NOT: graph.relu
func.func @sigmoid_and_relu_refused(%x: tensor<8xf32>)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %one = graph.constant dense<1.0> : tensor<f32>
  %two = graph.constant dense<2.0> : tensor<f32>
  %e1 = graph.exp %x : tensor<8xf32>
  %d1 = graph.add %one, %e1 : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
  %s1 = graph.div %one, %d1 : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
  %n2 = graph.neg %x : tensor<8xf32>
  %e2 = graph.exp %n2 : tensor<8xf32>
  %d2 = graph.add %two, %e2 : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
  %s2 = graph.div %one, %d2 : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
  %n3 = graph.neg %x : tensor<8xf32>
  %e3 = graph.exp %n3 : tensor<8xf32>
  %d3 = graph.add %one, %e3 : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
  %s3 = graph.div %one, %d3 : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
  %r = graph.maximum %x, %one : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
  return %s1, %s2, %s3, %e3, %r : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// Not raised: the sigmoid also feeds another op (it would be computed
// twice), and a sigmoid of another value.

// CHECK-LABEL: func.func @silu_refused
// CHECK-NOT: graph.silu
func.func @silu_refused(%x: tensor<8xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %s = graph.sigmoid %x : tensor<8xf32>
  %a = graph.mul %x, %s : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  %t = graph.sigmoid %y : tensor<8xf32>
  %b = graph.mul %x, %t : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  return %a, %s, %b : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// Not raised: erf(x / 2) is no GELU, an intermediate that is also returned
// must stay, and a constant of a larger shape broadcasts x (the result is
// no activation of x).

// CHECK-LABEL: func.func @gelu_refused
// CHECK-NOT: graph.gelu
func.func @gelu_refused(%x: tensor<16xf32>)
    -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<4x16xf32>) {
  %two = graph.constant dense<2.0> : tensor<f32>
  %sqrt2 = graph.constant dense<1.41421354> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %d = graph.div %x, %two : tensor<16xf32>, tensor<f32> -> tensor<16xf32>
  %e = graph.erf %d : tensor<16xf32>
  %s = graph.add %e, %one : tensor<16xf32>, tensor<f32> -> tensor<16xf32>
  %p = graph.mul %s, %x : tensor<16xf32>, tensor<16xf32> -> tensor<16xf32>
  %a = graph.mul %p, %half : tensor<16xf32>, tensor<f32> -> tensor<16xf32>

  %d2 = graph.div %x, %sqrt2 : tensor<16xf32>, tensor<f32> -> tensor<16xf32>
  %e2 = graph.erf %d2 : tensor<16xf32>
  %s2 = graph.add %e2, %one : tensor<16xf32>, tensor<f32> -> tensor<16xf32>
  %p2 = graph.mul %s2, %x : tensor<16xf32>, tensor<16xf32> -> tensor<16xf32>
  %b = graph.mul %p2, %half : tensor<16xf32>, tensor<f32> -> tensor<16xf32>

  %halves = graph.constant dense<0.5> : tensor<4x16xf32>
  %d3 = graph.div %x, %sqrt2 : tensor<16xf32>, tensor<f32> -> tensor<16xf32>
  %e3 = graph.erf %d3 : tensor<16xf32>
  %s3 = graph.add %e3, %one : tensor<16xf32>, tensor<f32> -> tensor<16xf32>
  %p3 = graph.mul %s3, %x : tensor<16xf32>, tensor<16xf32> -> tensor<16xf32>
  %c = graph.mul %p3, %halves : tensor<16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
  return %a, %b, %p2, %c : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<4x16xf32>
}

// -----

// CLIP's quick_gelu, x * sigmoid(1.702 * x) (HF's QuickGELUActivation),
// with each product in either order.

// CHECK-LABEL: func.func @quick_gelu
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[Y:.*]]: tensor<?x8xf32>)
// CHECK-NEXT: %[[A:.*]] = graph.quick_gelu %[[X]]
// CHECK-NEXT: %[[B:.*]] = graph.quick_gelu %[[Y]]
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @quick_gelu(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %k = graph.constant dense<1.702> : tensor<f32>
  %kx = graph.mul %x, %k : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %s = graph.sigmoid %kx : tensor<?x8xf32>
  %a = graph.mul %x, %s : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %ky = graph.mul %k, %y : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %t = graph.sigmoid %ky : tensor<?x8xf32>
  %b = graph.mul %t, %y : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %a, %b : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Not quick_gelu: sigmoid(1.7 x) (another constant), sigmoid(1.702 y) · x
// (another operand), and a sigmoid that is also returned.

// CHECK-LABEL: func.func @quick_gelu_refused
// CHECK-NOT: graph.quick_gelu
// CHECK: return
func.func @quick_gelu_refused(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %k = graph.constant dense<1.7> : tensor<f32>
  %kx = graph.mul %x, %k : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %s = graph.sigmoid %kx : tensor<?x8xf32>
  %a = graph.mul %x, %s : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %q = graph.constant dense<1.702> : tensor<f32>
  %qy = graph.mul %y, %q : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %t = graph.sigmoid %qy : tensor<?x8xf32>
  %b = graph.mul %x, %t : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %qx = graph.mul %x, %q : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %u = graph.sigmoid %qx : tensor<?x8xf32>
  %c = graph.mul %u, %x : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %a, %b, %c, %u : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}
