// RUN: kiln-opt %s --kiln-gpu-host-allocations --kiln-gpu-emulate-launches | FileCheck %s --implicit-check-not=gpu.

// A launch becomes a parallel loop over (block, thread) pairs whose
// indices stand for the block and thread ids (0 in y and z); with
// kiln-gpu-host-allocations, as --gpu-emulation runs it, device buffers
// become heap buffers.

// CHECK-LABEL: func.func @launch
// CHECK-SAME: (%[[OUT:.*]]: memref<?xf32>, %[[GRID:.*]]: index)
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<4xf32>
// CHECK: %[[C128:.*]] = arith.constant 128 : index
// CHECK: scf.parallel (%[[B:.*]], %[[T:.*]]) = (%c0{{.*}}, %c0{{.*}}) to (%[[GRID]], %[[C128]]) step
// CHECK:   %[[BASE:.*]] = arith.muli %[[B]], %[[C128]]
// CHECK:   %[[ID:.*]] = arith.addi %[[BASE]], %[[T]]
// CHECK:   %[[Y:.*]] = arith.addi %[[ID]], %c0
// CHECK:   memref.store %{{.*}}, %[[OUT]][%[[Y]]]
// CHECK:   scf.reduce
// CHECK: memref.dealloc %[[BUF]]
func.func @launch(%out: memref<?xf32>, %grid: index) {
  %one = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %buffer = gpu.alloc () : memref<4xf32>
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %grid, %gy = %one, %gz = %one)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %one, %sz = %one) {
    %base = arith.muli %bx, %sx : index
    %id = arith.addi %base, %tx : index
    %y = arith.addi %id, %by : index
    memref.store %zero, %out[%y] : memref<?xf32>
    gpu.terminator
  }
  gpu.dealloc %buffer : memref<4xf32>
  return
}
