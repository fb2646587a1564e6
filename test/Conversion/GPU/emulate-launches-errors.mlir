// RUN: kiln-opt %s --split-input-file --kiln-gpu-emulate-launches --verify-diagnostics

// Only the launches kiln-gpu-map-parallel-loops makes are emulated: x
// extents only, synchronous, no dynamic shared memory; with barriers or
// block memory, a constant block size, private memory read by loads, stores and casts,
// barriers only at the top level or in scf.for loops that every thread runs
// alike, and no value of a thread kept across a barrier.
func.func @two_dimensional(%n: index) {
  %one = arith.constant 1 : index
  // expected-error @below {{'gpu.launch' op has a y or z extent other than 1, which is not emulated}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %n, %gz = %one)
             threads(%tx, %ty, %tz) in (%sx = %one, %sy = %one, %sz = %one) {
    gpu.terminator
  }
  return
}

// -----

func.func @dynamic_shared_memory(%n: index) {
  %one = arith.constant 1 : index
  %bytes = arith.constant 64 : i32
  // expected-error @below {{'gpu.launch' op uses features (async, clusters, dynamic shared memory) that are not emulated}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %one, %gz = %one)
             threads(%tx, %ty, %tz) in (%sx = %one, %sy = %one, %sz = %one)
             dynamic_shared_memory_size %bytes {
    gpu.terminator
  }
  return
}

// -----

func.func @dynamic_block_size(%n: index) {
  %one = arith.constant 1 : index
  // expected-error @below {{'gpu.launch' op with barriers or block memory needs a constant block size to be emulated}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %one, %gy = %one, %gz = %one)
             threads(%tx, %ty, %tz) in (%sx = %n, %sy = %one, %sz = %one)
             workgroup(%tile : memref<32xf32, #gpu.address_space<workgroup>>) {
    gpu.terminator
  }
  return
}

// -----

func.func @private_subview(%out: memref<4xf32>) {
  %one = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %one, %gy = %one, %gz = %one)
             threads(%tx, %ty, %tz) in (%sx = %one, %sy = %one, %sz = %one)
             private(%acc : memref<4xf32, #gpu.address_space<private>>) {
    // expected-error @below {{'memref.subview' op uses a private attribution other than by loads, stores and casts, which is not emulated}}
    %half = memref.subview %acc[0] [2] [1] : memref<4xf32, #gpu.address_space<private>> to memref<2xf32, strided<[1]>, #gpu.address_space<private>>
    %v = memref.load %half[%c0] : memref<2xf32, strided<[1]>, #gpu.address_space<private>>
    memref.store %v, %out[%c0] : memref<4xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @barrier_in_if(%flag: i1) {
  %one = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %one, %gy = %one, %gz = %one)
             threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %one, %sz = %one) {
    // expected-error @below {{'scf.if' op holds barriers but is not an scf.for that all threads run alike, which is not emulated}}
    scf.if %flag {
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

// -----

func.func @value_across_barrier(%out: memref<4xindex>) {
  %one = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %one, %gy = %one, %gz = %one)
             threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %one, %sz = %one) {
    %twice = arith.addi %tx, %tx : index
    gpu.barrier
    // expected-error @below {{'memref.store' op uses a value of a thread computed before a barrier, which is not emulated}}
    memref.store %twice, %out[%tx] : memref<4xindex>
    gpu.terminator
  }
  return
}
