// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// Every graph op round-trips through its custom assembly format, with its
// optional operands present and absent and with static and dynamic dims.

// CHECK-LABEL: func.func @binary
func.func @binary(%a: tensor<?x4xf32>, %b: tensor<4xf32>, %c: tensor<2x1x?xi32>,
                  %d: tensor<3x1xi32>) -> (tensor<?x4xf32>, tensor<2x3x?xi32>) {
  // CHECK: graph.add %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %0 = graph.add %a, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  // CHECK: graph.sub %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %1 = graph.sub %0, %a : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: graph.mul %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %2 = graph.mul %b, %1 : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: graph.div %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %3 = graph.div %2, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  // CHECK: graph.add %{{.*}}, %{{.*}} : tensor<2x1x?xi32>, tensor<3x1xi32> -> tensor<2x3x?xi32>
  %4 = graph.add %c, %d : tensor<2x1x?xi32>, tensor<3x1xi32> -> tensor<2x3x?xi32>
  return %3, %4 : tensor<?x4xf32>, tensor<2x3x?xi32>
}

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<?x?x8xf32>, %h: tensor<4xf16>, %g: tensor<4xbf16>)
    -> (tensor<?x?x8xf32>, tensor<4xf16>, tensor<4xbf16>) {
  // CHECK: graph.relu %{{.*}} : tensor<?x?x8xf32>
  %0 = graph.relu %x : tensor<?x?x8xf32>
  // CHECK: graph.gelu %{{.*}} : tensor<?x?x8xf32>
  %1 = graph.gelu %0 : tensor<?x?x8xf32>
  // CHECK: graph.gelu_tanh %{{.*}} : tensor<?x?x8xf32>
  %2 = graph.gelu_tanh %1 : tensor<?x?x8xf32>
  // CHECK: graph.silu %{{.*}} : tensor<?x?x8xf32>
  // CHECK: graph.quick_gelu %{{.*}} : tensor<?x?x8xf32>
  %silu = graph.silu %2 : tensor<?x?x8xf32>
  %3 = graph.quick_gelu %silu : tensor<?x?x8xf32>
  // CHECK: graph.sigmoid %{{.*}} : tensor<?x?x8xf32>
  %4 = graph.sigmoid %3 : tensor<?x?x8xf32>
  // CHECK: graph.tanh %{{.*}} : tensor<?x?x8xf32>
  %5 = graph.tanh %4 : tensor<?x?x8xf32>
  // CHECK: graph.exp %{{.*}} : tensor<?x?x8xf32>
  %6 = graph.exp %5 : tensor<?x?x8xf32>
  // CHECK: graph.softplus %{{.*}} : tensor<?x?x8xf32>
  %7 = graph.softplus %6 : tensor<?x?x8xf32>
  // CHECK: graph.neg %{{.*}} : tensor<?x?x8xf32>
  %8 = graph.neg %7 : tensor<?x?x8xf32>
  // CHECK: graph.rsqrt %{{.*}} : tensor<4xf16>
  %9 = graph.rsqrt %h : tensor<4xf16>
  // CHECK: graph.silu %{{.*}} : tensor<4xbf16>
  %10 = graph.silu %g : tensor<4xbf16>
  return %8, %9, %10 : tensor<?x?x8xf32>, tensor<4xf16>, tensor<4xbf16>
}

// CHECK-LABEL: func.func @linear
func.func @linear(%x: tensor<?x?x64xf32>, %w: tensor<32x64xf32>,
                  %b: tensor<32xf32>, %v: tensor<64xf32>)
    -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32xf32>) {
  // CHECK: graph.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %0 = graph.linear %x, %w, %b : (tensor<?x?x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  // CHECK: graph.linear %{{.*}}, %{{.*}} : (tensor<?x?x64xf32>, tensor<32x64xf32>) -> tensor<?x?x32xf32>
  %1 = graph.linear %x, %w : (tensor<?x?x64xf32>, tensor<32x64xf32>) -> tensor<?x?x32xf32>
  // CHECK: graph.linear %{{.*}}, %{{.*}} : (tensor<64xf32>, tensor<32x64xf32>) -> tensor<32xf32>
  %2 = graph.linear %v, %w : (tensor<64xf32>, tensor<32x64xf32>) -> tensor<32xf32>
  return %0, %1, %2 : tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32xf32>
}

