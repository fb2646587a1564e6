// RUN: not kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=0 2>&1 | FileCheck %s
// RUN: not kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=65 2>&1 | FileCheck %s --check-prefix=LARGE
// RUN: not kiln-opt %s --kiln-pack-weights=vector-width=0 2>&1 | FileCheck %s
// RUN: not kiln-opt %s --kiln-pack-weights=vector-width=65 2>&1 | FileCheck %s --check-prefix=LARGE

// The kernels' vector width (and the packed panels', which follow it) must
// be a usable number of f32 lanes.
// CHECK: error: vector-width must be between 1 and 64 f32 lanes, got 0
// LARGE: error: vector-width must be between 1 and 64 f32 lanes, got 65
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
