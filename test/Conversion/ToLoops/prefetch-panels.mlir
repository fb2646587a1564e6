// RUN: kiln-opt %s --kiln-prefetch-panels | FileCheck %s
// RUN: kiln-opt %s --kiln-prefetch-panels=distance=8 | FileCheck %s --check-prefix=EIGHT

// A marked panel-row load gets a prefetch of the same panel `distance` k
// steps ahead, one of the same row of the next panel into the outer caches,
// and loses its mark; an unmarked load gets none.
// CHECK-LABEL: func.func @panel_rows
// CHECK: scf.for %[[K:[^ ]*]] =
// CHECK: %[[AHEAD:.*]] = arith.addi %[[K]], %c16
// CHECK-NEXT: memref.prefetch %arg0[%arg1, %[[AHEAD]], %c0], read, locality<3>, data
// CHECK: %[[NEXT:.*]] = arith.addi %arg1, %c1
// CHECK-NEXT: memref.prefetch %arg0[%[[NEXT]], %[[K]], %c0], read, locality<1>, data
// CHECK-NEXT: vector.load %arg0[%arg1, %[[K]], %c0] : memref<4x64x32xf32>, vector<16xf32>
// CHECK-NOT: kiln.panel_row
// CHECK-NOT: memref.prefetch
// CHECK: vector.load %arg2
// EIGHT: arith.addi %{{.*}}, %c8
func.func @panel_rows(%panels: memref<4x64x32xf32>, %p: index,
                      %other: memref<64x16xf32>) -> vector<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant dense<0.0> : vector<16xf32>
  %sum = scf.for %k = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> vector<16xf32> {
    %row = vector.load %panels[%p, %k, %c0] {kiln.panel_row} : memref<4x64x32xf32>, vector<16xf32>
    %x = vector.load %other[%k, %c0] : memref<64x16xf32>, vector<16xf32>
    %m = arith.mulf %row, %x : vector<16xf32>
    %next = arith.addf %acc, %m : vector<16xf32>
    scf.yield %next : vector<16xf32>
  }
  return %sum : vector<16xf32>
}