// CHECK-LABEL: func.func @matmul
func.func @matmul(%a: tensor<?x4x8x16xf32>, %b: tensor<4x16x?xf32>,
                  %c: tensor<8x16xf16>, %d: tensor<16x2xf16>)
    -> (tensor<?x4x8x?xf32>, tensor<8x2xf16>) {
  // CHECK: graph.matmul %{{.*}}, %{{.*}} : tensor<?x4x8x16xf32>, tensor<4x16x?xf32> -> tensor<?x4x8x?xf32>
  %0 = graph.matmul %a, %b : tensor<?x4x8x16xf32>, tensor<4x16x?xf32> -> tensor<?x4x8x?xf32>
  // CHECK: graph.matmul %{{.*}}, %{{.*}} : tensor<8x16xf16>, tensor<16x2xf16> -> tensor<8x2xf16>
  %1 = graph.matmul %c, %d : tensor<8x16xf16>, tensor<16x2xf16> -> tensor<8x2xf16>
  return %0, %1 : tensor<?x4x8x?xf32>, tensor<8x2xf16>
}

// CHECK-LABEL: func.func @norms
func.func @norms(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>)
    -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>) {
  // CHECK: graph.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {eps = 1.000000e-05 : f64} : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %0 = graph.layer_norm %x, %w, %b {eps = 1.0e-5 : f64} : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  // CHECK: graph.layer_norm %{{.*}}, %{{.*}} {eps = 1.000000e-05 : f64} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %1 = graph.layer_norm %x, %w {eps = 1.0e-5 : f64} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  // CHECK: graph.rms_norm %{{.*}}, %{{.*}} {eps = 9.9999999999999995E-7 : f64} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %2 = graph.rms_norm %x, %w {eps = 1.0e-6 : f64} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %0, %1, %2 : tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>
}

// CHECK-LABEL: func.func @softmax
func.func @softmax(%x: tensor<?x4x?x?xf32>) -> (tensor<?x4x?x?xf32>, tensor<?x4x?x?xf32>) {
  // CHECK: graph.softmax %{{.*}} {axis = 3 : i64} : tensor<?x4x?x?xf32>
  %0 = graph.softmax %x {axis = 3 : i64} : tensor<?x4x?x?xf32>
  // CHECK: graph.softmax %{{.*}} {axis = 0 : i64} : tensor<?x4x?x?xf32>
  %1 = graph.softmax %x {axis = 0 : i64} : tensor<?x4x?x?xf32>
  return %0, %1 : tensor<?x4x?x?xf32>, tensor<?x4x?x?xf32>
}

// CHECK-LABEL: func.func @embedding
func.func @embedding(%ids: tensor<?x?xi32>, %ids64: tensor<8xi64>,
                     %table: tensor<256x64xf32>, %itable: tensor<10x3xi32>)
    -> (tensor<?x?x64xf32>, tensor<8x3xi32>) {
  // CHECK: graph.embedding %{{.*}}, %{{.*}} : (tensor<?x?xi32>, tensor<256x64xf32>) -> tensor<?x?x64xf32>
  %0 = graph.embedding %ids, %table : (tensor<?x?xi32>, tensor<256x64xf32>) -> tensor<?x?x64xf32>
  // CHECK: graph.embedding %{{.*}}, %{{.*}} : (tensor<8xi64>, tensor<10x3xi32>) -> tensor<8x3xi32>
  %1 = graph.embedding %ids64, %itable : (tensor<8xi64>, tensor<10x3xi32>) -> tensor<8x3xi32>
  return %0, %1 : tensor<?x?x64xf32>, tensor<8x3xi32>
}

