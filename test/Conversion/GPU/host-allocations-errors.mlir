// RUN: kiln-opt %s --kiln-gpu-host-allocations --verify-diagnostics

// Kiln's host code allocates synchronously; an asynchronous allocation
// would need a stream the runtime's table does not take.
func.func @asynchronous() {
  %token = gpu.wait async
  // expected-error @below {{'gpu.alloc' op is asynchronous; Kiln's host code allocates synchronously}}
  %buffer, %done = gpu.alloc async [%token] () : memref<4xf32>
  return
}
