// RUN: kiln-opt %s --kiln-convert-to-loops --reconcile-unrealized-casts | FileCheck %s --implicit-check-not=scan.

// Minimal selective scan: per (batch, channel) a zeroed state h[N] in
// scratch, a sequential loop over time and a reduction over the states.
// CHECK-LABEL: func.func @selective_scan
// CHECK: scf.parallel (%[[B:.*]], %[[D:.*]]) =
// CHECK: %[[H:.*]] = memref.alloca() : memref<16xf32>
// CHECK: scf.for %[[T:.*]] =
// CHECK: %[[DT:.*]] = memref.load %arg1[%[[B]], %[[T]], %[[D]]]
// CHECK-NOT: math.log1p
// CHECK: scf.for %[[N:.*]] = {{.*}} iter_args
// CHECK: memref.load %arg2[%[[D]], %[[N]]]
// CHECK: math.exp
// CHECK: memref.load %[[H]][%[[N]]]
// CHECK: memref.store %{{.*}}, %[[H]][%[[N]]]
// CHECK: memref.load %arg4[%[[B]], %[[T]], %[[N]]]
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[B]], %[[T]], %[[D]]]
func.func @selective_scan(%u: tensor<2x?x8xf32>, %delta: tensor<2x?x8xf32>,
                          %a: tensor<8x16xf32>, %bm: tensor<2x?x16xf32>,
                          %cm: tensor<2x?x16xf32>) -> tensor<2x?x8xf32> {
  %y = scan.selective_scan %u, %delta, %a, %bm, %cm
      : (tensor<2x?x8xf32>, tensor<2x?x8xf32>, tensor<8x16xf32>,
         tensor<2x?x16xf32>, tensor<2x?x16xf32>) -> tensor<2x?x8xf32>
  return %y : tensor<2x?x8xf32>
}

// Every optional operand, softplus on delta, and the final state [B, D, N].
// CHECK-LABEL: func.func @selective_scan_full
// CHECK-DAG: memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x8xf32>
// CHECK-DAG: memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x8x16xf32>
// CHECK: scf.parallel (%[[B:.*]], %[[D:.*]]) =
// CHECK: %[[H:.*]] = memref.alloca() : memref<16xf32>
// CHECK: %[[BIAS:.*]] = memref.load %arg7[%[[D]]]
// CHECK: %[[SKIP:.*]] = memref.load %arg5[%[[D]]]
// CHECK: scf.for
// CHECK: arith.addf %{{.*}}, %[[BIAS]]
// CHECK: math.log1p
// CHECK: scf.for {{.*}} iter_args
// CHECK: math.exp
// CHECK: arith.mulf %[[SKIP]]
// CHECK: memref.load %arg6
// CHECK: math.exp
// CHECK: scf.for %[[N:.*]] =
// CHECK: %[[LAST:.*]] = memref.load %[[H]][%[[N]]]
// CHECK: memref.store %[[LAST]], %{{.*}}[%[[B]], %[[D]], %[[N]]]
func.func @selective_scan_full(%u: tensor<?x?x8xf32>, %delta: tensor<?x?x8xf32>,
                               %a: tensor<8x16xf32>, %bm: tensor<?x?x16xf32>,
                               %cm: tensor<?x?x16xf32>, %d: tensor<8xf32>,
                               %z: tensor<?x?x8xf32>, %db: tensor<8xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x8x16xf32>) {
  %y, %last = scan.selective_scan %u, %delta, %a, %bm, %cm D %d z %z
      delta_bias %db {delta_softplus}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8x16xf32>,
         tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<8xf32>,
         tensor<?x?x8xf32>, tensor<8xf32>)
      -> (tensor<?x?x8xf32>, tensor<?x8x16xf32>)
  return %y, %last : tensor<?x?x8xf32>, tensor<?x8x16xf32>
}