// CHECK-LABEL: func.func @rope
func.func @rope(%x: tensor<?x?x4x16xf32>, %pos: tensor<?x?xi32>)
    -> (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>) {
  // CHECK: graph.rope %{{.*}} positions %{{.*}} {rotary_dim = 16 : i64, theta = 1.000000e+04 : f64} : (tensor<?x?x4x16xf32>, tensor<?x?xi32>) -> tensor<?x?x4x16xf32>
  %0 = graph.rope %x positions %pos {rotary_dim = 16 : i64, theta = 10000.0 : f64} : (tensor<?x?x4x16xf32>, tensor<?x?xi32>) -> tensor<?x?x4x16xf32>
  // CHECK: graph.rope %{{.*}} {interleaved, rotary_dim = 8 : i64, theta = 5.000000e+05 : f64} : (tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  %1 = graph.rope %x {interleaved, rotary_dim = 8 : i64, theta = 500000.0 : f64} : (tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
  return %0, %1 : tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>
}

// CHECK-LABEL: func.func @conv1d
func.func @conv1d(%x: tensor<?x?x32xf32>, %w: tensor<32x4xf32>, %b: tensor<32xf32>)
    -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>) {
  // CHECK: graph.conv1d %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x32xf32>, tensor<32x4xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %0 = graph.conv1d %x, %w, %b : (tensor<?x?x32xf32>, tensor<32x4xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  // CHECK: graph.conv1d %{{.*}}, %{{.*}} : (tensor<?x?x32xf32>, tensor<32x4xf32>) -> tensor<?x?x32xf32>
  %1 = graph.conv1d %x, %w : (tensor<?x?x32xf32>, tensor<32x4xf32>) -> tensor<?x?x32xf32>
  return %0, %1 : tensor<?x?x32xf32>, tensor<?x?x32xf32>
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<?x8x16xf32>, %i: tensor<4x5xi64>)
    -> (tensor<?xf32>, tensor<?x8x1xf32>, tensor<1x1x1xf32>, tensor<5xi64>) {
  // CHECK: graph.reduce_sum %{{.*}} {axes = array<i64: 1, 2>} : tensor<?x8x16xf32> -> tensor<?xf32>
  %0 = graph.reduce_sum %x {axes = array<i64: 1, 2>} : tensor<?x8x16xf32> -> tensor<?xf32>
  // CHECK: graph.reduce_mean %{{.*}} {axes = array<i64: 2>, keepdims} : tensor<?x8x16xf32> -> tensor<?x8x1xf32>
  %1 = graph.reduce_mean %x {axes = array<i64: 2>, keepdims} : tensor<?x8x16xf32> -> tensor<?x8x1xf32>
  // CHECK: graph.reduce_max %{{.*}} {axes = array<i64: 0, 1, 2>, keepdims} : tensor<?x8x16xf32> -> tensor<1x1x1xf32>
  %2 = graph.reduce_max %x {axes = array<i64: 0, 1, 2>, keepdims} : tensor<?x8x16xf32> -> tensor<1x1x1xf32>
  // CHECK: graph.reduce_sum %{{.*}} {axes = array<i64: 0>} : tensor<4x5xi64> -> tensor<5xi64>
  %3 = graph.reduce_sum %i {axes = array<i64: 0>} : tensor<4x5xi64> -> tensor<5xi64>
  return %0, %1, %2, %3 : tensor<?xf32>, tensor<?x8x1xf32>, tensor<1x1x1xf32>, tensor<5xi64>
}

// CHECK-LABEL: func.func @reshape
func.func @reshape(%x: tensor<?x?x64xf32>, %s: tensor<2x3x4xi32>, %b: index, %t: index)
    -> (tensor<?x?x4x16xf32>, tensor<6x4xi32>, tensor<?xf32>) {
  // CHECK: graph.reshape %{{.*}} sizes(%{{.*}}, %{{.*}}) : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
  %0 = graph.reshape %x sizes(%b, %t) : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
  // CHECK: graph.reshape %{{.*}} : tensor<2x3x4xi32> -> tensor<6x4xi32>
  %1 = graph.reshape %s : tensor<2x3x4xi32> -> tensor<6x4xi32>
  // CHECK: graph.reshape %{{.*}} sizes(%{{.*}}) : tensor<?x?x64xf32> -> tensor<?xf32>
  %2 = graph.reshape %x sizes(%b) : tensor<?x?x64xf32> -> tensor<?xf32>
  return %0, %1, %2 : tensor<?x?x4x16xf32>, tensor<6x4xi32>, tensor<?xf32>
}

