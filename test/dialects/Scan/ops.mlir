// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// Every scan op round-trips, with each optional operand and result present
// and absent, and with static and dynamic dims.

// CHECK-LABEL: func.func @selective_scan
func.func @selective_scan(%u: tensor<?x?x32xf32>, %delta: tensor<?x?x32xf32>,
                          %A: tensor<32x16xf32>, %B: tensor<?x?x16xf32>,
                          %C: tensor<?x?x16xf32>, %D: tensor<32xf32>,
                          %z: tensor<?x?x32xf32>, %db: tensor<32xf32>)
    -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>,
        tensor<?x32x16xf32>) {
  // CHECK: scan.selective_scan %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x32xf32>
  %0 = scan.selective_scan %u, %delta, %A, %B, %C
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x32xf32>
  // CHECK: scan.selective_scan %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} D %{{.*}} z %{{.*}} delta_bias %{{.*}} {delta_softplus} : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<32xf32>, tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %1 = scan.selective_scan %u, %delta, %A, %B, %C D %D z %z delta_bias %db {delta_softplus}
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<32xf32>, tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  // CHECK: scan.selective_scan %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} z %{{.*}} {delta_softplus} : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x32xf32>) -> (tensor<?x?x32xf32>, tensor<?x32x16xf32>)
  %2:2 = scan.selective_scan %u, %delta, %A, %B, %C z %z {delta_softplus}
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x32xf32>) -> (tensor<?x?x32xf32>, tensor<?x32x16xf32>)
  return %0, %1, %2#0, %2#1 : tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x32x16xf32>
}

// CHECK-LABEL: func.func @selective_scan_static
func.func @selective_scan_static(%u: tensor<2x5x4xf16>, %A: tensor<4x3xf16>,
                                 %B: tensor<2x5x3xf16>, %D: tensor<4xf16>)
    -> tensor<2x5x4xf16> {
  // CHECK: scan.selective_scan %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} D %{{.*}} : (tensor<2x5x4xf16>, tensor<2x5x4xf16>, tensor<4x3xf16>, tensor<2x5x3xf16>, tensor<2x5x3xf16>, tensor<4xf16>) -> tensor<2x5x4xf16>
  %0 = scan.selective_scan %u, %u, %A, %B, %B D %D
      : (tensor<2x5x4xf16>, tensor<2x5x4xf16>, tensor<4x3xf16>, tensor<2x5x3xf16>, tensor<2x5x3xf16>, tensor<4xf16>) -> tensor<2x5x4xf16>
  return %0 : tensor<2x5x4xf16>
}

// CHECK-LABEL: func.func @linear_recurrence
func.func @linear_recurrence(%a: tensor<?x?x64xf32>, %b: tensor<?x?x64xf32>,
                             %h0: tensor<?x64xf32>, %s: tensor<1x3x2xbf16>)
    -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<1x3x2xbf16>) {
  // CHECK: scan.linear_recurrence %{{.*}}, %{{.*}} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %0 = scan.linear_recurrence %a, %b : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  // CHECK: scan.linear_recurrence %{{.*}}, %{{.*}} init %{{.*}} {reverse} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x64xf32>) -> tensor<?x?x64xf32>
  %1 = scan.linear_recurrence %a, %b init %h0 {reverse} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x64xf32>) -> tensor<?x?x64xf32>
  // CHECK: scan.linear_recurrence %{{.*}}, %{{.*}} {reverse} : (tensor<1x3x2xbf16>, tensor<1x3x2xbf16>) -> tensor<1x3x2xbf16>
  %2 = scan.linear_recurrence %s, %s {reverse} : (tensor<1x3x2xbf16>, tensor<1x3x2xbf16>) -> tensor<1x3x2xbf16>
  return %0, %1, %2 : tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<1x3x2xbf16>
}

// Packed batches: seq_offsets restarts every sequence.
// CHECK-LABEL: func.func @packed
func.func @packed(%u: tensor<1x?x8xf32>, %A: tensor<8x4xf32>,
                  %B: tensor<1x?x4xf32>, %o: tensor<?xi32>, %h0: tensor<1x8xf32>)
    -> (tensor<1x?x8xf32>, tensor<1x?x8xf32>) {
  // CHECK: scan.selective_scan %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} seq_offsets %{{.*}} : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<8x4xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>, tensor<?xi32>) -> tensor<1x?x8xf32>
  %0 = scan.selective_scan %u, %u, %A, %B, %B seq_offsets %o
      : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<8x4xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>, tensor<?xi32>) -> tensor<1x?x8xf32>
  // CHECK: scan.linear_recurrence %{{.*}}, %{{.*}} init %{{.*}} seq_offsets %{{.*}} {reverse}
  %1 = scan.linear_recurrence %u, %u init %h0 seq_offsets %o {reverse}
      : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x8xf32>, tensor<?xi32>) -> tensor<1x?x8xf32>
  return %0, %1 : tensor<1x?x8xf32>, tensor<1x?x8xf32>
}