// bf16 storage, dynamic state size: a dynamic scratch buffer.
// CHECK-LABEL: func.func @selective_scan_dynamic_state
// CHECK: %[[N:.*]] = memref.dim %arg2, %c1{{(_[0-9]+)?}} :
// CHECK: scf.parallel
// CHECK: memref.alloca(%[[N]]) : memref<?xf32>
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @selective_scan_dynamic_state(%u: tensor<1x?x4xbf16>,
                                        %delta: tensor<1x?x4xbf16>,
                                        %a: tensor<4x?xbf16>,
                                        %bm: tensor<1x?x?xbf16>,
                                        %cm: tensor<1x?x?xbf16>)
    -> tensor<1x?x4xbf16> {
  %y = scan.selective_scan %u, %delta, %a, %bm, %cm
      : (tensor<1x?x4xbf16>, tensor<1x?x4xbf16>, tensor<4x?xbf16>,
         tensor<1x?x?xbf16>, tensor<1x?x?xbf16>) -> tensor<1x?x4xbf16>
  return %y : tensor<1x?x4xbf16>
}

// Forward recurrence from zero: h carried through the time loop.
// CHECK-LABEL: func.func @linear_recurrence
// CHECK: scf.parallel (%[[B:.*]], %[[D:.*]]) =
// CHECK: scf.for %[[T:.*]] = %c0{{(_[0-9]+)?}} to %{{.*}} step %c1{{(_[0-9]+)?}} iter_args(%[[H:.*]] = %cst)
// CHECK: %[[A:.*]] = memref.load %arg0[%[[B]], %[[T]], %[[D]]]
// CHECK: %[[AH:.*]] = arith.mulf %[[A]], %[[H]]
// CHECK: %[[X:.*]] = memref.load %arg1[%[[B]], %[[T]], %[[D]]]
// CHECK: %[[NEXT:.*]] = arith.addf %[[AH]], %[[X]]
// CHECK: memref.store %[[NEXT]], %{{.*}}[%[[B]], %[[T]], %[[D]]]
// CHECK: scf.yield %[[NEXT]]
func.func @linear_recurrence(%a: tensor<2x?x8xf32>, %b: tensor<2x?x8xf32>)
    -> tensor<2x?x8xf32> {
  %h = scan.linear_recurrence %a, %b
      : (tensor<2x?x8xf32>, tensor<2x?x8xf32>) -> tensor<2x?x8xf32>
  return %h : tensor<2x?x8xf32>
}

// Reverse, from h0: time index T - 1 - step, initial state h0[b, d].
// CHECK-LABEL: func.func @linear_recurrence_reverse_h0
// CHECK: %[[T:.*]] = memref.dim %arg0, %c1{{(_[0-9]+)?}} :
// CHECK: scf.parallel (%[[B:.*]], %[[D:.*]]) =
// CHECK: %[[INIT:.*]] = memref.load %arg2[%[[B]], %[[D]]]
// CHECK: %[[LAST:.*]] = arith.subi %[[T]], %c1{{(_[0-9]+)?}} :
// CHECK: scf.for %[[STEP:.*]] = %c0{{(_[0-9]+)?}} to %[[T]] step %c1{{(_[0-9]+)?}} iter_args(%{{.*}} = %[[INIT]])
// CHECK: %[[IDX:.*]] = arith.subi %[[LAST]], %[[STEP]]
// CHECK: memref.load %arg0[%[[B]], %[[IDX]], %[[D]]]
func.func @linear_recurrence_reverse_h0(%a: tensor<2x?x8xf32>,
                                        %b: tensor<2x?x8xf32>,
                                        %h0: tensor<2x8xf32>)
    -> tensor<2x?x8xf32> {
  %h = scan.linear_recurrence %a, %b init %h0 {reverse}
      : (tensor<2x?x8xf32>, tensor<2x?x8xf32>, tensor<2x8xf32>)
      -> tensor<2x?x8xf32>
  return %h : tensor<2x?x8xf32>
}
