// RUN: kiln-opt %s --kiln-gpu-approximate-math --verify-diagnostics

// Math left on vectors is split into lanes of a 1-D vector only (the loops
// stage makes no other).
gpu.module @kernels {
  gpu.func @kernel(%x: vector<2x4xf32>, %out: memref<2x4xf32>) kernel {
    %c0 = arith.constant 0 : index
    // expected-error @below {{'math.sqrt' op on a vector that is not 1-D and fixed-size cannot be lowered for the GPU}}
    %s = math.sqrt %x : vector<2x4xf32>
    vector.transfer_write %s, %out[%c0, %c0] : vector<2x4xf32>, memref<2x4xf32>
    gpu.return
  }
}
