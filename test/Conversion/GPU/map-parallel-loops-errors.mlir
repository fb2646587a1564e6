// RUN: kiln-opt %s --kiln-gpu-map-parallel-loops --verify-diagnostics
// RUN: not kiln-opt %s --kiln-gpu-map-parallel-loops=block-size=0 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not kiln-opt %s --kiln-gpu-map-parallel-loops=block-size=2048 2>&1 | FileCheck %s --check-prefix=LARGE

// ZERO: error: block-size must be between 1 and 1024 threads, got 0
// LARGE: error: block-size must be between 1 and 1024 threads, got 2048

// A parallel reduction has no thread mapping here (the loops stage makes
// none).
func.func @reduction(%in: memref<?xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{'scf.parallel' op with reductions cannot be mapped to GPU threads}}
  %sum = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %v = memref.load %in[%i] : memref<?xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}
