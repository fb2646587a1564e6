// RUN: kiln-opt %s --split-input-file --kiln-gpu-emulate-launches --verify-diagnostics

// Only the launches kiln-gpu-map-parallel-loops makes are emulated: x
// extents only, synchronous, without shared memory.
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

func.func @shared_memory(%n: index) {
  %one = arith.constant 1 : index
  // expected-error @below {{'gpu.launch' op uses features (async, clusters, shared memory) that are not emulated}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %one, %gz = %one)
             threads(%tx, %ty, %tz) in (%sx = %one, %sy = %one, %sz = %one)
             workgroup(%tile : memref<32xf32, #gpu.address_space<workgroup>>) {
    gpu.terminator
  }
  return
}
