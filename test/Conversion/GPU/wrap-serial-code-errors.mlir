// RUN: kiln-opt %s --kiln-gpu-wrap-serial-code --verify-diagnostics

// A value read from device memory that the host then needs (here, as a loop
// bound) cannot stay on the device.
func.func @escapes(%sizes: memref<1xindex>, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{'memref.load' op reads GPU memory to compute a value that the host uses afterwards; the GPU path cannot compile this yet}}
  %n = memref.load %sizes[%c0] : memref<1xindex>
  %buffer = memref.alloca(%n) : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %out[%i] : memref<?xf32>
    scf.reduce
  }
  return
}
