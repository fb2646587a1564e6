// RUN: kiln-opt %s --kiln-gpu-map-parallel-loops --canonicalize --cse | FileCheck %s
// RUN: kiln-opt %s --kiln-gpu-map-parallel-loops | kiln-opt --kiln-gpu-emulate-launches --canonicalize --cse | FileCheck %s --check-prefix=EMU
// RUN: kiln-opt %s --pass-pipeline='builtin.module(func.func(kiln-gpu-map-parallel-loops),gpu-kernel-outlining,gpu.module(convert-gpu-to-nvvm))' | FileCheck %s --check-prefix=NVVM

// A block loop (a top-level scf.parallel whose body allocates workgroup or
// private memory, the GEMM's form) becomes one thread block per iteration:
// its workgroup buffers the launch's workgroup attributions, its private
// buffer [threads, ...] a private attribution of one thread's slice, and
// the scf.parallel loops of its body phases of the block's threads (128,
// the largest phase; threads past a smaller phase idle). A barrier follows
// every phase but the kernel's last, inside the K loop too: the next phase,
// or the next K step's, reads what the threads wrote to workgroup memory.

// CHECK-LABEL: func.func @blocks
// CHECK-SAME: (%[[A:.*]]: memref<?xf32>, %[[OUT:.*]]: memref<?xf32>, %[[N:.*]]: index, %[[STEPS:.*]]: index)
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[BLOCKS:.*]] = arith.maxsi %[[N]], %c0
// CHECK: %[[ANY:.*]] = arith.cmpi sgt, %[[BLOCKS]], %c0
// CHECK: scf.if %[[ANY]] {
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[BLOCKS]], %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C128]], %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) workgroup(%[[TILE:.*]] : memref<128xf32, #gpu.address_space<workgroup>>) private(%[[ACC:.*]] : memref<4xf32, #gpu.address_space<private>>) {
// CHECK:   %[[BASE:.*]] = arith.muli %[[BX]], %[[C128]]
// The thread's slices of the private buffer are the attribution itself
// (a cast, folded here).
// CHECK:   memref.store %{{.*}}, %[[ACC]][%c0]
// CHECK:   gpu.barrier
// CHECK:   scf.for %{{.*}} = %c0 to %[[STEPS]] step %c1 {
// CHECK:     %[[I:.*]] = arith.addi %[[BASE]], %[[TX]]
// CHECK:     %[[V:.*]] = memref.load %[[A]][%[[I]]]
// CHECK:     memref.store %[[V]], %[[TILE]][%[[TX]]]
// CHECK:     gpu.barrier
// CHECK:     %[[HALF:.*]] = arith.cmpi ult, %[[TX]], %[[C64]]
// CHECK:     scf.if %[[HALF]] {
// CHECK:       memref.load %[[TILE]]
// CHECK:       memref.load %[[ACC]][%c0]
// CHECK:       memref.store %{{.*}}, %[[ACC]][%c0]
// CHECK:     }
// CHECK:     gpu.barrier
// CHECK:   }
// CHECK:   %[[R:.*]] = memref.load %[[ACC]][%c0]
// CHECK:   memref.store %[[R]], %[[OUT]]
// CHECK-NOT: gpu.barrier
// CHECK:   gpu.terminator
// CHECK-NOT: memref.alloca

// Outlined and lowered to NVVM, the workgroup buffer is a shared (addrspace 3)
// global, the private slice a stack array that LLVM's SROA promotes to
// registers, the block size the kernel's launch bounds (`.maxntid`).

// NVVM: llvm.mlir.global internal @[[SHARED:.*]]() {addr_space = 3 : i32} : !llvm.array<128 x f32>
// NVVM: llvm.func @blocks_kernel({{.*}}) attributes {gpu.kernel, gpu.known_block_size = array<i32: 128, 1, 1>, nvvm.kernel, nvvm.maxntid = array<i32: 128, 1, 1>}
// NVVM:   llvm.mlir.addressof @[[SHARED]]
// NVVM:   llvm.alloca %{{.*}} x f32
// NVVM-COUNT-3: nvvm.barrier0
// NVVM-NOT: nvvm.barrier0
// NVVM:   llvm.return

// kiln-gpu-emulate-launches gives back the block loop: per block the
// workgroup buffer and the private one with a slice per thread, and each
// phase (the code between barriers) as a loop over the 128 threads, the K
// loop around the phases it holds.

// EMU-LABEL: func.func @blocks
// EMU: scf.parallel (%[[B:.*]]) = (%c0) to (%{{.*}}) step (%c1) {
// EMU:   %[[TILE:.*]] = memref.alloca() : memref<128xf32>
// EMU:   %[[ACC:.*]] = memref.alloca() : memref<128x4xf32>
// EMU:   scf.parallel (%[[T0:.*]]) = (%c0) to (%c128) step (%c1) {
// EMU:     %[[S0:.*]] = memref.subview %[[ACC]][%[[T0]], 0] [1, 4] [1, 1]
// EMU:     memref.store %{{.*}}, %[[S0]][%c0]
// EMU:   scf.for
// EMU:     scf.parallel (%[[T1:.*]]) = (%c0) to (%c128) step (%c1) {
// EMU:       memref.store %{{.*}}, %[[TILE]][%[[T1]]]
// EMU:     scf.parallel (%[[T2:.*]]) = (%c0) to (%c128) step (%c1) {
// EMU:       scf.if
// EMU:         %[[S2:.*]] = memref.subview %[[ACC]][%[[T2]], 0]
// EMU:         memref.load %[[TILE]]
// EMU:         memref.load %[[S2]][%c0]
// EMU:   scf.parallel (%[[T3:.*]]) = (%c0) to (%c128) step (%c1) {
// EMU:     %[[S3:.*]] = memref.subview %[[ACC]][%[[T3]], 0]
// EMU:     memref.load %[[S3]][%c0]
// EMU-NOT: gpu.
func.func @blocks(%a: memref<?xf32>, %out: memref<?xf32>, %n: index, %steps: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%block) = (%c0) to (%n) step (%c1) {
    %tile = memref.alloca() : memref<128xf32, #gpu.address_space<workgroup>>
    %acc = memref.alloca() : memref<128x4xf32, #gpu.address_space<private>>
    %base = arith.muli %block, %c128 : index
    scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
      %slice = memref.subview %acc[%t, 0] [1, 4] [1, 1] : memref<128x4xf32, #gpu.address_space<private>> to memref<4xf32, strided<[1], offset: ?>, #gpu.address_space<private>>
      memref.store %zero, %slice[%c0] : memref<4xf32, strided<[1], offset: ?>, #gpu.address_space<private>>
      scf.reduce
    }
    scf.for %k = %c0 to %steps step %c1 {
      scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
        %i = arith.addi %base, %t : index
        %v = memref.load %a[%i] : memref<?xf32>
        memref.store %v, %tile[%t] : memref<128xf32, #gpu.address_space<workgroup>>
        scf.reduce
      }
      scf.parallel (%t) = (%c0) to (%c64) step (%c1) {
        %slice = memref.subview %acc[%t, 0] [1, 4] [1, 1] : memref<128x4xf32, #gpu.address_space<private>> to memref<4xf32, strided<[1], offset: ?>, #gpu.address_space<private>>
        %j = arith.addi %t, %c64 : index
        %x = memref.load %tile[%j] : memref<128xf32, #gpu.address_space<workgroup>>
        %s = memref.load %slice[%c0] : memref<4xf32, strided<[1], offset: ?>, #gpu.address_space<private>>
        %sum = arith.addf %s, %x : f32
        memref.store %sum, %slice[%c0] : memref<4xf32, strided<[1], offset: ?>, #gpu.address_space<private>>
        scf.reduce
      }
    }
    scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
      %slice = memref.subview %acc[%t, 0] [1, 4] [1, 1] : memref<128x4xf32, #gpu.address_space<private>> to memref<4xf32, strided<[1], offset: ?>, #gpu.address_space<private>>
      %r = memref.load %slice[%c0] : memref<4xf32, strided<[1], offset: ?>, #gpu.address_space<private>>
      %i = arith.addi %base, %t : index
      memref.store %r, %out[%i] : memref<?xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}