// CHECK-LABEL: func.func @transpose
func.func @transpose(%x: tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32> {
  // CHECK: graph.transpose %{{.*}} {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  %0 = graph.transpose %x {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  return %0 : tensor<?x4x?x16xf32>
}

// CHECK-LABEL: func.func @slice
func.func @slice(%x: tensor<?x?x192xf32>) -> tensor<?x?x64xf32> {
  // CHECK: graph.slice %{{.*}} {axis = 2 : i64, end = 128 : i64, start = 64 : i64} : tensor<?x?x192xf32> -> tensor<?x?x64xf32>
  %0 = graph.slice %x {axis = 2 : i64, start = 64 : i64, end = 128 : i64} : tensor<?x?x192xf32> -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// CHECK-LABEL: func.func @concat
func.func @concat(%a: tensor<?x?x16xf32>, %b: tensor<?x?x48xf32>, %c: tensor<3xi32>)
    -> (tensor<?x?x64xf32>, tensor<3xi32>) {
  // CHECK: graph.concat %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<?x?x16xf32>, tensor<?x?x48xf32>) -> tensor<?x?x64xf32>
  %0 = graph.concat %a, %b {axis = 2 : i64} : (tensor<?x?x16xf32>, tensor<?x?x48xf32>) -> tensor<?x?x64xf32>
  // CHECK: graph.concat %{{.*}} {axis = 0 : i64} : (tensor<3xi32>) -> tensor<3xi32>
  %1 = graph.concat %c {axis = 0 : i64} : (tensor<3xi32>) -> tensor<3xi32>
  return %0, %1 : tensor<?x?x64xf32>, tensor<3xi32>
}

// CHECK-LABEL: func.func @split
func.func @split(%x: tensor<?x?x192xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x128xf32>) {
  // CHECK: graph.split %{{.*}} {axis = 2 : i64} : tensor<?x?x192xf32> -> tensor<?x?x64xf32>, tensor<?x?x128xf32>
  %0:2 = graph.split %x {axis = 2 : i64} : tensor<?x?x192xf32> -> tensor<?x?x64xf32>, tensor<?x?x128xf32>
  return %0#0, %0#1 : tensor<?x?x64xf32>, tensor<?x?x128xf32>
}

// CHECK-LABEL: func.func @cast
func.func @cast(%x: tensor<?x8xf32>, %i: tensor<4xi64>)
    -> (tensor<?x8xbf16>, tensor<?x8xi32>, tensor<4xf16>) {
  // CHECK: graph.cast %{{.*}} : tensor<?x8xf32> -> tensor<?x8xbf16>
  %0 = graph.cast %x : tensor<?x8xf32> -> tensor<?x8xbf16>
  // CHECK: graph.cast %{{.*}} : tensor<?x8xf32> -> tensor<?x8xi32>
  %1 = graph.cast %x : tensor<?x8xf32> -> tensor<?x8xi32>
  // CHECK: graph.cast %{{.*}} : tensor<4xi64> -> tensor<4xf16>
  %2 = graph.cast %i : tensor<4xi64> -> tensor<4xf16>
  return %0, %1, %2 : tensor<?x8xbf16>, tensor<?x8xi32>, tensor<4xf16>
}

// CHECK-LABEL: func.func @generation_math
func.func @generation_math(%x: tensor<?x4xf32>, %b: tensor<4xf32>, %i: tensor<?x4xi32>)
    -> (tensor<?x4xf32>, tensor<?x4xi1>, tensor<?x4xf32>) {
  // CHECK: graph.log %{{.*}} : tensor<?x4xf32>
  %0 = graph.log %x : tensor<?x4xf32>
  // CHECK: graph.sqrt
  %1 = graph.sqrt %0 : tensor<?x4xf32>
  // CHECK: graph.abs
  %2 = graph.abs %1 : tensor<?x4xf32>
  // CHECK: graph.square
  %3 = graph.square %2 : tensor<?x4xf32>
  // CHECK: graph.erf
  %4 = graph.erf %3 : tensor<?x4xf32>
  // CHECK: graph.sin
  %5 = graph.sin %4 : tensor<?x4xf32>
  // CHECK: graph.cos
  %6 = graph.cos %5 : tensor<?x4xf32>
  // CHECK: graph.maximum %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %7 = graph.maximum %6, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  // CHECK: graph.minimum
  %8 = graph.minimum %i, %i : tensor<?x4xi32>, tensor<?x4xi32> -> tensor<?x4xi32>
  // CHECK: graph.pow
  %9 = graph.pow %7, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  // CHECK: graph.less %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xi1>
  %10 = graph.less %9, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xi1>
  // CHECK: graph.equal
  %11 = graph.equal %8, %i : tensor<?x4xi32>, tensor<?x4xi32> -> tensor<?x4xi1>
  // CHECK: graph.not_equal
  %12 = graph.not_equal %11, %10 : tensor<?x4xi1>, tensor<?x4xi1> -> tensor<?x4xi1>
  // CHECK: graph.less_equal
  %13 = graph.less_equal %x, %x : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xi1>
  // CHECK: graph.greater
  %14 = graph.greater %x, %x : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xi1>
  // CHECK: graph.greater_equal
  %15 = graph.greater_equal %x, %x : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xi1>
  // CHECK: graph.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x4xi1>, tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %16 = graph.where %12, %9, %b : (tensor<?x4xi1>, tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %16, %15, %9 : tensor<?x4xf32>, tensor<?x4xi1>, tensor<?x4xf32>
}

// CHECK-LABEL: func.func @generation_indexing
func.func @generation_indexing(%x: tensor<?x?x8xf32>, %ids: tensor<?x3xi64>,
                               %last: tensor<?x1x1xi32>)
    -> (tensor<2xf32>, tensor<3xi1>, tensor<?xi64>, tensor<?x?x?x3xf32>,
        tensor<?x1x8xf32>, tensor<?x?xi64>, tensor<?x1x8xi64>,
        tensor<?x?x2xf32>, tensor<?x?x2xi64>, tensor<?x?x8xf32>,
        tensor<?x1x8xf32>) {
  // CHECK: graph.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: graph.constant dense<[true, false, true]> : tensor<3xi1>
  %1 = graph.constant dense<[true, false, true]> : tensor<3xi1>
  // CHECK: graph.arange %{{.*}} {axis = 1 : i64, start = 0.000000e+00 : f64} : (tensor<?x?x8xf32>) -> tensor<?xi64>
  %2 = graph.arange %x {axis = 1 : i64, start = 0.0 : f64} : (tensor<?x?x8xf32>) -> tensor<?xi64>
  // CHECK: graph.gather %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x3xi64>) -> tensor<?x?x?x3xf32>
  %3 = graph.gather %x, %ids {axis = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x3xi64>) -> tensor<?x?x?x3xf32>
  // CHECK: graph.take_along_axis
  %4 = graph.take_along_axis %x, %last {axis = 1 : i64} : (tensor<?x?x8xf32>, tensor<?x1x1xi32>) -> tensor<?x1x8xf32>
  // CHECK: graph.argmax %{{.*}} {axis = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x?xi64>
  %5 = graph.argmax %x {axis = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x?xi64>
  // CHECK: graph.argmax %{{.*}} {axis = 1 : i64, keepdims}
  %6 = graph.argmax %x {axis = 1 : i64, keepdims} : tensor<?x?x8xf32> -> tensor<?x1x8xi64>
  // CHECK: graph.top_k %{{.*}} {axis = 2 : i64, k = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x?x2xf32>, tensor<?x?x2xi64>
  %7:2 = graph.top_k %x {axis = 2 : i64, k = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x?x2xf32>, tensor<?x?x2xi64>
  // CHECK: graph.cumsum %{{.*}} {axis = 1 : i64, exclusive, reverse}
  %8 = graph.cumsum %x {axis = 1 : i64, exclusive, reverse} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  // CHECK: graph.slice %{{.*}} {axis = 1 : i64, start = -1 : i64} : tensor<?x?x8xf32> -> tensor<?x1x8xf32>
  %9 = graph.slice %x {axis = 1 : i64, start = -1 : i64} : tensor<?x?x8xf32> -> tensor<?x1x8xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7#0, %7#1, %8, %9
      : tensor<2xf32>, tensor<3xi1>, tensor<?xi64>, tensor<?x?x?x3xf32>,
        tensor<?x1x8xf32>, tensor<?x?xi64>, tensor<?x1x8xi64>,
        tensor<?x?x2xf32>, tensor<?x?x2xi64>, tensor<?x?x8xf32>,
        tensor<?x1x8xf32>
}

// CHECK-LABEL: func.func @conv1d_packed
func.func @conv1d_packed(%x: tensor<1x?x32xf32>, %w: tensor<32x4xf32>, %o: tensor<5xi32>)
    -> tensor<1x?x32xf32> {
  // CHECK: graph.conv1d %{{.*}}, %{{.*}} seq_offsets %{{.*}} : (tensor<1x?x32xf32>, tensor<32x4xf32>, tensor<5xi32>) -> tensor<1x?x32xf32>
  %0 = graph.conv1d %x, %w seq_offsets %o : (tensor<1x?x32xf32>, tensor<32x4xf32>, tensor<5xi32>) -> tensor<1x?x32xf32>
  return %0 : tensor<1x?x32xf32>
}

// CHECK-LABEL: func.func @packed_positions
func.func @packed_positions(%x: tensor<1x?xi32>, %o: tensor<?xi64>)
    -> (tensor<?xi64>, tensor<1x?xi64>) {
  // CHECK: graph.arange %{{.*}} seq_offsets %{{.*}} {axis = 1 : i64, start = 0.000000e+00 : f64} : (tensor<1x?xi32>, tensor<?xi64>) -> tensor<?xi64>
  %0 = graph.arange %x seq_offsets %o {axis = 1 : i64, start = 0.0 : f64} : (tensor<1x?xi32>, tensor<?xi64>) -> tensor<?xi64>
  // CHECK: graph.cumsum %{{.*}} seq_offsets %{{.*}} {axis = 1 : i64}
  %1 = graph.cumsum %x seq_offsets %o {axis = 1 : i64} : (tensor<1x?xi32>, tensor<?xi64>) -> tensor<1x?xi64>
  return %0, %1 : tensor<?xi64>, tensor<1x?xi64>
}

// A projection with its fused epilogue, and a fused elementwise group.

// CHECK-LABEL: func.func @fused
func.func @fused(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  // CHECK: graph.linear %{{.*}}, %{{.*}}, %{{.*}} residual %{{.*}} {activation = #graph<activation gelu_tanh>} : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %0 = graph.linear %x, %w, %b residual %x {activation = #graph<activation gelu_tanh>} : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: graph.fused_elementwise %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> {
  // CHECK: graph.add
  // CHECK: graph.yield %{{.*}} : tensor<?x8xf32>
  %1 = graph.fused_elementwise %0, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>, %c: tensor<8xf32>):
    %s = graph.add %a, %c : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
    graph.yield %s : tensor<?x8xf32>
  }
  return %0, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// A linear with a rope epilogue, with positions and without.
// CHECK-LABEL: func.func @linear_rope
func.func @linear_rope(%x: tensor<?x?x8xf32>, %w: tensor<32x8xf32>, %p: tensor<?x?xi64>)
    -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>) {
  // CHECK: graph.linear %{{.*}}, %{{.*}} rope_positions %{{.*}} {rope_head_dim = 16 : i64, rope_rotary_dim = 8 : i64, rope_theta = 1.000000e+04 : f64} : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
  %0 = graph.linear %x, %w rope_positions %p {rope_head_dim = 16 : i64, rope_rotary_dim = 8 : i64, rope_theta = 10000.0 : f64} : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
  // CHECK: graph.linear %{{.*}}, %{{.*}} {rope_head_dim = 16 : i64, rope_interleaved, rope_rotary_dim = 16 : i64, rope_theta = 5.000000e+05 : f64} : (tensor<?x?x8xf32>, tensor<32x8xf32>) -> tensor<?x?x32xf32>
  %1 = graph.linear %x, %w {rope_head_dim = 16 : i64, rope_rotary_dim = 16 : i64, rope_theta = 500000.0 : f64, rope_interleaved} : (tensor<?x?x8xf32>, tensor<32x8xf32>) -> tensor<?x?x32xf32>
  return %0, %1 : tensor<?x?x32xf32>, tensor<?x?x32xf32>
}
